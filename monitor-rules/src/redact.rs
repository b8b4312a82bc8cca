//! Webhook URLs carry their secret in the path (Slack, Discord, generic
//! hooks such as `https://ntfy.sh/opsalerts`) or the query (Teams' `sig`):
//! wherever a URL is shown — `Debug`, error messages, logs, delivery stats —
//! only its scheme, host and port are shown, and the part of the path every
//! URL of that host's platform shares.

/// Shown where the secret part of a URL was.
const HIDDEN: &str = "***";

/// Hosts whose webhook URLs all start with the same path, and that path.
/// A host matches when it is the name itself or a subdomain of it.
const PLATFORM_PATHS: &[(&str, &str)] = &[
    // Slack incoming webhooks: services/T…/B…/token.
    ("hooks.slack.com", "services/"),
    // Discord webhooks: api/webhooks/id/token (also on ptb. and canary.).
    ("discord.com", "api/webhooks/"),
    ("discordapp.com", "api/webhooks/"),
    // Teams through Power Automate workflows: workflows/id/triggers/…?sig=….
    ("logic.azure.com", "workflows/"),
    ("environment.api.powerplatform.com", "powerautomate/automations/direct/workflows/"),
    // Teams' Office 365 connectors: webhookb2/group@tenant/IncomingWebhook/….
    ("webhook.office.com", "webhookb2/"),
];

/// Schemes named when a URL has no host (`mailto:***`); any other is hidden
/// with the rest, since without a host nothing tells it is a scheme at all.
const HOSTLESS_SCHEMES: &[&str] = &["mailto", "http", "https", "smtp", "smtps"];

/// The path every webhook URL of `host`'s platform starts with, if `host`
/// belongs to a known platform.
fn platform_path(host: &str) -> Option<&'static str> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    PLATFORM_PATHS.iter().find_map(|&(name, path)| {
        let matches = host == name || host.strip_suffix(name).is_some_and(|sub| sub.ends_with('.'));
        matches.then_some(path)
    })
}

/// `url` with everything that may be secret replaced by `***`: the user
/// info, the whole path, the query and the fragment. Only the scheme, host
/// and port are kept, and, on a known platform's host, the path prefix all
/// its webhook URLs share (`services/` on `hooks.slack.com`, `api/webhooks/`
/// on `discord.com` and `discordapp.com`, `workflows/` on
/// `*.logic.azure.com`, …), so that destinations can still be told apart.
///
/// A value that is not a URL is shown as `***` alone, since where a secret in
/// it starts is unknown — except a known platform's URL written without its
/// scheme, which keeps its host and prefix. Templates with `{group}`-style
/// placeholders in the path or query are redacted like any URL.
///
/// ```
/// use monitor_rules::redact_url;
///
/// assert_eq!(
///     redact_url("https://hooks.slack.com/services/T000/B000/XXXX"),
///     "https://hooks.slack.com/services/***"
/// );
/// assert_eq!(redact_url("https://discord.com/api/webhooks/1234/XXXX"), "https://discord.com/api/webhooks/***");
/// assert_eq!(
///     redact_url("https://prod-1.westeurope.logic.azure.com:443/workflows/abc/triggers/manual?sig=XXXX"),
///     "https://prod-1.westeurope.logic.azure.com/workflows/***"
/// );
/// // Any other host: the whole path goes, one segment or many.
/// assert_eq!(redact_url("https://ntfy.sh/opsalerts"), "https://ntfy.sh/***");
/// assert_eq!(redact_url("https://bot:XXXX@alerts.example.org:8443/hooks/1?t=XXXX"), "https://***@alerts.example.org:8443/***");
/// assert_eq!(redact_url("https://example.org/"), "https://example.org/");
/// // Not URLs: nothing but a known platform's host is shown.
/// assert_eq!(redact_url("hooks.slack.com/services/T000/B000/XXXX"), "hooks.slack.com/services/***");
/// assert_eq!(redact_url("example.org/XXXX"), "***");
/// assert_eq!(redact_url("not a url XXXX"), "***");
/// ```
pub fn redact_url(url: &str) -> String {
    let url = url.trim();
    let parsed = match url::Url::parse(url) {
        Ok(parsed) => parsed,
        Err(url::ParseError::RelativeUrlWithoutBase) => return redact_schemeless(url),
        Err(_) => return HIDDEN.to_owned(),
    };
    let Some(host) = parsed.host_str() else {
        // `mailto:…`, `data:…`: no host to show, the rest may be secret.
        let scheme = parsed.scheme();
        let empty = matches!(parsed.path(), "" | "/") && parsed.query().is_none() && parsed.fragment().is_none();
        return match HOSTLESS_SCHEMES.contains(&scheme) {
            // `smtp://`: nothing there to hide.
            true if empty => parsed.as_str().to_owned(),
            true => format!("{scheme}:{HIDDEN}"),
            false => HIDDEN.to_owned(),
        };
    };
    // A user name can be a token too (`https://TOKEN@host`): all of it goes.
    let userinfo = if parsed.username().is_empty() && parsed.password().is_none() { "" } else { "***@" };
    let port = port_suffix(&parsed);
    let path = parsed.path();
    let nothing_hidden = matches!(path, "" | "/") && parsed.query().is_none() && parsed.fragment().is_none();
    let rest = if nothing_hidden { path.to_owned() } else { format!("/{}{HIDDEN}", public_part(host, path)) };
    format!("{}://{userinfo}{host}{port}{rest}", parsed.scheme())
}

