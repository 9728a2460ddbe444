//! Progress bars for a person at a terminal, and nothing at all under cron.
//!
//! Bars are drawn only when stderr is a terminal; otherwise they are hidden
//! and the tracing log lines are the record. Log lines and bars share
//! stderr, so the log writer suspends the bars while it writes a line,
//! which keeps a bar from being torn through the middle of a message.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

fn multi() -> &'static MultiProgress {
    static MULTI: OnceLock<MultiProgress> = OnceLock::new();
    MULTI.get_or_init(|| {
        if std::io::stderr().is_terminal() {
            MultiProgress::with_draw_target(ProgressDrawTarget::stderr())
        } else {
            MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
        }
    })
}

/// A bar of `len` steps, drawn only on a terminal.
pub fn bar(len: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(&format!("{{bar:30}} {{pos}}/{{len}} {what} {{msg}} [{{elapsed}}]"))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    multi().add(ProgressBar::new(len).with_style(style))
}

/// The log writer: stderr, with any bars suspended while a line is written.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LineWriter;
    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(Vec::new())
    }
}

/// One formatted event with every control character but its final line
/// break escaped: field values (a file name holding a newline or an ANSI
/// escape) cannot forge a second log line or repaint the terminal.
fn escape_event(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let (body, end) = match text.strip_suffix('\n') {
        Some(b) => (b, "\n"),
        None => (text.as_ref(), ""),
    };
    let mut out = crate::error::printable(body).into_owned();
    out.push_str(end);
    out.into_bytes()
}

/// Buffers one log event and writes it in one piece when dropped.
pub struct LineWriter(Vec<u8>);

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let bytes = escape_event(&std::mem::take(&mut self.0));
        multi().suspend(|| {
            let _ = std::io::stderr().lock().write_all(&bytes);
        });
    }
}
