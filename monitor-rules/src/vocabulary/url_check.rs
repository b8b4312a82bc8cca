//! Where alerts may be sent: over https, or in plain http only to this
//! machine (a token sent in the clear is a token given away).

/// Whether `host` names this machine: `localhost` or a loopback address
/// (brackets around IPv6 addresses allowed).
///
/// ```
/// use monitor_rules::vocabulary::is_loopback_host;
///
/// assert!(is_loopback_host("localhost") && is_loopback_host("127.0.0.1") && is_loopback_host("[::1]"));
/// assert!(!is_loopback_host("example.org"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether a URL may receive alerts: https to any host, plain http to a
/// loopback host only.
///
/// ```
/// use monitor_rules::vocabulary::is_https_or_loopback;
///
/// let url = |text: &str| url::Url::parse(text).unwrap();
/// assert!(is_https_or_loopback(&url("https://hooks.slack.com/services/x")));
/// assert!(is_https_or_loopback(&url("http://127.0.0.1:9000/hook")));
/// assert!(!is_https_or_loopback(&url("http://example.org/hook")));
/// ```
pub fn is_https_or_loopback(url: &url::Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => url.host_str().is_some_and(is_loopback_host),
        _ => false,
    }
}