/// `:port` when the URL names a port other than its scheme's default.
fn port_suffix(url: &url::Url) -> String {
    url.port().map(|port| format!(":{port}")).unwrap_or_default()
}

/// The known platform prefix of `path` on `host`, or nothing.
fn public_part(host: &str, path: &str) -> &'static str {
    let path = path.strip_prefix('/').unwrap_or(path);
    platform_path(host).filter(|prefix| path.starts_with(prefix)).unwrap_or("")
}

/// A value without a scheme: shown only when it reads as a known platform's
/// URL with the scheme left out (`hooks.slack.com/services/…`). Any other
/// first segment may be the secret itself, dots and all (a JWT has them).
fn redact_schemeless(value: &str) -> String {
    let Ok(parsed) = url::Url::parse(&format!("https://{value}")) else { return HIDDEN.to_owned() };
    match parsed.host_str() {
        Some(host) if platform_path(host).is_some() && parsed.username().is_empty() && parsed.password().is_none() => {
            let port = port_suffix(&parsed);
            format!("{host}{port}/{}{HIDDEN}", public_part(host, parsed.path()))
        }
        _ => HIDDEN.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn secrets_never_survive() {
        for (url, secret) in [
            ("https://ntfy.sh/opsalerts", "opsalerts"),
            ("https://example.org/hook", "hook"),
            ("https://example.org/SECRET", "SECRET"),
            ("https://example.org/abcdefghijklmnop", "abcdefghijklmnop"),
            ("https://example.org/hooks/9f8e7d", "9f8e7d"),
            ("https://discord.com/api/webhooks/123/tok-en_SECRET", "SECRET"),
            ("https://discord.com/SECRET/api/webhooks/1", "SECRET"),
            ("https://hooks.slack.com/services/T1/B2/SECRET", "SECRET"),
            ("https://hooks.slack.com/servicesSECRET", "SECRET"),
            ("https://x.logic.azure.com/workflows/id/triggers?sig=SECRET", "SECRET"),
            ("https://user:SECRET@example.org/hook", "SECRET"),
            ("https://SECRET@example.org/", "SECRET"),
            ("https://SECRET:@hooks.slack.com/services/T/B/X", "SECRET"),
            ("https://example.org?token=SECRET", "SECRET"),
            ("https://example.org#SECRET", "SECRET"),
            ("https://exa mple.org/SECRET", "SECRET"),
            ("https://exa mple.org/x", "mple"),
            ("SECRET/SECRET/SECRET", "SECRET"),
            ("not a url with SECRET", "SECRET"),
            ("example.org/SECRET", "SECRET"),
            ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "eyJ"),
            ("user:SECRET@hooks.slack.com/services/T/B/X", "SECRET"),
            ("SECRETSCHEME:whatever", "secretscheme"),
            ("mailto:SECRET@example.org", "SECRET"),
            ("https://{group}.example.org/SECRET", "SECRET"),
        ] {
            let shown = redact_url(url);
            assert!(!shown.to_lowercase().contains(&secret.to_lowercase()), "{url} shown as {shown}");
            assert!(shown.contains("***"), "{url} shown as {shown}");
        }
    }

    #[test]
    fn single_segment_paths_are_hidden_whole() {
        assert_eq!(redact_url("https://ntfy.sh/opsalerts"), "https://ntfy.sh/***");
        assert_eq!(redact_url("https://example.org/hook"), "https://example.org/***");
        assert_eq!(redact_url("https://example.org/SECRET"), "https://example.org/***");
        assert_eq!(redact_url("http://127.0.0.1:8080/slack/T/B/X"), "http://127.0.0.1:8080/***");
    }

    #[test]
    fn platforms_keep_the_prefix_that_tells_destinations_apart() {
        for (url, shown) in [
            ("https://hooks.slack.com/services/T0/B0/SECRET", "https://hooks.slack.com/services/***"),
            ("https://discord.com/api/webhooks/1/SECRET", "https://discord.com/api/webhooks/***"),
            ("https://canary.discord.com/api/webhooks/1/SECRET", "https://canary.discord.com/api/webhooks/***"),
            ("https://discordapp.com/api/webhooks/1/SECRET", "https://discordapp.com/api/webhooks/***"),
            (
                "https://prod.logic.azure.com:443/workflows/1/triggers?sig=S",
                "https://prod.logic.azure.com/workflows/***",
            ),
            (
                "https://default1.2.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/1?sig=S",
                "https://default1.2.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/***",
            ),
            (
                "https://corp.webhook.office.com/webhookb2/G@T/IncomingWebhook/S",
                "https://corp.webhook.office.com/webhookb2/***",
            ),
            ("http://HOOKS.SLACK.COM/services/T/B/S", "http://hooks.slack.com/services/***"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
        // The prefix only when the path has it, and only on the platform's host.
        assert_eq!(redact_url("https://hooks.slack.com/other/SECRET"), "https://hooks.slack.com/***");
        assert_eq!(redact_url("https://example.org/services/SECRET"), "https://example.org/***");
        assert_eq!(redact_url("https://evildiscord.com/api/webhooks/1/S"), "https://evildiscord.com/***");
        assert_eq!(
            redact_url("https://discord.com.example.org/api/webhooks/1/S"),
            "https://discord.com.example.org/***"
        );
    }

    #[test]
    fn user_info_ports_and_hostless_urls() {
        assert_eq!(redact_url("https://bot:SECRET@example.org:8443/h?sig=S"), "https://***@example.org:8443/***");
        assert_eq!(redact_url("smtps://mailer:SECRET@mail.example.org:465"), "smtps://***@mail.example.org:465");
        assert_eq!(redact_url("smtp://mail.example.org/inbox?x=1"), "smtp://mail.example.org/***");
        assert_eq!(redact_url("http://[::1]:9000/hook"), "http://[::1]:9000/***");
        assert_eq!(redact_url("https://example.org"), "https://example.org/");
        assert_eq!(redact_url("https://example.org/?sig=S"), "https://example.org/***");
        assert_eq!(redact_url("mailto:SECRET@example.org"), "mailto:***");
        assert_eq!(redact_url("smtp://"), "smtp://");
        assert!(!redact_url("smtp:///SECRET").contains("SECRET"));
    }

    #[test]
    fn values_without_a_scheme_show_only_a_known_platform() {
        assert_eq!(redact_url("hooks.slack.com/services/T0/B0/SECRET"), "hooks.slack.com/services/***");
        assert_eq!(redact_url("discord.com/api/webhooks/1/SECRET"), "discord.com/api/webhooks/***");
        assert_eq!(redact_url("discord.com/SECRET"), "discord.com/***");
        assert_eq!(redact_url("example.org/SECRET"), "***");
        assert_eq!(redact_url(""), "***");
    }

    #[test]
    fn link_templates_are_redacted_like_urls() {
        let link = "https://viewer:SECRET@grafana.example.org/d/{group}?var-rule={rule}&auth=SECRET";
        assert_eq!(redact_url(link), "https://***@grafana.example.org/***");
        assert_eq!(redact_url("https://grafana.example.org/d/{group}"), "https://grafana.example.org/***");
    }
}
