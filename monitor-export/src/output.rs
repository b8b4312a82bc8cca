//! Where the bytes of an export go: a file (written under a temporary name
//! beside it and renamed into place when the export is finished, so a
//! failed or abandoned export never leaves a file that looks complete), or
//! the caller's writer. Counts the bytes either way.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::ExportError;

/// Buffer size in front of the file or writer: large enough that a row is
/// rarely a system call of its own.
const BUFFER: usize = 64 * 1024;

enum Target<'a> {
    File { file: BufWriter<NamedTempFile>, path: PathBuf },
    Writer(BufWriter<Box<dyn Write + Send + 'a>>),
}

/// The destination of one export.
pub(crate) struct Output<'a> {
    target: Target<'a>,
    written: u64,
}

impl<'a> Output<'a> {
    /// A file at `path`, created empty now (so a bad path fails before any
    /// row is read) under a hidden temporary name in the same folder.
    pub(crate) fn file(path: &Path) -> Result<Output<'static>, ExportError> {
        let fail = |source| ExportError::io("cannot create the export file", Some(path.to_owned()), source);
        if path.is_dir() {
            return Err(fail(io::Error::new(io::ErrorKind::IsADirectory, "it is a folder: give a file name")));
        }
        let name = path
            .file_name()
            .ok_or_else(|| fail(io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name")))?;
        let folder = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let temporary = tempfile::Builder::new()
            .prefix(&format!(".{}.", name.to_string_lossy()))
            .suffix(".partial")
            .tempfile_in(folder)
            .map_err(fail)?;
        Ok(Output {
            target: Target::File { file: BufWriter::with_capacity(BUFFER, temporary), path: path.to_owned() },
            written: 0,
        })
    }

    /// The caller's writer.
    pub(crate) fn writer(writer: impl Write + Send + 'a) -> Output<'a> {
        let boxed: Box<dyn Write + Send + 'a> = Box::new(writer);
        Output { target: Target::Writer(BufWriter::with_capacity(BUFFER, boxed)), written: 0 }
    }

    /// The file the export goes to, if any.
    pub(crate) fn path(&self) -> Option<&Path> {
        match &self.target {
            Target::File { path, .. } => Some(path),
            Target::Writer(_) => None,
        }
    }

    /// `source` as the error of writing this export, naming its file.
    pub(crate) fn error(&self, source: io::Error) -> ExportError {
        ExportError::io("writing", self.path().map(Path::to_owned), source)
    }

    /// Flushes, renames a file into place, and returns the bytes written.
    pub(crate) fn finish(mut self) -> Result<u64, ExportError> {
        self.flush().map_err(|source| self.error(source))?;
        if let Target::File { file, path } = self.target {
            let temporary = file
                .into_inner()
                .map_err(|error| ExportError::io("writing", Some(path.clone()), error.into_error()))?;
            temporary.as_file().sync_all().map_err(|source| ExportError::io("writing", Some(path.clone()), source))?;
            temporary.persist(&path).map_err(|error| {
                ExportError::io("cannot rename the finished export to", Some(path.clone()), error.error)
            })?;
        }
        Ok(self.written)
    }
}

impl Write for Output<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.target {
            Target::File { file, .. } => file.write(buf)?,
            Target::Writer(writer) => writer.write(buf)?,
        };
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.target {
            Target::File { file, .. } => file.flush(),
            Target::Writer(writer) => writer.flush(),
        }
    }
}
