//! Self-signed certificates for the TLS sessions of the SMTP server, made
//! afresh for each test so no key is ever checked in.

use std::path::PathBuf;

/// A self-signed certificate for `localhost` and 127.0.0.1, with its key,
/// written as PEM files the SMTP server loads.
pub struct TestCertificate {
    /// The certificate, PEM: what a client must trust.
    pub pem: String,
    dir: tempfile::TempDir,
}

impl TestCertificate {
    pub fn localhost() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        // A name of its own (its directory's), so two test certificates are
        // two unrelated issuers, not one issuer with two keys.
        let name = format!("monitor test {}", dir.path().file_name().unwrap().to_string_lossy());
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().expect("generate a key");
        let pem = params.self_signed(&key).expect("sign the certificate").pem();
        std::fs::write(dir.path().join("cert.pem"), &pem).unwrap();
        std::fs::write(dir.path().join("key.pem"), key.serialize_pem()).unwrap();
        TestCertificate { pem, dir }
    }

    pub fn cert_path(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }
}
