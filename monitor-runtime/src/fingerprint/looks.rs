//! How a token looks in its place, before any evidence: a value (it holds a
//! masked part, or follows a word that introduces a name), something shaped
//! like a name (`db-east`, `svc_billing`, a `program:` tag first), or a plain
//! word. Evidence weighs these: values need the least of it, words the most.

use super::normalize::WILDCARD;

/// How a token looks; ordered from least to most value-like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Looks {
    /// A plain word: part of the statement unless evidence says otherwise.
    Word,
    /// Shaped like a name: counts as rare whatever its frequency.
    NameLike,
    /// A value: two distinct ones in a position make it a variable.
    Value,
}

/// How the token at `position` of `tokens` looks.
pub(super) fn looks(tokens: &[&str], position: usize) -> Looks {
    let token = tokens[position];
    if position.checked_sub(1).is_some_and(|before| introduces_a_name(tokens[before])) {
        return Looks::Value;
    }
    // An id with a masked number joined by `_` or `-` (`rdd_<*>`,
    // `broadcast_<*>_piece<*>`) is a value; other tokens with a masked part
    // (`LOGIN(uid=<*>)` next to `(uid=<*>)`) may be two statements, and
    // only look like names.
    if token.contains(WILDCARD) {
        let id = token.contains("_<*>") || token.contains("-<*>");
        return if id { Looks::Value } else { Looks::NameLike };
    }
    let core = token.trim_matches(|c: char| c.is_ascii_punctuation());
    let joined = core.split(['-', '_']).count() > 1 && core.split(['-', '_']).all(|part| !part.is_empty());
    let program_tag = position == 0 && token.len() > 1 && token.ends_with(':') && !token.contains("::");
    if joined || program_tag { Looks::NameLike } else { Looks::Word }
}

/// Words after which a word is a name, not part of the statement
/// (`for user alice`, `on host db-east`, `tenant acme`).
fn introduces_a_name(word: &str) -> bool {
    const NAMING: [&str; 16] = [
        "user", "username", "login", "host", "hostname", "node", "server", "service", "tenant", "account", "customer",
        "client", "member", "table", "queue", "topic",
    ];
    let word = word.trim_end_matches([':', '=']);
    NAMING.iter().any(|naming| naming.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_values_and_words() {
        let tokens: Vec<&str> = "sshd: session opened for user alice on db-east job_<*>".split(' ').collect();
        let at = |word: &str| looks(&tokens, tokens.iter().position(|t| *t == word).unwrap());
        assert_eq!(at("sshd:"), Looks::NameLike);
        assert_eq!(at("session"), Looks::Word);
        assert_eq!(at("alice"), Looks::Value);
        assert_eq!(at("db-east"), Looks::NameLike);
        assert_eq!(at("job_<*>"), Looks::Value);
        assert_eq!(looks(&["by", "LOGIN(uid=<*>)"], 1), Looks::NameLike);
        assert_eq!(looks(&["std::io:", "failed"], 0), Looks::Word);
    }
}
