//! Webhook URLs carry their secret in the path (Slack, Discord) or the query
//! (Teams' `sig`): only the scheme, host, port and first path segment are
//! ever shown.

/// Shown where the secret part of a URL was.
const HIDDEN: &str = "***";

/// `url` with its path, query, fragment and user info replaced by `***`,
/// except a first path segment that reads as a plain word (`services`,
/// `api`, `workflows`: lowercase letters, at most 12), which tells
/// destinations apart and is never a token. Works on malformed URLs too, so
/// that a configuration error can name the value without leaking it.
///
/// ```
/// use monitor_delivery::redact_url;
///
/// assert_eq!(
///     redact_url("https://hooks.slack.com/services/T000/B000/XXXX"),
///     "https://hooks.slack.com/services/***"
/// );
/// assert_eq!(
///     redact_url("https://prod.logic.azure.com:443/workflows/abc?api-version=1&sig=SECRET"),
///     "https://prod.logic.azure.com:443/workflows/***"
/// );
/// assert_eq!(redact_url("smtp://mailer:hunter2@mail.example.org:587"), "smtp://***@mail.example.org:587");
/// assert_eq!(redact_url("hooks.slack.com/services/T000/B000/XXXX"), "hooks.slack.com/services/***");
/// ```
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(at) => (&url[..at + 3], &url[at + 3..]),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("{HIDDEN}@{}", &authority[at + 1..]),
        None => authority.to_owned(),
    };
    // Without a scheme, the "authority" may itself be a secret path: keep
    // only what looks like a host name.
    let host_like =
        authority.contains('.') && authority.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    if scheme.is_empty() && !host_like {
        return HIDDEN.to_owned();
    }
    let mut out = format!("{scheme}{authority}");
    let tail = tail.strip_prefix('/').map(|path| (true, path)).unwrap_or((false, tail));
    match tail {
        (true, path) => {
            let segment_end = path.find(['/', '?', '#']).unwrap_or(path.len());
            let segment = &path[..segment_end];
            out.push('/');
            if segment.len() <= 12 && segment.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                out.push_str(segment);
                if segment_end < path.len() {
                    out.push('/');
                    out.push_str(HIDDEN);
                }
            } else {
                out.push_str(HIDDEN);
            }
        }
        (false, "") => {}
        (false, _) => {
            out.push('/');
            out.push_str(HIDDEN);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn secrets_never_survive() {
        for (url, secret) in [
            ("https://discord.com/api/webhooks/123/tok-en_SECRET", "SECRET"),
            ("https://hooks.slack.com/services/T1/B2/SECRET", "SECRET"),
            ("https://x.logic.azure.com/workflows/id/triggers?sig=SECRET", "SECRET"),
            ("https://user:SECRET@example.org/hook", "SECRET"),
            ("https://example.org/SECRET", "SECRET"),
            ("https://example.org/abcdefghijklmnop", "abcdefghijklmnop"),
            ("https://example.org/hooks/9f8e7d", "9f8e7d"),
            ("https://example.org?token=SECRET", "SECRET"),
            ("https://example.org#SECRET", "SECRET"),
            ("SECRET/SECRET/SECRET", "SECRET"),
            ("not a url with SECRET", "SECRET"),
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains(secret), "{url} shown as {shown}");
        }
    }

    #[test]
    fn keeps_what_tells_destinations_apart() {
        assert_eq!(redact_url("http://127.0.0.1:8080/slack/T/B/X"), "http://127.0.0.1:8080/slack/***");
        assert_eq!(redact_url("https://example.org/"), "https://example.org/");
        assert_eq!(redact_url("https://example.org"), "https://example.org");
        assert_eq!(redact_url("https://example.org/hook"), "https://example.org/hook");
        assert_eq!(redact_url("https://example.org/Hook1"), "https://example.org/***");
    }
}
