//! Samples of the process's resident memory and CPU use, for memory and CPU
//! rules.

use cpu_time::ProcessTime;

use super::alert::ResourceSample;

/// Takes [`ResourceSample`]s of this process: resident memory and the CPU
/// time used so far.
///
/// ```
/// use monitor_runtime::alerting::ResourceSampler;
///
/// let sample = ResourceSampler::new().sample();
/// if cfg!(target_os = "linux") {
///     assert!(sample.resident_bytes.unwrap() > 0);
///     assert!(sample.cpu_time.is_some());
/// }
/// ```
#[derive(Debug, Default)]
pub struct ResourceSampler;

impl ResourceSampler {
    /// A sampler of this process.
    pub fn new() -> Self {
        ResourceSampler
    }

    /// The resources now.
    pub fn sample(&mut self) -> ResourceSample {
        ResourceSample {
            resident_bytes: memory_stats::memory_stats().map(|stats| stats.physical_mem as u64),
            cpu_time: ProcessTime::try_now().ok().map(|cpu| cpu.as_duration()),
        }
    }
}
