//! The house's import rules, checked on the sources: no module imports
//! back up.
//!
//! Two graphs, each drawn from the `crate::…` and `super::…` paths a file
//! names (comments, strings and `#[cfg(test)] mod tests` left out):
//! - **modules**: the crate's top-level modules (`src/ingest/`,
//!   `src/layout.rs`, …), an arrow from one to another when any of its
//!   files names the other;
//! - **files in a folder**: the sibling files of one folder (`run/ledger.rs`,
//!   `run/snapshots.rs`, …), an arrow when one names the other. A folder's
//!   `mod.rs` is its interface, not a sibling: its children may use what
//!   it declares, and it may call its children.
//!
//! The same sources are held to functions a reader can hold: none over
//! [`MAX_FUNCTION_LINES`] lines, signature to closing brace (tests left
//! out). A longer one is split by the steps it already has.
//!
//! A cycle in either fails the test, naming the modules or files around it
//! and, for each arrow, the line that draws it: the fix is to move what
//! both ends need down (into `layout`, `build_id`, the folder's `mod.rs`,
//! or a crate), not to name the path another way. The same rule covers
//! the crates under `crates/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One source file: its path under the root, its module path, whether it is
/// a folder's interface (`mod.rs`, `lib.rs`, `main.rs`), and its code.
struct Source {
    rel: String,
    module: Vec<String>,
    interface: bool,
    code: String,
}

/// The code of a file with comments, string literals and a trailing test
/// module blanked, line numbers kept.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                if b[i] == b'\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += 2;
        } else if b[i] == b'r' && matches!(b.get(i + 1), Some(b'"') | Some(b'#')) && (i == 0 || !is_ident(b[i - 1])) {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(b[i] as char);
                i += 1;
                continue;
            }
            let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            j += 1;
            while j < b.len() && !b[j..].starts_with(&close) {
                if b[j] == b'\n' {
                    out.push('\n');
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j + close.len();
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                if b.get(i) == Some(&b'\n') {
                    out.push('\n');
                }
                i += 1;
            }
            out.push_str("\"\"");
            i += 1;
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // A character literal ('"'), not a lifetime.
            out.push_str("' '");
            i += 3;
        } else {
            // Copy one UTF-8 character whole.
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + len]);
            i += len;
        }
    }
    out
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn sources(root: &Path) -> Vec<Source> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            let mut module: Vec<String> = rel.trim_end_matches(".rs").split('/').map(String::from).collect();
            let interface = matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main"));
            if interface {
                module.pop();
            }
            let code = code_of(&std::fs::read_to_string(&path).unwrap());
            Source {
                rel,
                module,
                interface,
                code,
            }
        })
        .collect()
}

