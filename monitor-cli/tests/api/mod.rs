#![allow(dead_code, unreachable_pub)]
//! A `monitor serve` process on a loopback port, and a client that speaks
//! to it over real HTTP with a role's token.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// Tokens of each role, as `MONITOR_API_TOKENS` gives them.
pub const VIEWER: &str = "viewer-token-0123456789abcdef";
pub const OPERATOR: &str = "operator-token-0123456789abcdef";
pub const ADMIN: &str = "admin-token-0123456789abcdef";
pub const WEBHOOK_SECRET: &str = "webhook-secret-of-at-least-32-bytes!";

/// A running `monitor serve`, stopped when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Serves `db` with a token per role (named `audit-viewer`, `ops-bot`,
    /// `admin`) and the webhook secret.
    pub fn start(db: &str) -> Server {
        Server::start_with(db, &[])
    }

    pub fn start_with(db: &str, extra: &[&str]) -> Server {
        let tokens = format!("audit-viewer:viewer:{VIEWER},ops-bot:operator:{OPERATOR},admin:admin:{ADMIN}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_monitor"))
            .args(["serve", "--db", db, "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("MONITOR_API_TOKENS", tokens)
            .env("MONITOR_WEBHOOK_SECRET", WEBHOOK_SECRET)
            .env_remove("MONITOR_API_TOKENS_FILE")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("monitor serve starts");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout is piped")).read_line(&mut first).expect("a first line");
        let base = first
            .trim()
            .rsplit(" at ")
            .next()
            .filter(|url| url.starts_with("http://"))
            .unwrap_or_else(|| panic!("the first line says where it serves: {first:?}"))
            .to_owned();
        Server { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer: status, content type and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text))
    }

    /// Asserts an RFC 9457 problem with `status`; gives its detail.
    pub fn problem(&self, status: u16) -> String {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.content_type, "application/problem+json", "{}", self.text);
        let body = self.json();
        assert_eq!(body["status"], status, "{body}");
        assert!(body["title"].is_string() && body["type"].is_string(), "{body}");
        body["detail"].as_str().expect("a detail").to_owned()
    }
}

/// Calls the server: `method path` with a token and a JSON body.
pub async fn call(server: &Server, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let mut request = client.request(method.parse().unwrap(), server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|value| value.to_str().unwrap().to_owned()).unwrap_or_default();
    Answer { status, content_type, text: response.text().await.unwrap() }
}

/// `GET path` as a viewer, expecting 200; the JSON body.
pub async fn get(server: &Server, path: &str) -> Value {
    let answer = call(server, "GET", path, Some(VIEWER), None).await;
    assert_eq!(answer.status, 200, "GET {path}: {}", answer.text);
    answer.json()
}
