//! Triage changes to many groups, as the CLI and the API make them: the
//! groups selected are changed in chunks of keys, each its own short
//! transaction, so a change to thousands of groups never holds the store's
//! write lock for long.

use monitor_runtime::GroupKey;
use monitor_sinks::store::{GroupChange, GroupQuery, Store, StoreError};

/// Keys given to the store in one change: well under the number of bound
/// parameters SQLite and PostgreSQL take in one statement.
pub const KEYS_PER_CHANGE: usize = 500;

/// Applies `change` to exactly `keys` that `query` still matches: a group
/// that stopped matching in between is left alone, and a group that
/// started matching is not taken unseen. Returns how many changed.
///
/// ```
/// # async fn run(store: &dyn monitor_sinks::store::Store) -> Result<(), monitor_sinks::store::StoreError> {
/// use monitor_sinks::store::{GroupChange, GroupQuery};
/// let query = GroupQuery::all();
/// let keys: Vec<_> = store.groups(&query).await?.iter().map(|group| group.key).collect();
/// let change = GroupChange::by("alice").note("seen in the morning review");
/// monitor_server::triage::change_these(store, &query, &keys, &change).await?;
/// # Ok(()) }
/// ```
pub async fn change_these(
    store: &dyn Store,
    query: &GroupQuery,
    keys: &[GroupKey],
    change: &GroupChange,
) -> Result<u64, StoreError> {
    let mut changed = 0;
    for chunk in keys.chunks(KEYS_PER_CHANGE) {
        let query = GroupQuery { keys: Some(chunk.to_vec()), limit: chunk.len(), ..query.clone() };
        changed += store.change_groups(&query, change).await?;
    }
    Ok(changed)
}

/// Reads a group key as `monitor groups` and the API show it: 16 hex
/// digits.
///
/// ```
/// assert_eq!(monitor_server::triage::group_key("00000000000000ff").unwrap().0, 255);
/// assert!(monitor_server::triage::group_key("payments").is_err());
/// ```
pub fn group_key(text: &str) -> Result<GroupKey, String> {
    let trimmed = text.trim();
    let not_a_key = || format!("`{text}` is not a group key: keys are 16 hex digits, as the group list shows them");
    if trimmed.is_empty() || trimmed.len() > 16 {
        return Err(not_a_key());
    }
    trimmed.parse::<GroupKey>().map_err(|_| not_a_key())
}
