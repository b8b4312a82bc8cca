//! Webhook URLs carry their secret in the path (Slack, Discord, generic
//! hooks) or the query (Teams' `sig`): wherever this crate shows a URL —
//! `Debug`, error messages — only its scheme, host and port are shown, and
//! the part of the path every URL of that platform shares.

/// Shown where the secret part of a URL was.
const HIDDEN: &str = "***";

/// The path every Slack incoming webhook shares before its tokens.
pub(crate) const SLACK_PATH: &str = "services/";
/// The path every Discord webhook shares before its id and token.
pub(crate) const DISCORD_PATH: &str = "api/webhooks/";

/// `url` with everything that may be secret replaced by `***`: the user
/// info, the query, the fragment and the path, except `public_path` (such as
/// `services/` for Slack) when the path starts with it. A value that does not
/// parse as a URL is shown as `***` alone: where its host ends is unknown.
pub(crate) fn redact_url(url: &str, public_path: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else { return HIDDEN.to_owned() };
    let Some(host) = parsed.host_str() else {
        // `mailto:…`, `data:…`: no host to show, the rest may be secret.
        return format!("{}:{HIDDEN}", parsed.scheme());
    };
    // A user name can be a token too (`https://TOKEN@host`): all of it goes.
    let userinfo = if parsed.username().is_empty() && parsed.password().is_none() { "" } else { "***@" };
    let port = parsed.port().map(|port| format!(":{port}")).unwrap_or_default();
    let path = parsed.path().strip_prefix('/').unwrap_or_default();
    let public = if !public_path.is_empty() && path.starts_with(public_path) { public_path } else { "" };
    format!("{}://{userinfo}{host}{port}/{public}{HIDDEN}", parsed.scheme())
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn keeps_the_platform_prefix_only_when_the_path_has_it() {
        let slack = "https://hooks.slack.com/services/T0/B0/SECRET";
        assert_eq!(redact_url(slack, "services/"), "https://hooks.slack.com/services/***");
        assert_eq!(redact_url("https://example.org/other/SECRET", "services/"), "https://example.org/***");
        assert_eq!(redact_url("https://example.org/servicesSECRET", "services/"), "https://example.org/***");
    }

    #[test]
    fn user_info_ports_and_hostless_urls() {
        assert_eq!(redact_url("https://bot:SECRET@example.org:8443/h?sig=S", ""), "https://***@example.org:8443/***");
        assert_eq!(redact_url("https://SECRET@example.org/", ""), "https://***@example.org/***");
        assert_eq!(redact_url("http://[::1]:9000/hook", ""), "http://[::1]:9000/***");
        assert_eq!(redact_url("mailto:SECRET@example.org", ""), "mailto:***");
        assert_eq!(redact_url("example.org/SECRET", ""), "***");
    }
}
