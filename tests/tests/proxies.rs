//! `TRUSTED_PROXIES` (issue 17): the client address that login throttling
//! and the audit log see comes from `X-Forwarded-For` only when the request
//! comes from a trusted proxy, and then never from what the client wrote
//! itself; the old `TRUST_PROXY_HEADERS`, which believed anyone, stops
//! startup with a pointer to its replacement.

use roster_tests::server::Server;
use roster_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestDb};

async fn login_ips(db: &TestDb) -> Vec<String> {
    db.strings(
        "SELECT COALESCE(ip_address, '') FROM audit_events \
         WHERE event_type = 'user.login' ORDER BY occurred_at, id",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    let db = TestDb::bootstrapped(Backend::Sqlite).await;
    // Nobody trusted: the header is ignored.
    let server = Server::start(&db, &[]);
    let spoofing = server
        .client()
        .with_header("x-forwarded-for", "203.0.113.9");
    spoofing.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    drop(server);
    // The test is the proxy (127.0.0.1): the rightmost address that is not
    // a proxy counts, not what the client put first.
    let server = Server::start(&db, &[("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")]);
    let proxied = server
        .client()
        .with_header("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.1.2.3");
    proxied.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(login_ips(&db).await, ["127.0.0.1", "203.0.113.9"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_old_flag_and_bad_entries_stop_startup() {
    let db = TestDb::new(Backend::Sqlite).await;
    db.roster()
        .env("TRUST_PROXY_HEADERS", "on")
        .args(["migrate"])
        .run()
        .await
        .fails_with(2, "replaced by TRUSTED_PROXIES");
    db.roster()
        .env("TRUSTED_PROXIES", "10.0.0.1, proxy.internal")
        .args(["migrate"])
        .run()
        .await
        .fails_with(
            2,
            "\"proxy.internal\" is neither an IP address nor a network",
        );
}
