//! Globs as alert rules write them: `*` stands for any run of characters,
//! `::` included; everything else matches itself.

/// Whether `value` matches `pattern`.
pub(crate) fn glob_matches(pattern: &str, value: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = value.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return first == value };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// `pattern` as a `LIKE` pattern with `\` as escape: `*` becomes `%`, and
/// the `LIKE` wildcards `%` and `_` in it match themselves.
pub(crate) fn like_pattern(pattern: &str) -> String {
    let mut like = String::with_capacity(pattern.len() + 4);
    for c in pattern.chars() {
        match c {
            '*' => like.push('%'),
            '%' | '_' | '\\' => {
                like.push('\\');
                like.push(c);
            }
            c => like.push(c),
        }
    }
    like
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_match_runs_of_characters_and_the_rest_itself() {
        assert!(glob_matches("payments::*", "payments::sepa::collect"));
        assert!(!glob_matches("payments::*", "billing::payments"));
        assert!(glob_matches("*::collect", "payments::sepa::collect"));
        assert!(glob_matches("a*b*c", "axxbyyc"));
        assert!(!glob_matches("a*b*c", "axxc"));
        assert!(!glob_matches("ab*ba", "aba"));
        assert!(glob_matches("exact", "exact"));
        assert!(!glob_matches("exact", "exactly"));
    }

    #[test]
    fn like_patterns_escape_what_like_would_take_as_wildcards() {
        assert_eq!(like_pattern("pay_ments::*"), "pay\\_ments::%");
        assert_eq!(like_pattern("100%"), "100\\%");
    }
}