/// Every module path the code names, with its line: `crate::a::b`, the
/// items of `use crate::{a, b}`, `super::…` resolved against `module`, and
/// in an interface, `child::…` for each `mod child;` it declares.
fn named_paths(s: &Source) -> Vec<(Vec<String>, usize)> {
    let mut out = Vec::new();
    let words = |from: &str| -> Vec<String> {
        from.split("::")
            .map(|w| {
                w.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .take_while(|w| !w.is_empty())
            .collect()
    };
    let children: Vec<String> = if s.interface {
        s.code
            .lines()
            .filter_map(|l| {
                let l = l.trim().trim_start_matches("pub ").trim_start_matches("pub(crate) ");
                l.strip_prefix("mod ")?.strip_suffix(';').map(|m| m.trim().to_string())
            })
            .collect()
    } else {
        Vec::new()
    };
    // `base::{a, b::c}`: base joined with the words of each top-level item.
    let grouped = |base: &[String], group: &str, n: usize, out: &mut Vec<(Vec<String>, usize)>| {
        let mut depth = 0;
        let mut item_start = true;
        for (k, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => item_start = true,
                c if item_start && (c.is_alphanumeric() || c == '_') => {
                    let mut path = base.to_vec();
                    path.extend(words(&group[k..]).into_iter().filter(|w| w != "self"));
                    out.push((path, n));
                    item_start = false;
                }
                _ => {}
            }
        }
    };
    for (n, line) in s.code.lines().enumerate() {
        let b = line.as_bytes();
        for (i, _) in line.match_indices("crate::") {
            if i > 0 && is_ident(b[i - 1]) {
                continue;
            }
            let rest = &line[i + "crate::".len()..];
            match rest.strip_prefix('{') {
                Some(group) => grouped(&[], group, n + 1, &mut out),
                None => out.push((words(rest), n + 1)),
            }
        }
        for (i, _) in line.match_indices("super::") {
            if i > 0 && (is_ident(b[i - 1]) || line[..i].ends_with("super::")) {
                continue;
            }
            let mut rest = &line[i..];
            let mut up = 0;
            while let Some(r) = rest.strip_prefix("super::") {
                up += 1;
                rest = r;
            }
            // A file's module is its own path: `super` is its folder's
            // interface (for an interface, the folder above).
            let mut base: Vec<String> = s.module[..s.module.len().saturating_sub(up)].to_vec();
            match rest.strip_prefix('{') {
                Some(group) => grouped(&base, group, n + 1, &mut out),
                None => {
                    base.extend(words(rest));
                    out.push((base, n + 1));
                }
            }
        }
        for child in &children {
            for (i, _) in line.match_indices(&format!("{child}::")) {
                if i > 0 && (is_ident(b[i - 1]) || b[i - 1] == b':') {
                    continue;
                }
                let mut path = s.module.clone();
                path.extend(words(&line[i..]));
                out.push((path, n + 1));
            }
        }
    }
    out
}

/// The cycles of `graph` (its strongly connected components of more than
/// one node), each with one arrow's evidence per step around it.
fn cycles(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<Vec<String>> {
    // Tarjan's algorithm, recursive: the graphs have a few hundred nodes.
    struct T<'a> {
        g: &'a BTreeMap<String, BTreeMap<String, String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let i = t.index.len();
        t.index.insert(v, i);
        t.low.insert(v, i);
        t.stack.push(v);
        t.on.insert(v);
        if let Some(next) = t.g.get(v) {
            for w in next.keys() {
                let w = w.as_str();
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let lw = t.low[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if t.on.contains(w) {
                    let iw = t.index[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

/// The arrows of both graphs for the sources under `root`, each with the
/// first line that draws it (`file:line`).
fn graphs(root: &Path) -> (Graph, Graph) {
    let files = sources(root);
    let by_module: BTreeMap<&[String], &Source> = files.iter().map(|s| (s.module.as_slice(), s)).collect();
    let resolve = |path: &[String]| -> Option<&Source> {
        (1..=path.len()).rev().find_map(|k| by_module.get(&path[..k]).copied())
    };
    let top = |s: &Source| -> String { s.module.first().cloned().unwrap_or_else(|| s.rel.clone()) };
    let folder = |s: &Source| -> Option<String> {
        (!s.interface && s.module.len() > 1).then(|| s.module[..s.module.len() - 1].join("/"))
    };
    let mut modules = Graph::new();
    let mut siblings = Graph::new();
    for s in &files {
        for (path, line) in named_paths(s) {
            let Some(t) = resolve(&path) else { continue };
            if t.rel == s.rel || t.module.is_empty() || s.module.is_empty() {
                continue;
            }
            let at = format!("{}:{line}", s.rel);
            if top(s) != top(t) {
                modules.entry(top(s)).or_default().entry(top(t)).or_insert(at.clone());
            }
            if let (Some(a), Some(b)) = (folder(s), folder(t))
                && a == b
            {
                siblings
                    .entry(s.rel.clone())
                    .or_default()
                    .entry(t.rel.clone())
                    .or_insert(at);
            }
        }
    }
    (modules, siblings)
}

type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// The arrows of `cycle` in `graph`, as `a -> b (file:line)`.
fn described(graph: &Graph, cycle: &[String]) -> String {
    let members: BTreeSet<&String> = cycle.iter().collect();
    let mut arrows = Vec::new();
    for a in cycle {
        for (b, at) in graph.get(a).into_iter().flatten() {
            if members.contains(b) {
                arrows.push(format!("    {a} -> {b} ({at})"));
            }
        }
    }
    format!("{}\n{}", cycle.join(", "), arrows.join("\n"))
}

fn problems(root: &Path) -> Vec<String> {
    let (modules, siblings) = graphs(root);
    let mut out = Vec::new();
    for c in cycles(&modules) {
        out.push(format!("modules import each other: {}", described(&modules, &c)));
    }
    for c in cycles(&siblings) {
        out.push(format!(
            "files of one folder import each other: {}",
            described(&siblings, &c)
        ));
    }
    out
}

#[test]
fn no_module_or_file_imports_back_up() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots = vec![root.join("src")];
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            roots.push(src);
        }
    }
    let mut found = Vec::new();
    for r in &roots {
        for p in problems(r) {
            found.push(format!("{}: {p}", r.strip_prefix(root).unwrap().display()));
        }
    }
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

/// The check finds what it is for: a cycle across modules and one between
/// sibling files, each named with the lines that draw it; and it is not
/// fooled by paths in comments or strings, nor by a child using its
/// folder's interface.
#[test]
fn the_check_names_a_cycle_it_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let w = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w("lib.rs", "pub mod a;\npub mod b;\npub mod c;\npub mod run;\n");
    w("a.rs", "use crate::b::X;\n");
    w("b.rs", "// crate::a is only a comment\npub fn f() { crate::c::g(); }\n");
    w(
        "c.rs",
        "pub fn g() { let _ = \"crate::a::h\"; }\npub fn h() { crate::a::y(); }\n",
    );
    w(
        "run/mod.rs",
        "mod ledger;\nmod snapshots;\npub use ledger::Entry;\npub struct Layout;\n",
    );
    w(
        "run/ledger.rs",
        "use super::Layout;\nfn f() { crate::run::snapshots::current(); }\n",
    );
    w(
        "run/snapshots.rs",
        "use super::{Layout, ledger::Entry};\n#[cfg(test)]\nmod tests {\n    use super::super::ledger;\n}\n",
    );
    let found = problems(dir.path());
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].starts_with("modules import each other: a, b, c\n"),
        "{}",
        found[0]
    );
    assert!(found[0].contains("a -> b (a.rs:1)"), "{}", found[0]);
    assert!(found[0].contains("c -> a (c.rs:2)"), "{}", found[0]);
    assert!(
        found[1].starts_with("files of one folder import each other: run/ledger.rs, run/snapshots.rs"),
        "{}",
        found[1]
    );
    assert!(
        found[1].contains("run/snapshots.rs -> run/ledger.rs (run/snapshots.rs:1)"),
        "{}",
        found[1]
    );
    // Without the arrows back, nothing is found.
    w("c.rs", "pub fn g() {}\npub fn h() {}\n");
    w("run/ledger.rs", "use super::Layout;\n");
    assert_eq!(problems(dir.path()), Vec::<String>::new());
}

/// The longest a production function may be, signature to closing brace.
const MAX_FUNCTION_LINES: usize = 150;

/// Every function of the sources under `root` longer than `max` lines, as
/// `file:line name (n lines)`. Nested functions count in their outer one
/// too; a declaration without a body (`fn f();`) is no function.
fn long_functions(root: &Path, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for s in sources(root) {
        let (code, b) = (s.code.as_str(), s.code.as_bytes());
        let mut from = 0;
        while let Some(k) = code[from..].find("fn ") {
            let at = from + k;
            from = at + 3;
            if at > 0 && is_ident(b[at - 1]) {
                continue;
            }
            let name: String = code[at + 3..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() {
                continue;
            }
            // The body opens at the first `{` outside parentheses and
            // brackets (`[u8; 16]` holds a `;`), unless a `;` ends a
            // declaration first.
            let mut depth = 0i32;
            let mut open = None;
            for (j, &c) in b.iter().enumerate().skip(at + 3) {
                match c {
                    b'(' | b'[' => depth += 1,
                    b')' | b']' => depth -= 1,
                    b';' if depth == 0 => break,
                    b'{' if depth == 0 => {
                        open = Some(j);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(open) = open else { continue };
            let mut depth = 0;
            let mut close = b.len() - 1;
            for (j, &c) in b.iter().enumerate().skip(open) {
                if c == b'{' {
                    depth += 1;
                } else if c == b'}' {
                    depth -= 1;
                    if depth == 0 {
                        close = j;
                        break;
                    }
                }
            }
            let first = code[..at].matches('\n').count() + 1;
            let last = code[..close].matches('\n').count() + 1;
            let lines = last - first + 1;
            if lines > max {
                out.push(format!("{}:{first} {name} ({lines} lines)", s.rel));
            }
        }
    }
    out
}

#[test]
fn no_production_function_is_over_the_limit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    let mut roots = vec![root.join("src")];
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            roots.push(src);
        }
    }
    for r in &roots {
        for f in long_functions(r, MAX_FUNCTION_LINES) {
            found.push(format!("{}/{f}", r.strip_prefix(root).unwrap().display()));
        }
    }
    assert!(
        found.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines (split them by their steps):\n{}",
        found.join("\n")
    );
}

/// The length check counts a body's lines whatever its braces hide in
/// strings, comments and character literals, skips declarations and
/// tests, and names the file and line.
#[test]
fn the_length_check_names_a_long_function() {
    let dir = tempfile::tempdir().unwrap();
    let body = |n: usize| "    let _ = 1;\n".repeat(n);
    let text = format!(
        "pub trait T {{\n    fn declared(&self) -> [u8; 16];\n}}\n\
         fn short() {{\n{}}}\n\
         pub(crate) fn long(x: [u8; 4]) -> usize {{\n    let _ = \"}}}}\"; // }}\n    let _ = '}}';\n{}    0\n}}\n\
         #[cfg(test)]\nmod tests {{\n    fn long_test() {{\n{}    }}\n}}\n",
        body(8),
        body(8),
        body(20)
    );
    std::fs::write(dir.path().join("lib.rs"), text).unwrap();
    assert_eq!(
        long_functions(dir.path(), 10),
        vec!["lib.rs:14 long (13 lines)".to_string()]
    );
    assert_eq!(long_functions(dir.path(), 13), Vec::<String>::new());
}
