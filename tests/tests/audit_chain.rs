//! Tamper evidence (SPEC §9) through the real binary on both backends: the
//! events Roster writes are sealed into a hash chain (by `serve` on its own,
//! or `roster audit seal`), and `roster audit verify` names the first event
//! edited, deleted or inserted by hand in SQL, with exit code 8; retention
//! (`AUDIT_RETENTION_DAYS`) prunes old events and the chain still verifies.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use std::time::Duration;

use roster::service::work::{Mode, Work};
use roster::service::{Actor, AuditEvent, audit_chain};
use roster_tests::server::Server;
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// The exit code of `roster audit verify` when the log does not verify.
const TAMPERED: i32 = 8;

async fn verify(db: &TestDb) -> (i32, Value) {
    let out = db.roster().args(["audit", "verify", "--json"]).run().await;
    let report = serde_json::from_str(out.stdout.trim()).expect("a JSON report");
    (out.code, report)
}

/// A database with a few events, all sealed.
async fn sealed(backend: Backend) -> TestDb {
    let db = TestDb::bootstrapped(backend).await;
    for email in ["jane@example.com", "joe@example.com", "ann@example.com"] {
        db.provision(email, "viewer", USER_PASSWORD).await.ok();
    }
    let out = db.roster().args(["audit", "seal"]).run().await.ok();
    assert!(out.stdout.contains("Sealed"), "{out:?}");
    db
}

async fn row(db: &TestDb, seq: i64, column: &str) -> String {
    db.strings(&format!(
        "SELECT {column} FROM audit_events WHERE seq = {seq}"
    ))
    .await
    .pop()
    .expect("a row")
}

/// Inserts an event by hand in SQL, as Roster never would: no hash.
async fn insert_by_hand(db: &TestDb, backend: Backend, id: &str, event_type: &str) {
    let (at, details) = match backend {
        Backend::Sqlite => ("'2026-11-01T10:00:00.000000+00:00'", "'{\"old\": true}'"),
        Backend::Postgres => ("'2026-11-01T10:00:00Z'", "'{\"old\": true}'::jsonb"),
    };
    db.exec(&format!(
        "INSERT INTO audit_events (id, occurred_at, channel, event_type, details)
         VALUES ('{id}', {at}, 'api', '{event_type}', {details})"
    ))
    .await;
}

async fn an_untouched_log_verifies(backend: Backend) {
    let db = sealed(backend).await;
    let (code, report) = verify(&db).await;
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["ok"], true);
    let sealed = report["checked"].as_u64().expect("checked");
    assert!(sealed >= 4, "bootstrap and three provisions: {report}");
    assert_eq!(report["head_seq"].as_i64(), Some(sealed as i64));
    assert_eq!(report["unsealed"], 0);
    // New events wait for the sealer and are counted, not refused.
    db.provision("late@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let (code, report) = verify(&db).await;
    assert_eq!(
        (code, report["unsealed"].as_u64()),
        (0, Some(1)),
        "{report}"
    );
    let plain = db.roster().args(["audit", "verify"]).run().await.ok();
    assert!(
        plain.stdout.contains("Audit log verified") && plain.stdout.contains("1 not sealed yet"),
        "{plain:?}"
    );
}

