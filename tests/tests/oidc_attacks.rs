//! OIDC login under attack (SPEC §8, issue 13), through the real binary on
//! both backends, against a hostile provider (`roster_tests::fake_idp`)
//! whose token endpoint returns a forged ID token: the wrong nonce, another
//! audience, another issuer, expired, unsigned (`alg: none`), or HS256
//! signed with the provider's public key. Each is refused with a page and
//! nothing written but `user.login_failed`; the same provider's good token
//! signs in (the control).
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster_tests::fake_idp::{FakeIdp, Forgery};
use roster_tests::server::Server;
use roster_tests::{Backend, TestDb, on_both_backends};

async fn forged_id_tokens_are_refused(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let port = roster_tests::free_port();
    let idp = FakeIdp::start(port, "roster").await;
    let server = Server::start(
        &db,
        &[
            ("OIDC_ISSUER_URL", idp.issuer.as_str()),
            ("OIDC_CLIENT_ID", "roster"),
            ("OIDC_CLIENT_SECRET", "roster-secret"),
            ("OIDC_AUTO_PROVISION_USERS", "on"),
        ],
    );
    let users = db.strings("SELECT id FROM users").await.len();
    let login = |forgery| {
        idp.forge(forgery);
        let (idp, base) = (&idp, server.base.clone());
        async move {
            let done = idp.sign_in(&base).await;
            let status = done.status().as_u16();
            (status, done.text().await.expect("page"))
        }
    };
    for forgery in [
        Forgery::WrongNonce,
        Forgery::OtherAudience,
        Forgery::WrongIssuer,
        Forgery::Expired,
        Forgery::AlgNone,
        Forgery::Hs256WithPublicKey,
    ] {
        let (status, page) = login(forgery).await;
        assert_eq!(status, 401, "{forgery:?}: {page}");
        assert!(
            page.contains("The ID token is not valid"),
            "{forgery:?}: {page}"
        );
        assert_eq!(
            db.strings("SELECT id FROM users").await.len(),
            users,
            "{forgery:?}"
        );
        assert!(
            db.strings("SELECT id FROM external_identities")
                .await
                .is_empty()
        );
    }
    let failed = db
        .strings("SELECT COUNT(*) FROM audit_events WHERE event_type = 'user.login_failed'")
        .await;
    assert_eq!(failed, ["6"]);
    // The control: the same provider's honest token signs in.
    let (status, page) = login(Forgery::None).await;
    assert_eq!(status, 303, "{page}");
    assert_eq!(db.strings("SELECT id FROM users").await.len(), users + 1);
}

on_both_backends!(forged_id_tokens_are_refused);
