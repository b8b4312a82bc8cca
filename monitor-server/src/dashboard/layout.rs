//! What every page shares: the document shell with its navigation and the
//! signed-in caller, the sign-in page, error pages, and the small pieces
//! tables are made of (times, severities, statuses). Every text goes
//! through maud, which escapes it: a message holding `<script>` is shown,
//! never run.

use std::time::SystemTime;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use monitor_runtime::Severity;
use monitor_sinks::store::StoreError;

use super::session::Base;
use crate::auth::{Caller, Role};
use crate::problem::Problem;
use crate::query::FilterError;
use crate::time::show;

/// The pages of the navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Overview,
    Errors,
    Performance,
    Alerts,
    Audit,
}

const NAV: [(Nav, &str, &str); 5] = [
    (Nav::Overview, "/", "Overview"),
    (Nav::Errors, "/errors", "Errors"),
    (Nav::Performance, "/performance", "Performance"),
    (Nav::Alerts, "/alerts", "Alerts"),
    (Nav::Audit, "/audit", "Audit"),
];

/// Who is looking, and where the dashboard is mounted.
pub(crate) struct Viewer {
    pub(crate) base: Base,
    pub(crate) caller: Caller,
}

impl Viewer {
    /// Whether the caller's role may do what `needed` may: what it may
    /// not is not offered.
    pub(crate) fn may(&self, needed: Role) -> bool {
        self.caller.role.may(needed)
    }
}

fn head(base: &Base, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="color-scheme" content="light dark";
            title { (title) " · monitor" }
            link rel="stylesheet" href=(base.to("/assets/dashboard.css"));
            script src=(base.to("/assets/dashboard.js")) defer {}
        }
    }
}

/// A page with the navigation, `active` marked.
pub(crate) fn page(viewer: &Viewer, active: Nav, title: &str, body: Markup) -> Html<String> {
    let base = &viewer.base;
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                (head(base, title))
                body {
                    a.skip href="#main" { "Skip to the content" }
                    header.top {
                        nav aria-label="Pages" {
                            span.brand { "monitor" }
                            @for (nav, path, label) in NAV {
                                @if nav == active {
                                    a href=(base.to(path)) aria-current="page" { (label) }
                                } @else {
                                    a href=(base.to(path)) { (label) }
                                }
                            }
                        }
                        form.who method="post" action=(base.to("/logout")) {
                            span { (viewer.caller.name) " · " (viewer.caller.role.as_str()) }
                            button type="submit" { "Sign out" }
                        }
                    }
                    main #main {
                        h1 { (title) }
                        (body)
                    }
                }
            }
        }
        .into_string(),
    )
}

/// The sign-in page, with `message` when a token was refused.
pub(crate) fn sign_in(base: &Base, message: Option<&str>) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                (head(base, "Sign in"))
                body {
                    main #main .narrow {
                        h1 { "Sign in" }
                        p { "Paste an API token (" code { "monitor token new" } " makes one). Its role decides what you may do here." }
                        @if let Some(message) = message {
                            p.error role="alert" { (message) }
                        }
                        form method="post" action=(base.to("/login")) {
                            label for="token" { "Token" }
                            input #token type="password" name="token" autocomplete="current-password" required autofocus;
                            button type="submit" { "Sign in" }
                        }
                    }
                }
            }
        }
        .into_string(),
    )
}

/// A page that could not be shown, as HTML with its status.
#[derive(Debug)]
pub(crate) struct PageError {
    status: StatusCode,
    detail: String,
}

impl PageError {
    pub(crate) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        PageError { status, detail: detail.into() }
    }
}

impl From<Problem> for PageError {
    fn from(problem: Problem) -> Self {
        PageError::new(problem.status, problem.detail)
    }
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        Problem::from(error).into()
    }
}

impl From<FilterError> for PageError {
    fn from(error: FilterError) -> Self {
        Problem::from(error).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let reason = self.status.canonical_reason().unwrap_or("Error");
        let body = html! {
            (DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; meta name="viewport" content="width=device-width, initial-scale=1"; title { (reason) } }
                body {
                    main #main {
                        h1 { (self.status.as_u16()) " " (reason) }
                        p.error role="alert" { (self.detail) }
                        p { a href="javascript:history.back()" { "Back" } }
                    }
                }
            }
        };
        (self.status, Html(body.into_string())).into_response()
    }
}

/// What a page handler answers.
pub(crate) type PageResult<T> = Result<T, PageError>;

/// A time, in UTC, with its machine-readable form for the browser.
pub(crate) fn when(at: SystemTime) -> Markup {
    let text = show(at);
    html! { time datetime=(text) { (text.replace('T', " ").trim_end_matches('Z')) } }
}

/// A severity as a coloured badge (the colour is never the only cue: the
/// word is there).
pub(crate) fn severity(severity: Severity) -> Markup {
    html! { span class={ "badge sev-" (severity.as_str()) } { (severity.as_str()) } }
}

/// A status word (group, alert or compliance) as a badge.
pub(crate) fn status(word: &str) -> Markup {
    html! { span class={ "badge status-" (word) } { (word.replace('_', " ")) } }
}

/// A number of things, in words: `1 group`, `3 groups`.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_counts_are_worded() {
        let markup = html! { p { ("<script>alert(1)</script>") } }.into_string();
        assert_eq!(markup, "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
        assert_eq!(count(1, "group", "groups"), "1 group");
        assert_eq!(count(2, "group", "groups"), "2 groups");
        assert!(when(std::time::UNIX_EPOCH).into_string().contains(">1970-01-01 00:00:00<"));
    }
}
