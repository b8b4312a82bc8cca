//! The online grouper: a template key for each message, fixed on first sight.
//!
//! A message is normalized; if that exact template was seen before, its key
//! comes from a concurrent hash map (the fast path, no lock). Otherwise the
//! slow path looks, under a lock, for a cluster of templates with the same
//! number of tokens and the same first token whose tokens mostly agree with
//! it (Drain's idea); it joins the best one if similar enough (positions
//! that differ become `<*>` in the cluster's template) or starts a new one.
//! The exact template is then mapped to the cluster's key for good, so a key
//! handed out for a message never changes, whatever is learnt later.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use dashmap::DashMap;
use parking_lot::Mutex;
use xxhash_rust::xxh3::xxh3_64;

use super::normalize::{WILDCARD, normalize_into};

/// The key of a template group. Stable: once given for a message, the same
/// message always gets it back (until its group is evicted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TemplateKey(pub u64);

/// Settings of the [`Grouper`]. One configuration for every kind of message.
///
/// ```
/// use monitor_runtime::fingerprint::GrouperConfig;
///
/// let config = GrouperConfig { max_templates: 1_000, ..GrouperConfig::default() };
/// assert_eq!(config.similarity, 0.92);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GrouperConfig {
    /// Most template groups kept; the least recently used is evicted beyond
    /// it (and counted).
    pub max_templates: usize,
    /// Share of token positions (0–1) that must agree for a new template to
    /// join an existing group.
    pub similarity: f64,
}

impl Default for GrouperConfig {
    fn default() -> Self {
        GrouperConfig { max_templates: 10_000, similarity: 0.92 }
    }
}

/// How many exact templates one group maps on the fast path; beyond that its
/// messages take the slow path, which keeps memory bounded when one token
/// position takes endless values.
const MAX_EXACT_PER_GROUP: usize = 256;

struct ExactEntry {
    key: TemplateKey,
    last_used: Arc<AtomicU64>,
}

struct Cluster {
    key: TemplateKey,
    tokens: Vec<Box<str>>,
    exact: Vec<u64>,
    last_used: Arc<AtomicU64>,
}

#[derive(Default)]
struct Clusters {
    by_id: HashMap<u64, Cluster>,
    /// (token count, hash of the first token) → cluster ids.
    by_shape: HashMap<(usize, u64), Vec<u64>>,
}

/// Groups messages online; see the module docs. Safe to share between threads.
///
/// ```
/// use monitor_runtime::fingerprint::{Grouper, GrouperConfig};
///
/// let grouper = Grouper::new(GrouperConfig::default());
/// // Values are masked by the normalizer…
/// let a = grouper.group("mandate MNDT-1 rejected by bank 7");
/// let b = grouper.group("mandate MNDT-2 rejected by bank 12");
/// assert_eq!(a, b);
/// // …and a long message that differs in one word joins its group.
/// let long = "the nightly export of the ledger for tenant acme could not be written to the archive";
/// let c = grouper.group(long);
/// let d = grouper.group(&long.replace("acme", "globex"));
/// assert_eq!(c, d);
/// assert_ne!(a, c);
/// assert!(grouper.template(c).unwrap().contains("for tenant <*> could"));
/// ```
pub struct Grouper {
    config: GrouperConfig,
    exact: DashMap<u64, ExactEntry>,
    clusters: Mutex<Clusters>,
    tick: AtomicU64,
    evictions: AtomicU64,
}

