//! `tafteesh onboard`: profile a new partner's export and draft its pipeline config.

use std::path::PathBuf;

use crate::error::{Error, Exit, Result};

/// Profile an export no pipeline reads yet, and draft its pipeline config.
///
/// Finds the encoding, delimiter, header row (below any title rows) and
/// sheets; profiles each column (how full, what its values look like, as
/// shapes and counts: never a name, phone or identifier); and writes a
/// draft `<out>/<partner>.toml` mapping the headers it recognises (English
/// and Bengali), with a row condition for a wide export, value maps to
/// decide for codes the schema does not know, and the columns it left
/// unmapped. What only the data officer can decide is marked `# DECIDE:`
/// and printed; the draft is checked as `validate` would check it.
///
/// Examples:
///   tafteesh onboard inbox/new_ngo/register.csv --partner new_ngo
///   tafteesh onboard export.xlsx --sheet "Survivor Registration" --out config/pipelines
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The export to profile.
    pub file: PathBuf,
    /// A workbook's sheet; the first when left out.
    #[arg(long)]
    pub sheet: Option<String>,
    /// The partner's id (lower case, digits, _); from the name of the
    /// file's folder (the partner's inbox folder) when left out, never
    /// from the file's own name, which may be a survivor's.
    #[arg(long)]
    pub partner: Option<String>,
    /// Where to write the draft.
    #[arg(long, default_value = "pipelines")]
    pub out: PathBuf,
    /// Replace a draft or config of the same name.
    #[arg(long)]
    pub force: bool,
    /// The inbox the file lies in, so the draft's `files` glob names where
    /// it lies; from the `inbox` of a tafteesh.toml beside the folder the
    /// draft goes to (`--out config/pipelines`) when left out.
    #[arg(long)]
    pub inbox: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<Exit> {
    let model = crate::config::Model::load()?;
    let file_name = args
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("export")
        .to_string();
    let folder = args
        .file
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let partner = args.partner.clone().unwrap_or_else(|| match folder {
        "" => "new_partner".to_string(),
        f => partner_id_from(f),
    });
    let target = args.out.join(format!("{partner}.toml"));
    if target.exists() && !args.force {
        return Err(Error::Usage(format!(
            "{} exists; give --force to replace it, or another --partner",
            target.display()
        )));
    }
    let p = crate::onboard::profile(&args.file, args.sheet.as_deref(), &model.reference)?;
    let lies = where_it_lies(&args, &partner, folder);
    let d = crate::onboard::draft(&p, &model.schemas, &partner, (&file_name, &lies));
    print_profile(&p, &d);
    std::fs::create_dir_all(&args.out).map_err(Error::io(&args.out))?;
    std::fs::write(&target, &d.toml).map_err(Error::io(&target))?;
    // Checked as `validate` checks a config: what fails is what is left to decide.
    let problems = match crate::config::pipeline::Pipeline::parse(&d.toml) {
        Ok((pipeline, unknown)) => unknown
            .into_iter()
            .chain(pipeline.problems(&model.schemas, &target))
            .collect(),
        Err(e) => vec![e],
    };
    println!("\ndraft written: {}", target.display());
    let headers: std::collections::BTreeSet<&String> = d.mapped.iter().map(|m| &m.0).collect();
    println!(
        "mapped {} of {} columns; {} left unmapped (listed at the end of the draft)",
        headers.len(),
        p.columns.len(),
        d.unmapped.len()
    );
    if d.decisions.is_empty() && problems.is_empty() {
        println!("the draft passes validation; read it, then run `tafteesh validate`");
    } else {
        println!("still to decide (marked `# DECIDE:` in the draft):");
        for x in d.decisions.iter().chain(&problems) {
            println!("  - {x}");
        }
    }
    Ok(Exit::Success)
}

