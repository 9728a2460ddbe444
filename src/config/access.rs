//! Who may read what a run publishes: `[access]` in tafteesh.toml.
//!
//! A snapshot holds two tiers with different readers, and the machine's
//! file permissions are what keeps them apart (the restricted area,
//! plaintext, is the job's user's alone, whatever this says):
//! - `reports/`: suppressed aggregates (dashboard, workbook, CSV,
//!   codebook), what a programme manager may forward. Readable by every
//!   user of the machine by default (`reports_public`); else by
//!   `reports_group`, or by the job's user only.
//! - `research/`: the research lake, the warehouse and the marts, minimal
//!   pseudonymised microdata for the research team (no token, reference,
//!   FIR number, date of birth, village or source row), and the indicator
//!   history (unsuppressed). Readable by `research_group` (the folder 0750
//!   and owned by the group), or by the job's user only (0700) when none
//!   is named: a study's data is never readable by every user by default.
//!
//! The snapshot's own lake (`lake/`, every column the next run, linkage
//! and the packs need) is the job's user's alone, whatever this says.
//!
//! Only the tiers' folders carry the mode: a file inside is read-only
//! (0444) as before, and reachable only through its folder. A group named
//! here must exist, and the job's user must belong to it (or the job run
//! as root), for the run to hand the folder to it: both are checked when
//! the configuration is resolved, so `validate` says so before a night
//! fails on it.

use std::path::Path;

use serde::Deserialize;

/// `[access]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessFile {
    /// The group that may read `research/` and the indicator history.
    #[serde(default)]
    pub research_group: Option<String>,
    /// Whether every user of the machine may read `reports/`.
    #[serde(default = "default_reports_public")]
    pub reports_public: bool,
    /// The group that may read `reports/` when it is not public.
    #[serde(default)]
    pub reports_group: Option<String>,
}

impl Default for AccessFile {
    fn default() -> Self {
        AccessFile {
            research_group: None,
            reports_public: default_reports_public(),
            reports_group: None,
        }
    }
}

fn default_reports_public() -> bool {
    true
}

/// Who may read one tier: its folder's mode, and the group that owns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    pub mode: u32,
    /// (name, gid) of the group the folder is handed to.
    pub group: Option<(String, u32)>,
}

/// Both tiers, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub reports: Tier,
    pub research: Tier,
}

impl Default for Access {
    fn default() -> Self {
        AccessFile::default().resolve().expect("the default names no group")
    }
}

impl AccessFile {
    /// The tiers' modes and groups; every group that does not exist, or
    /// that the job's user cannot hand a folder to, is a problem.
    pub fn resolve(&self) -> Result<Access, Vec<String>> {
        let mut problems = Vec::new();
        let mut group = |key: &str, name: &Option<String>| -> Option<(String, u32)> {
            let name = name.as_ref()?;
            match group_id(name) {
                None => {
                    problems.push(format!(
                        "access.{key}: no group `{name}` on this machine (create it with `groupadd {name}`, or leave the key out)"
                    ));
                    None
                }
                Some(gid) if !may_hand_to(gid) => {
                    problems.push(format!(
                        "access.{key}: the job's user is not a member of group `{name}`, so it cannot hand folders to it (`usermod -aG {name} <user>`)"
                    ));
                    None
                }
                Some(gid) => Some((name.clone(), gid)),
            }
        };
        let research_group = group("research_group", &self.research_group);
        let reports_group = group("reports_group", &self.reports_group);
        if self.reports_public && self.reports_group.is_some() {
            problems.push(
                "access.reports_group: reports are public (`reports_public = true`); name a group only with `reports_public = false`"
                    .into(),
            );
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let tier = |group: Option<(String, u32)>| Tier {
            mode: if group.is_some() { 0o750 } else { 0o700 },
            group,
        };
        Ok(Access {
            reports: if self.reports_public {
                Tier {
                    mode: 0o755,
                    group: None,
                }
            } else {
                tier(reports_group)
            },
            research: tier(research_group),
        })
    }
}

impl Tier {
    /// The job's user alone: the snapshot's own lake, and a research tier
    /// published before it was minimal.
    pub const OWNER: Tier = Tier {
        mode: 0o700,
        group: None,
    };