thread_local! {
    static TEMPLATE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

impl Grouper {
    /// A grouper with `config`.
    pub fn new(config: GrouperConfig) -> Self {
        Grouper {
            config,
            exact: DashMap::new(),
            clusters: Mutex::new(Clusters::default()),
            tick: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    /// The key of `message`'s group.
    pub fn group(&self, message: &str) -> TemplateKey {
        TEMPLATE.with(|buffer| match buffer.try_borrow_mut() {
            Ok(mut template) => self.group_template(message, &mut template),
            // Re-entered from inside itself (cannot happen today): use a fresh buffer.
            Err(_) => self.group_template(message, &mut String::new()),
        })
    }

    fn group_template(&self, message: &str, template: &mut String) -> TemplateKey {
        normalize_into(message, template);
        let hash = xxh3_64(template.as_bytes());
        if let Some(entry) = self.exact.get(&hash) {
            let now = self.tick.load(Relaxed);
            if entry.last_used.load(Relaxed) != now {
                entry.last_used.store(now, Relaxed);
            }
            return entry.key;
        }
        self.slow_path(hash, template)
    }

    #[cold]
    fn slow_path(&self, hash: u64, template: &str) -> TemplateKey {
        let mut clusters = self.clusters.lock();
        // Another thread may have mapped it while we waited for the lock.
        if let Some(entry) = self.exact.get(&hash) {
            return entry.key;
        }
        let now = self.tick.fetch_add(1, Relaxed) + 1;
        let tokens: Vec<&str> = template.split(' ').collect();
        let shape = (tokens.len(), xxh3_64(tokens.first().copied().unwrap_or("").as_bytes()));
        let best = clusters.by_shape.get(&shape).and_then(|ids| {
            ids.iter()
                .filter_map(|id| clusters.by_id.get(id).map(|c| (*id, similarity(&c.tokens, &tokens))))
                .filter(|(_, score)| *score >= self.config.similarity)
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(id, _)| id)
        });
        let id = match best {
            Some(id) => id,
            None => {
                if clusters.by_id.len() >= self.config.max_templates.max(1) {
                    self.evict_least_recent(&mut clusters);
                }
                let id = hash;
                let cluster = Cluster {
                    key: TemplateKey(hash),
                    tokens: tokens.iter().map(|t| Box::from(*t)).collect(),
                    exact: Vec::new(),
                    last_used: Arc::new(AtomicU64::new(now)),
                };
                clusters.by_id.insert(id, cluster);
                clusters.by_shape.entry(shape).or_default().push(id);
                id
            }
        };
        let Some(cluster) = clusters.by_id.get_mut(&id) else { return TemplateKey(hash) };
        merge(&mut cluster.tokens, &tokens);
        cluster.last_used.store(now, Relaxed);
        if cluster.exact.len() < MAX_EXACT_PER_GROUP {
            cluster.exact.push(hash);
            self.exact.insert(hash, ExactEntry { key: cluster.key, last_used: cluster.last_used.clone() });
        }
        cluster.key
    }

    fn evict_least_recent(&self, clusters: &mut Clusters) {
        let Some(oldest) = clusters.by_id.iter().min_by_key(|(_, c)| c.last_used.load(Relaxed)).map(|(id, _)| *id)
        else {
            return;
        };
        if let Some(cluster) = clusters.by_id.remove(&oldest) {
            for hash in &cluster.exact {
                self.exact.remove(hash);
            }
            for ids in clusters.by_shape.values_mut() {
                ids.retain(|id| *id != oldest);
            }
            clusters.by_shape.retain(|_, ids| !ids.is_empty());
            self.evictions.fetch_add(1, Relaxed);
        }
    }

    /// The current template of a group: the tokens all its messages share,
    /// with `<*>` where they differ.
    pub fn template(&self, key: TemplateKey) -> Option<String> {
        let clusters = self.clusters.lock();
        clusters.by_id.values().find(|c| c.key == key).map(|c| c.tokens.join(" "))
    }

    /// Number of groups held.
    pub fn len(&self) -> usize {
        self.clusters.lock().by_id.len()
    }

    /// True when no message was grouped yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Groups evicted because `max_templates` was reached.
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Relaxed)
    }
}

/// Share of positions where the cluster's token equals the message's (two
/// wildcards agree; a cluster wildcard facing a word does not).
fn similarity(cluster: &[Box<str>], tokens: &[&str]) -> f64 {
    if tokens.is_empty() {
        return 1.0;
    }
    let same = cluster.iter().zip(tokens).filter(|(a, b)| &***a == **b).count();
    same as f64 / tokens.len() as f64
}

fn merge(cluster: &mut [Box<str>], tokens: &[&str]) {
    for (slot, token) in cluster.iter_mut().zip(tokens) {
        if &**slot != *token && &**slot != WILDCARD {
            *slot = Box::from(WILDCARD);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_never_changes_after_later_merges() {
        let grouper = Grouper::new(GrouperConfig::default());
        let alice = "the weekly statement for member alice could not be rendered because the template store is down";
        let first = grouper.group(alice);
        let second = grouper.group(&alice.replace("alice", "bob"));
        assert_eq!(first, second);
        for _ in 0..3 {
            assert_eq!(grouper.group(alice), first);
        }
        assert!(grouper.template(first).unwrap().contains("member <*> could"));
    }

    #[test]
    fn different_templates_stay_apart() {
        let grouper = Grouper::new(GrouperConfig::default());
        let a = grouper.group("Receiving block blk_1 src: /10.0.0.1:5 dest: /10.0.0.2:5");
        let b = grouper.group("Deleting block blk_2 file /data/blk_2");
        let c = grouper.group("connection refused");
        assert_ne!(a, b);
        assert_ne!(b, c);
        assert_eq!(grouper.len(), 3);
    }

    #[test]
    fn eviction_is_bounded_and_counted() {
        let grouper = Grouper::new(GrouperConfig { max_templates: 3, ..GrouperConfig::default() });
        let words = ["alpha", "bravo", "charlie", "delta", "echo"];
        for word in words {
            grouper.group(word);
        }
        assert_eq!(grouper.len(), 3);
        assert_eq!(grouper.evictions(), 2);
    }

    #[test]
    fn empty_long_and_control_input() {
        let grouper = Grouper::new(GrouperConfig::default());
        let empty = grouper.group("");
        assert_eq!(grouper.group("   "), empty);
        let long = "x".repeat(70_000);
        assert_eq!(grouper.group(&long), grouper.group(&long));
        grouper.group("\u{0}\u{7f}\u{1b}[0m");
    }

    #[test]
    fn many_threads_agree_on_keys() {
        let grouper = Grouper::new(GrouperConfig::default());
        let keys: Vec<Vec<TemplateKey>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|t| {
                    let grouper = &grouper;
                    scope.spawn(move || {
                        (0..200).map(|i| grouper.group(&format!("order {} of {t} shipped", i))).collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        let first = keys[0][0];
        assert!(keys.iter().flatten().all(|k| *k == first));
    }
}
