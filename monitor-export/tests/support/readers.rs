//! Real readers of exported files: Python's csv, json, openpyxl and lxml
//! (scripts in `monitor-export/tests/readers`), and poppler's pdftotext.
//! Shared by the export crate's tests and the `monitor` command's.

use std::path::Path;
use std::process::Command;

/// A Python 3 that can import `module`, or a failure naming the Debian
/// package (and the pip name) that installs it.
pub fn python_with(module: &str, debian_package: &str) -> String {
    let mut candidates: Vec<String> = std::env::var("MONITOR_TEST_PYTHON").into_iter().collect();
    // Debian's own Python first: its packages (python3-lxml, …) install there
    // even when another python3 comes first on the PATH.
    candidates.extend(["/usr/bin/python3".to_owned(), "python3".to_owned()]);
    for python in candidates {
        let imported = Command::new(&python).args(["-c", &format!("import {module}")]).output();
        if imported.is_ok_and(|output| output.status.success()) {
            return python;
        }
    }
    panic!(
        "reading the export back needs Python 3 with the module `{module}`, and none was found: \
         install the Debian package {debian_package} (apt-get install -y {debian_package}), \
         or `pip install {module}` and point MONITOR_TEST_PYTHON at that Python"
    );
}

/// Runs `readers/<script>` on `file` with a Python that has `module`, and
/// parses what it prints.
pub fn read_with(script: &str, module: &str, debian_package: &str, file: &Path, args: &[&str]) -> serde_json::Value {
    let python = python_with(module, debian_package);
    // Both crates that use these sit at the workspace root.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../monitor-export/tests/readers").join(script);
    let output = Command::new(&python)
        .arg(&script)
        .arg(file)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("running {python} {}: {error}", script.display()));
    assert!(
        output.status.success(),
        "{} could not read {}: {}",
        script.display(),
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the reader prints JSON")
}

/// The text of a PDF as pdftotext extracts it (keeping the layout).
pub fn pdf_text(file: &Path) -> String {
    let output = Command::new("pdftotext").arg("-layout").arg("-enc").arg("UTF-8").arg(file).arg("-").output();
    let output = match output {
        Ok(output) => output,
        Err(error) => panic!(
            "reading the PDF back needs pdftotext ({error}): install the Debian package poppler-utils (apt-get install -y poppler-utils)"
        ),
    };
    assert!(
        output.status.success(),
        "pdftotext could not read {}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("pdftotext writes UTF-8")
}
