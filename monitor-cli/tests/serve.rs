//! `monitor serve`: the HTTP API over real HTTP on loopback, against a
//! store seeded through the real pipeline (SEPA audit records with masked
//! IBANs, scrubbed errors, incidents fired by rules). Each route, each
//! role boundary, the webhook intake's signatures, the live stream's
//! resumption, and `/metrics` as Prometheus's own checker reads it.

mod api;
mod support;

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use api::{ADMIN, OPERATOR, Server, VIEWER, WEBHOOK_SECRET, call, get};
use monitor_server::webhook::WebhookSecret;
use serde_json::{Value, json};
use support::{RAW_IBAN, SECRET, Schema, seed, seed_alerts, seed_operations, store_error};

/// One monitor may be installed per process: seeding takes turns.
static SEEDING: Mutex<()> = Mutex::new(());

fn seeded_sqlite(dir: &tempfile::TempDir) -> String {
    let db = dir.path().join("monitor.db").to_str().unwrap().to_owned();
    let _turn = SEEDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    seed(&db);
    seed_alerts(&db);
    db
}

fn keys(page: &Value) -> Vec<String> {
    page["groups"].as_array().unwrap().iter().map(|group| group["key"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_are_listed_paged_shown_and_triaged_by_role() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&seeded_sqlite(&dir));

    let health = call(&server, "GET", "/health", None, None).await;
    assert_eq!(health.status, 200, "{}", health.text);
    assert_eq!(health.json()["components"]["store"]["status"], "ok");

    // No token, a wrong token: 401 problems that say what to send.
    let detail = call(&server, "GET", "/api/v1/groups", None, None).await.problem(401);
    assert!(detail.contains("Authorization: Bearer"), "{detail}");
    call(&server, "GET", "/api/v1/groups", Some("not-a-known-token-at-all-0000"), None).await.problem(401);

    let all = get(&server, "/api/v1/groups?limit=1000").await;
    let every = keys(&all);
    assert_eq!(every.len(), 9, "4 collect groups of billing, 3 sepa and 2 cards of payments: {all:#}");
    assert!(!all.to_string().contains(SECRET), "the scrubbed secret never leaves the store");

    // Paging: two at a time, every group once.
    let mut paged = Vec::new();
    let mut path = "/api/v1/groups?limit=2".to_owned();
    loop {
        let page = get(&server, &path).await;
        paged.extend(keys(&page));
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/groups?limit=2&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(paged, every);

    // The same filters as the command line.
    let sepa = get(&server, "/api/v1/groups?function=sepa::*&tag=tenant%3Dacme").await;
    assert_eq!(keys(&sepa).len(), 3, "{sepa:#}");
    let warnings = get(&server, "/api/v1/groups?severity=warning").await;
    assert_eq!(keys(&warnings).len(), 2);
    let detail = call(&server, "GET", "/api/v1/groups?severity=loud", Some(VIEWER), None).await.problem(400);
    assert!(detail.contains("unknown severity `loud`"), "{detail}");
    let detail = call(&server, "GET", "/api/v1/groups?modul=x", Some(VIEWER), None).await.problem(400);
    assert!(detail.contains("unknown filter `modul`"), "{detail}");

    let key = &keys(&sepa)[0];
    let one = get(&server, &format!("/api/v1/groups/{key}")).await;
    assert_eq!(one["group"]["key"], key.as_str());
    let events = get(&server, &format!("/api/v1/groups/{key}/events")).await;
    assert_eq!(events["events"].as_array().unwrap().len(), 1);
    assert_eq!(events["events"][0]["tags"]["tenant"], "acme");
    call(&server, "GET", "/api/v1/groups/00000000000000ff", Some(VIEWER), None).await.problem(404);
    call(&server, "GET", "/api/v1/groups/payments", Some(VIEWER), None).await.problem(400);
    let errors = get(&server, "/api/v1/events?min_severity=error&limit=100").await;
    assert!(errors["events"].as_array().unwrap().iter().all(|event| event["severity"] != "warning"));

    // A viewer may not triage; an operator may, and is the actor.
    let resolve = json!({ "status": "resolved", "note": "fixed in 2.4.1" });
    let path = format!("/api/v1/groups/{key}");
    let detail = call(&server, "PATCH", &path, Some(VIEWER), Some(resolve.clone())).await.problem(403);
    assert!(detail.contains("operator role") && detail.contains("viewer"), "{detail}");
    let changed = call(&server, "PATCH", &path, Some(OPERATOR), Some(resolve.clone())).await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.json()["group"]["status"], "resolved");
    let history = get(&server, &path).await["history"].clone();
    assert!(history.as_array().unwrap().iter().any(|entry| entry["by"] == "ops-bot" && entry["to"] == "resolved"));
    let audited = get(&server, "/api/v1/audit?actor=ops-bot").await;
    assert_eq!(audited["records"].as_array().unwrap().len(), 1, "the change is audited under the token's name");
    let bad = call(&server, "PATCH", &path, Some(OPERATOR), Some(json!({ "status": "done" }))).await.problem(400);
    assert!(bad.contains("unknown status `done`"), "{bad}");
    call(&server, "PATCH", &path, Some(OPERATOR), Some(json!({ "colour": "red" }))).await.problem(422);
    call(&server, "PATCH", &path, Some(OPERATOR), Some(json!({}))).await.problem(400);

    // Bulk: filters (or all=true) are required; the count comes back.
    let detail = call(&server, "PATCH", "/api/v1/groups", Some(OPERATOR), Some(json!({ "status": "ignored" }))).await;
    assert!(detail.problem(400).contains("all=true"));
    let bulk = call(
        &server,
        "PATCH",
        "/api/v1/groups?function=cards::*",
        Some(OPERATOR),
        Some(json!({ "assignee": "carol" })),
    )
    .await;
    assert_eq!(bulk.status, 200, "{}", bulk.text);
    assert_eq!((bulk.json()["matched"].as_u64(), bulk.json()["changed"].as_u64()), (Some(2), Some(2)));
    let carol = get(&server, "/api/v1/groups?assignee=carol").await;
    assert_eq!(keys(&carol).len(), 2);

    // A body over the limit is refused before it is read.
    let huge = json!({ "note": "x".repeat(100 * 1024) });
    call(&server, "PATCH", &path, Some(OPERATOR), Some(huge)).await.problem(413);
    call(&server, "GET", "/api/v1/nothing-here", Some(VIEWER), None).await.problem(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_audit_and_performance_answer_with_masks_kept() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&seeded_sqlite(&dir));

    let firing = get(&server, "/api/v1/alerts").await;
    let alerts = firing["alerts"].as_array().unwrap().clone();
    assert!(!alerts.is_empty() && alerts.iter().all(|alert| alert["status"] == "active"), "{firing:#}");
    let card = alerts.iter().find(|alert| alert["rule"] == "card_trouble").expect("card_trouble fired");
    let ack = format!("/api/v1/alerts/{}/ack", card["id"]);
    call(&server, "POST", &ack, Some(VIEWER), Some(json!({}))).await.problem(403);
    let acked = call(&server, "POST", &ack, Some(OPERATOR), Some(json!({ "comment": "gateway swap" }))).await;
    assert_eq!(acked.status, 200, "{}", acked.text);
    let acked = acked.json();
    assert_eq!((acked["changed"].clone(), acked["alert"]["acknowledged_by"].clone()), (json!(true), json!("ops-bot")));
    assert_eq!(acked["alert"]["ack_comment"], "gateway swap");
    let again = call(&server, "POST", &ack, Some(OPERATOR), None).await.json();
    assert_eq!(again["changed"], false);
    let one = get(&server, &format!("/api/v1/alerts/{}", card["id"])).await;
    assert_eq!(one["alert"]["status"], "acknowledged");
    assert_eq!(get(&server, "/api/v1/alerts?status=acknowledged").await["alerts"].as_array().unwrap().len(), 1);
    call(&server, "POST", "/api/v1/alerts/999999/ack", Some(OPERATOR), None).await.problem(404);
    call(&server, "GET", "/api/v1/alerts?status=loud", Some(VIEWER), None).await.problem(400);

    let records = get(&server, "/api/v1/audit?process=sepa_mandate_creation&limit=5").await;
    assert_eq!(records["records"].as_array().unwrap().len(), 5);
    let next = records["next_after"].as_i64().expect("a full page has a next");
    let rest = get(&server, &format!("/api/v1/audit?process=sepa_mandate_creation&after={next}&limit=100")).await;
    assert_eq!(rest["records"].as_array().unwrap().len(), 11, "16 records in all");
    assert!(!records.to_string().contains(RAW_IBAN) && !rest.to_string().contains(RAW_IBAN), "IBANs stay masked");
    let failed = get(&server, "/api/v1/audit?compliance=failed").await;
    assert_eq!(failed["records"].as_array().unwrap().len(), 4);
    let summary = get(&server, "/api/v1/audit/summary?since=1d").await;
    let sepa =
        summary["processes"].as_array().unwrap().iter().find(|p| p["process"] == "sepa_mandate_creation").cloned();
    let sepa = sepa.expect("the SEPA process is summarised");
    assert_eq!((sepa["compliant"].as_u64(), sepa["failed"].as_u64()), (Some(12), Some(4)));
    let verify = get(&server, "/api/v1/audit/verify").await;
    assert_eq!(verify["intact"], true, "{verify:#}");

    // Exports and retention are an admin's.
    let export = "/api/v1/audit/export?process=sepa_mandate_creation&format=csv";
    call(&server, "GET", export, Some(OPERATOR), None).await.problem(403);
    let csv = call(&server, "GET", export, Some(ADMIN), None).await;
    assert_eq!((csv.status, csv.content_type.as_str()), (200, "text/csv; charset=utf-8"), "{}", csv.text);
    assert_eq!(csv.text.lines().count(), 17, "a header and 16 records: {}", csv.text);
    assert!(!csv.text.contains(RAW_IBAN), "masks hold in exports");
    let pdf = reqwest::Client::new()
        .get(server.url("/api/v1/audit/export?format=pdf"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    call(&server, "GET", "/api/v1/audit/export?format=docx", Some(ADMIN), None).await.problem(400);
    let policy = json!({ "max_age": "1h" });
    call(&server, "POST", "/api/v1/retention/plan", Some(OPERATOR), Some(policy.clone())).await.problem(403);
    let plan = call(&server, "POST", "/api/v1/retention/plan", Some(ADMIN), Some(policy.clone())).await;
    assert_eq!(plan.status, 200, "{}", plan.text);
    assert_eq!(plan.json()["events"]["age"], 0, "everything is younger than an hour: {}", plan.text);
    let detail =
        call(&server, "POST", "/api/v1/retention/apply", Some(ADMIN), Some(json!({ "max_age": "soon" }))).await;
    assert!(detail.problem(400).contains("not valid"));
    let applied = call(&server, "POST", "/api/v1/retention/apply", Some(ADMIN), Some(policy)).await;
    assert_eq!(applied.status, 200, "{}", applied.text);

    let performance = get(&server, "/api/v1/performance?hours=2").await;
    let functions = performance["functions"].as_array().unwrap();
    let submit = functions.iter().find(|f| f["function"] == "submit").expect("sepa::submit has call counts");
    assert_eq!((submit["calls"].as_u64(), submit["errors"].as_u64()), (Some(3), Some(3)), "{submit:#}");
    assert_eq!(submit["error_rate"], 1.0);
    call(&server, "GET", "/api/v1/performance?hours=0", Some(VIEWER), None).await.problem(400);
}

/// A delivery signed as a sender signs it.
async fn deliver(server: &Server, body: &str, timestamp: u64, signature: Option<String>) -> api::Answer {
    let secret = WebhookSecret::new(WEBHOOK_SECRET).unwrap();
    let signature = signature.unwrap_or_else(|| secret.sign(timestamp, body.as_bytes()));
    let response = reqwest::Client::new()
        .post(server.url("/api/v1/webhook/receive"))
        .header("content-type", "application/json")
        .header("x-monitor-timestamp", timestamp.to_string())
        .header("x-monitor-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    api::Answer { status, content_type, text: response.text().await.unwrap() }
}

fn now_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Events of `search` once the server's monitor has stored them.
async fn stored(server: &Server, search: &str, expected: usize) -> Vec<Value> {
    for _ in 0..100 {
        let events = get(server, &format!("/api/v1/events?{search}")).await["events"].as_array().unwrap().clone();
        if events.len() >= expected {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {expected} events of {search} were stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_alerts_become_events_once_and_the_rest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&seeded_sqlite(&dir));
    let now = now_seconds();

    let generic = r#"{"title": "Nightly SEPA export failed", "severity": "error", "source": "scheduler", "details": "exit code 3", "tags": {"job": "sepa-export"}}"#;
    let taken = deliver(&server, generic, now, None).await;
    assert_eq!((taken.status, taken.json()["received"].as_u64()), (202, Some(1)), "{}", taken.text);
    let events = stored(&server, "text=export&function=Nightly*", 1).await;
    assert_eq!(events[0]["message"], "Nightly SEPA export failed: exit code 3");
    assert_eq!(
        (events[0]["module"].clone(), events[0]["tags"]["job"].clone()),
        (json!("webhook::scheduler"), json!("sepa-export"))
    );

    let alertmanager = r#"{"version": "4", "receiver": "monitor", "status": "firing", "groupKey": "{}:{alertname=\"DiskFull\"}",
        "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull", "severity": "critical", "instance": "db-1"},
                    "annotations": {"summary": "disk /var is 97% full on db-1"}, "startsAt": "2026-12-03T10:00:00Z"}]}"#;
    assert_eq!(deliver(&server, alertmanager, now, None).await.status, 202);
    let disk = stored(&server, "module=webhook::alertmanager", 1).await;
    assert_eq!((disk[0]["severity"].clone(), disk[0]["function"].clone()), (json!("critical"), json!("DiskFull")));

    // The same delivery again, a stale one, a forged one, an unsigned one.
    deliver(&server, generic, now, None).await.problem(409);
    let detail = deliver(&server, generic, now - 600, None).await.problem(401);
    assert!(detail.contains("replay window"), "{detail}");
    let forged = WebhookSecret::new("some-other-secret-of-at-least-32-b").unwrap().sign(now, generic.as_bytes());
    deliver(&server, generic, now + 1, Some(forged)).await.problem(401);
    let unsigned =
        reqwest::Client::new().post(server.url("/api/v1/webhook/receive")).body(generic).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    // A sender that cannot sign sends an operator's token; a viewer's will not do.
    let with_token = |token: &'static str| {
        reqwest::Client::new()
            .post(server.url("/api/v1/webhook/receive"))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(alertmanager.replace("DiskFull", "MemoryLow"))
            .send()
    };
    assert_eq!(with_token(VIEWER).await.unwrap().status(), 403);
    assert_eq!(with_token("an-unknown-token-of-enough-length").await.unwrap().status(), 401);
    assert_eq!(with_token(OPERATOR).await.unwrap().status(), 202);
    assert_eq!(stored(&server, "function=MemoryLow", 1).await.len(), 1);
    let detail = deliver(&server, r#"{"severity": "error"}"#, now + 2, None).await.problem(400);
    assert!(detail.contains("title"), "{detail}");
    let big = format!(r#"{{"title": "big", "details": "{}"}}"#, "x".repeat(300 * 1024));
    deliver(&server, &big, now + 3, None).await.problem(413);
    // Only the three accepted deliveries were stored.
    assert_eq!(stored(&server, "module=webhook::*", 3).await.len(), 3);
}

/// The messages of a live stream as (kind, id, data), read until `wanted`
/// of `kind` came or the time is up.
async fn read_stream(response: &mut reqwest::Response, kind: &str, wanted: usize) -> Vec<(String, String, Value)> {
    let mut text = String::new();
    let mut messages = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while messages.iter().filter(|(k, _, _): &&(String, String, Value)| k == kind).count() < wanted {
        let chunk = tokio::time::timeout_at(deadline, response.chunk()).await.expect("the stream sends in time");
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap().expect("the stream stays open")));
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let field =
                |name: &str| block.lines().find_map(|line| line.strip_prefix(name).map(|rest| rest.trim().to_owned()));
            if let (Some(kind), Some(data)) = (field("event:"), field("data:")) {
                messages.push((kind, field("id:").unwrap_or_default(), serde_json::from_str(&data).unwrap()));
            }
        }
    }
    messages
}