async fn an_update_by_hand_is_named(backend: Backend) {
    let db = sealed(backend).await;
    let id = row(&db, 2, "id").await;
    let name = row(&db, 2, "actor_username").await;
    db.exec("UPDATE audit_events SET actor_username = 'mallory' WHERE seq = 2")
        .await;
    let (code, report) = verify(&db).await;
    assert_eq!(code, TAMPERED, "{report}");
    assert_eq!(report["tampering"]["kind"], "edited");
    assert_eq!(report["tampering"]["id"], id.as_str());
    let message = report["message"].as_str().expect("message");
    assert!(
        message.contains(&id) && message.contains("was edited"),
        "{message}"
    );
    // The plain form says the same on stderr.
    db.roster()
        .args(["audit", "verify"])
        .run()
        .await
        .fails_with(TAMPERED, &format!("event {id} (seq 2) was edited"));
    // Editing the details is caught as well, whatever the JSON looks like.
    let restore = if name == "NULL" {
        "UPDATE audit_events SET actor_username = NULL WHERE seq = 2".to_string()
    } else {
        format!("UPDATE audit_events SET actor_username = '{name}' WHERE seq = 2")
    };
    db.exec(&restore).await;
    assert_eq!(verify(&db).await.0, 0, "restored");
    // The subject (whose activity an event shows in) is derived from the
    // hashed content: moving an event out of a user's activity is caught.
    db.exec("UPDATE audit_events SET subject_id = 'SOMEONE_ELSE' WHERE seq = 2")
        .await;
    let (code, report) = verify(&db).await;
    assert_eq!(
        (code, report["tampering"]["kind"].as_str()),
        (TAMPERED, Some("edited")),
        "{report}"
    );
    db.exec("UPDATE audit_events SET subject_id = NULL WHERE seq = 2")
        .await;
    let subject = db
        .strings("SELECT COALESCE(resource_type, '') || '|' || COALESCE(resource_id, '') FROM audit_events WHERE seq = 2")
        .await;
    if subject[0].starts_with("user|") {
        assert_eq!(verify(&db).await.0, TAMPERED, "subject removed");
    }
    db.exec(&format!(
        "UPDATE audit_events SET subject_id = {} WHERE seq = 2",
        match subject[0].strip_prefix("user|") {
            Some(id) => format!("'{id}'"),
            None => "NULL".into(),
        }
    ))
    .await;
    assert_eq!(verify(&db).await.0, 0, "restored");
    db.exec("UPDATE audit_events SET details = '{\"role\": \"superuser\"}' WHERE seq = 3")
        .await;
    let (code, report) = verify(&db).await;
    assert_eq!(
        (code, report["tampering"]["seq"].as_i64()),
        (TAMPERED, Some(3))
    );
    // Rewriting the row's own hash to match does not help: the link breaks.
    let digest = roster::service::audit_chain::ChainDigest::new(None);
    let app = db.app(&[], 2).await;
    let edited = roster::entity::audit_event::Entity::find()
        .filter(roster::entity::audit_event::Column::Seq.eq(3))
        .one(&app.db)
        .await
        .expect("read")
        .expect("row");
    db.exec(&format!(
        "UPDATE audit_events SET row_hash = '{}' WHERE seq = 3",
        digest.row(&edited)
    ))
    .await;
    let (code, report) = verify(&db).await;
    assert_eq!(code, TAMPERED);
    assert_eq!(report["tampering"]["kind"], "relinked", "{report}");
}

async fn a_delete_by_hand_is_named(backend: Backend) {
    let db = sealed(backend).await;
    let before = row(&db, 2, "id").await;
    let after = row(&db, 4, "id").await;
    db.exec("DELETE FROM audit_events WHERE seq = 3").await;
    let out = db.roster().args(["audit", "verify"]).run().await;
    out.fails_with(
        TAMPERED,
        &format!("the event with seq 3 was deleted (between events {before} and {after})"),
    );
    // Removing the newest events is caught by the chain's head.
    let db = sealed(backend).await;
    let head = verify(&db).await.1["head_seq"].as_i64().expect("head");
    db.exec(&format!("DELETE FROM audit_events WHERE seq = {head}"))
        .await;
    let (code, report) = verify(&db).await;
    assert_eq!(code, TAMPERED);
    assert_eq!(report["tampering"]["kind"], "deleted", "{report}");
    assert_eq!(report["tampering"]["from_seq"].as_i64(), Some(head));
}