/// Where the file lies in the inbox: the inbox given, else the one a
/// tafteesh.toml beside `--out`'s folder names (`inbox = "../inbox"`),
/// else not known (the file's folder is taken for the partner's).
fn where_it_lies(args: &Args, partner: &str, folder: &str) -> crate::onboard::Lies {
    use crate::onboard::Lies;
    let from_config = || -> Option<PathBuf> {
        let config_dir = args.out.parent()?;
        let text = std::fs::read_to_string(config_dir.join("tafteesh.toml")).ok()?;
        let value: toml::Value = toml::from_str(&text).ok()?;
        Some(config_dir.join(value.get("inbox")?.as_str()?))
    };
    let inbox = args.inbox.clone().or_else(from_config);
    let dir = args.file.parent().map(|p| {
        if p.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            p
        }
    });
    let relative = match (inbox, dir) {
        (Some(inbox), Some(dir)) => match (inbox.canonicalize(), dir.canonicalize()) {
            (Ok(inbox), Ok(dir)) => dir.strip_prefix(&inbox).ok().map(|r| {
                r.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/")
            }),
            _ => None,
        },
        _ => None,
    };
    match relative {
        Some(r) if r.is_empty() => Lies::AtRoot,
        Some(r) => Lies::In(r),
        None if folder == partner => Lies::In(partner.to_string()),
        None => Lies::Unknown,
    }
}

/// A partner id from a folder's name: lower-case letters and digits, `_` between words.
fn partner_id_from(folder: &str) -> String {
    let mut id = String::new();
    for ch in folder.chars() {
        if ch.is_ascii_alphanumeric() {
            id.push(ch.to_ascii_lowercase());
        } else if !id.ends_with('_') && !id.is_empty() {
            id.push('_');
        }
    }
    let id = id.trim_end_matches('_').to_string();
    if id.is_empty() || id.starts_with(|c: char| c.is_ascii_digit()) {
        format!("partner_{id}")
    } else {
        id
    }
}

/// The profile as a table of shapes and counts. Values are shown only for
/// coded columns mapped to an enumerated or yes/no column, and only the
/// codes the schema already knows; the others by their shape.
fn print_profile(p: &crate::onboard::Profile, d: &crate::onboard::Draft) {
    let how = match p.format {
        tafteesh_readers::Format::Csv => format!(
            "CSV, delimiter {}",
            match p.delimiter {
                Some(b'\t') => "tab".to_string(),
                Some(c) => format!("`{}`", c as char),
                None => "?".into(),
            }
        ),
        tafteesh_readers::Format::Xlsx => format!(
            "workbook, sheet {} of: {}",
            p.sheet.as_deref().unwrap_or("?"),
            p.sheets.join(", ")
        ),
    };
    println!("{how}; header on row {}; {} data rows", p.header_row, p.rows);
    for n in &p.notes {
        println!("note: {n}");
    }
    let mapped: std::collections::BTreeMap<&str, Vec<&str>> =
        d.mapped.iter().fold(Default::default(), |mut m, (h, c)| {
            m.entry(h.as_str()).or_insert_with(Vec::new).push(c.as_str());
            m
        });
    println!(
        "\n{:<4} {:<40} {:>6} {:>9}  {:<28} mapped to",
        "col", "header", "filled", "distinct", "looks like"
    );
    for (i, c) in p.columns.iter().enumerate() {
        let kinds: Vec<String> = c
            .kinds
            .iter()
            .take(2)
            .map(|(k, n)| format!("{} {}%", k.as_str(), crate::onboard::percent(*n, c.filled)))
            .collect();
        let header: String = c
            .header
            .chars()
            .map(|ch| if ch.is_control() { '?' } else { ch })
            .take(40)
            .collect();
        println!(
            "{:<4} {:<40} {:>5}% {:>9}  {:<28} {}",
            i + 1,
            header,
            crate::onboard::percent(c.filled, p.sampled),
            if c.distinct > 30 {
                ">30".to_string()
            } else {
                c.distinct.to_string()
            },
            kinds.join(", "),
            mapped.get(c.header.as_str()).map(|v| v.join(", ")).unwrap_or_default()
        );
        let shapes: Vec<String> = c.shapes.iter().map(|(s, n)| format!("`{s}` x{n}")).collect();
        if !shapes.is_empty() {
            println!("     shapes: {}", shapes.join("  "));
        }
        if let Some(codes) = d.codes.get(&c.header) {
            let clean = |v: &str| -> String { v.chars().map(|ch| if ch.is_control() { '?' } else { ch }).collect() };
            let mut v: Vec<String> = codes
                .known
                .iter()
                .map(|(v, n)| format!("\"{}\" x{n}", clean(v)))
                .collect();
            v.extend(
                codes
                    .unknown
                    .iter()
                    .map(|(shape, n)| format!("(unknown code shaped `{}`) x{n}", clean(shape))),
            );
            println!("     codes: {}", v.join("  "));
        }
    }
}
