//! The unit of work (`service::work`), driven through the library on both
//! backends: one transaction that carries the actor's id on Postgres and
//! never leaks it to the next user of a pooled connection; a failed work
//! leaves no change but keeps its denials; reads ahead of a password hash
//! are refused once the transaction began.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeSet;

use roster::App;
use roster::domain::{Channel, Email, Permission, RoleName, Username};
use roster::service::roles;
use roster::service::users::{self, NewUser, UserKey};
use roster::service::work::{Mode, Work};
use roster::service::{Actor, Principal};
use roster_tests::server::Server;
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

/// An [`App`] on `db` whose pool holds a single connection, so that every
/// work reuses the same one.
async fn app_with_one_connection(db: &TestDb) -> App {
    db.app(&[], 1).await
}

fn user(id: &str, permissions: &[&str]) -> Actor {
    Actor {
        principal: Principal::User {
            id: id.into(),
            username: id.to_lowercase(),
            permissions: Permission::from_stored(permissions.iter().copied())
                .into_iter()
                .collect::<BTreeSet<_>>(),
        },
        channel: Channel::Api,
        ip: Some("10.0.0.9".into()),
        user_agent: None,
    }
}

async fn current_user_id(work: &Work) -> Option<String> {
    let db = work.db().await.expect("begin");
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_setting('app.user_id', true) AS id",
        ))
        .await
        .expect("query")
        .expect("a row");
    row.try_get::<Option<String>>("", "id")
        .expect("id")
        .filter(|id| !id.is_empty())
}

/// On Postgres each work's transaction names its actor in `app.user_id`,
/// local to it: the next work on the same pooled connection — another
/// user's, or an anonymous one — never sees the previous id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_work_names_its_actor_and_the_pool_never_leaks_it() {
    let db = TestDb::new(Backend::Postgres).await;
    let app = app_with_one_connection(&db).await;
    for id in ["01JUSERA000000000000000000", "01JUSERB000000000000000000"] {
        let work = Work::new(&app, user(id, &[]), Mode::Read);
        assert_eq!(current_user_id(&work).await.as_deref(), Some(id));
        work.finish(Ok(())).await.expect("end");

        let anonymous = Work::new(&app, Actor::anonymous(None, None), Mode::Write);
        assert_eq!(current_user_id(&anonymous).await, None, "after {id}");
        anonymous.finish(Ok(())).await.expect("end");
    }
    // Outside any work, on the same single connection: nothing either.
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT coalesce(current_setting('app.user_id', true), '') AS id",
        ))
        .await
        .expect("query")
        .expect("row");
    assert_eq!(row.try_get::<String>("", "id").expect("id"), "");
}

fn new_user(name: &str) -> NewUser {
    NewUser {
        username: Username::parse(name).expect("username"),
        email: Email::parse(&format!("{name}@example.com")).expect("email"),
        display_name: None,
        roles: vec![],
        password: None,
    }
}

async fn count(db: &TestDb, sql: &str) -> usize {
    db.strings(sql).await.len()
}

/// A work that fails after writing leaves nothing of its change, yet the
/// denial it met is recorded; a work that succeeds commits its change with
/// its audit events.
async fn a_failed_work_keeps_only_its_denials(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = app_with_one_connection(&db).await;

    let created = Work::run(&app, Actor::cli_operator(), Mode::Write, async |w| {
        users::create(w, new_user("kept")).await
    })
    .await;
    assert!(created.is_ok(), "{created:?}");
    assert_eq!(
        count(
            &db,
            "SELECT event_type FROM audit_events WHERE event_type = 'user.created'"
        )
        .await,
        1
    );

    // An administrator creates a user, then is refused a superuser grant:
    // the user must not stay.
    let admin = roles::BUILTIN_ROLES
        .iter()
        .find(|r| r.name == roles::ADMIN)
        .expect("admin role")
        .permissions
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>();
    let actor = user("01JADMIN000000000000000000", &admin);
    let failed = Work::run(&app, actor, Mode::Write, async |w| {
        users::create(w, new_user("ghost")).await?;
        let superuser = RoleName::parse(roles::SUPERUSER)?;
        users::set_roles(w, &UserKey::Username("ghost".into()), &[superuser]).await
    })
    .await;
    assert_eq!(
        failed.as_ref().map_err(|e| e.code()).err(),
        Some("FORBIDDEN"),
        "{failed:?}"
    );
    assert!(
        db.strings("SELECT username FROM users WHERE username = 'ghost'")
            .await
            .is_empty(),
        "the failed work's user was committed"
    );
    assert_eq!(
        count(
            &db,
            "SELECT event_type FROM audit_events WHERE event_type = 'user.created'"
        )
        .await,
        1,
        "the failed work's audit event was committed"
    );
    let denials = db
        .strings("SELECT actor_id FROM audit_events WHERE event_type = 'permission.denied'")
        .await;
    assert_eq!(denials, vec!["01JADMIN000000000000000000".to_string()]);
}