async fn an_insert_by_hand_is_named_and_never_sealed(backend: Backend) {
    let db = sealed(backend).await;
    insert_by_hand(&db, backend, "01KFORGEDFORGEDFORGEDFORGE", "user.deleted").await;
    db.roster()
        .args(["audit", "verify"])
        .run()
        .await
        .fails_with(TAMPERED, "event 01KFORGEDFORGEDFORGEDFORGE was inserted");
    // The sealer refuses it: it never gets a place in the chain.
    db.roster()
        .args(["audit", "seal"])
        .run()
        .await
        .fails_with(TAMPERED, "1 events were refused");
    assert_eq!(
        db.strings("SELECT chain_hash FROM audit_events WHERE id = '01KFORGEDFORGEDFORGEDFORGE'")
            .await,
        ["refused"]
    );
    let (code, report) = verify(&db).await;
    assert_eq!(code, TAMPERED);
    assert_eq!(report["tampering"]["kind"], "inserted");
    // One given a place the chain never gave is caught too.
    db.exec("DELETE FROM audit_events WHERE id = '01KFORGEDFORGEDFORGEDFORGE'")
        .await;
    assert_eq!(verify(&db).await.0, 0);
    insert_by_hand(&db, backend, "01KFORGEDFORGEDFORGEDFORGE", "user.deleted").await;
    db.exec(
        "UPDATE audit_events SET row_hash = 'x', seq = 999, chain_hash = 'y'
         WHERE id = '01KFORGEDFORGEDFORGEDFORGE'",
    )
    .await;
    db.roster()
        .args(["audit", "verify"])
        .run()
        .await
        .fails_with(
            TAMPERED,
            "event 01KFORGEDFORGEDFORGEDFORGE (seq 999) was inserted",
        );
}

