//! Wall time and peak memory per stage, for the run summary and the bench.
//!
//! Peak memory is the process's resident high-water mark (VmHWM), reset at
//! the start of each stage through /proc/self/clear_refs where Linux allows
//! it, so each stage reports its own peak.

use std::time::Instant;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StageMetric {
    pub stage: String,
    pub seconds: f64,
    /// Peak resident memory during the stage, in MiB (0 where unknown).
    pub peak_mib: f64,
    /// Rows the stage produced.
    pub rows: u64,
}

/// Times stages one after the other.
#[derive(Debug, Default)]
pub struct StageClock {
    pub stages: Vec<StageMetric>,
}

impl StageClock {
    /// Run `f` as stage `name` inside a tracing span of that name (so every
    /// log line of the stage names it), log its time and rows, and record them.
    pub fn stage<T>(&mut self, name: &str, f: impl FnOnce() -> T, rows: impl Fn(&T) -> u64) -> T {
        let span = tracing::info_span!("stage", stage = name);
        let _entered = span.enter();
        reset_peak();
        let start = Instant::now();
        let out = f();
        let m = StageMetric {
            stage: name.to_string(),
            seconds: start.elapsed().as_secs_f64(),
            peak_mib: peak_rss_mib(),
            rows: rows(&out),
        };
        tracing::info!(
            stage = name,
            rows = m.rows,
            seconds = format!("{:.2}", m.seconds),
            peak_mib = format!("{:.0}", m.peak_mib),
            "stage done"
        );
        self.stages.push(m);
        out
    }
}

fn reset_peak() {
    // "5" resets the peak RSS counter (Linux 4.0+); harmless where refused.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident memory in MiB, 0 where unknown.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}
