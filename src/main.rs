//! The tafteesh binary: parse arguments, call the library, exit with its code.

use clap::Parser;

// jemalloc, for DuckDB's C++ too (see Cargo.toml).
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options (its `malloc_conf` symbol): pages a stage freed are
/// returned to the system within a second, not kept for the next stage, so
/// linkage's memory is gone before the warehouse takes its own.
#[cfg(target_os = "linux")]
#[unsafe(export_name = "malloc_conf")]
pub static MALLOC_CONF: &[u8; 37] = b"dirty_decay_ms:1000,muzzy_decay_ms:0\0";

fn main() -> std::process::ExitCode {
    let cli = tafteesh::cli::Cli::parse();
    tafteesh::cli::dispatch(cli).into()
}
