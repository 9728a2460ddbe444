//! Carrying an unchanged partner over from the current snapshot: its lake
//! parts, their research-tier projections and its restricted folders
//! (staged, quarantine, linkage) are hard-linked into the snapshot being
//! built, not recomputed. A partner is carried only when its fingerprint
//! (the build, the key, its pipeline and files) is the snapshot's, so the
//! projections, made by the same build with the same key from the same
//! lake parts, are the snapshot's too. Snapshots
//! never modify a file in place, so sharing them is safe and costs no
//! space; where hard links are not possible the files are copied.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::lake;
use crate::layout::RestrictedDir;
use crate::restricted::restricted_dir;

/// Where a partner's lake parts, research lake and restricted folders live.
pub struct Carry {
    pub lake: PathBuf,
    pub research_lake: PathBuf,
    pub restricted: RestrictedDir,
}

/// Carry partner `pid`'s outputs of every lake table `from` one snapshot `to` another.
pub fn carry_over(pid: &str, lake_tables: &[String], from: &Carry, to: &Carry) -> Result<()> {
    for t in lake_tables {
        link_or_copy(&lake::part(&from.lake, t, pid), &lake::part(&to.lake, t, pid))?;
        // The research lake holds some tables only; what it does not hold
        // of the current snapshot is written from the lake as for any partner.
        let research = lake::part(&from.research_lake, t, pid);
        if research.is_file() {
            let dir = lake::table_dir(&to.research_lake, t);
            std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
            link_or_copy(&research, &lake::part(&to.research_lake, t, pid))?;
        }
    }
    for area in RestrictedDir::PARTNER_AREAS {
        let src = from.restricted.path().join(area).join(pid);
        let dest = restricted_dir(&to.restricted.path().join(area))?.join(pid);
        link_tree(&src, &dest)?;
    }
    Ok(())
}

fn link_or_copy(src: &Path, dest: &Path) -> Result<()> {
    if std::fs::hard_link(src, dest).is_err() {
        std::fs::copy(src, dest).map_err(Error::io(src))?;
    }
    Ok(())
}

fn link_tree(src: &Path, dest: &Path) -> Result<()> {
    restricted_dir(dest)?;
    for e in std::fs::read_dir(src).map_err(Error::io(src))? {
        let path = e.map_err(Error::io(src))?.path();
        let target = dest.join(path.file_name().expect("a directory entry has a name"));
        if path.is_dir() {
            link_tree(&path, &target)?;
        } else {
            link_or_copy(&path, &target)?;
        }
    }
    Ok(())
}
