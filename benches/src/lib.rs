//! Benchmarks live beside this crate: `benches/*.rs`, run with `cargo bench -p monitor-benches`.
