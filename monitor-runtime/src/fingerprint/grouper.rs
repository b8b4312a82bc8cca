//! The online grouper: a template key for each message, at a cost that does
//! not grow with the number of groups.
//!
//! A message is normalized (values with digits, paths, quotes… masked). Its
//! group is then found by hash lookups only, never by a scan over groups:
//!
//! 1. the exact normalized text, in a concurrent map (the fast path);
//! 2. the message with the wildcard positions of a known template of its
//!    length put in (`user <*> not found`), or a known prefix ending at a
//!    colon followed by free text (`failed to load config: <*>`);
//! 3. otherwise a new group, and evidence: for each position, the message
//!    with that position left out is a signature, under which the distinct
//!    values seen are kept (at most eight). When a position keeps taking new,
//!    rare values among otherwise identical messages it becomes a variable,
//!    and the groups that evidence started are merged: at the next
//!    [`Grouper::maintain`], or at once when the evidence is full.
//!
//! Keys are stable: a key once handed out is never reused for something
//! else. A merged group keeps its key as an alias of the group it joined
//! ([`Grouper::resolve`]); later occurrences get the surviving key, and the
//! merges are reported by [`Grouper::maintain`] so stored groups can say so.
//! Steps 1 and 2 take only shard read locks; creating a group takes a lock
//! per message length, so only messages of one shape wait for each other, and
//! only while a group is created.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use parking_lot::Mutex;
use xxhash_rust::xxh3::xxh3_64;

use super::evidence::{Evidence, Generalize, Verdict};
use super::key::{FastHash, TemplateKey};
use super::looks::{Looks, looks};
use super::normalize::{WILDCARD, normalize_into};
use super::shape::{MAX_EVIDENCE_TOKENS, Mask, Shape};
use super::thread_cache::{Cache, Found, with_cache};
use super::usage::Usage;

/// Settings of the [`Grouper`]. One configuration for every kind of message.
///
/// ```
/// use monitor_runtime::fingerprint::GrouperConfig;
///
/// let config = GrouperConfig { max_templates: 1_000 };
/// assert_eq!(GrouperConfig::default().max_templates, 10_000);
/// # let _ = config;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GrouperConfig {
    /// Groups kept; beyond it [`Grouper::maintain`] evicts the least recently
    /// used (counted). Until it runs, up to a quarter more are created, and
    /// then messages of new templates go to [`TemplateKey::OVERFLOW`].
    pub max_templates: usize,
}

impl Default for GrouperConfig {
    fn default() -> Self {
        GrouperConfig { max_templates: 10_000 }
    }
}

/// A group that joined another: `from` is now an alias of `into`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Merge {
    /// The key that became an alias.
    pub from: TemplateKey,
    /// The key it resolves to.
    pub into: TemplateKey,
}

/// Exact texts mapped per group on the fast path; further texts of the group
/// are found by step 2, which keeps memory bounded when a variable takes
/// endless values.
const MAX_EXACT_PER_GROUP: usize = 256;
/// Exact texts and evidence entries kept, per group allowed.
const ENTRIES_PER_GROUP: usize = 8;
/// Variable-position sets kept per message length.
const MAX_MASKS_PER_LENGTH: usize = 16;
/// How deep merges may cascade (a merge's new template is itself evidence).
const MAX_MERGE_DEPTH: usize = 8;

struct ExactEntry {
    key: TemplateKey,
    usage: Arc<Usage>,
}

struct Group {
    /// Creation order: merges keep the oldest group, so aliases never cycle.
    sequence: u64,
    tokens: Vec<Box<str>>,
    /// Whether the last token stands for a free-text rest of any length.
    tail: bool,
    merged_into: Option<TemplateKey>,
    usage: Arc<Usage>,
    /// What to remove when the group is evicted.
    exact: Vec<u64>,
    signatures: Vec<u64>,
    template_hashes: Vec<u64>,
}

