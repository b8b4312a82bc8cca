//! What the audit chain is, whatever store keeps it: the keys that sign
//! its links ([`key`]), what a link covers ([`link`]) and the signed
//! checkpoint of its head kept outside the database ([`checkpoint`]). Each
//! store appends and walks the rows in its own SQL.

pub(crate) mod checkpoint;
pub(crate) mod key;
pub(crate) mod link;