/// Reads ahead of a password hash go to the pool only before the work's
/// transaction begins; after, every read must go through it.
async fn the_pool_is_closed_once_the_transaction_began(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = app_with_one_connection(&db).await;
    let work = Work::new(&app, Actor::anonymous(None, None), Mode::Read);
    assert!(work.pool().is_ok());
    work.db().await.expect("begin");
    assert_eq!(work.pool().err().map(|e| e.code()), Some("INTERNAL"));
    work.finish(Ok(())).await.expect("end");
}

/// A work dropped before it ended (a client that went away) rolls back, but
/// the denials it met are still recorded.
async fn an_abandoned_work_still_records_its_denials(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = db.app(&[], 2).await;
    let work = Work::new(&app, user("01JNOBODY00000000000000000", &[]), Mode::Read);
    let refused = roster::service::policy::require_directory_reader(&work);
    assert_eq!(refused.map_err(|e| e.code()), Err("FORBIDDEN"));
    drop(work);
    let sql = "SELECT actor_id FROM audit_events WHERE event_type = 'permission.denied'";
    let mut found = Vec::new();
    for _ in 0..100 {
        found = db.strings(sql).await;
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(found, ["01JNOBODY00000000000000000"]);
}

/// Over the API, each mutation field is a unit of work of its own: its
/// answer shows its own change (not the state before the request), and a
/// later field's failure does not undo an earlier field's success.
async fn each_mutation_field_answers_for_itself(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let jane = admin
        .query(
            "{ users(filter: { search: \"jane\" }) { edges { node { id } } } }",
            json!({}),
        )
        .await
        .data("users.edges")[0]["node"]["id"]
        .clone();
    let two = "mutation($u: ID!) {
        a: setUserQuota(id: $u, resource: TOKENS, limit: 3) { quotas { limit } }
        b: setUserQuota(id: $u, resource: TOKENS, limit: 5) { quotas { limit } }
    }";
    let reply = admin.query(two, json!({ "u": jane })).await;
    assert_eq!(reply.data("a.quotas")[0]["limit"], 3, "{reply:?}");
    assert_eq!(reply.data("b.quotas")[0]["limit"], 5, "{reply:?}");

    let then_fail = "mutation($u: ID!) {
        a: setUserQuota(id: $u, resource: TOKENS, limit: 7) { quotas { limit } }
        b: setUserRoles(id: $u, roles: [\"no-such-role\"]) { id }
    }";
    let reply = admin.query(then_fail, json!({ "u": jane })).await;
    assert_eq!(
        reply.body["data"]["a"]["quotas"][0]["limit"], 7,
        "{reply:?}"
    );
    assert_eq!(reply.code(), "BAD_USER_INPUT", "{reply:?}");
    let limits = db
        .strings("SELECT CAST(max_count AS TEXT) FROM user_quotas")
        .await;
    assert_eq!(
        limits,
        vec!["7".to_string()],
        "the first field's change stays"
    );
}

on_both_backends!(
    a_failed_work_keeps_only_its_denials,
    the_pool_is_closed_once_the_transaction_began,
    an_abandoned_work_still_records_its_denials,
    each_mutation_field_answers_for_itself
);