/// Groups messages online; see the module docs. Safe to share between threads.
///
/// ```
/// use monitor_runtime::fingerprint::{Grouper, GrouperConfig};
///
/// let grouper = Grouper::new(GrouperConfig::default());
/// // Values with digits are masked by the normalizer…
/// let a = grouper.group("mandate MNDT-1 rejected by bank 7");
/// assert_eq!(grouper.group("mandate MNDT-2 rejected by bank 12"), a);
/// // …and a word that keeps changing becomes a variable from evidence.
/// let alice = grouper.group("session opened for user alice");
/// let bob = grouper.group("session opened for user bob");
/// grouper.group("session opened for user carol");
/// assert_ne!(alice, bob);
/// // Maintenance (the monitor's worker runs it on every tick) decides on
/// // the evidence: three rare values in one position make it a variable.
/// let merges = grouper.maintain();
/// assert_eq!(merges.len(), 2);
/// assert_eq!(grouper.resolve(bob), alice);
/// assert_eq!(grouper.group("session opened for user dave"), alice);
/// assert_eq!(grouper.template(alice).unwrap(), "session opened for user <*>");
/// // Two statements that differ in one word stay apart.
/// assert_ne!(grouper.group("connection refused"), grouper.group("connection reset"));
/// ```
pub struct Grouper {
    /// Tells this grouper's entries in the threads' caches from another's.
    id: u64,
    config: GrouperConfig,
    exact: DashMap<u64, ExactEntry, FastHash>,
    exact_len: AtomicUsize,
    groups: DashMap<TemplateKey, Group, FastHash>,
    group_count: AtomicUsize,
    /// Hash of a group's template (or of a prefix with a free-text rest) → key.
    templates: DashMap<u64, TemplateKey, FastHash>,
    evidence: DashMap<u64, Evidence, FastHash>,
    evidence_len: AtomicUsize,
    /// Signatures whose evidence changed since the last maintenance.
    pending: Mutex<HashSet<u64>>,
    /// Message length → the variable-position sets of its templates.
    masks: DashMap<usize, Vec<Mask>, FastHash>,
    /// Variable-position sets learnt since the last maintenance.
    new_masks: Mutex<Vec<(usize, Mask)>>,
    creating: Box<[Mutex<()>]>,
    merges: Mutex<Vec<Merge>>,
    sequence: AtomicU64,
    /// Advanced by each maintenance: a group's last use is the epoch it was
    /// last seen in, which the caller's thread stores only when it changed.
    epoch: AtomicU64,
    evictions: AtomicU64,
    overflowed: AtomicU64,
}

