//! Every `tafteesh` command the README (and the pages of `docs/`) shows
//! must run: each is parsed by the real command line here, so a renamed
//! flag or subcommand fails the test, and those that name `tafteesh-demo/`
//! are run on the demo (see `demo_truth`).

use clap::Parser;

/// The README and every page of `docs/`, by name, with their text: a page
/// added later is read too.
fn pages() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut names = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    names.extend(docs);
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(root.join(&n)).unwrap();
            (n, text)
        })
        .collect()
}

/// One command a page shows: where, and its arguments after `tafteesh`.
pub(crate) struct Shown {
    pub at: String,
    pub args: Vec<String>,
    /// Shown whole, in a code block, to be typed as it is; a command named
    /// in the prose (`tafteesh status`) may leave out required arguments,
    /// but what it names must exist.
    pub whole: bool,
}

/// Split a shell line into words: quotes group, `#` outside quotes starts a
/// comment, a redirection (`>`, `>>`, `2>&1`, `|`) ends the command.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, '#') if word.is_empty() => break,
            (None, '>' | '|') => break,
            (None, c) if c.is_whitespace() => {
                if any || !word.is_empty() {
                    if word == "2" && chars.peek() == Some(&'>') {
                        break;
                    }
                    out.push(std::mem::take(&mut word));
                }
                any = false;
            }
            (None, c) => {
                word.push(c);
                any = true;
            }
        }
    }
    if any || !word.is_empty() {
        out.push(word);
    }
    out
}

/// A placeholder of the prose (`N`, `ID`, `STUDY`, `SNAPSHOT`) given a
/// value every argument accepts.
fn filled(word: String) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_uppercase()) {
        "1".into()
    } else {
        word
    }
}

/// The arguments after the program of a line that runs tafteesh, if it does.
fn tafteesh_args(line: &str) -> Option<Vec<String>> {
    let line = line.trim().trim_start_matches("$ ");
    let rest = if let Some(r) = line.strip_prefix("cargo run --release -- ") {
        r
    } else if let Some(r) = line.strip_prefix("tafteesh ") {
        r
    } else {
        // A crontab line or a unit's ExecStart: the installed binary.
        let i = line.find("/bin/tafteesh ")?;
        &line[i + "/bin/tafteesh ".len()..]
    };
    Some(words(rest).into_iter().map(filled).collect())
}

/// Every command the pages show: in code blocks (fenced or indented) and in
/// inline code spans.
pub(crate) fn shown() -> Vec<Shown> {
    let mut out = Vec::new();
    for (page, text) in pages() {
        let mut fenced = false;
        for (n, line) in text.lines().enumerate() {
            let at = format!("{page}:{}", n + 1);
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                continue;
            }
            if fenced || line.starts_with("    ") {
                if let Some(args) = tafteesh_args(line) {
                    out.push(Shown { at, args, whole: true });
                }
                continue;
            }
            for (i, span) in line.split('`').enumerate() {
                if i % 2 == 1
                    && let Some(args) = tafteesh_args(span)
                {
                    out.push(Shown {
                        at: at.clone(),
                        args,
                        whole: false,
                    });
                }
            }
        }
    }
    out
}

#[test]
fn every_command_the_readme_shows_is_one_tafteesh_accepts() {
    let shown = shown();
    assert!(shown.len() >= 15, "{} commands found", shown.len());
    let mut refused = Vec::new();
    for s in &shown {
        let argv = std::iter::once("tafteesh".to_string()).chain(s.args.iter().cloned());
        if let Err(e) = tafteesh::cli::Cli::try_parse_from(argv) {
            use clap::error::ErrorKind;
            let named_only = !s.whole && e.kind() == ErrorKind::MissingRequiredArgument;
            if !named_only && !matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                refused.push(format!("{}: tafteesh {}\n{e}", s.at, s.args.join(" ")));
            }
        }
    }
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}

#[test]
fn the_readme_command_reader_reads_what_a_shell_would() {
    assert_eq!(
        tafteesh_args("tafteesh run --config /srv/tafteesh   # what cron calls").unwrap(),
        ["run", "--config", "/srv/tafteesh"]
    );
    assert_eq!(
        tafteesh_args("0 2 * * *  /usr/local/bin/tafteesh run --on-failure 'echo \"x\" | mail' >>/l 2>&1").unwrap(),
        ["run", "--on-failure", "echo \"x\" | mail"]
    );
    assert_eq!(tafteesh_args("cargo run --release -- demo").unwrap(), ["demo"]);
    assert_eq!(tafteesh_args("tafteesh rollback ID").unwrap(), ["rollback", "1"]);
    assert!(tafteesh_args("duckdb my_study.duckdb").is_none());
    // A flag that does not exist is refused by the real command line.
    assert!(tafteesh::cli::Cli::try_parse_from(["tafteesh", "run", "--no-such-flag"]).is_err());
    assert!(tafteesh::cli::Cli::try_parse_from(["tafteesh", "no-such-command"]).is_err());
}
