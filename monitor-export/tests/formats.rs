//! Each format written with tricky text and read back by a real reader:
//! Python's csv and json modules, lxml, openpyxl and pdftotext.

mod support;

use std::process::Command;

use monitor_export::{Cell, Export, Format, PDF_MAX_ROWS, Report};
use serde_json::{Value, json};
use support::{COLUMNS, TEXTS, export, neutralised, pdf_text, read_with, rows};

const ISO_WHEN: &str = "2024-05-01T12:34:56.789Z";

#[test]
fn csv_reads_back_with_formulas_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let (path, summary) = export(Format::Csv, dir.path());
    assert_eq!(summary.rows, TEXTS.len() as u64);
    let read = read_with("csv_read.py", "csv", "python3", &path, &[]);
    let read = read.as_array().unwrap();
    assert_eq!(read[0], json!(COLUMNS));
    for (index, text) in TEXTS.iter().enumerate() {
        let row = &read[index + 1];
        assert_eq!(row[0], json!((index + 1).to_string()));
        assert_eq!(row[1], json!(neutralised(text)), "row {}", index + 1);
        // Numbers are not neutralised: -2 stays -2.
        let amount = ["-2", "1.5", ""][index % 3];
        assert_eq!(row[2], json!(amount));
        assert_eq!(row[3], json!(if index % 2 == 0 { "true" } else { "false" }));
        assert_eq!(row[4], json!(ISO_WHEN));
        assert_eq!(row[5], json!(""));
    }
    assert_eq!(read.len(), TEXTS.len() + 1);
}

fn check_json_rows(read: &Value) {
    let read = read.as_array().unwrap();
    assert_eq!(read.len(), TEXTS.len());
    for (index, text) in TEXTS.iter().enumerate() {
        let amount = [json!(-2), json!(1.5), Value::Null][index % 3].clone();
        let expected = json!({
            "id": index + 1,
            "text": text,
            "amount": amount,
            "flag": index % 2 == 0,
            "when": ISO_WHEN,
            "note": null,
        });
        assert_eq!(read[index], expected);
        // Keys in the columns' order.
        let keys: Vec<&String> = read[index].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), COLUMNS.len());
    }
}

#[test]
fn json_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = export(Format::Json, dir.path());
    check_json_rows(&read_with("json_read.py", "json", "python3", &path, &[]));
}

#[test]
fn ndjson_reads_back_exactly_one_object_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = export(Format::Ndjson, dir.path());
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), TEXTS.len());
    check_json_rows(&read_with("json_read.py", "json", "python3", &path, &["--lines"]));
}

#[test]
fn empty_json_is_an_empty_array() {
    let mut bytes = Vec::new();
    Export::new(Format::Json, Report::new("none"), ["a"]).unwrap().to_writer(&mut bytes).unwrap().finish().unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), json!([]));
}

#[test]
fn xml_is_well_formed_escaped_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = export(Format::Xml, dir.path());
    let read = read_with("xml_read.py", "lxml", "python3-lxml", &path, &[]);
    assert_eq!(read["root"], "export");
    assert_eq!(read["title"], "Tricky export: Zürich <&>");
    assert_eq!(read["filters"], json!([["process", "payment_processing"], ["actor", "Müller \"quoted\""]]));
    let records = read["records"].as_array().unwrap();
    assert_eq!(records.len(), TEXTS.len());
    for (index, text) in TEXTS.iter().enumerate() {
        // The one character XML forbids comes back as U+FFFD; everything
        // else, carriage returns included, exactly.
        let expected = text.replace('\u{7}', "\u{FFFD}");
        assert_eq!(records[index]["text"], json!(expected), "record {}", index + 1);
        assert_eq!(records[index]["id"], json!((index + 1).to_string()));
        assert_eq!(records[index]["amount"], [json!("-2"), json!("1.5"), Value::Null][index % 3]);
        assert_eq!(records[index]["when"], json!(ISO_WHEN));
        assert_eq!(records[index]["note"], Value::Null);
    }
}

#[test]
fn xlsx_reads_back_with_formulas_neutralised_and_numbers_as_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = export(Format::Xlsx, dir.path());
    let read = read_with("xlsx_read.py", "openpyxl", "python3-openpyxl", &path, &[]);
    let sheets = read.as_array().unwrap();
    assert_eq!(sheets.iter().map(|sheet| sheet["name"].as_str().unwrap()).collect::<Vec<_>>(), ["Records", "Report"]);
    let records = &sheets[0];
    assert_eq!(records["header_bold"], true);
    let rows = records["rows"].as_array().unwrap();
    assert_eq!(rows[0], json!(COLUMNS));
    assert_eq!(rows.len(), TEXTS.len() + 1);
    for (index, text) in TEXTS.iter().enumerate() {
        let row = &rows[index + 1];
        assert_eq!(row[0], json!(index + 1));
        // An empty text is an empty cell to a spreadsheet reader.
        // Characters XML forbids come back as U+FFFD, as in XML.
        let expected =
            if text.is_empty() { Value::Null } else { json!(neutralised(text).replace('\u{7}', "\u{FFFD}")) };
        assert_eq!(row[1], expected, "row {}", index + 1);
        assert_eq!(row[2], [json!(-2), json!(1.5), Value::Null][index % 3]);
        assert_eq!(row[3], json!(index % 2 == 0));
        assert_eq!(row[4], json!({"datetime": "2024-05-01T12:34:56.789"}));
        assert_eq!(row[5], Value::Null);
    }
    let report = sheets[1]["rows"].as_array().unwrap();
    assert_eq!(report[0][0], "Tricky export: Zürich <&>");
    assert!(report.iter().any(|row| row[0] == "actor" && row[1] == "Müller \"quoted\""));
    assert!(report.iter().any(|row| row[0] == "failed" && row[1] == 3));
}