thread_local! {
    static TEMPLATE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

impl Grouper {
    /// A grouper with `config`.
    pub fn new(config: GrouperConfig) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Grouper {
            id: NEXT_ID.fetch_add(1, Relaxed),
            config,
            exact: DashMap::default(),
            exact_len: AtomicUsize::new(0),
            groups: DashMap::default(),
            group_count: AtomicUsize::new(0),
            templates: DashMap::default(),
            evidence: DashMap::default(),
            evidence_len: AtomicUsize::new(0),
            pending: Mutex::new(HashSet::new()),
            masks: DashMap::default(),
            new_masks: Mutex::new(Vec::new()),
            creating: (0..16).map(|_| Mutex::new(())).collect(),
            merges: Mutex::new(Vec::new()),
            sequence: AtomicU64::new(0),
            epoch: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            overflowed: AtomicU64::new(0),
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
        let epoch = self.epoch.load(Relaxed);
        let found = with_cache(self.id, epoch, |cache| {
            self.find_exact(cache, hash).or_else(|| {
                let shape = Shape::of(template);
                let found = self.find_known_cached(cache, &shape)?;
                self.remember_exact(hash, &found);
                Some(found)
            })
        });
        match found.flatten() {
            Some(found) => {
                found.usage.touch(epoch);
                found.key
            }
            None => self.place(hash, template),
        }
    }

    /// Step 1 of the module docs, through this thread's cache.
    fn find_exact(&self, cache: &mut Cache, hash: u64) -> Option<Found> {
        if let Some(found) = cache.found(hash) {
            return Some(found.clone());
        }
        let found = self.exact.get(&hash).map(|entry| Found { key: entry.key, usage: entry.usage.clone() })?;
        cache.remember(hash, found.clone());
        Some(found)
    }

    /// Step 2 of the module docs, through this thread's cache.
    fn find_known_cached(&self, cache: &mut Cache, shape: &Shape<'_>) -> Option<Found> {
        let known = |cache: &mut Cache, hash: u64| -> Option<Found> {
            if let Some(found) = cache.found(hash) {
                return Some(found.clone());
            }
            let key = self.resolve(self.templates.get(&hash).map(|key| *key)?);
            let found = Found { key, usage: self.groups.get(&key)?.usage.clone() };
            cache.remember(hash, found.clone());
            Some(found)
        };
        // Templates with variables first: a message whose exact text is new
        // but whose template is known (a new user name) is found without
        // asking the shared map for a template of its exact words, which a
        // flood of new values would miss every time. A group of exactly
        // these words would have been found by its exact text already.
        let masks = cache.masks(shape.len(), || {
            self.masks.get(&shape.len()).map(|masks| Arc::from(&masks[..])).unwrap_or_else(|| Arc::from([]))
        });
        if let Some(found) = masks.iter().find_map(|&mask| known(cache, shape.template_hash(mask))) {
            return Some(found);
        }
        if let Some(found) = known(cache, shape.template_hash(0)) {
            return Some(found);
        }
        shape.tail_positions().find_map(|end| known(cache, shape.tail_hash(end)))
    }

    /// Where neither the cache nor the maps know the message: under the
    /// lock of its length, looked up again in the maps themselves (another
    /// thread may have placed it meanwhile), else a new group.
    #[cold]
    fn place(&self, hash: u64, template: &str) -> TemplateKey {
        let shape = Shape::of(template);
        let _creating = self.creating[shape.len() % self.creating.len()].lock();
        // Another thread may have placed it while this one waited.
        if let Some(entry) = self.exact.get(&hash) {
            return entry.key;
        }
        // An empty cache: the lookup reads the maps themselves.
        if let Some(found) = self.find_known_cached(&mut Cache::default(), &shape) {
            self.remember_exact(hash, &found);
            return found.key;
        }
        let limit = self.config.max_templates.max(1);
        if self.group_count.load(Relaxed) >= limit + limit / 4 {
            self.overflowed.fetch_add(1, Relaxed);
            return TemplateKey::OVERFLOW;
        }
        self.create(hash, &shape)
    }

    /// Maps an exact text to the group found for it, while the group and
    /// the grouper have room for more.
    fn remember_exact(&self, hash: u64, found: &Found) {
        if found.usage.exact_full.load(Relaxed) || self.exact_len.load(Relaxed) >= self.entry_limit() {
            return;
        }
        let added = self.groups.get_mut(&found.key).is_some_and(|mut group| {
            if group.exact.len() >= MAX_EXACT_PER_GROUP {
                group.usage.exact_full.store(true, Relaxed);
                return false;
            }
            group.exact.push(hash);
            true
        });
        if added && self.exact.insert(hash, ExactEntry { key: found.key, usage: found.usage.clone() }).is_none() {
            self.exact_len.fetch_add(1, Relaxed);
        }
    }

    fn entry_limit(&self) -> usize {
        self.config.max_templates.max(1) * ENTRIES_PER_GROUP
    }

    /// A new group for `shape`, the evidence it adds, and the merges that
    /// evidence calls for. Called under the lock of the message's length.
    fn create(&self, hash: u64, shape: &Shape<'_>) -> TemplateKey {
        let key = TemplateKey(hash.max(1));
        if self.groups.contains_key(&key) {
            return self.resolve(key);
        }
        // Positions that are variables in a sibling template of the same
        // length are variables here too (`cron: connected to <*>` next to
        // `sshd: connected to <*>`).
        let base = self.sibling_mask(shape);
        let tokens: Vec<Box<str>> = (0..shape.len())
            .map(|i| if base & bit(i) != 0 { Box::from(WILDCARD) } else { Box::from(shape.tokens[i]) })
            .collect();
        let template_hash = shape.template_hash(base);
        let usage = Arc::new(Usage::default());
        usage.touch(self.epoch.load(Relaxed));
        let group = Group {
            sequence: self.sequence.fetch_add(1, Relaxed),
            tokens,
            tail: false,
            merged_into: None,
            usage: usage.clone(),
            exact: vec![hash],
            signatures: Vec::new(),
            template_hashes: vec![template_hash],
        };
        // The group exists before any evidence names it, so a merge that
        // another thread's evidence triggers finds it.
        self.groups.insert(key, group);
        self.group_count.fetch_add(1, Relaxed);
        if self.exact.insert(hash, ExactEntry { key, usage }).is_none() {
            self.exact_len.fetch_add(1, Relaxed);
        }
        self.templates.insert(template_hash, key);
        self.add_evidence(key, shape, base, true, 0);
        self.resolve(key)
    }

    /// Notes the values of `shape` (under `base`) as evidence for `key`'s
    /// group, and acts on what the evidence already says: a position that is
    /// a variable merges at once; full evidence is decided at once; other
    /// changed evidence waits for the next maintenance.
    fn add_evidence(&self, key: TemplateKey, shape: &Shape<'_>, base: Mask, with_tails: bool, depth: usize) {
        let mut signatures = Vec::new();
        let mut actions = Vec::new();
        let context = (0..shape.len()).filter(|&i| !shape.is_wildcard(i) && base & bit(i) == 0).count();
        // A position needs two constant tokens beside it to be told apart
        // from other statements: `onReceive <*>` next to `setSteps <*>` is no
        // evidence that the first word varies.
        if context >= 3 {
            for (position, signature) in shape.signatures(base).into_iter().enumerate() {
                if shape.is_wildcard(position) || base & bit(position) != 0 {
                    continue;
                }
                let how = Generalize::Position(position);
                if let Some(action) = self.note(signature, how, Value::token(shape, position), key) {
                    actions.push(action);
                }
                signatures.push(signature);
            }
        }
        // Positions a sibling template made variables are evidence too, as
        // raw values, so groups made before the sibling learnt it join it.
        if base != 0 {
            let raw = shape.signatures(0);
            for position in (0..raw.len()).filter(|&i| base & bit(i) != 0 && !shape.is_wildcard(i)) {
                let how = Generalize::Position(position);
                if let Some(action) = self.note(raw[position], how, Value::token(shape, position), key) {
                    actions.push(action);
                }
                signatures.push(raw[position]);
            }
        }
        if with_tails {
            for end in shape.tail_positions() {
                let signature = shape.tail_hash(end).rotate_left(1);
                let how =
                    if shape.tokens[end].ends_with(':') { Generalize::Tail(end) } else { Generalize::PlainTail(end) };
                let rest = Value { hash: shape.rest_hash(end), looks: Looks::Word, length: shape.len() - end - 1 };
                if let Some(action) = self.note(signature, how, rest, key) {
                    actions.push(action);
                }
                signatures.push(signature);
            }
        }
        if let Some(mut group) = self.groups.get_mut(&key) {
            group.signatures.extend(signatures);
        }
        for (keys, how) in actions {
            self.merge(&keys, how, depth);
        }
    }

    /// The first variable-position set of this length under which the
    /// message shares a signature with a known template, or none.
    fn sibling_mask(&self, shape: &Shape<'_>) -> Mask {
        let masks = self.masks.get(&shape.len()).map(|masks| masks.clone()).unwrap_or_default();
        masks
            .into_iter()
            .find(|&mask| {
                shape
                    .signatures(mask)
                    .into_iter()
                    .enumerate()
                    .any(|(position, signature)| mask & bit(position) == 0 && self.evidence.contains_key(&signature))
            })
            .unwrap_or(0)
    }

    /// Adds one value to the evidence under `signature`; returns a merge to
    /// make now, if the evidence calls for one.
    fn note(
        &self,
        signature: u64,
        how: Generalize,
        value: Value,
        key: TemplateKey,
    ) -> Option<(Vec<TemplateKey>, Generalize)> {
        match self.evidence.entry(signature) {
            Entry::Occupied(mut entry) => {
                let evidence = entry.get_mut();
                match evidence.add(value.hash, key, value.looks, value.length) {
                    Verdict::Noted => None,
                    Verdict::Join(target) => Some((vec![target, key], evidence.how())),
                    Verdict::Changed if evidence.is_full() => {
                        evidence.decide(|key| self.hits(key)).map(|keys| (keys, evidence.how()))
                    }
                    Verdict::Changed => {
                        self.pending.lock().insert(signature);
                        None
                    }
                }
            }
            Entry::Vacant(entry) => {
                if self.evidence_len.load(Relaxed) < self.entry_limit() {
                    entry.insert(Evidence::new(how, value.hash, key, value.looks, value.length));
                    self.evidence_len.fetch_add(1, Relaxed);
                }
                None
            }
        }
    }

    /// How often the group `key` stands for was seen (saturating).
    fn hits(&self, key: TemplateKey) -> u32 {
        self.groups.get(&self.resolve(key)).map_or(0, |group| group.usage.hits.load(Relaxed))
    }

    /// Merges the groups of `keys` into the oldest of them and generalizes
    /// its template as `how` says.
    fn merge(&self, keys: &[TemplateKey], how: Generalize, depth: usize) {
        if depth > MAX_MERGE_DEPTH {
            return;
        }
        let mut members: Vec<(u64, TemplateKey)> = Vec::new();
        for key in keys {
            let key = self.resolve(*key);
            if let Some(group) = self.groups.get(&key)
                && !members.iter().any(|(_, k)| *k == key)
            {
                members.push((group.sequence, key));
            }
        }
        members.sort();
        let Some(&(target_sequence, target)) = members.first() else { return };
        let Some((mut tokens, mut tail, target_usage)) =
            self.groups.get(&target).map(|g| (g.tokens.clone(), g.tail, g.usage.clone()))
        else {
            return;
        };
        let mut moved_exact = Vec::new();
        for &(_, source) in &members[1..] {
            let Some(mut group) = self.groups.get_mut(&source) else { continue };
            if group.sequence <= target_sequence || group.merged_into.is_some() {
                continue;
            }
            group.merged_into = Some(target);
            if !tail && !group.tail && group.tokens.len() == tokens.len() {
                for (slot, token) in tokens.iter_mut().zip(&group.tokens) {
                    if slot != token {
                        *slot = Box::from(WILDCARD);
                    }
                }
            }
            moved_exact.append(&mut group.exact);
            drop(group);
            self.merges.lock().push(Merge { from: source, into: target });
        }
        for hash in &moved_exact {
            if let Some(mut entry) = self.exact.get_mut(hash) {
                entry.key = target;
                entry.usage = target_usage.clone();
            }
        }
        match how {
            Generalize::Position(position) if !tail && position < tokens.len() => {
                tokens[position] = Box::from(WILDCARD);
            }
            Generalize::Tail(end) | Generalize::PlainTail(end) if !tail && end < tokens.len() => {
                tokens.truncate(end + 1);
                tokens.push(Box::from(WILDCARD));
                tail = true;
            }
            _ => {}
        }
        let token_refs: Vec<&str> = tokens.iter().map(|t| &**t).collect();
        let shape = Shape::from_tokens(token_refs);
        let template_hash = if tail { shape.tail_hash(shape.len() - 2) } else { shape.template_hash(0) };
        self.templates.insert(template_hash, target);
        if let Some(mut group) = self.groups.get_mut(&target) {
            group.tokens = tokens.clone();
            group.tail = tail;
            group.exact.append(&mut moved_exact);
            group.template_hashes.push(template_hash);
        }
        if tail {
            return;
        }
        self.remember_mask(shape.len(), shape.wildcard_mask());
        // The generalized template is evidence too, so a second variable
        // position can be found among templates (`<*> connected to <*>`).
        self.add_evidence(target, &shape, 0, false, depth + 1);
    }

    fn remember_mask(&self, length: usize, mask: Mask) {
        if mask == 0 {
            return;
        }
        let mut masks = self.masks.entry(length).or_default();
        if !masks.contains(&mask) && masks.len() < MAX_MASKS_PER_LENGTH {
            masks.push(mask);
            // Fewest wildcards first: the most specific template wins.
            masks.sort_by_key(|mask| mask.count_ones());
            drop(masks);
            self.new_masks.lock().push((length, mask));
        }
    }

    /// Groups made before a template learnt its variables may fit it now
    /// (`ntpd: connected to vault`, seen once, before `<*> connected to <*>`
    /// was learnt from others): for each new variable-position set, the
    /// groups of that length are checked against the known templates and
    /// merged into the one they fit. Runs on maintenance, and only walks the
    /// groups when a new set was learnt, which is rare.
    fn merge_groups_that_fit_new_masks(&self) {
        let new_masks = std::mem::take(&mut *self.new_masks.lock());
        if new_masks.is_empty() {
            return;
        }
        let candidates: Vec<(TemplateKey, Vec<Box<str>>)> = self
            .groups
            .iter()
            .filter(|group| {
                group.merged_into.is_none()
                    && !group.tail
                    && new_masks.iter().any(|(length, _)| *length == group.tokens.len())
            })
            .map(|group| (*group.key(), group.tokens.clone()))
            .collect();
        for (key, tokens) in candidates {
            let shape = Shape::from_tokens(tokens.iter().map(|t| &**t));
            let own = self.resolve(key);
            let fits = new_masks
                .iter()
                .filter(|(length, _)| *length == shape.len())
                .filter_map(|(_, mask)| self.templates.get(&shape.template_hash(*mask)).map(|target| *target))
                .map(|target| self.resolve(target))
                .find(|target| *target != own);
            if let Some(target) = fits {
                self.merge(&[target, own], Generalize::Already, MAX_MERGE_DEPTH);
            }
        }
    }

    /// The key `key` stands for now: itself, or the group it was merged into.
    pub fn resolve(&self, key: TemplateKey) -> TemplateKey {
        let mut key = key;
        for _ in 0..64 {
            match self.groups.get(&key).and_then(|group| group.merged_into) {
                Some(next) => key = next,
                None => break,
            }
        }
        key
    }

    /// The current template of a group (or of the group it was merged
    /// into): its tokens, with `<*>` where its messages differ.
    pub fn template(&self, key: TemplateKey) -> Option<String> {
        self.groups.get(&self.resolve(key)).map(|group| group.tokens.join(" "))
    }

    /// Housekeeping, for a background thread: starts a new epoch of use,
    /// evicts the least recently used groups beyond `max_templates`, and
    /// returns the merges made since the last call.
    pub fn maintain(&self) -> Vec<Merge> {
        let pending = std::mem::take(&mut *self.pending.lock());
        for signature in pending {
            let decided = self.evidence.get_mut(&signature).and_then(|mut evidence| {
                let how = evidence.how();
                evidence.decide(|key| self.hits(key)).map(|keys| (keys, how))
            });
            if let Some((keys, how)) = decided {
                self.merge(&keys, how, 0);
            }
        }
        self.merge_groups_that_fit_new_masks();
        let limit = self.config.max_templates.max(1);
        if self.group_count.load(Relaxed) > limit {
            self.evict_down_to(limit - limit / 10);
        }
        // Last: the threads' caches, which may hold what was merged or
        // evicted above, start over from the maps.
        self.epoch.fetch_add(1, Relaxed);
        std::mem::take(&mut *self.merges.lock())
    }

    fn evict_down_to(&self, target: usize) {
        let mut by_age: Vec<(u64, u64, TemplateKey)> = self
            .groups
            .iter()
            .map(|entry| (entry.usage.last_used.load(Relaxed), entry.sequence, *entry.key()))
            .collect();
        let surplus = by_age.len().saturating_sub(target);
        if surplus == 0 {
            return;
        }
        by_age.select_nth_unstable(surplus - 1);
        for &(_, _, key) in &by_age[..surplus] {
            self.evict(key);
        }
        // An alias of an evicted group would resolve to a key without a
        // group, and hand that key to its messages when met again: it goes
        // too. (Collected first: a lookup while iterating could deadlock.)
        let aliases: Vec<(TemplateKey, TemplateKey)> =
            self.groups.iter().filter_map(|group| group.merged_into.map(|into| (*group.key(), into))).collect();
        for (alias, into) in aliases {
            if !self.groups.contains_key(&self.resolve(into)) {
                self.evict(alias);
            }
        }
    }

    fn evict(&self, key: TemplateKey) {
        let Some((_, group)) = self.groups.remove(&key) else { return };
        self.group_count.fetch_sub(1, Relaxed);
        for hash in &group.exact {
            if self.exact.remove_if(hash, |_, entry| entry.key == key).is_some() {
                self.exact_len.fetch_sub(1, Relaxed);
            }
        }
        for hash in &group.template_hashes {
            self.templates.remove_if(hash, |_, owner| *owner == key);
        }
        for signature in &group.signatures {
            if self.evidence.remove_if(signature, |_, evidence| evidence.mentions(key)).is_some() {
                self.evidence_len.fetch_sub(1, Relaxed);
            }
        }
        if group.merged_into.is_none() {
            self.evictions.fetch_add(1, Relaxed);
        }
    }

    /// Number of groups held (aliases of merged groups not counted). Walks
    /// all groups: for tests and reports, not for a hot path.
    pub fn len(&self) -> usize {
        self.groups.iter().filter(|group| group.merged_into.is_none()).count()
    }

    /// True when no message was grouped yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Groups evicted because `max_templates` was reached.
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Relaxed)
    }

    /// Messages that went to [`TemplateKey::OVERFLOW`] because the grouper
    /// was full before maintenance could evict.
    pub fn overflowed(&self) -> u64 {
        self.overflowed.load(Relaxed)
    }
}

/// A value noted as evidence: its hash, how it looks, and its length in tokens.
struct Value {
    hash: u64,
    looks: Looks,
    length: usize,
}

impl Value {
    fn token(shape: &Shape<'_>, position: usize) -> Self {
        Value { hash: shape.value_hash(position), looks: looks(&shape.tokens, position), length: 1 }
    }
}

fn bit(position: usize) -> Mask {
    if position < MAX_EVIDENCE_TOKENS { 1 << position } else { 0 }
}

#[cfg(test)]
#[path = "grouper_tests.rs"]
mod tests;
