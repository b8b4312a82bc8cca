//! The keys of the audit chain: HMAC-SHA256 keys the store does not hold,
//! given by the program, an environment variable or a key file, and the
//! ring of keys verification accepts after a rotation.

use std::fmt;
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The environment variable [`AuditKeyRing::from_env`] reads first: one or
/// more keys as hex digits, separated by commas, the signing key first.
pub const AUDIT_KEY_ENV: &str = "MONITOR_AUDIT_KEY";

/// The environment variable [`AuditKeyRing::from_env`] reads when
/// [`AUDIT_KEY_ENV`] is unset: the path of a key file (see
/// [`AuditKeyRing::from_file`]).
pub const AUDIT_KEY_FILE_ENV: &str = "MONITOR_AUDIT_KEY_FILE";

/// The shortest key accepted, in bytes: HMAC-SHA256 is only as strong as its
/// key, and 32 bytes is the hash's own size.
pub const MIN_AUDIT_KEY_BYTES: usize = 32;

/// A key of the audit chain.
///
/// Its [`id`](AuditKey::id) is stored on every row it signs, so that
/// verification knows which key made which link; the key itself is never
/// stored, and `Debug` does not print it.
///
/// ```
/// # #[cfg(not(feature = "sqlite"))]
/// # use monitor_sinks::postgres::AuditKey;
/// # #[cfg(feature = "sqlite")]
/// use monitor_sinks::sqlite::AuditKey;
///
/// let key = AuditKey::from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f").unwrap();
/// assert_eq!(key.id().len(), 16);
/// assert!(!format!("{key:?}").contains("0001020304"));
///
/// let short = AuditKey::from_bytes(b"secret").unwrap_err();
/// assert!(short.to_string().contains("at least 32 bytes"));
/// ```
#[derive(Clone)]
pub struct AuditKey {
    bytes: Vec<u8>,
    id: String,
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl AuditKey {
    /// A key from raw bytes; at least [`MIN_AUDIT_KEY_BYTES`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AuditKeyError> {
        if bytes.len() < MIN_AUDIT_KEY_BYTES {
            return Err(AuditKeyError::new(format!(
                "the audit key is {} bytes; it must be at least {MIN_AUDIT_KEY_BYTES} bytes \
                 ({} hex digits): make one with `openssl rand -hex 32`",
                bytes.len(),
                MIN_AUDIT_KEY_BYTES * 2
            )));
        }
        // The id names the key without revealing it: a prefix of its SHA-256.
        let digest = Sha256::digest(bytes);
        Ok(AuditKey { bytes: bytes.to_vec(), id: to_hex(&digest[..8]) })
    }

    /// A key written as hex digits (upper or lower case; surrounding
    /// whitespace ignored), the form `openssl rand -hex 32` prints.
    pub fn from_hex(text: &str) -> Result<Self, AuditKeyError> {
        Self::from_bytes(&from_hex(text.trim())?)
    }

    /// The key's id: the first 8 bytes of the SHA-256 of the key, as 16 hex
    /// digits. Stored on each row the key signs.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// HMAC-SHA256 of `message` under this key, as 64 hex digits.
    pub(crate) fn mac_hex(&self, message: &[u8]) -> String {
        // new_from_slice accepts keys of any length; ours are checked above.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.bytes).expect("HMAC takes keys of any length");
        mac.update(message);
        to_hex(&mac.finalize().into_bytes())
    }
}

/// The keys a store signs and verifies with: the first signs new rows, all
/// of them verify rows (a key that was rotated out still verifies the rows
/// it signed). An empty ring means no key: rows are written as unkeyed
/// SHA-256 links and verification checks those links only.
///
/// ```
/// # #[cfg(not(feature = "sqlite"))]
/// # use monitor_sinks::postgres::AuditKeyRing;
/// # #[cfg(feature = "sqlite")]
/// use monitor_sinks::sqlite::AuditKeyRing;
///
/// let new = "11".repeat(32);
/// let old = "22".repeat(32);
/// let ring = AuditKeyRing::parse(&format!("{new},{old}")).unwrap();
/// assert_eq!(ring.len(), 2);
/// assert_eq!(ring.signing_key().unwrap().id(), ring.keys()[0].id());
/// assert!(ring.get(ring.keys()[1].id()).is_some());
/// ```
#[derive(Clone, Debug, Default)]
pub struct AuditKeyRing {
    keys: Vec<AuditKey>,
}

