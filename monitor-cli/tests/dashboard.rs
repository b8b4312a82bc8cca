//! The dashboard in a real browser: `monitor serve` on loopback over a
//! store seeded through the real pipeline, Debian's chromium driven over
//! WebDriver. Each page shows the seeded groups, incidents and audit
//! records (masks and scrubbing kept); a search narrows the list; an
//! operator resolves a group and acknowledges an incident under their
//! token's name; a new error reaches the open overview without a reload;
//! a viewer is offered no change, and a change posted anyway is refused.
//! Each test saves screenshots under `target/dashboard-screenshots/`.

mod api;
mod browser;
mod support;

use api::{ADMIN, OPERATOR, Server, VIEWER, call, get};
use browser::Browser;
use support::{RAW_IBAN, SECRET, seed, seed_alerts, store_error};

/// One monitor may be installed per process: seeding takes turns.
static SEEDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
/// Browsers take turns too: two cores run one chromium well, not four.
static BROWSING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn seeded(dir: &tempfile::TempDir) -> String {
    let db = dir.path().join("monitor.db").to_str().unwrap().to_owned();
    let _turn = SEEDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    seed(&db);
    seed_alerts(&db);
    db
}

/// Signs in with `token` through the form, as a person would.
async fn sign_in(browser: &Browser, server: &Server, token: &str) {
    browser.goto(&server.url("/dashboard/")).await;
    assert!(browser.path().await.ends_with("/dashboard/login"), "a browser without a cookie is sent to sign in");
    browser.type_into("#token", token).await;
    browser.click("form button[type=submit]").await;
    browser.wait_for_text("main h1", "Overview").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_shows_the_seeded_store_and_a_search_narrows_the_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&seeded(&dir));
    let _turn = BROWSING.lock().await;
    let browser = Browser::start().await;

    // A wrong token is told so, and signs nobody in.
    browser.goto(&server.url("/dashboard/login")).await;
    browser.type_into("#token", "not-a-known-token-at-all-0000").await;
    browser.click("form button[type=submit]").await;
    browser.wait_for_text("p.error", "not known").await;
    sign_in(&browser, &server, ADMIN).await;

    let errors: u64 = browser.text("#errors-24h .value").await.parse().unwrap();
    assert!(errors >= 9, "the seeded errors are counted: {errors}");
    let firing = get(&server, "/api/v1/alerts").await["alerts"].as_array().unwrap().len();
    assert!(firing > 0);
    assert_eq!(browser.text("#alerts-firing .value").await, firing.to_string(), "as the API counts them");
    assert_eq!(browser.text("#audit-failures .value").await, "4");
    assert!(browser.count(".chart svg rect.bar").await > 0, "the chart draws the seeded hour");
    assert!(browser.count("ol.top li").await >= 5);
    assert!(browser.count("#live-feed li").await > 0);
    assert!(browser.count("#slowest li").await > 0, "the slowest functions of the seeded calls");
    assert_eq!(browser.text("#reopened .value").await, "0", "nothing resolved came back");
    browser.screenshot("overview").await;
    // The chart's range: 7 days in 6-hour bars.
    browser.click("nav.ranges a[href$='range=7d']").await;
    browser.wait_for_text("figure.chart figcaption", "in the last 7 days").await;
    assert!(browser.text("figure.chart figcaption").await.contains("in 6 hours"));
    browser.click("nav.ranges a[href$='range=24h']").await;
    browser.wait_for_text("figure.chart figcaption", "in the last 24 hours").await;
    // At a phone's width the cards, chart and lists stack, with no page
    // wider than the screen.
    browser.client.set_window_size(390, 844).await.unwrap();
    let overflow = browser.run("return document.documentElement.scrollWidth <= window.innerWidth;").await;
    assert_eq!(overflow, true, "nothing is wider than a phone's screen");
    browser.screenshot("overview-phone").await;
    browser.client.set_window_size(1280, 900).await.unwrap();

    browser.click("header nav a[href$='/errors']").await;
    browser.wait_for_text("main h1", "Errors").await;
    assert_eq!(browser.count("#groups tbody tr").await, 9, "4 groups of billing, 3 sepa and 2 cards of payments");
    let page = browser.source().await;
    assert!(page.contains("card declined by the issuer") && !page.contains(SECRET), "scrubbed secrets stay so");
    browser.type_into("input[name=text]", "cut-off").await;
    browser.click("form.filters button[type=submit]").await;
    browser.wait_for_text("#result-count", "1 group").await;
    assert!(browser.path().await.contains("text=cut-off"), "the URL keeps the search");
    assert!(browser.text("#groups").await.contains("cut-off"));
    browser.screenshot("errors-searched").await;
    // The API's other filters are under "More filters", kept in the URL too.
    browser.click("details.more summary").await;
    browser.type_into("input[name=service]", "no-such-service").await;
    browser.click("form.filters button[type=submit]").await;
    browser.wait_for_text("main", "No group matches").await;
    let path = browser.path().await;
    assert!(path.contains("service=no-such-service") && path.contains("text=cut-off"), "{path}");
    assert_eq!(browser.run("return document.querySelector('details.more').open;").await, true, "shown open");
    browser.goto(&server.url("/dashboard/errors?text=cut-off")).await;

    browser.click("#groups a.template").await;
    browser.wait_for_text("main h1", "Group").await;
    assert!(browser.text("#template").await.contains("cut-off"));
    assert!(browser.text("details.event").await.contains("tenant"), "an event shows its context and tags");
    assert!(browser.count("#triage-resolved").await == 1, "an admin may resolve");
    browser.screenshot("group").await;

    browser.click("header nav a[href$='/performance']").await;
    browser.wait_for_text("main h1", "Performance").await;
    let functions = browser.text("#functions").await;
    assert!(functions.contains("collect") && functions.contains("submit"), "{functions}");
    // The most called function's latency and error rate, hour by hour.
    assert!(browser.text("#function-charts h2").await.starts_with("Latency of"));
    assert_eq!(browser.count("#function-charts figure.chart").await, 2, "latency and error rate");
    assert!(browser.count("#function-charts circle.p95").await > 0, "the seeded hour's p95");
    let chosen = browser.text("#functions tbody tr:last-child a").await;
    browser.click("#functions tbody tr:last-child a").await;
    browser.wait_for_text("#function-charts h2", &chosen).await;
    assert!(browser.path().await.contains("function="), "the URL keeps the function");
    browser.screenshot("performance").await;

    browser.click("header nav a[href$='/alerts']").await;
    browser.wait_for_text("main h1", "Alerts").await;
    let alerts = browser.text("main").await;
    assert!(alerts.contains("new_kind_of_error") && alerts.contains("card_trouble"), "{alerts}");
    browser.screenshot("alerts").await;

    browser.click("header nav a[href$='/audit']").await;
    browser.wait_for_text("main h1", "Audit").await;
    browser.wait_for_text("#chain-state", "Chain intact").await;
    assert!(browser.text("#compliance").await.contains("sepa_mandate_creation"));
    assert!(browser.count("#compliance-chart rect.cmp-failed").await > 0, "today's failed records, in the chart");
    let caption = browser.text("#compliance-chart figcaption").await;
    let charted: u64 = caption.split(": ").nth(1).and_then(|rest| rest.split(' ').next()).unwrap().parse().unwrap();
    assert!(charted >= 16, "the seeded records, day by day: {caption}");
    let records = browser.count("#audit-records tbody tr").await;
    assert!(records >= 16, "the 16 seeded records: {records}");
    let page = browser.source().await;
    assert!(page.contains("Müller &amp; Söhne &lt;GmbH&gt;"), "text is shown escaped");
    assert!(!page.contains(RAW_IBAN), "a masked IBAN stays masked");
    browser.type_into("input[name=process]", "sepa_mandate_creation").await;
    browser.click("form.filters select[name=compliance] option[value=failed]").await;
    browser.click("form.filters button[type=submit]").await;
    browser.wait_for_text("#record-count", "4 records").await;
    assert!(browser.path().await.contains("compliance=failed"));
    browser.screenshot("audit").await;

    // An admin downloads what the filters select; the file keeps the masks.
    assert_eq!(browser.count("#exports a.export").await, 4, "CSV, Excel, PDF and NDJSON links");
    let page = browser.source().await;
    let csv_link = page
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.contains("/audit/export") && href.contains("format=csv"))
        .expect("a CSV export link")
        .replace("&amp;", "&");
    assert!(csv_link.contains("compliance=failed"), "the link keeps the filters: {csv_link}");
    let csv = reqwest::Client::new()
        .get(server.url(&csv_link))
        .header("cookie", format!("monitor_dashboard={ADMIN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().count(), 5, "a header and the 4 failed records: {csv}");
    assert!(!csv.contains(RAW_IBAN));

    // Signing out clears the cookie: the pages send to the sign-in again.
    browser.click("form.who button").await;
    browser.wait_for_text("main h1", "Sign in").await;
    browser.goto(&server.url("/dashboard/errors")).await;
    assert!(browser.path().await.ends_with("/dashboard/login"));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_resolves_a_group_and_acknowledges_an_incident_under_their_name() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&seeded(&dir));
    let _turn = BROWSING.lock().await;
    let browser = Browser::start().await;
    sign_in(&browser, &server, OPERATOR).await;

    browser.goto(&server.url("/dashboard/errors?text=cut-off")).await;
    browser.click("#groups a.template").await;
    let key = browser.path().await.rsplit('/').next().unwrap().to_owned();
    assert_eq!(browser.text("#group-status").await, "open");
    browser.type_into("textarea[name=note]", "fixed by the retry in release 42").await;
    browser.click("#triage-resolved").await;
    browser.wait_for_text("#group-status", "resolved").await;
    assert!(browser.text("#history").await.contains("ops-bot"), "the history names who");
    browser.screenshot("group-resolved").await;

    let stored = get(&server, &format!("/api/v1/groups/{key}")).await;
    assert_eq!(stored["group"]["status"], "resolved", "{stored:#}");
    let history = stored["history"].as_array().unwrap();
    assert!(history.iter().all(|entry| entry["by"] == "ops-bot"), "{stored:#}");
    assert!(history.iter().any(|entry| entry["to"] == "fixed by the retry in release 42"), "{stored:#}");

    // Both card warnings selected and ignored at once; the list keeps its filter.
    browser.goto(&server.url("/dashboard/errors?severity=warning")).await;
    browser.wait_for_text("#result-count", "2 groups").await;
    browser.click("#groups tbody tr:nth-child(1) input[type=checkbox]").await;
    browser.click("#groups tbody tr:nth-child(2) input[type=checkbox]").await;
    browser.screenshot("errors-selected").await;
    browser.click("#bulk-ignored").await;
    browser.wait_for_text("#groups", "ignored").await;
    assert!(browser.path().await.ends_with("/dashboard/errors?severity=warning"));
    let warnings = get(&server, "/api/v1/groups?severity=warning").await;
    let warnings = warnings["groups"].as_array().unwrap();
    assert_eq!(warnings.len(), 2);
    assert!(warnings.iter().all(|group| group["status"] == "ignored"), "{warnings:#?}");
    // A search from there keeps the filter the form has no field for.
    browser.type_into("input[name=text]", "declined").await;
    browser.click("form.filters button[type=submit]").await;
    browser.wait_for_text("#result-count", "1 group").await;
    let path = browser.path().await;
    assert!(path.contains("severity=warning") && path.contains("text=declined"), "{path}");

    browser.goto(&server.url("/dashboard/alerts")).await;
    let incident = browser.client.find(fantoccini::Locator::Css("article.incident")).await.unwrap();
    let id = incident.attr("id").await.unwrap().unwrap().trim_start_matches("alert-").to_owned();
    browser.type_into(&format!("#alert-{id} input[name=comment]"), "looking at the card gateway").await;
    browser.click(&format!("#alert-{id} form.ack button")).await;
    browser.wait_for_text(&format!("#alert-{id} .ack"), "Acknowledged by ops-bot").await;
    assert_eq!(browser.count(&format!("#alert-{id} form.ack")).await, 0, "acknowledged once");
    browser.screenshot("alert-acknowledged").await;

    let alert = get(&server, &format!("/api/v1/alerts/{id}")).await;
    assert_eq!(alert["alert"]["acknowledged_by"], "ops-bot", "{alert:#}");
    assert_eq!(alert["alert"]["ack_comment"], "looking at the card gateway");
    // The rule's mean time to acknowledge now counts this incident.
    let rule = alert["alert"]["rule"].as_str().unwrap();
    let mtta = browser.text(&format!("#alert-stats tr[data-rule='{rule}'] td.mtta")).await;
    assert!(mtta.ends_with(" s") && mtta != "—", "a time to acknowledge for {rule}: {mtta:?}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_error_appears_on_the_open_overview_without_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded(&dir);
    let server = Server::start(&db);
    let _turn = BROWSING.lock().await;
    let browser = Browser::start().await;
    sign_in(&browser, &server, VIEWER).await;
    browser.wait_for_text("#live-state", "live").await;
    // A mark on this page: a reload would lose it.
    browser.run("window.notReloaded = true;").await;
    let errors_before: u64 = browser.text("#errors-24h .value").await.parse().unwrap();

    let message = "settlement file rejected: checksum mismatch 7731";
    tokio::task::spawn_blocking(move || {
        let _turn = SEEDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        store_error(&db, message);
    })
    .await
    .unwrap();
    browser.wait_for_text("#live-feed li:first-child", message).await;
    // The cards are read again after the news: the new error is counted.
    browser.wait_for_text("#errors-24h .value", &(errors_before + 1).to_string()).await;
    assert_eq!(browser.run("return window.notReloaded === true;").await, true, "the page was not reloaded");
    browser.screenshot("overview-live").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_is_offered_no_change_and_a_change_is_refused_anyway() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&seeded(&dir));
    let key = get(&server, "/api/v1/groups?limit=1").await["groups"][0]["key"].as_str().unwrap().to_owned();
    let _turn = BROWSING.lock().await;
    let browser = Browser::start().await;
    sign_in(&browser, &server, VIEWER).await;

    browser.goto(&server.url(&format!("/dashboard/groups/{key}"))).await;
    browser.wait_for_text("main h1", "Group").await;
    assert!(browser.count("details.event pre.backtrace").await > 0, "the group's first event shows its backtrace");
    assert_eq!(browser.count("form.triage").await, 0, "no triage form for a viewer");
    assert_eq!(browser.count("#triage-resolved").await, 0, "no resolve button for a viewer");
    browser.goto(&server.url("/dashboard/errors")).await;
    browser.wait_for_text("main h1", "Errors").await;
    assert_eq!(browser.count("#groups input[type=checkbox]").await, 0, "no selection for a viewer");
    assert_eq!(browser.count("#bulk-resolved").await, 0, "no bulk resolve for a viewer");
    browser.screenshot("group-as-viewer").await;
    browser.goto(&server.url("/dashboard/alerts")).await;
    browser.wait_for_text("main h1", "Alerts").await;
    assert!(browser.count("article.incident").await > 0);
    assert_eq!(browser.count("form.ack").await, 0, "no acknowledge form for a viewer");
    browser.screenshot("alerts-as-viewer").await;
    browser.goto(&server.url("/dashboard/audit")).await;
    browser.wait_for_text("main h1", "Audit").await;
    assert_eq!(browser.count("#exports").await, 0, "no export links for a viewer");
    browser.close().await;
    let client = reqwest::Client::new();
    let export = client
        .get(server.url("/dashboard/audit/export?format=csv"))
        .header("cookie", format!("monitor_dashboard={VIEWER}"))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status().as_u16(), 403, "the export is refused to a viewer anyway");

    // Posted anyway, with the viewer's cookie: refused, as the API refuses.
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let refused = client
        .post(server.url(&format!("/dashboard/groups/{key}")))
        .header("cookie", format!("monitor_dashboard={VIEWER}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("status=resolved")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    assert!(refused.text().await.unwrap().contains("needs the operator role"));
    let refused = client
        .post(server.url("/dashboard/groups"))
        .header("cookie", format!("monitor_dashboard={VIEWER}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("key={key}&status=ignored"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403, "a bulk change is refused alike");
    let detail = call(
        &server,
        "PATCH",
        &format!("/api/v1/groups/{key}"),
        Some(VIEWER),
        Some(serde_json::json!({"status": "resolved"})),
    )
    .await
    .problem(403);
    assert!(detail.contains("operator"), "{detail}");
    let stored = get(&server, &format!("/api/v1/groups/{key}")).await;
    assert_eq!(stored["group"]["status"], "open", "nothing changed: {stored:#}");

    // Without a cookie, pages and changes send to the sign-in page.
    let anonymous =
        client.post(server.url(&format!("/dashboard/groups/{key}"))).body("status=resolved").send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 303);
    assert!(anonymous.headers()["location"].to_str().unwrap().ends_with("/dashboard/login"));
}
