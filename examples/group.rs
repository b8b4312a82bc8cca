//! Groups messages read from stdin, one per line, and prints one group key
//! per line in the same order: a way to measure the grouper on your own logs.
//!
//! `cargo run --release --example group < messages.txt > keys.txt`
//!
//! Lines that are not valid UTF-8 are grouped by their lossy decoding.

use std::io::{self, BufRead, BufWriter, Write};

use monitor::fingerprint::{Grouper, GrouperConfig};

fn main() -> io::Result<()> {
    let grouper = Grouper::new(GrouperConfig::default());
    let stdin = io::stdin().lock();
    let mut out = BufWriter::new(io::stdout().lock());
    for line in stdin.split(b'\n') {
        let line = line?;
        let text = String::from_utf8_lossy(&line);
        let key = grouper.group(text.trim_end_matches('\r'));
        writeln!(out, "{:016x}", key.0)?;
    }
    out.flush()
}