impl AuditKeyRing {
    /// A ring of one key, which signs and verifies.
    pub fn new(signing: AuditKey) -> Self {
        AuditKeyRing { keys: vec![signing] }
    }

    /// Adds a key that only verifies: one rotated out, whose rows remain.
    pub fn with_previous(mut self, key: AuditKey) -> Self {
        if self.get(key.id()).is_none() {
            self.keys.push(key);
        }
        self
    }

    /// Keys as hex, separated by commas or whitespace (newlines included);
    /// the first signs. Lines starting with `#` are comments.
    pub fn parse(text: &str) -> Result<Self, AuditKeyError> {
        let mut ring = AuditKeyRing::default();
        let words = text
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .flat_map(|line| line.split(|c: char| c == ',' || c.is_whitespace()))
            .filter(|word| !word.is_empty());
        for (index, word) in words.enumerate() {
            let key = AuditKey::from_hex(word).map_err(|error| error.for_key(index + 1))?;
            ring = ring.with_previous(key);
        }
        if ring.keys.is_empty() {
            return Err(AuditKeyError::new(
                "no audit key was given: write at least one key as hex digits (`openssl rand -hex 32`)".to_owned(),
            ));
        }
        Ok(ring)
    }

    /// Keys from a file: hex keys separated by commas or newlines, the
    /// signing key first; `#` starts a comment line. Keep the file readable
    /// by the service's user only.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, AuditKeyError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| {
            AuditKeyError::new(format!(
                "reading the audit key file `{}` failed: {error}; check the path and that it is readable",
                path.display()
            ))
        })?;
        Self::parse(&text).map_err(|error| AuditKeyError::new(format!("audit key file `{}`: {error}", path.display())))
    }

    /// Keys from the environment: [`AUDIT_KEY_ENV`] (hex keys separated by
    /// commas, the signing key first), or else the key file named by
    /// [`AUDIT_KEY_FILE_ENV`]. Neither set is an error saying so.
    pub fn from_env() -> Result<Self, AuditKeyError> {
        if let Some(value) = std::env::var_os(AUDIT_KEY_ENV) {
            let text = value.into_string().map_err(|_| {
                AuditKeyError::new(format!("{AUDIT_KEY_ENV} is not valid UTF-8: give the key as hex digits"))
            })?;
            return Self::parse(&text).map_err(|error| AuditKeyError::new(format!("{AUDIT_KEY_ENV}: {error}")));
        }
        if let Some(path) = std::env::var_os(AUDIT_KEY_FILE_ENV) {
            return Self::from_file(path);
        }
        Err(AuditKeyError::new(format!(
            "neither {AUDIT_KEY_ENV} nor {AUDIT_KEY_FILE_ENV} is set: set {AUDIT_KEY_ENV} to the key as hex \
             (`openssl rand -hex 32`) or {AUDIT_KEY_FILE_ENV} to a file holding it"
        )))
    }

    /// The key that signs new rows, if any.
    pub fn signing_key(&self) -> Option<&AuditKey> {
        self.keys.first()
    }

    /// The key with this id, if the ring holds it.
    pub fn get(&self, id: &str) -> Option<&AuditKey> {
        self.keys.iter().find(|key| key.id == id)
    }

    /// Every key, the signing key first.
    pub fn keys(&self) -> &[AuditKey] {
        &self.keys
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when the ring holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl From<AuditKey> for AuditKeyRing {
    fn from(key: AuditKey) -> Self {
        AuditKeyRing::new(key)
    }
}

/// A key that cannot be used: what is wrong with it and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditKeyError {
    message: String,
}

impl AuditKeyError {
    fn new(message: String) -> Self {
        AuditKeyError { message }
    }

    fn for_key(self, position: usize) -> Self {
        AuditKeyError { message: format!("key {position}: {}", self.message) }
    }
}

impl fmt::Display for AuditKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AuditKeyError {}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn from_hex(text: &str) -> Result<Vec<u8>, AuditKeyError> {
    if let Some((position, bad)) = text.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        return Err(AuditKeyError::new(format!(
            "the audit key is not hex: `{bad}` at position {position}; give it as hex digits 0-9 and a-f \
             (`openssl rand -hex 32` prints one)"
        )));
    }
    if !text.len().is_multiple_of(2) {
        return Err(AuditKeyError::new(format!(
            "the audit key has an odd number of hex digits ({}); each byte takes two",
            text.len()
        )));
    }
    Ok((0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).expect("checked to be hex digits"))
        .collect())
}
