//! Groups messages read from stdin, one per line, and prints one group key
//! per line in the same order: a way to measure the grouper on your own logs.
//!
//! `cargo run --release --example group < messages.txt > keys.txt`
//!
//! Keys are printed once all lines are read, each resolved to the group it
//! ended up in: a message grouped before the grouper learnt that a word of
//! it is a variable gets the key of the merged group, as a store records it.
//! Lines that are not valid UTF-8 are grouped by their lossy decoding.

use std::io::{self, BufRead, BufWriter, Write};

use monitor::fingerprint::{Grouper, GrouperConfig};

fn main() -> io::Result<()> {
    let grouper = Grouper::new(GrouperConfig::default());
    let mut keys = Vec::new();
    for line in io::stdin().lock().split(b'\n') {
        let line = line?;
        let text = String::from_utf8_lossy(&line);
        keys.push(grouper.group(text.trim_end_matches('\r')));
        // The monitor's worker maintains the grouper on every tick.
        if keys.len() % 250 == 0 {
            grouper.maintain();
        }
    }
    grouper.maintain();
    let mut out = BufWriter::new(io::stdout().lock());
    for key in keys {
        writeln!(out, "{:016x}", grouper.resolve(key).0)?;
    }
    out.flush()
}
