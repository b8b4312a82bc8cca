//! Bad input gives errors that say what is wrong and how to fix it; an
//! export that fails or is abandoned leaves no file behind.

use monitor_export::{Cell, Export, ExportError, Format, Report};

#[test]
fn a_path_that_cannot_be_written_is_named() {
    let dir = tempfile::tempdir().unwrap();
    for format in Format::ALL {
        let path = dir.path().join("missing-folder").join(format!("out.{format}"));
        let error = Export::new(format, Report::new("t"), ["a"]).unwrap().to_path(&path).unwrap_err();
        let message = error.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("check that its folder exists"), "{message}");
        assert!(std::error::Error::source(&error).is_some());
    }
}

#[test]
fn a_folder_is_not_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let error = Export::new(Format::Csv, Report::new("t"), ["a"]).unwrap().to_path(dir.path()).unwrap_err();
    assert!(error.to_string().contains("it is a folder: give a file name"), "{error}");
}

#[test]
fn an_abandoned_or_failed_export_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    let mut out = Export::new(Format::Csv, Report::new("t"), ["a"]).unwrap().to_path(&path).unwrap();
    out.write_row(&["x".into()]).unwrap();
    assert!(out.write_row(&[]).is_err());
    drop(out);
    assert!(!path.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no temporary file is left");
}

#[test]
fn a_finished_export_replaces_an_older_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.ndjson");
    std::fs::write(&path, "old").unwrap();
    let mut out = Export::new(Format::Ndjson, Report::new("t"), ["a"]).unwrap().to_path(&path).unwrap();
    out.write_row(&[Cell::Integer(1)]).unwrap();
    out.finish().unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\":1}\n");
}

#[test]
fn rows_must_have_one_cell_per_column() {
    let mut out = Export::new(Format::Xlsx, Report::new("t"), ["a", "b"]).unwrap().to_writer(Vec::new()).unwrap();
    let error = out.write_row(&[Cell::Null, Cell::Null, Cell::Null]).unwrap_err();
    assert!(matches!(error, ExportError::RowLength { row: 1, cells: 3, columns: 2 }));
    out.write_row(&[Cell::Null, Cell::Null]).unwrap();
    assert_eq!(out.finish().unwrap().rows, 1);
}

#[test]
fn columns_are_checked() {
    let no_columns: [&str; 0] = [];
    assert!(Export::new(Format::Csv, Report::new("t"), no_columns).unwrap_err().to_string().contains("there are none"));
    assert!(
        Export::new(Format::Csv, Report::new("t"), ["a", " "])
            .unwrap_err()
            .to_string()
            .contains("column 2 has no name")
    );
}

#[test]
fn unknown_formats_and_kinds_list_the_valid_ones() {
    let error = "docx".parse::<Format>().unwrap_err().to_string();
    assert_eq!(error, "unknown export format `docx`: use one of csv, json, ndjson, xml, xlsx, pdf");
    assert_eq!("PDF".parse::<Format>().unwrap(), Format::Pdf);
    let error = "alerts".parse::<monitor_export::RecordKind>().unwrap_err().to_string();
    assert!(error.contains("audit, groups, events"));
}

/// A writer that fails after a few bytes, like a closed connection.
struct Failing(usize);

impl std::io::Write for Failing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0 < buf.len() {
            return Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the peer went away"));
        }
        self.0 -= buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_writer_is_an_error_not_a_panic() {
    for format in Format::ALL {
        let result = (|| {
            let mut out = Export::new(format, Report::new("t"), ["a"])?.to_writer(Failing(10))?;
            for n in 0..20_000 {
                out.write_row(&[Cell::Integer(n)])?;
            }
            out.finish()
        })();
        let error = result.unwrap_err();
        assert!(error.to_string().contains("the peer went away"), "{format}: {error}");
    }
}
