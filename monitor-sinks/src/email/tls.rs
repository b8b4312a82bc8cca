//! TLS toward the SMTP server: root certificates trusted beside the
//! built-in ones, for relays signed by a private CA.

use std::path::Path;

use lettre::transport::smtp::client::{Certificate, TlsParameters};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// The TLS parameters for `host`: the built-in web roots plus every
/// certificate of every PEM in `roots`. An error says what is wrong with
/// a root certificate, to follow "the SMTP root certificate".
pub(crate) fn parameters(host: &str, roots: &[Vec<u8>]) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(host.to_owned());
    for pem in roots {
        holds_certificates(pem)?;
        let certificate = Certificate::from_pem(pem).map_err(|e| format!("is not valid PEM ({e})"))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder.build().map_err(|e| format!("cannot be used for TLS ({e})"))
}

/// Checks that `pem` holds root certificates that TLS can use, so a bad
/// one is found at start-up rather than at the first alert.
pub(crate) fn check_root_certificate(pem: &[u8]) -> Result<(), String> {
    parameters("localhost", std::slice::from_ref(&pem.to_vec())).map(|_| ())
}

/// The contents of a PEM file of root certificates, checked.
pub(crate) fn read_root_certificate(path: &Path) -> Result<Vec<u8>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read it ({e})"))?;
    check_root_certificate(&pem)?;
    Ok(pem)
}

/// lettre takes a PEM without any certificate in it (a key, a text file)
/// as an empty list and would go on trusting nothing new: refused here.
fn holds_certificates(pem: &[u8]) -> Result<(), String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("is not valid PEM ({e})"))?;
    if certificates.is_empty() {
        return Err("holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_no_certificate_is_refused() {
        for bad in [&b""[..], b"hello", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"] {
            assert!(check_root_certificate(bad).unwrap_err().contains("no PEM certificate"));
        }
        let garbled = b"-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n";
        assert!(check_root_certificate(garbled).is_err());
        let not_der = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(check_root_certificate(not_der).is_err(), "base64 that is no certificate");
        let missing = read_root_certificate(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(missing.starts_with("cannot read it"), "{missing}");
    }
}
