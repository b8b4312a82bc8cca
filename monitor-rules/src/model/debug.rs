//! `Debug` for destinations without their secrets.

use std::fmt;

use super::Target;
use crate::redact::{DISCORD_PATH, SLACK_PATH, redact_url};

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (variant, url, public_path) = match self {
            Target::Slack(url) => ("Slack", url, SLACK_PATH),
            Target::Discord(url) => ("Discord", url, DISCORD_PATH),
            Target::Teams(url) => ("Teams", url, ""),
            Target::Webhook(url) => ("Webhook", url, ""),
            // Addresses are not secrets, and telling recipients apart matters.
            Target::Email(to) => return f.debug_tuple("Email").field(to).finish(),
            Target::Console => return f.write_str("Console"),
        };
        f.debug_tuple(variant).field(&redact_url(url, public_path)).finish()
    }
}
