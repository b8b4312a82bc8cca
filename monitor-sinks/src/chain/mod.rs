//! What the audit chain is, whatever store keeps it: the keys that sign
//! its links ([`key`]), what a link covers ([`link`]), the rows a batch
//! appends ([`append`]), the signed checkpoint of its head kept outside the
//! database ([`checkpoint`]), a store's settings ([`state`]) and the walk
//! that verifies it ([`walk`]). Each store reads and inserts the rows in its
//! own SQL, under its own lock.

pub(crate) mod append;
pub(crate) mod archive;
pub(crate) mod checkpoint;
pub(crate) mod key;
pub(crate) mod link;
pub(crate) mod state;
pub(crate) mod walk;