async fn open_stream(server: &Server, last_event_id: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(server.url("/api/v1/stream")).bearer_auth(VIEWER);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_sends_new_events_and_resumes_from_the_last_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_sqlite(&dir);
    let server = Server::start(&db);
    let store = |message: &'static str| {
        let db = db.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = SEEDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            store_error(&db, message);
        })
    };

    let mut stream = open_stream(&server, None).await;
    store("the clearing house was unreachable at 09:00").await.unwrap();
    let first = read_stream(&mut stream, "event", 1).await;
    let (_, id, event) = first.iter().find(|(kind, _, _)| kind == "event").unwrap().clone();
    assert_eq!(event["message"], "the clearing house was unreachable at 09:00");
    assert!(first.iter().any(|(kind, _, data)| kind == "group.new" && data["group"] == event["group"]), "{first:?}");
    drop(stream);

    // Stored while nobody listened: the resumed stream starts with it.
    store("the clearing house was unreachable at 10:00").await.unwrap();
    let mut resumed = open_stream(&server, Some(&id)).await;
    let missed = read_stream(&mut resumed, "event", 1).await;
    let events: Vec<&Value> = missed.iter().filter(|(kind, _, _)| kind == "event").map(|(_, _, data)| data).collect();
    assert_eq!(events[0]["message"], "the clearing house was unreachable at 10:00", "{missed:?}");
    assert!(!missed.iter().any(|(kind, _, _)| kind == "group.new"), "same template: not a new group");

    // A triage change comes as group.status.
    let key = events[0]["group"].as_str().unwrap().to_owned();
    let change = json!({ "status": "investigating" });
    assert_eq!(
        call(&server, "PATCH", &format!("/api/v1/groups/{key}"), Some(OPERATOR), Some(change)).await.status,
        200
    );
    let news = read_stream(&mut resumed, "group.status", 1).await;
    assert!(news.iter().any(|(kind, _, data)| kind == "group.status" && data["status"] == "investigating"));

    let bad = reqwest::Client::new()
        .get(server.url("/api/v1/stream"))
        .bearer_auth(VIEWER)
        .header("last-event-id", "42")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let anonymous = reqwest::Client::new().get(server.url("/api/v1/stream")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_pass_promtool_and_the_openapi_document_matches_the_routes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&seeded_sqlite(&dir));
    // Some traffic first, so request metrics exist.
    get(&server, "/api/v1/groups").await;
    call(&server, "GET", "/api/v1/groups", None, None).await;

    let metrics = call(&server, "GET", "/metrics", None, None).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.text.contains("monitor_http_requests_total"), "{}", metrics.text);
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool runs (Debian: prometheus); scripts/test installs it");
    use std::io::Write;
    promtool.stdin.take().unwrap().write_all(metrics.text.as_bytes()).unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    let document = call(&server, "GET", "/api/v1/openapi.json", None, None).await.json();
    assert_eq!(document["openapi"], "3.1.0");
    let documented: BTreeSet<String> = document["paths"].as_object().unwrap().keys().cloned().collect();
    let served: BTreeSet<String> = [
        "/health",
        "/metrics",
        "/api/v1/openapi.json",
        "/api/v1/groups",
        "/api/v1/groups/{key}",
        "/api/v1/groups/{key}/events",
        "/api/v1/events",
        "/api/v1/performance",
        "/api/v1/alerts",
        "/api/v1/alerts/{id}",
        "/api/v1/alerts/{id}/ack",
        "/api/v1/audit",
        "/api/v1/audit/summary",
        "/api/v1/audit/verify",
        "/api/v1/audit/export",
        "/api/v1/retention/plan",
        "/api/v1/retention/apply",
        "/api/v1/stream",
        "/api/v1/webhook/receive",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(documented, served);

    // Each documented GET answers, without a token and with one, with a
    // status the document names for it.
    let some_key = get(&server, "/api/v1/groups?limit=1").await["groups"][0]["key"].as_str().unwrap().to_owned();
    let some_alert = get(&server, "/api/v1/alerts").await["alerts"][0]["id"].to_string();
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(operation) = item.get("get") else { continue };
        if path == "/api/v1/stream" {
            continue; // read by its own test; it does not end
        }
        let concrete = path.replace("{key}", &some_key).replace("{id}", &some_alert);
        for token in [None, Some(ADMIN)] {
            let answer = call(&server, "GET", &concrete, token, None).await;
            let status = answer.status.to_string();
            assert!(
                operation["responses"].get(&status).is_some(),
                "GET {path} answered {status}, which the document does not name: {}",
                answer.text
            );
            if answer.status >= 400 {
                answer.problem(answer.status);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_store_is_served_alike() {
    let schema = Schema::new("serve");
    let url = schema.url();
    {
        let _turn = SEEDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        seed_operations(&url);
    }
    let server = Server::start(&url);
    let groups = get(&server, "/api/v1/groups?tag=tenant%3Dglobex").await;
    assert_eq!(keys(&groups).len(), 2, "{groups:#}");
    let key = &keys(&groups)[0];
    let changed =
        call(&server, "PATCH", &format!("/api/v1/groups/{key}"), Some(OPERATOR), Some(json!({ "status": "ignored" })))
            .await;
    assert_eq!(changed.json()["group"]["status"], "ignored", "{}", changed.text);
    let health = get(&server, "/health").await;
    assert!(health["components"]["store"]["store"].as_str().unwrap().contains("PostgreSQL"), "{health:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_off_unless_an_origin_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_sqlite(&dir);
    let preflight = |server: &Server| {
        reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, server.url("/api/v1/groups"))
            .header("origin", "https://ops.example.com")
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let closed = Server::start(&db);
    let answer = preflight(&closed).await.unwrap();
    assert!(answer.headers().get("access-control-allow-origin").is_none(), "{:?}", answer.headers());
    drop(closed);

    let open = Server::start_with(&db, &["--cors-origin", "https://ops.example.com"]);
    let answer = preflight(&open).await.unwrap();
    assert_eq!(answer.headers()["access-control-allow-origin"], "https://ops.example.com");
    let other = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, open.url("/api/v1/groups"))
        .header("origin", "https://elsewhere.example.com")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none(), "only the given origin");
}
