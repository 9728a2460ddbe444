//! `tafteesh keygen`: make a pseudonymisation key.

use std::path::PathBuf;

use crate::error::{Error, Exit, Result};

/// Make a new pseudonymisation key.
///
/// Writes a new random 256-bit pseudonymisation key (hex) to FILE, readable
/// by its owner only. Keep it secret and backed up: tokens made with one key
/// cannot be matched with tokens made with another.
///
/// Examples:
///   tafteesh keygen /srv/tafteesh/restricted/pseudonym.key
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Where to write the key. An existing file is never overwritten.
    pub file: PathBuf,
}

pub fn run(args: Args) -> Result<Exit> {
    if args.file.exists() {
        return Err(Error::Key(format!(
            "{} exists; refusing to overwrite a key",
            args.file.display()
        )));
    }
    crate::restricted::write_new_key(&args.file)?;
    println!("wrote a new key to {}", args.file.display());
    Ok(Exit::Success)
}
