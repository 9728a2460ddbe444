//! Which partner reads which inbox file: every file matched to the
//! pipeline sources whose globs it fits. A file two partners claim, and an
//! inbox entry that must not be read (see [`crate::inbox`]), is reported,
//! never read; a file no one claims is listed.

use std::collections::{BTreeMap, HashSet};

use super::FileReport;
use crate::config::Plan;
use crate::config::pipeline::{Pipeline, Source};

/// One source file to read: which pipeline and source claim it.
#[derive(Debug, Clone)]
pub struct Claim<'p> {
    pub pipeline: &'p Pipeline,
    pub source: &'p Source,
    pub source_index: usize,
    pub file: String,
}

/// Inbox files matched to the partners' sources.
#[derive(Debug, Default)]
pub struct Claims<'p> {
    /// Partner id -> the files it claims, in path order.
    pub by_partner: BTreeMap<String, Vec<Claim<'p>>>,
    /// Inbox files no pipeline claims.
    pub unclaimed: Vec<String>,
    /// Files several partners claim, and inbox entries that must not be
    /// read (links, special files, unreadable files: see [`crate::inbox`]):
    /// not read, reported for each partner whose glob matches them (with no
    /// partner when none does).
    pub conflicts: Vec<FileReport>,
}

/// A partner glob. `*` and `?` stop at `/` (only `**` crosses folders), so
/// `partner/*.csv` never reaches into `partner/old/`.
pub fn glob_matcher(pattern: &str) -> std::result::Result<globset::GlobMatcher, globset::Error> {
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
}

/// Match inbox files to pipeline sources. A file claimed by two partners is
/// an error for that file; a file claimed by none is listed.
pub fn claim<'p>(plan: &'p Plan, inbox: &crate::inbox::Inbox) -> Claims<'p> {
    let files = &inbox.files;
    let mut out = Claims::default();
    let matchers: Vec<(&Pipeline, usize, &Source, globset::GlobMatcher)> = plan
        .pipelines
        .iter()
        .flat_map(|(_, p)| p.sources.iter().enumerate().map(move |(i, s)| (p, i, s)))
        .map(|(p, i, s)| (p, i, s, glob_matcher(&s.files).expect("validated with the plan")))
        .collect();
    for u in &inbox.unusable {
        let mut partners: Vec<(&str, &str)> = matchers
            .iter()
            .filter(|m| m.3.is_match(&u.path))
            .map(|m| (m.0.partner_id.as_str(), m.2.name.as_str()))
            .collect();
        partners.dedup_by_key(|(p, _)| *p);
        if partners.is_empty() {
            partners.push(("", ""));
        }
        for (p, source) in partners {
            out.conflicts
                .push(FileReport::failed(p, source, &u.path, u.why.clone()));
        }
    }
    for f in files {
        let hits: Vec<Claim<'p>> = matchers
            .iter()
            .filter(|m| m.3.is_match(f))
            .map(|&(pipeline, source_index, source, _)| Claim {
                pipeline,
                source,
                source_index,
                file: f.clone(),
            })
            .collect();
        let partners: HashSet<&str> = hits.iter().map(|c| c.pipeline.partner_id.as_str()).collect();
        match partners.len() {
            0 => out.unclaimed.push(f.clone()),
            1 => {
                let partner = hits[0].pipeline.partner_id.clone();
                out.by_partner.entry(partner).or_default().extend(hits);
            }
            _ => {
                let mut names: Vec<_> = partners.into_iter().collect();
                names.sort();
                let why = format!(
                    "claimed by several partners ({}); narrow their `files` globs",
                    names.join(", ")
                );
                for p in &names {
                    out.conflicts.push(FileReport::failed(p, "", f, why.clone()));
                }
            }
        }
    }
    out
}

/// The night's inbox entries as [`crate::aliases::FileAliases`] names them:
/// each claimed file with its partner, the unclaimed ones, the contested
/// or unusable ones.
pub fn entries(claims: &Claims<'_>) -> crate::aliases::Entries {
    crate::aliases::Entries {
        claimed: claims
            .by_partner
            .iter()
            .flat_map(|(p, cs)| cs.iter().map(move |c| (c.file.clone(), p.clone())))
            .collect(),
        unclaimed: claims.unclaimed.clone(),
        conflicts: claims.conflicts.iter().map(|c| c.file.clone()).collect(),
    }
}
