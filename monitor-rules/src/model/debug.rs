//! `Debug` for destinations without their secrets.

use std::fmt;

use super::Target;
use crate::redact::redact_url;

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (variant, url) = match self {
            Target::Slack(url) => ("Slack", url),
            Target::Discord(url) => ("Discord", url),
            Target::Teams(url) => ("Teams", url),
            Target::Webhook(url) => ("Webhook", url),
            Target::Alertmanager(url) => ("Alertmanager", url),
            // Addresses are not secrets, and telling recipients apart matters.
            Target::Email(to) => return f.debug_tuple("Email").field(to).finish(),
            Target::Console => return f.write_str("Console"),
            // Its own Debug hides its URL's secret.
            Target::TemplatedWebhook(template) => return f.debug_tuple("TemplatedWebhook").field(template).finish(),
        };
        f.debug_tuple(variant).field(&redact_url(url)).finish()
    }
}
