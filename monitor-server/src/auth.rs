//! Who may call the API: bearer tokens with a name and a role, read from
//! the environment (`MONITOR_API_TOKENS=name:role:token,…`) or from a file
//! of hashed tokens. Only SHA-256 hashes of the tokens are kept in memory,
//! and a presented token is compared with every known hash in constant
//! time, so neither a memory dump nor response timing gives a token away.
//!
//! Tokens are random strings of at least [`MIN_TOKEN_LENGTH`] characters;
//! a fast hash is enough for them (unlike passwords, they cannot be
//! guessed from a dictionary).

use std::fmt;
use std::path::Path;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The environment variable with tokens in clear: `name:role:token,…`.
pub const TOKENS_ENV: &str = "MONITOR_API_TOKENS";

/// The environment variable naming a file of hashed tokens.
pub const TOKENS_FILE_ENV: &str = "MONITOR_API_TOKENS_FILE";

/// Shorter tokens are refused: they could be guessed.
pub const MIN_TOKEN_LENGTH: usize = 24;

/// What a token may do; each role may do what the ones before it may.
///
/// ```
/// use monitor_server::auth::Role;
/// assert!(Role::Admin.may(Role::Operator));
/// assert!(!Role::Viewer.may(Role::Operator));
/// assert_eq!("operator".parse::<Role>(), Ok(Role::Operator));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads groups, events, performance, alerts and audit records.
    Viewer,
    /// Also triages groups and acknowledges alerts.
    Operator,
    /// Also exports audit records and applies retention.
    Admin,
}

impl Role {
    /// The role's name, as tokens are configured.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// Whether this role may do what `needed` may.
    pub fn may(self, needed: Role) -> bool {
        self >= needed
    }
}

impl std::str::FromStr for Role {
    type Err = AuthError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "viewer" => Ok(Role::Viewer),
            "operator" => Ok(Role::Operator),
            "admin" => Ok(Role::Admin),
            other => Err(AuthError(format!("unknown role `{other}`: use viewer, operator or admin"))),
        }
    }
}

/// Tokens that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthError(pub String);

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AuthError {}

/// Who made a request: the token's name (the actor written to the audit
/// log) and its role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The token's name.
    pub name: String,
    /// What it may do.
    pub role: Role,
}

#[derive(Clone)]
struct KnownToken {
    name: String,
    role: Role,
    hash: [u8; 32],
}

/// The tokens the API accepts. Without any, every call but the public
/// ones (`/health`, `/metrics`, the OpenAPI document, signed webhooks) is
/// refused.
///
/// ```
/// use monitor_server::auth::{Role, Tokens};
///
/// let tokens = Tokens::parse_env("ci:viewer:0123456789abcdefghijklmnop").unwrap();
/// let caller = tokens.authenticate("0123456789abcdefghijklmnop").unwrap();
/// assert_eq!((caller.name.as_str(), caller.role), ("ci", Role::Viewer));
/// assert!(tokens.authenticate("0123456789abcdefghijklmnoq").is_none());
/// ```
#[derive(Clone, Default)]
pub struct Tokens {
    known: Vec<KnownToken>,
}

impl fmt::Debug for Tokens {
    // Names and roles only: never a hash in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.known.iter().map(|token| format!("{}:{}", token.name, token.role.as_str())))
            .finish()
    }
}

fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    /// No tokens: only the public routes answer.
    pub fn none() -> Self {
        Tokens::default()
    }

    /// Adds a token given in clear.
    pub fn with(mut self, name: &str, role: Role, token: &str) -> Result<Self, AuthError> {
        check_token(name, token)?;
        self.add(name, role, hash(token))?;
        Ok(self)
    }

    fn add(&mut self, name: &str, role: Role, hash: [u8; 32]) -> Result<(), AuthError> {
        check_name(name)?;
        if self.known.iter().any(|known| known.name == name) {
            return Err(AuthError(format!("the token name `{name}` is given twice: each token needs its own name")));
        }
        self.known.push(KnownToken { name: name.to_owned(), role, hash });
        Ok(())
    }

    /// Reads `name:role:token,…` (the form of [`TOKENS_ENV`]).
    pub fn parse_env(text: &str) -> Result<Self, AuthError> {
        let mut tokens = Tokens::none();
        for (index, entry) in text.split(',').map(str::trim).filter(|entry| !entry.is_empty()).enumerate() {
            let mut parts = entry.splitn(3, ':');
            let (Some(name), Some(role), Some(token)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(AuthError(format!(
                    "{TOKENS_ENV}: entry {} is not name:role:token (the token itself is not shown)",
                    index + 1
                )));
            };
            let role = role.parse().map_err(|error: AuthError| AuthError(format!("{TOKENS_ENV}: {name}: {error}")))?;
            tokens = tokens.with(name, role, token).map_err(|error| AuthError(format!("{TOKENS_ENV}: {error}")))?;
        }
        Ok(tokens)
    }

    /// Reads a file of hashed tokens: one `name:role:sha256:HEX` per line
    /// (as [`hashed_line`] writes them), `#` comments and blank lines
    /// ignored.
    pub fn parse_file(text: &str, origin: &str) -> Result<Self, AuthError> {
        let mut tokens = Tokens::none();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = |message: String| AuthError(format!("{origin}:{}: {message}", number + 1));
            let parts: Vec<&str> = line.split(':').collect();
            let [name, role, "sha256", hex_hash] = parts.as_slice() else {
                return Err(at("expected name:role:sha256:HEX (write lines with `monitor token new`)".to_owned()));
            };
            let role = role.parse().map_err(|error: AuthError| at(error.0))?;
            let mut hash = [0u8; 32];
            hex::decode_to_slice(hex_hash, &mut hash)
                .map_err(|_| at("the hash is not 64 hexadecimal digits".to_owned()))?;
            tokens.add(name, role, hash).map_err(|error| at(error.0))?;
        }
        Ok(tokens)
    }

    /// Reads the file at `path` (see [`Tokens::parse_file`]).
    pub fn from_file(path: &Path) -> Result<Self, AuthError> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| AuthError(format!("reading the token file {} failed: {error}", path.display())))?;
        Tokens::parse_file(&text, &path.display().to_string())
    }

    /// The tokens of [`TOKENS_ENV`] and of the file [`TOKENS_FILE_ENV`]
    /// names, together.
    pub fn from_env() -> Result<Self, AuthError> {
        let mut tokens = match std::env::var(TOKENS_ENV) {
            Ok(text) => Tokens::parse_env(&text)?,
            Err(_) => Tokens::none(),
        };
        if let Some(path) = std::env::var_os(TOKENS_FILE_ENV) {
            tokens = tokens.merged(Tokens::from_file(Path::new(&path))?)?;
        }
        Ok(tokens)
    }

    /// These tokens and `other`'s; a name in both is refused.
    pub fn merged(mut self, other: Tokens) -> Result<Self, AuthError> {
        for token in other.known {
            self.add(&token.name, token.role, token.hash)?;
        }
        Ok(self)
    }

    /// How many tokens are known.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether no token is known.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// The caller a presented token belongs to. Every known hash is
    /// compared, in constant time, whichever matches.
    pub fn authenticate(&self, presented: &str) -> Option<Caller> {
        let presented = hash(presented);
        let mut found = None;
        for known in &self.known {
            if bool::from(known.hash.ct_eq(&presented)) {
                found = Some(Caller { name: known.name.clone(), role: known.role });
            }
        }
        found
    }
}

fn check_name(name: &str) -> Result<(), AuthError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@')) {
        return Err(AuthError(format!(
            "the token name `{name}` is not usable: use letters, digits, '-', '_', '.' or '@' (it is the actor in the audit log)"
        )));
    }
    Ok(())
}

fn check_token(name: &str, token: &str) -> Result<(), AuthError> {
    if token.chars().count() < MIN_TOKEN_LENGTH || token.chars().any(|c| c.is_whitespace() || c == ',') {
        return Err(AuthError(format!(
            "the token of `{name}` is shorter than {MIN_TOKEN_LENGTH} characters or holds spaces or commas: \
             use a random one (`monitor token new` makes one)"
        )));
    }
    Ok(())
}

/// The line of a token file for a token: `name:role:sha256:HEX`.
///
/// ```
/// use monitor_server::auth::{Role, Tokens, hashed_line};
///
/// let line = hashed_line("grafana", Role::Viewer, "a-long-random-token-of-32-chars!").unwrap();
/// let tokens = Tokens::parse_file(&line, "tokens").unwrap();
/// assert_eq!(tokens.authenticate("a-long-random-token-of-32-chars!").unwrap().name, "grafana");
/// ```
pub fn hashed_line(name: &str, role: Role, token: &str) -> Result<String, AuthError> {
    check_name(name)?;
    check_token(name, token)?;
    Ok(format!("{name}:{}:sha256:{}", role.as_str(), hex::encode(hash(token))))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdefghijklmnop";

    #[test]
    fn mistakes_in_the_configuration_are_named_without_the_token() {
        let error = Tokens::parse_env("ci:viewer").unwrap_err().0;
        assert!(error.contains("entry 1 is not name:role:token"), "{error}");
        let error = Tokens::parse_env(&format!("ci:boss:{TOKEN}")).unwrap_err().0;
        assert!(error.contains("unknown role `boss`") && !error.contains(TOKEN), "{error}");
        let error = Tokens::parse_env("ci:viewer:short").unwrap_err().0;
        assert!(error.contains("shorter than 24") && !error.contains("short:"), "{error}");
        let error = Tokens::parse_env(&format!("ci:viewer:{TOKEN},ci:admin:{TOKEN}x")).unwrap_err().0;
        assert!(error.contains("given twice"), "{error}");
        let error = Tokens::parse_file("# tokens\n\nci:viewer:sha256:abc\n", "tokens.txt").unwrap_err().0;
        assert!(error.starts_with("tokens.txt:3:") && error.contains("64 hexadecimal"), "{error}");
    }

    #[test]
    fn a_token_is_known_by_its_hash_only() {
        let tokens = Tokens::parse_env(&format!("ops:operator:{TOKEN}, ci:viewer:{TOKEN}-ci")).unwrap();
        assert_eq!(tokens.authenticate(TOKEN).map(|caller| caller.role), Some(Role::Operator));
        assert_eq!(tokens.authenticate(&format!("{TOKEN}-ci")).map(|caller| caller.name), Some("ci".to_owned()));
        assert_eq!(tokens.authenticate(""), None);
        let shown = format!("{tokens:?}");
        assert!(!shown.contains(TOKEN) && !shown.contains(&hex::encode(hash(TOKEN))), "{shown}");
    }
}
