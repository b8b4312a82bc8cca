use monitor_runtime::monitor;

trait Ledger {
    #[monitor]
    fn total(&self) -> u64;
}

fn main() {}
