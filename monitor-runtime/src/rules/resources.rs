//! Samples of the process's resident memory and CPU use, for memory and CPU
//! rules.

use std::time::Instant;

use cpu_time::ProcessTime;

use super::alert::ResourceSample;

/// Takes [`ResourceSample`]s; CPU use is measured between two samples, so
/// the first sample has none.
///
/// ```
/// use monitor_runtime::rules::ResourceSampler;
///
/// let mut sampler = ResourceSampler::new();
/// let sample = sampler.sample();
/// if cfg!(target_os = "linux") {
///     assert!(sample.resident_bytes.unwrap() > 0);
///     assert!(sample.cpu_percent.is_some(), "measured since `new()`");
/// }
/// ```
#[derive(Debug)]
pub struct ResourceSampler {
    previous: Option<(Instant, ProcessTime)>,
}

impl Default for ResourceSampler {
    fn default() -> Self {
        Self::new()
    }
}

impl ResourceSampler {
    /// A sampler that measures CPU use from now on.
    pub fn new() -> Self {
        ResourceSampler { previous: ProcessTime::try_now().ok().map(|cpu| (Instant::now(), cpu)) }
    }

    /// The resources now; CPU use since the previous sample (or `new()`).
    pub fn sample(&mut self) -> ResourceSample {
        let resident_bytes = memory_stats::memory_stats().map(|stats| stats.physical_mem as u64);
        let now = (Instant::now(), ProcessTime::try_now().ok());
        let cpu_percent = match (self.previous, now.1) {
            (Some((wall_before, cpu_before)), Some(cpu_now)) => {
                let wall = now.0.duration_since(wall_before).as_secs_f64();
                let cpu = cpu_now.duration_since(cpu_before).as_secs_f64();
                (wall > 0.0).then(|| 100.0 * cpu / wall)
            }
            _ => None,
        };
        if let Some(cpu) = now.1 {
            self.previous = Some((now.0, cpu));
        }
        ResourceSample { resident_bytes, cpu_percent }
    }
}
