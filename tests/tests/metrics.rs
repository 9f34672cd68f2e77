//! `/metrics` (issue 12, seed 002's "Prometheus counters … wrap mutating
//! operations") through the real binary: GraphQL requests by operation name
//! and outcome with a latency histogram, admin mutations by field and
//! outcome, audit events by type, organization changes, provisioned users,
//! denials by permission, the hashing queue, the credential cache's hit
//! ratio and the audit sealer.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use std::time::Duration;

use roster_tests::server::Server;
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::json;

/// The value of the series `name` whose labels include every one of
/// `labels` (`key="value"`), if it is there.
fn value(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .find(|l| labels.iter().all(|pair| l.contains(pair)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn scrape(server: &Server) -> String {
    reqwest::get(format!("{}/metrics", server.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

async fn every_mutating_operation_is_counted(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    admin
        .send(json!({ "query": "query AdminUsers { users(first: 5) { edges { node { id } } } }", "operationName": "AdminUsers" }))
        .await
        .data("users");
    let org = admin
        .query(
            "mutation { createOrganization(input: { slug: \"ops\", name: \"Ops\" }) { id } }",
            json!({}),
        )
        .await
        .data("createOrganization.id");
    admin
        .query(
            "mutation($id: ID!) { addOrganizationMembers(id: $id, members: [\"jane@example.com\"]) { results { outcome } } }",
            json!({ "id": org }),
        )
        .await
        .data("addOrganizationMembers.results");
    admin
        .query(
            "mutation { createUser(input: { username: \"newbie\", email: \"newbie@example.com\" }) { user { id } } }",
            json!({}),
        )
        .await
        .data("createUser.user.id");
    let refused = jane
        .query(
            "mutation { createOrganization(input: { slug: \"nope\", name: \"Nope\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    // Sealing happens a moment after the commits.
    let mut text = scrape(&server).await;
    for _ in 0..50 {
        if value(&text, "roster_audit_sealed_total", &[]).unwrap_or(0.0) >= 5.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        text = scrape(&server).await;
    }
    let has = |name: &str, labels: &[&str]| value(&text, name, labels);
    assert_eq!(
        has(
            "roster_graphql_requests_total",
            &[
                "operation=\"AdminUsers\"",
                "kind=\"query\"",
                "outcome=\"ok\""
            ]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        has(
            "roster_graphql_request_duration_seconds_count",
            &["operation=\"AdminUsers\""]
        ),
        Some(1.0)
    );
    assert!(
        has(
            "roster_graphql_request_duration_seconds_bucket",
            &["operation=\"AdminUsers\"", "le=\"10\""]
        ) == Some(1.0),
        "a histogram with buckets: {text}"
    );
    assert_eq!(
        has(
            "roster_admin_mutations_total",
            &["mutation=\"createOrganization\"", "outcome=\"ok\""]
        ),
        Some(1.0)
    );
    assert_eq!(
        has(
            "roster_admin_mutations_total",
            &["mutation=\"createOrganization\"", "outcome=\"forbidden\""]
        ),
        Some(1.0)
    );
    assert_eq!(
        has("roster_audit_events_total", &["event_type=\"org.created\""]),
        Some(1.0)
    );
    assert_eq!(
        has("roster_organization_changes_total", &["change=\"created\""]),
        Some(1.0)
    );
    assert_eq!(
        has(
            "roster_organization_changes_total",
            &["change=\"member_added\""]
        ),
        Some(1.0)
    );
    assert_eq!(
        has("roster_users_provisioned_total", &["method=\"invited\""]),
        Some(1.0)
    );
    assert_eq!(
        has(
            "roster_permission_denied_total",
            &["permission=\"orgs:manage\"", "enforced=\"true\""]
        ),
        Some(1.0)
    );
    assert_eq!(has("roster_password_hash_queue_depth", &[]), Some(0.0));
    let ratio = has("roster_credential_cache_hit_ratio", &[]).expect("hit ratio");
    assert!((0.0..=1.0).contains(&ratio), "{ratio}");
    assert!(has("roster_audit_sealed_total", &[]).unwrap_or(0.0) >= 5.0);
}

on_both_backends!(every_mutating_operation_is_counted);