/// `serve` seals what it and others commit, a moment after the commit.
async fn serve_seals_on_its_own(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    admin
        .query(
            "mutation { createOrganization(input: { slug: \"ops\", name: \"Ops\" }) { id } }",
            json!({}),
        )
        .await
        .data("createOrganization.id");
    // And an event written by another process (the CLI).
    db.provision("cli@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let mut last = Value::Null;
    for _ in 0..50 {
        let (code, report) = verify(&db).await;
        assert_eq!(code, 0, "{report}");
        if report["unsealed"] == 0 {
            let types = db
                .strings("SELECT event_type FROM audit_events WHERE seq IS NOT NULL")
                .await;
            assert!(types.iter().any(|t| t == "org.created"), "{types:?}");
            assert!(
                types
                    .iter()
                    .any(|t| t == "user.provisioned" || t == "user.created"),
                "{types:?}"
            );
            return;
        }
        last = report;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("serve did not seal within 5 s: {last}");
}

/// A keyed chain (`AUDIT_CHAIN_KEY`) does not verify under another key, nor
/// without one: hashes recomputed by someone without the key are caught.
async fn a_keyed_chain_needs_its_key(backend: Backend) {
    let key = "an-audit-chain-key-of-32-characters!";
    let db = TestDb::new(backend).await;
    db.roster()
        .env("AUDIT_CHAIN_KEY", key)
        .args([
            "bootstrap-superuser",
            "--email",
            roster_tests::ADMIN_EMAIL,
            "--password",
            ADMIN_PASSWORD,
        ])
        .run()
        .await
        .ok();
    db.roster()
        .env("AUDIT_CHAIN_KEY", key)
        .args(["audit", "seal"])
        .run()
        .await
        .ok();
    let out = db
        .roster()
        .env("AUDIT_CHAIN_KEY", key)
        .args(["audit", "verify"])
        .run()
        .await
        .ok();
    assert!(out.stdout.contains("keyed hashes"), "{out:?}");
    // A process without the key, or with another, is stopped before it
    // writes an event that would never verify or calls the log tampered.
    let wrong = "another-audit-chain-key-of-32-chars!";
    for env in [None, Some(wrong)] {
        for args in [&["audit", "verify"][..], &["list-users"][..]] {
            let mut cmd = db.roster().args(args.iter().copied());
            if let Some(key) = env {
                cmd = cmd.env("AUDIT_CHAIN_KEY", key);
            }
            cmd.run()
                .await
                .fails_with(1, "AUDIT_CHAIN_KEY is not the key");
        }
    }
    // Events hashed without the key (written behind Roster's back) are
    // caught even with hashes recomputed: only the key gives valid ones.
    let digest = roster::service::audit_chain::ChainDigest::new(None);
    let app = db.app(&[("AUDIT_CHAIN_KEY", key)], 2).await;
    let first = roster::entity::audit_event::Entity::find()
        .filter(roster::entity::audit_event::Column::Seq.eq(1))
        .one(&app.db)
        .await
        .expect("read")
        .expect("row");
    db.exec(&format!(
        "UPDATE audit_events SET actor_username = 'mallory', row_hash = '{}' WHERE seq = 1",
        digest.row(&roster::entity::audit_event::Model {
            actor_username: Some("mallory".into()),
            ..first
        })
    ))
    .await;
    db.roster()
        .env("AUDIT_CHAIN_KEY", key)
        .args(["audit", "verify"])
        .run()
        .await
        .fails_with(TAMPERED, "was edited");
}

/// The chain's own record: reopening adoption of unhashed events, or moving
/// its start past events cut off by hand, is named.
async fn the_chain_record_is_checked(backend: Backend) {
    let db = sealed(backend).await;
    db.exec("UPDATE audit_chain SET adopt_through = 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ'")
        .await;
    db.roster()
        .args(["audit", "verify"])
        .run()
        .await
        .fails_with(TAMPERED, "adoption of events without a hash was reopened");
    db.exec("UPDATE audit_chain SET adopt_through = NULL").await;
    assert_eq!(verify(&db).await.0, 0);
    // Cut off the oldest event and move the start past it, consistently.
    let link = row(&db, 1, "chain_hash").await;
    db.exec("DELETE FROM audit_events WHERE seq = 1").await;
    db.exec(&format!(
        "UPDATE audit_chain SET start_seq = 2, start_hash = '{link}'"
    ))
    .await;
    db.roster()
        .args(["audit", "verify"])
        .run()
        .await
        .fails_with(TAMPERED, "no audit.pruned event moved it there");
}

/// Events written before the chain existed are adopted as they are by the
/// first seal; one without a hash written after it is refused.
async fn events_from_before_the_chain_are_adopted(backend: Backend) {
    use roster_migration::MigratorTrait;
    let db = TestDb::new(backend).await;
    // Migrated as Roster migrates: as the role it connects with.
    let conn = roster_tests::connect_url(&db.url).await;
    roster_migration::Migrator::up(&conn, Some(4))
        .await
        .expect("the migrations before the chain");
    insert_by_hand(&db, backend, "01KLEGACYLEGACYLEGACYLEGAC", "user.created").await;
    // More than one batch of the sealer, adopted in its one first seal.
    db.exec(match backend {
        Backend::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
             INSERT INTO audit_events (id, occurred_at, channel, event_type, details)
             SELECT printf('01KOLD%020d', i),
                    strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', '2026-10-01 00:00:00', '+' || i || ' seconds'),
                    'api', 'user.login', json_object('n', i) FROM n"
        }
        Backend::Postgres => {
            "INSERT INTO audit_events (id, occurred_at, channel, event_type, details)
             SELECT '01KOLD' || lpad(i::text, 20, '0'),
                    timestamptz '2026-10-01 00:00:00+00' + i * interval '1 second',
                    'api', 'user.login', jsonb_build_object('n', i)
             FROM generate_series(1, 2500) AS i"
        }
    })
    .await;
    roster_migration::Migrator::up(&conn, None)
        .await
        .expect("the chain's migrations");
    conn.close().await.ok();
    insert_by_hand(&db, backend, "01ZLATELATELATELATELATELAT", "user.deleted").await;
    db.roster()
        .args(["audit", "seal"])
        .run()
        .await
        .fails_with(TAMPERED, "1 events were refused");
    assert_eq!(
        db.strings("SELECT chain_hash FROM audit_events WHERE id = '01ZLATELATELATELATELATELAT'")
            .await,
        ["refused"]
    );
    assert_eq!(
        db.strings(
            "SELECT CAST(seq AS TEXT) FROM audit_events WHERE id = '01KLEGACYLEGACYLEGACYLEGAC'"
        )
        .await,
        ["2501"]
    );
    assert_eq!(
        db.strings("SELECT COALESCE(adopt_through, 'closed') FROM audit_chain")
            .await,
        ["closed"]
    );
    db.exec("DELETE FROM audit_events WHERE id = '01ZLATELATELATELATELATELAT'")
        .await;
    let (code, report) = verify(&db).await;
    assert_eq!(
        (code, report["checked"].as_u64()),
        (0, Some(2501)),
        "{report}"
    );
}

/// Retention, in process so the clock can move: old events go with one
/// `audit.pruned` event, the chain verifies from its new start, and a part
/// that does not verify is never pruned.
async fn retention_prunes_and_keeps_the_chain_whole(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let app = db.app(&[("AUDIT_RETENTION_DAYS", "30")], 4).await;
    for i in 0..5 {
        Work::run(&app, Actor::cli_operator(), Mode::Write, async |w| {
            w.record(AuditEvent::new("test.old").details(json!({ "i": i })));
            Ok(())
        })
        .await
        .expect("old event");
    }
    audit_chain::seal_all(&app).await.expect("seal");
    let old = db.strings("SELECT COUNT(*) FROM audit_events").await;
    app.clock.advance(Duration::from_secs(31 * 24 * 3600));
    Work::run(&app, Actor::cli_operator(), Mode::Write, async |w| {
        w.record(AuditEvent::new("test.new"));
        Ok(())
    })
    .await
    .expect("new event");
    audit_chain::seal_all(&app).await.expect("seal");
    // Nothing is pruned while the part to prune does not verify.
    let first = db
        .strings("SELECT id FROM audit_events WHERE event_type = 'test.old' ORDER BY seq")
        .await;
    db.exec(&format!(
        "UPDATE audit_events SET event_type = 'test.older' WHERE id = '{}'",
        first[0]
    ))
    .await;
    assert!(audit_chain::prune_all(&app, 30).await.is_err());
    assert_eq!(
        db.strings("SELECT COUNT(*) FROM audit_events").await[0],
        (old[0].parse::<i64>().expect("n") + 1).to_string()
    );
    db.exec(&format!(
        "UPDATE audit_events SET event_type = 'test.old' WHERE id = '{}'",
        first[0]
    ))
    .await;
    let pruned = audit_chain::prune_all(&app, 30).await.expect("prune");
    assert_eq!(pruned.to_string(), old[0]);
    assert_eq!(
        db.strings("SELECT event_type FROM audit_events ORDER BY occurred_at, id")
            .await,
        ["test.new", "audit.pruned"]
    );
    let details = db
        .strings("SELECT details FROM audit_events WHERE event_type = 'audit.pruned'")
        .await;
    let details: Value = serde_json::from_str(&details[0]).expect("json");
    assert_eq!(details["count"].to_string(), old[0]);
    assert_eq!(details["retention_days"], 30);
    // Nothing more to prune; the chain verifies from its new start, with
    // the pruned event sealed after it.
    assert_eq!(audit_chain::prune_all(&app, 30).await.expect("again"), 0);
    audit_chain::seal_all(&app).await.expect("seal");
    let report = audit_chain::verify(&app).await.expect("verify");
    assert!(report.tampering.is_none(), "{report:?}");
    assert_eq!(report.checked, 2);
    assert_eq!(report.start_seq, old[0].parse::<i64>().expect("n") + 1);
    // And through the binary.
    let (code, report) = verify(&db).await;
    assert_eq!(code, 0, "{report}");
}

on_both_backends!(
    an_untouched_log_verifies,
    an_update_by_hand_is_named,
    a_delete_by_hand_is_named,
    an_insert_by_hand_is_named_and_never_sealed,
    serve_seals_on_its_own,
    a_keyed_chain_needs_its_key,
    the_chain_record_is_checked,
    events_from_before_the_chain_are_adopted,
    retention_prunes_and_keeps_the_chain_whole,
);
