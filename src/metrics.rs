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

/// CPU seconds (user and system) the whole process has used so far, over
/// all its threads. The bench divides rows by the CPU time of cleaning to
/// give rows per second per core, however many threads did the work.
pub fn process_cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given,
    // which points at a zeroed, properly aligned `rusage` we own.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if rc != 0 {
        return 0.0;
    }
    // SAFETY: initialised by the successful call above (and zeroed before it).
    let u = unsafe { usage.assume_init() };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(u.ru_utime) + secs(u.ru_stime)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_time_grows_with_work() {
        let before = super::process_cpu_seconds();
        let mut x = 0u64;
        for i in 0..50_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        std::hint::black_box(x);
        assert!(super::process_cpu_seconds() > before);
    }
}