    /// Give `dir` this tier's mode and group.
    pub fn apply(&self, dir: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        if let Some((_, gid)) = &self.group {
            std::os::unix::fs::chown(dir, None, Some(*gid))?;
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(self.mode))
    }

    /// Who may read the tier, in words.
    pub fn readers(&self) -> String {
        match (&self.group, self.mode & 0o005 != 0) {
            (_, true) => "every user of this machine".to_string(),
            (Some((name, _)), false) => format!("the members of group `{name}`"),
            (None, false) => "the job's user only".to_string(),
        }
    }
}

/// The id of group `name`, when the machine knows it (`/etc/group`, LDAP,
/// whatever the system's name service reads).
fn group_id(name: &str) -> Option<u32> {
    let c_name = std::ffi::CString::new(name).ok()?;
    let mut group: libc::group = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut found: *mut libc::group = std::ptr::null_mut();
    // SAFETY: every pointer is to a live local of the right type and size;
    // getgrnam_r writes only within `group` and `buf`.
    let rc = unsafe { libc::getgrnam_r(c_name.as_ptr(), &mut group, buf.as_mut_ptr(), buf.len(), &mut found) };
    (rc == 0 && !found.is_null()).then_some(group.gr_gid)
}

/// Whether this process may give a file it owns to group `gid`: as root,
/// or as a member of it.
fn may_hand_to(gid: u32) -> bool {
    // SAFETY: plain calls without pointers, then getgroups into a buffer of
    // the size it reported.
    unsafe {
        if libc::geteuid() == 0 || libc::getegid() == gid {
            return true;
        }
        let n = libc::getgroups(0, std::ptr::null_mut());
        if n <= 0 {
            return false;
        }
        let mut groups = vec![0 as libc::gid_t; n as usize];
        let n = libc::getgroups(n, groups.as_mut_ptr());
        n > 0 && groups[..n as usize].contains(&gid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_default_reports_are_public_and_research_is_the_owners() {
        let a = AccessFile::default().resolve().unwrap();
        assert_eq!(a.reports.mode, 0o755);
        assert_eq!(a.research.mode, 0o700);
        assert_eq!(a.research.readers(), "the job's user only");
        assert_eq!(a.reports.readers(), "every user of this machine");
    }

    #[test]
    fn a_group_of_the_users_own_opens_a_tier_to_it_and_an_unknown_one_is_refused() {
        // The process's own primary group exists and may be handed to.
        let gid = unsafe { libc::getegid() };
        let name = unsafe {
            let g = libc::getgrgid(gid);
            assert!(!g.is_null(), "the test's own group has a name");
            std::ffi::CStr::from_ptr((*g).gr_name).to_string_lossy().into_owned()
        };
        let a = AccessFile {
            research_group: Some(name.clone()),
            reports_public: false,
            reports_group: None,
        }
        .resolve()
        .unwrap();
        assert_eq!(a.research.mode, 0o750);
        assert_eq!(a.research.group, Some((name.clone(), gid)));
        assert_eq!(a.research.readers(), format!("the members of group `{name}`"));
        assert_eq!(a.reports.mode, 0o700);
        let dir = tempfile::tempdir().unwrap();
        a.research.apply(dir.path()).unwrap();
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let m = std::fs::metadata(dir.path()).unwrap();
        assert_eq!((m.permissions().mode() & 0o777, m.gid()), (0o750, gid));

        let problems = AccessFile {
            research_group: Some("no-such-group-tafteesh".into()),
            reports_public: true,
            reports_group: Some(name),
        }
        .resolve()
        .unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].contains("no group `no-such-group-tafteesh`"),
            "{problems:?}"
        );
        assert!(problems[1].contains("reports are public"), "{problems:?}");
    }
}
