//! The destination's other spool files, looked at when a spool opens:
//! files of another target are reported and left as they are; files of
//! another slot for the same target whose owner is gone are taken over, so
//! nothing stays behind in a slot no process uses any more.

use std::fs::{self, File};
use std::io;
use std::path::Path;

use super::files::{Found, SpoolFiles, data_files_of};
use super::lock::{self, Claim};
use super::{AppendError, Line, Spool, classify, pending_in};

impl Spool {
    /// Reports and takes over what the destination's other files hold. A
    /// failure here is reported, not returned: the spool itself is fine,
    /// and delivery must not stop because a neighbour cannot be read.
    pub(super) fn look_around(&mut self, dir: &Path, destination: &str, fingerprint: &str, slot: u32) {
        if let Err(error) = self.look_around_or_fail(dir, destination, fingerprint, slot) {
            self.notices
                .push(format!("cannot look at this destination's other spool files in {}: {error}", dir.display()));
        }
    }

    fn look_around_or_fail(&mut self, dir: &Path, destination: &str, fingerprint: &str, slot: u32) -> io::Result<()> {
        for found in data_files_of(dir, destination)? {
            if found.fingerprint.as_deref() == Some(fingerprint) {
                if found.slot != slot {
                    self.adopt(dir, destination, fingerprint, &found)?;
                }
                continue;
            }
            let waiting = pending_in(&found.data, &found.cursor())?.len();
            if waiting == 0 {
                continue;
            }
            self.notices.push(match found.fingerprint {
                Some(_) => format!(
                    "{} holds {waiting} notifications spooled for another target of this destination (its URL or \
                     recipients changed): left in place, not sent to the new one; they go out if that target is \
                     configured again, or, to send them to the current target, stop the process and move the file \
                     to {}",
                    found.data.display(),
                    self.data_path.display()
                ),
                None => format!(
                    "{} holds {waiting} notifications spooled by an earlier release, which did not record their \
                     target: left in place; to deliver them to the current target, stop the process and move it to {}",
                    found.data.display(),
                    self.data_path.display()
                ),
            });
        }
        Ok(())
    }

    /// Appends the records of another slot's files, whose owner is gone,
    /// then empties them: at least once, since a crash in between leaves
    /// them in both.
    fn adopt(&mut self, dir: &Path, destination: &str, fingerprint: &str, found: &Found) -> io::Result<()> {
        let files = SpoolFiles::new(dir, destination, fingerprint, found.slot);
        // Held until the files are emptied: their owner may not come back meanwhile.
        let Claim::Owned(_owner) = lock::try_own(&files.lock)? else { return Ok(()) };
        let text = fs::read(&files.data)?;
        if text.split_inclusive(|&b| b == b'\n').any(|line| matches!(classify(line), Line::OtherVersion)) {
            // Emptying it would delete them: left for a release that reads them.
            return Ok(());
        }
        let records = pending_in(&files.data, &files.cursor)?;
        for (taken, record) in records.iter().enumerate() {
            match self.append(record) {
                Ok(()) => {}
                Err(AppendError::Full) => {
                    // Left whole: the ones taken go out twice, none is lost.
                    self.notices.push(format!(
                        "the spool is full: took over only {taken} of the {} notifications left in {}, which stays",
                        records.len(),
                        files.data.display()
                    ));
                    return self.sync();
                }
                Err(AppendError::Io(error)) => return Err(error),
            }
        }
        self.sync()?;
        if !records.is_empty() {
            self.notices.push(format!(
                "took over {} notifications that a process gone since left in {}",
                records.len(),
                files.data.display()
            ));
        }
        File::options().write(true).open(&files.data)?.set_len(0)?;
        match fs::remove_file(&files.cursor) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }
}