#[test]
fn pdf_report_text_extracts_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let (path, summary) = export(Format::Pdf, dir.path());
    assert_eq!(summary.rows_not_shown, 0);
    let text = pdf_text(&path);
    for expected in [
        "Tricky export: Zürich <&>",
        "process: payment_processing",
        "actor: Müller \"quoted\"",
        "Per status",
        "failed",
        "Records (14)",
        "=SUM(A1)",
        "<tag>&\"'",
        "Müller, Zürich, €",
        "é ü ß – “quoted” …",
        // Greek is in the font; Japanese is not, so it is drawn as `�`
        // but still extracts as itself.
        "Ελλάδα 日本",
        // Control characters are replaced, as in XML.
        "bell\u{FFFD}here",
        ISO_WHEN,
        "page 1 of 1",
    ] {
        assert!(text.contains(expected), "`{expected}` not in the PDF's text:\n{text}");
    }
}

/// Text in the alphabets the embedded font covers.
const NON_ASCII: [&str; 5] = ["Zażółć gęślą jaźń", "Příliš žluťoučký kůň", "Καλημέρα", "Привет", "€ 12,50"];

#[test]
fn pdf_polish_czech_greek_cyrillic_and_euros_read_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unicode.pdf");
    // In bold (the title and the column names) and in regular (filters and cells).
    let report = Report::new(NON_ASCII.join(" | ")).filter("kto", "Łódź");
    let mut out = Export::new(Format::Pdf, report, ["zażółć", "Привет"]).unwrap().to_path(&path).unwrap();
    for text in NON_ASCII {
        out.write_row(&[Cell::Text(text.to_owned()), Cell::Text(text.to_uppercase())]).unwrap();
    }
    out.finish().unwrap();
    let text = pdf_text(&path);
    assert!(text.contains(&NON_ASCII.join(" | ")), "{text}");
    assert!(text.contains("kto: Łódź"), "{text}");
    assert!(text.contains("zażółć"), "{text}");
    for expected in NON_ASCII {
        // Each row: its two cells, side by side in their columns.
        let upper = expected.to_uppercase();
        let row = |line: &str| line.starts_with(expected) && line.trim_end().ends_with(&upper);
        assert!(text.lines().any(row), "`{expected}`, `{upper}`:\n{text}");
    }
}

#[test]
fn a_small_pdf_embeds_only_the_glyphs_it_uses() {
    let dir = tempfile::tempdir().unwrap();
    let (path, summary) = export(Format::Pdf, dir.path());
    // Each face of the whole font is over 330 KB; the subsets of the few
    // dozen glyphs used take some kilobytes.
    assert!(summary.bytes < 40_000, "{} bytes", summary.bytes);
    let fonts = Command::new("pdffonts")
        .arg(&path)
        .output()
        .expect("listing the PDF's fonts needs pdffonts: install the Debian package poppler-utils");
    let fonts = String::from_utf8(fonts.stdout).unwrap();
    for face in ["+DejaVuSansMono ", "+DejaVuSansMono-Bold "] {
        let line = fonts.lines().find(|line| line.contains(face)).unwrap_or_else(|| panic!("{face}:\n{fonts}"));
        // Embedded, a subset, with a ToUnicode map.
        assert!(line.contains("CID TrueType      Identity-H       yes yes yes"), "{line}");
    }
}

#[test]
fn pdf_caps_its_record_table_and_says_how_many_rows_it_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.pdf");
    let mut out = Export::new(Format::Pdf, Report::new("Many rows"), ["n", "text"]).unwrap().to_path(&path).unwrap();
    let extra = 7;
    for n in 0..(PDF_MAX_ROWS as i64 + extra) {
        out.write_row(&[Cell::Integer(n), Cell::Text(format!("row number {n}"))]).unwrap();
    }
    let summary = out.finish().unwrap();
    assert_eq!(summary.rows, PDF_MAX_ROWS as u64 + extra as u64);
    assert_eq!(summary.rows_not_shown, extra as u64);
    let text = pdf_text(&path);
    assert!(text.contains("row number 9999"));
    assert!(!text.contains("row number 10000"));
    assert!(
        text.contains("… 7 more rows not shown: export CSV or xlsx for all of them"),
        "{}",
        &text[text.len() - 500..]
    );
    assert!(text.contains(&format!("Records ({}; the first {PDF_MAX_ROWS} are shown)", PDF_MAX_ROWS + 7)));
}

#[test]
fn every_format_writes_rows_with_every_kind_of_cell() {
    for format in Format::ALL {
        let mut bytes = Vec::new();
        let mut out = Export::new(format, Report::new("all"), COLUMNS).unwrap().to_writer(&mut bytes).unwrap();
        for row in rows() {
            out.write_row(&row).unwrap();
        }
        let summary = out.finish().unwrap();
        assert_eq!(summary.bytes, bytes.len() as u64, "{format}");
        assert!(!bytes.is_empty(), "{format}");
    }
}
