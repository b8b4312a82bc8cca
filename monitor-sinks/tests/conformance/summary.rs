//! Summaries read from a store: what every instance wrote in the period,
//! and regressions from the group history.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use monitor_runtime::alerting::AlertState;
use monitor_runtime::audit::ComplianceStatus;
use monitor_runtime::{GroupStatus, Severity};
use monitor_sinks::store::{GroupChange, REGRESSION_ACTOR, summary_report};

use super::{Group, TestDatabase, alert, at, audit, batch, key, notifications};

const DAY: u64 = 86_400;

pub async fn summaries_count_their_period_across_instances_with_regressions(database: Arc<impl TestDatabase>) {
    let (one, two) = (database.open().await.unwrap(), database.open().await.unwrap());
    let write = |store: &Arc<dyn monitor_sinks::store::Store>, groups: Vec<Group>| {
        let store = Arc::clone(store);
        async move { store.write_batch(&batch(vec![], &groups, vec![], vec![])).await.unwrap() }
    };
    // Before the period: group 2 (10) and group 4, which an operator
    // resolves, and group 6, which she investigates.
    let before = [2, 4, 6].map(|n| Group::new(n, "ledger", if n == 2 { 10 } else { 1 }, at(100), at(100)));
    write(&one, before.into()).await;
    for n in [2, 4] {
        assert!(one.change_group(key(n), &GroupChange::by("alice").status(GroupStatus::Resolved)).await.unwrap());
    }
    assert!(one.change_group(key(6), &GroupChange::by("alice").status(GroupStatus::Investigating)).await.unwrap());
    // An instance reopens group 6 in the period: not a regression.
    write(&two, vec![Group::new(6, "ledger", 0, at(100), at(DAY + 50)).status(GroupStatus::Open, true)]).await;
    // In the period: group 1 is new (5 + 2 from another instance), group 2
    // comes back (a regression), group 5 is new and reported open by an
    // instance that changed its status (not a regression: it was never resolved).
    write(&one, vec![Group::new(1, "cards", 5, at(DAY + 100), at(DAY + 100)).severity(Severity::Critical)]).await;
    write(&two, vec![Group::new(1, "cards", 2, at(DAY + 100), at(DAY + 300)).severity(Severity::Critical)]).await;
    write(&two, vec![Group::new(2, "ledger", 3, at(100), at(DAY + 500)).status(GroupStatus::Open, true)]).await;
    write(&one, vec![Group::new(5, "ledger", 1, at(DAY + 700), at(DAY + 700)).status(GroupStatus::Open, true)]).await;
    // After it: group 4 comes back, and group 3 is new.
    write(&one, vec![Group::new(4, "ledger", 1, at(100), at(2 * DAY + 5)).status(GroupStatus::Open, true)]).await;
    write(&one, vec![Group::new(3, "ledger", 9, at(2 * DAY + 10), at(2 * DAY + 10))]).await;
    let payments = alert("payments_failing", AlertState::Firing, Severity::Critical, at(DAY + 600), None);
    one.write_batch(&batch(vec![], &[], vec![], notifications(&payments, "k1", &["ops"]))).await.unwrap();

    let report = summary_report(&*two, at(DAY), at(2 * DAY)).await.unwrap();
    assert_eq!(report.occurrences, [(Severity::Critical, 7), (Severity::Error, 4)]);
    assert_eq!(report.new_groups, 2);
    let keys =
        |list: &[monitor_runtime::summary::SummaryGroup]| list.iter().map(|g| (g.key, g.count)).collect::<Vec<_>>();
    assert_eq!(keys(&report.top_groups), [(key(1), 7), (key(2), 3), (key(5), 1)]);
    assert_eq!(keys(&report.new_group_list), [(key(1), 7), (key(5), 1)], "the busiest first");
    assert_eq!(keys(&report.regressions), [(key(2), 13)], "the group's count in all");
    assert_eq!(report.top_groups[0].place, "cards::submit");
    assert_eq!(report.alerts.len(), 1);
    assert_eq!((report.alerts[0].rule.as_str(), report.alerts[0].incidents), ("payments_failing", 1));
    let history = one.group_history(key(2)).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.by.as_str(), last.from.as_deref(), last.to.as_deref()),
        (REGRESSION_ACTOR, Some("resolved"), Some("open"))
    );
    assert_eq!(last.at, at(DAY + 500));
    let later = summary_report(&*one, at(2 * DAY), at(3 * DAY)).await.unwrap();
    assert_eq!(keys(&later.regressions), [(key(4), 2)]);
    assert_eq!(keys(&later.new_group_list), [(key(3), 9)]);

    // Audit records carry the time they were made: a period around now.
    let records = [ComplianceStatus::Compliant, ComplianceStatus::Compliant, ComplianceStatus::Failed]
        .into_iter()
        .enumerate()
        .map(|(n, status)| audit("sepa_payment_processing", "submit", status, n as u64))
        .collect();
    two.write_batch(&batch(vec![], &[], records, vec![])).await.unwrap();
    let now = SystemTime::now();
    let hour = Duration::from_secs(3600);
    let report = summary_report(&*one, now - hour, now + hour).await.unwrap();
    let sepa = report.audit.iter().find(|p| p.process == "sepa_payment_processing").expect("the process");
    assert_eq!((sepa.records, sepa.compliant, sepa.failed), (3, 2, 1));
    assert!((sepa.compliant_percent() - 200.0 / 3.0).abs() < 1e-9);
}
