//! What a link of the audit chain covers and how it is computed: the
//! unkeyed SHA-256 of older versions, and the keyed HMAC-SHA256.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::key::{AuditKey, to_hex};

/// The process of the rows the store itself writes into the chain.
pub(crate) const CHAIN_PROCESS: &str = "monitor.audit";
/// The action of the row that records a change of signing key.
pub(crate) const KEY_ROTATION_ACTION: &str = "key_rotation";

/// Separates keyed links from any other use of the same key, and lets a
/// later format be told apart.
const KEYED_LINK_TAG: &str = "monitor-audit-hmac-sha256-v1";

/// Column values of a row in a fixed order: what a link covers.
pub(crate) struct Columns<'a> {
    pub(crate) seq: i64,
    pub(crate) timestamp_ms: i64,
    pub(crate) process: &'a str,
    pub(crate) action: &'a str,
    pub(crate) status: &'a str,
    pub(crate) reference_kind: Option<&'a str>,
    pub(crate) reference_id: Option<&'a str>,
    pub(crate) actor: Option<&'a str>,
    pub(crate) trace_id: Option<&'a str>,
    pub(crate) service: Option<&'a str>,
    pub(crate) details: &'a str,
    pub(crate) truncated: bool,
    pub(crate) detail_errors: &'a str,
    pub(crate) prev_hash: &'a str,
}

impl Columns<'_> {
    /// The columns as a JSON array: unambiguous (strings are quoted and
    /// escaped) and the same in any language that reads the file.
    fn canonical(&self) -> Vec<Value> {
        vec![
            json!(self.seq),
            json!(self.timestamp_ms),
            json!(self.process),
            json!(self.action),
            json!(self.status),
            json!(self.reference_kind),
            json!(self.reference_id),
            json!(self.actor),
            json!(self.trace_id),
            json!(self.service),
            json!(self.details),
            json!(self.truncated),
            json!(self.detail_errors),
            json!(self.prev_hash),
        ]
    }

    /// The unkeyed link of rows written without a key (and by versions
    /// before keys): anyone who can write the file can recompute it, so it
    /// only shows accidents and edits made by someone who did not bother.
    pub(crate) fn unkeyed_hash(&self) -> String {
        let canonical = Value::Array(self.canonical()).to_string();
        to_hex(&Sha256::digest(canonical.as_bytes()))
    }

    /// The keyed link: HMAC-SHA256 under `key` of the columns, the key's id
    /// and the previous row's link. Without the key it cannot be recomputed,
    /// so a row rewritten by someone who can only write the file fails.
    pub(crate) fn keyed_mac(&self, key: &AuditKey) -> String {
        let mut canonical = vec![json!(KEYED_LINK_TAG), json!(key.id())];
        canonical.extend(self.canonical());
        key.mac_hex(Value::Array(canonical).to_string().as_bytes())
    }
}

/// The details of the row recording that `to` signs from here on, after
/// `from` (`None`: the rows before were unkeyed).
pub(crate) fn rotation_details(from: Option<&str>, to: &str) -> Value {
    json!({ "from_key_id": from, "to_key_id": to })
}
