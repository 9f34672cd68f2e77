//! Postgres row-level security (SPEC §10, seed 002, issue 14) for the
//! application tables of `RLS_TABLES`, proven under a dedicated role that
//! is neither a superuser nor (but for one table) the tables' owner, as a
//! production deployment's: each user reads, changes and deletes only their
//! own rows, inserts only as themselves, and sees nothing without
//! `app.user_id`; `FORCE` binds the table's owner too; units of work over a
//! one-connection pool never carry one user's id into the next; enabling is
//! idempotent, reports a missing table, and a missing privilege is a warning
//! with exit 4; `disable-rls` restores the state before; the startup hook
//! follows `USER_MGMT_RLS_ENFORCE`; SQLite answers clearly.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster::service::work::{Mode, Work};
use roster::service::{Actor, Principal, rls};
use roster_tests::server::Server;
use roster_tests::{
    ADMIN_PASSWORD, Backend, POSTGRES_OWNER, TestDb, connect_url, postgres_admin_url, url_as,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};

/// A login role that is not a superuser, made for one test and dropped
/// with it (after what it owns).
struct AppRole {
    name: String,
    url: String,
    db_url: String,
}

impl AppRole {
    async fn create(db: &TestDb) -> Self {
        let name = format!(
            "roster_app_{}",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        db.exec(&format!(
            "CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
        ))
        .await;
        let database = db.url.rsplit('/').next().expect("database name");
        Self {
            url: format!("{}/{database}", url_as(&postgres_admin_url(), &name)),
            name,
            db_url: db.admin_url.clone(),
        }
    }

    /// Grants what a deployment's application role has: Roster's own tables
    /// (it runs Roster) and the data of the application tables.
    async fn grant(&self, db: &TestDb, app_tables: &[&str]) {
        let role = &self.name;
        db.exec(&format!(
            "GRANT USAGE, CREATE ON SCHEMA public TO {role}; \
             GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}; \
             GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"
        ))
        .await;
        for table in app_tables {
            db.exec(&format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}"
            ))
            .await;
        }
    }

    async fn connect(&self) -> DatabaseConnection {
        connect_url(&self.url).await
    }
}

impl Drop for AppRole {
    fn drop(&mut self) {
        let (name, url) = (self.name.clone(), self.db_url.clone());
        // The database goes with the test; the role is cluster-wide.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Runtime::new() else {
                return;
            };
            rt.block_on(async {
                let db = connect_url(&url).await;
                let _ = db
                    .execute_unprepared(&format!("DROP OWNED BY {name}"))
                    .await;
                db.close().await.ok();
                let admin = connect_url(&format!("{}/postgres", postgres_admin_url())).await;
                let _ = admin
                    .execute_unprepared(&format!("DROP ROLE IF EXISTS {name}"))
                    .await;
                admin.close().await.ok();
            });
        })
        .join();
    }
}

/// The application's tables, owned (as Roster's are) by the role Roster
/// connects as.
async fn app_tables(db: &TestDb, tables: &[&str]) {
    for table in tables {
        db.exec(&format!(
            "CREATE TABLE {table} (id serial PRIMARY KEY, owner_user_id text NOT NULL, body text); \
             ALTER TABLE {table} OWNER TO {POSTGRES_OWNER}"
        ))
        .await;
        db.exec(&format!(
            "INSERT INTO {table} (owner_user_id, body) VALUES ('u1', '{table} of u1'), ('u2', '{table} of u2')"
        ))
        .await;
    }
}

/// Runs `sql` in a transaction as `user` (`app.user_id`, local to it):
/// the first column of each row, or Postgres's error.
async fn as_user(
    conn: &DatabaseConnection,
    user: Option<&str>,
    sql: &str,
) -> Result<Vec<String>, String> {
    let settings: Vec<(&str, &str)> = user.map(|u| ("app.user_id", u)).into_iter().collect();
    scoped(conn, &settings, sql).await
}

/// Runs `sql` in a transaction with `settings` (`app.user_id`,
/// `roster.scope`, `roster.read_ids`, …, local to it): the first column of
/// each row, or Postgres's error.
async fn scoped(
    conn: &DatabaseConnection,
    settings: &[(&str, &str)],
    sql: &str,
) -> Result<Vec<String>, String> {
    let txn = conn.begin().await.map_err(|e| e.to_string())?;
    for (setting, value) in settings {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config($1, $2, true)",
            [(*setting).into(), (*value).into()],
        ))
        .await
        .map_err(|e| e.to_string())?;
    }
    let rows = txn
        .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .map_err(|e| e.to_string())?;
    txn.commit().await.map_err(|e| e.to_string())?;
    Ok(rows
        .iter()
        .map(|r| {
            r.try_get_by_index::<String>(0)
                .or_else(|_| r.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .unwrap_or_default()
        })
        .collect())
}

fn report(stdout: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(stdout.trim())
        .unwrap_or_else(|e| panic!("JSON report: {e}: {stdout}"))
        .as_array()
        .expect("a list")
        .clone()
}

fn table<'a>(report: &'a [Value], name: &str) -> &'a Value {
    report
        .iter()
        .find(|t| t["table"] == name)
        .unwrap_or_else(|| panic!("{name} in {report:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_see_and_change_only_their_rows() {
    let db = TestDb::bootstrapped(Backend::Postgres).await;
    app_tables(&db, &["notes", "items"]).await;
    let role = AppRole::create(&db).await;
    role.grant(&db, &["notes", "items"]).await;
    // The role owns `items`: FORCE binds it there too.
    db.exec(&format!("ALTER TABLE items OWNER TO {}", role.name))
        .await;

    // Run, as the seed has it, by someone who owns every table.
    let enable = || {
        db.roster()
            .env("DATABASE_URL", &db.admin_url)
            .env("RLS_TABLES", "notes, items, gone")
            .args(["enable-rls", "--json"])
    };
    let first = report(&enable().run().await.ok().stdout);
    for name in ["notes", "items"] {
        let t = table(&first, name);
        assert_eq!(t["exists"], true);
        assert_eq!(t["rls_enabled"], true, "{t}");
        assert_eq!(t["forced"], true, "{t}");
        assert_eq!(
            t["policies"],
            json!({ "select": "created", "insert": "created", "update": "created", "delete": "created" }),
        );
    }
    let gone = table(&first, "gone");
    assert_eq!(gone["exists"], false);
    assert_eq!(gone["message"], "no such table");
    // Again: everything is there, nothing changes.
    let again = report(&enable().run().await.ok().stdout);
    assert_eq!(
        table(&again, "notes")["policies"],
        json!({ "select": "present", "insert": "present", "update": "present", "delete": "present" })
    );
    let policies = db
        .strings("SELECT policyname FROM pg_policies WHERE tablename = 'notes' ORDER BY policyname")
        .await;
    assert_eq!(
        policies,
        ["del_owner", "ins_owner", "mod_owner", "select_owner"]
    );
    assert_eq!(
        db.strings("SELECT id FROM audit_events WHERE event_type = 'rls.enabled'")
            .await
            .len(),
        2
    );

    let conn = role.connect().await;
    for t in ["notes", "items"] {
        let select = format!("SELECT body FROM {t} ORDER BY id");
        let read = |user| as_user(&conn, user, &select);
        assert_eq!(read(Some("u1")).await, Ok(vec![format!("{t} of u1")]));
        assert_eq!(read(Some("u2")).await, Ok(vec![format!("{t} of u2")]));
        assert_eq!(read(None).await, Ok(vec![]), "no app.user_id, no rows");
        // Updates and deletes reach only one's own rows.
        let changed = as_user(
            &conn,
            Some("u1"),
            &format!("UPDATE {t} SET body = 'changed' RETURNING owner_user_id"),
        )
        .await;
        assert_eq!(changed, Ok(vec!["u1".to_string()]));
        let moved = as_user(
            &conn,
            Some("u1"),
            &format!("UPDATE {t} SET owner_user_id = 'u2' RETURNING id"),
        )
        .await;
        assert!(moved.is_err(), "a row cannot be given away: {moved:?}");
        let inserted = as_user(
            &conn,
            Some("u1"),
            &format!("INSERT INTO {t} (owner_user_id, body) VALUES ('u2', 'forged') RETURNING id"),
        )
        .await;
        assert!(
            inserted.is_err(),
            "nor inserted as someone else: {inserted:?}"
        );
        let own = as_user(
            &conn,
            Some("u1"),
            &format!(
                "INSERT INTO {t} (owner_user_id, body) VALUES ('u1', 'new') RETURNING owner_user_id"
            ),
        )
        .await;
        assert_eq!(own, Ok(vec!["u1".to_string()]));
        let deleted = as_user(
            &conn,
            Some("u1"),
            &format!("DELETE FROM {t} RETURNING owner_user_id"),
        )
        .await;
        assert_eq!(deleted, Ok(vec!["u1".to_string(), "u1".to_string()]));
        // u2's row is untouched.
        assert_eq!(
            db.strings(&format!(
                "SELECT owner_user_id || ':' || body FROM {t} ORDER BY id"
            ))
            .await,
            [format!("u2:{t} of u2")]
        );
    }
    conn.close().await.ok();

    // The manual rollback, as a command: the state before, exactly.
    let off = db
        .roster()
        .env("DATABASE_URL", &db.admin_url)
        .env("RLS_TABLES", "notes, items, gone")
        .args(["disable-rls", "--json"])
        .run()
        .await
        .ok();
    let off = report(&off.stdout);
    assert_eq!(
        table(&off, "notes")["policies"],
        json!({ "select": "dropped", "insert": "dropped", "update": "dropped", "delete": "dropped" })
    );
    assert_eq!(
        db.strings("SELECT relname || ':' || relrowsecurity || ':' || relforcerowsecurity FROM pg_class WHERE relname IN ('notes', 'items', 'sessions', 'personal_access_tokens', 'user_quotas') ORDER BY relname")
            .await,
        [
            "items:false:false",
            "notes:false:false",
            "personal_access_tokens:false:false",
            "sessions:false:false",
            "user_quotas:false:false"
        ]
    );
    assert!(
        db.strings("SELECT policyname FROM pg_policies WHERE schemaname = 'public'")
            .await
            .is_empty()
    );
    assert_eq!(
        db.strings("SELECT id FROM audit_events WHERE event_type = 'rls.disabled'")
            .await
            .len(),
        1
    );
}

fn user(id: &str) -> Actor {
    Actor {
        principal: Principal::User {
            id: id.into(),
            username: id.into(),
            permissions: Default::default(),
        },
        channel: roster::domain::Channel::Api,
        ip: None,
        user_agent: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn units_of_work_never_leak_a_user_over_a_pooled_connection() {
    let db = TestDb::bootstrapped(Backend::Postgres).await;
    app_tables(&db, &["notes"]).await;
    let role = AppRole::create(&db).await;
    role.grant(&db, &["notes"]).await;
    let vars = [("RLS_TABLES", "notes")];
    let admin_app = db.app(&vars, 1).await;
    Work::run(&admin_app, Actor::cli_operator(), Mode::Write, async |w| {
        rls::enable(w).await
    })
    .await
    .expect("enabled");

    // Roster connected as the application role, one connection for all.
    let mut all: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    all.insert("DATABASE_URL".into(), role.url.clone());
    let config = roster::Config::from_vars(&all).expect("config");
    let pool = roster_tests::connect_pool(&role.url, 1).await;
    let app = roster::App::new(pool, config).expect("app");
    let visible = |actor: Actor| {
        let app = app.clone();
        async move {
            Work::run(&app, actor, Mode::Read, async |w| {
                let rows = w
                    .db()
                    .await?
                    .query_all_raw(Statement::from_string(
                        DbBackend::Postgres,
                        "SELECT owner_user_id FROM notes",
                    ))
                    .await?;
                Ok(rows
                    .iter()
                    .filter_map(|r| r.try_get_by_index::<String>(0).ok())
                    .collect::<Vec<_>>())
            })
            .await
            .expect("read")
        }
    };
    for _ in 0..5 {
        assert_eq!(visible(user("u1")).await, ["u1"]);
        assert_eq!(visible(user("u2")).await, ["u2"]);
        // After a unit of work the connection carries no user.
        assert!(visible(Actor::cli_operator()).await.is_empty());
        let bare = app
            .db
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT owner_user_id FROM notes",
            ))
            .await
            .expect("bare read");
        assert!(bare.is_empty(), "the pooled connection kept a user");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_privilege_is_a_warning_and_exit_4() {
    let db = TestDb::bootstrapped(Backend::Postgres).await;
    app_tables(&db, &["notes"]).await;
    let role = AppRole::create(&db).await;
    role.grant(&db, &["notes"]).await;
    // The role runs Roster but does not own `notes`.
    let out = db
        .roster()
        .env("DATABASE_URL", &role.url)
        .env("RLS_TABLES", "notes")
        .args(["enable-rls", "--json"])
        .run()
        .await;
    assert_eq!(out.code, 4, "{}", out.stderr);
    let all = report(&out.stdout);
    let notes = table(&all, "notes").clone();
    assert_eq!(notes["rls_enabled"], false);
    assert_eq!(notes["policies"]["select"], "failed");
    assert!(
        notes["message"]
            .as_str()
            .is_some_and(|m| m.contains("must be owner")),
        "{notes}"
    );
    assert!(out.stderr.contains("privilege"), "{}", out.stderr);
    // Nothing was changed, and the attempt is on record.
    assert_eq!(
        db.strings("SELECT relrowsecurity::text FROM pg_class WHERE relname = 'notes'")
            .await,
        ["false"]
    );
    assert_eq!(
        db.strings("SELECT id FROM audit_events WHERE event_type = 'rls.enabled'")
            .await
            .len(),
        1
    );
}

/// Whether `roster serve` with `env` enabled RLS on `notes` at startup.
async fn hook_ran(db: &TestDb, env: &[(&str, &str)]) -> bool {
    db.exec("ALTER TABLE notes NO FORCE ROW LEVEL SECURITY; ALTER TABLE notes DISABLE ROW LEVEL SECURITY")
        .await;
    let mut all = vec![("RLS_TABLES", "notes")];
    all.extend_from_slice(env);
    let mut server = Server::start(db, &all);
    let ran = server.log_contains("row-level security");
    server.terminate();
    let enabled = db
        .strings("SELECT relrowsecurity::text FROM pg_class WHERE relname = 'notes'")
        .await;
    assert_eq!(enabled == ["true"], ran, "the log and the table agree");
    ran
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_startup_hook_follows_the_flags() {
    let db = TestDb::bootstrapped(Backend::Postgres).await;
    app_tables(&db, &["notes"]).await;
    assert!(hook_ran(&db, &[]).await, "on by default");
    assert!(!hook_ran(&db, &[("USER_MGMT_RLS_ENFORCE", "0")]).await);
    assert!(
        !hook_ran(&db, &[("USER_MGMT_ENFORCE", "0")]).await,
        "follows ENFORCE"
    );
    assert!(
        hook_ran(
            &db,
            &[("USER_MGMT_ENFORCE", "0"), ("USER_MGMT_RLS_ENFORCE", "1")]
        )
        .await,
        "set explicitly, it wins"
    );
    // Each run above that turned RLS on is on record; a restart that finds
    // everything in place records nothing.
    let events = || db.strings("SELECT id FROM audit_events WHERE event_type = 'rls.enabled'");
    assert_eq!(events().await.len(), 2);
    let mut server = Server::start(&db, &[("RLS_TABLES", "notes")]);
    assert!(server.log_contains("row-level security"));
    server.terminate();
    assert_eq!(events().await.len(), 2);

    // The database page's view and button, for an administrator.
    let server = Server::start(&db, &[("RLS_TABLES", "notes")]);
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let status = admin
        .query(
            "{ databaseStatus { backend serverVersion pgTrgm tables { table roster exists ownerColumn rlsEnabled forced policies { select insert update delete } } } }",
            json!({}),
        )
        .await
        .data("databaseStatus");
    assert_eq!(status["backend"], "postgres");
    assert!(
        status["serverVersion"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    let present = json!({ "select": "PRESENT", "insert": "PRESENT", "update": "PRESENT", "delete": "PRESENT" });
    let tables = status["tables"].as_array().expect("tables");
    let names: Vec<&str> = tables.iter().filter_map(|t| t["table"].as_str()).collect();
    assert_eq!(
        names,
        ["sessions", "personal_access_tokens", "user_quotas", "notes"],
        "Roster's own tables, then RLS_TABLES"
    );
    for t in tables {
        let roster = t["table"] != "notes";
        assert_eq!(
            *t,
            json!({ "table": t["table"], "roster": roster, "exists": true, "ownerColumn": true,
                    "rlsEnabled": true, "forced": true, "policies": present }),
        );
    }
    let again = admin
        .query(
            "mutation { enableRls { table policies { select } } }",
            json!({}),
        )
        .await
        .data("enableRls");
    assert_eq!(
        again[3],
        json!({ "table": "notes", "policies": { "select": "PRESENT" } })
    );
    assert!(
        again
            .as_array()
            .expect("tables")
            .iter()
            .all(|t| t["policies"]["select"] == "PRESENT")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_says_rls_needs_postgres() {
    let db = TestDb::bootstrapped(Backend::Sqlite).await;
    for command in ["enable-rls", "disable-rls"] {
        db.roster()
            .args([command])
            .run()
            .await
            .fails_with(2, "row-level security needs Postgres");
    }
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let reply = admin
        .query("mutation { enableRls { table } }", json!({}))
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert!(
        reply.message().contains("needs Postgres"),
        "{}",
        reply.message()
    );
    let status = admin
        .query("{ databaseStatus { backend tables { table } } }", json!({}))
        .await
        .data("databaseStatus");
    assert_eq!(status, json!({ "backend": "sqlite", "tables": [] }));
}

const ALICE_PASSWORD: &str = "Correct-Horse-Battery-9";

/// Roster's own owner-scoped tables (sessions, personal access tokens,
/// quotas) are under row-level security from the first start (the startup
/// hook, on by default), binding the role Roster connects as (it owns them:
/// `FORCE`); Roster still logs users in, authenticates tokens, and lets an
/// administrator list and revoke another user's sessions and tokens and set
/// their quota (the policies' branch, opened by Roster's policy only), and
/// a user who may not is refused as on SQLite, not told "not found".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_tables_bind_roster_and_administration_still_works() {
    let db = TestDb::bootstrapped(Backend::Postgres).await;
    db.provision("alice@example.com", "viewer", ALICE_PASSWORD)
        .await
        .ok();
    let server = Server::start(&db, &[]);
    assert_eq!(
        db.strings(
            "SELECT relname || ':' || relrowsecurity || ':' || relforcerowsecurity FROM pg_class \
             WHERE relname IN ('sessions', 'personal_access_tokens', 'user_quotas') ORDER BY relname"
        )
        .await,
        [
            "personal_access_tokens:true:true",
            "sessions:true:true",
            "user_quotas:true:true"
        ]
    );
    // Roster's role is bound: not a superuser, not exempt.
    let owner = connect_url(&db.url).await;
    let role = owner
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT (rolsuper OR rolbypassrls)::text FROM pg_roles WHERE rolname = current_user",
        ))
        .await
        .expect("role")
        .expect("a row");
    assert_eq!(
        role.try_get_by_index::<String>(0).ok().as_deref(),
        Some("false")
    );

    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let (alice, _) = server.client().login("alice", ALICE_PASSWORD).await;
    let alice_id = db
        .strings("SELECT id FROM users WHERE username = 'alice'")
        .await
        .remove(0);
    let created = alice
        .query(
            "mutation { createToken(name: \"ci\", scopes: [\"orgs:read\"]) { secret token { id } } }",
            json!({}),
        )
        .await
        .data("createToken");
    let secret = created["secret"].as_str().expect("secret");
    let token_id = created["token"]["id"].as_str().expect("id");
    let bearer = server.client().with_bearer(secret);
    let me = bearer
        .query("{ viewer { user { username } } }", json!({}))
        .await
        .data("viewer");
    assert_eq!(me["user"]["username"], "alice", "the token authenticates");
    let mine = alice
        .query("{ mySessions { id } myTokens { id } }", json!({}))
        .await;
    assert_eq!(mine.data("mySessions").as_array().map(Vec::len), Some(1));
    assert_eq!(mine.data("myTokens")[0]["id"], token_id);
    let alice_session = mine.data("mySessions")[0]["id"].clone();

    // An administrator sees and changes alice's rows.
    let seen = admin
        .query(
            "query($u: ID!) { tokens(userId: $u) { id } user(id: $u) { sessions { id } quotas { used overridden } } }",
            json!({ "u": alice_id }),
        )
        .await;
    assert_eq!(seen.data("tokens")[0]["id"], token_id);
    assert_eq!(seen.data("user")["sessions"][0]["id"], alice_session);
    assert_eq!(
        seen.data("user")["quotas"][0],
        json!({ "used": 1, "overridden": false }),
        "alice's tokens counted for the administrator"
    );
    let quota = admin
        .query(
            "mutation($u: ID!) { setUserQuota(id: $u, resource: TOKENS, limit: 3) { quotas { limit overridden } } }",
            json!({ "u": alice_id }),
        )
        .await
        .data("setUserQuota");
    assert_eq!(
        quota["quotas"][0],
        json!({ "limit": 3, "overridden": true })
    );
    let own_quota = alice
        .query(
            "query($u: ID!) { user(id: $u) { quotas { limit used } } }",
            json!({ "u": alice_id }),
        )
        .await
        .data("user");
    assert_eq!(own_quota["quotas"][0], json!({ "limit": 3, "used": 1 }));

    // alice may not end the administrator's session: refused, as on SQLite.
    let admin_session = admin
        .query("{ mySessions { id } }", json!({}))
        .await
        .data("mySessions")[0]["id"]
        .clone();
    let refused = alice
        .query(
            "mutation($s: ID!) { revokeSession(id: $s) }",
            json!({ "s": admin_session }),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    let refused = alice
        .query(
            "query($u: ID!) { tokens(userId: $u) { id } }",
            json!({ "u": db.strings("SELECT id FROM users WHERE username = 'admin'").await[0] }),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    let admin_token = admin
        .query(
            "mutation { createToken(name: \"ops\", scopes: [\"users:read\"]) { token { id } } }",
            json!({}),
        )
        .await
        .data("createToken")["token"]["id"]
        .clone();
    let refused = alice
        .query(
            "mutation($t: ID!) { revokeToken(id: $t) }",
            json!({ "t": admin_token }),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");

    for (mutation, id) in [
        ("revokeToken", json!(token_id)),
        ("revokeSession", alice_session),
    ] {
        let done = admin
            .query(
                &format!("mutation($id: ID!) {{ {mutation}(id: $id) }}"),
                json!({ "id": id }),
            )
            .await
            .data(mutation);
        assert_eq!(done, true, "{mutation}");
    }
    let reply = bearer
        .query("{ viewer { user { username } } }", json!({}))
        .await;
    assert_eq!(reply.code(), "UNAUTHENTICATED", "alice's token is revoked");
    let reply = alice
        .query("{ viewer { user { username } } }", json!({}))
        .await;
    assert_eq!(
        reply.data("viewer"),
        Value::Null,
        "alice's session is revoked"
    );

    owner.close().await.ok();
}

/// The policies' branch on Roster's own tables, seen from both sides: as
/// Roster's role in plain SQL, each setting opens exactly what it says; and
/// through units of work over one pooled connection, a user's work sees
/// only their rows, a grant on one account opens only that account's rows,
/// the owner lookup of a check narrows back after it, and nothing stays on
/// the connection after a work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_policies_open_only_what_roster_grants() {
    let db = TestDb::bootstrapped(Backend::Postgres).await;
    for name in ["alice", "bob"] {
        db.provision(&format!("{name}@example.com"), "viewer", ALICE_PASSWORD)
            .await
            .ok();
    }
    db.roster().args(["enable-rls"]).run().await.ok();
    let id = async |name: &str| {
        db.strings(&format!("SELECT id FROM users WHERE username = '{name}'"))
            .await
            .remove(0)
    };
    let (admin, alice, bob) = (id("admin").await, id("alice").await, id("bob").await);
    for name in ["admin", "alice", "bob"] {
        db.add_session(&format!("{name}@example.com")).await;
    }
    let sorted = |mut ids: Vec<String>| {
        ids.sort();
        ids
    };
    let everyone = sorted(vec![admin.clone(), alice.clone(), bob.clone()]);

    // Through units of work, Roster's role over a pool of one connection.
    let app = db.app(&[], 1).await;
    let owners = "SELECT DISTINCT user_id FROM sessions ORDER BY user_id";
    let seen = async |w: &Work| -> roster::error::Result<Vec<String>> {
        let rows = w
            .db()
            .await?
            .query_all_raw(Statement::from_string(DbBackend::Postgres, owners))
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| r.try_get_by_index::<String>(0).ok())
            .collect())
    };
    let mine = Work::run(&app, user(&alice), Mode::Read, async |w| seen(w).await).await;
    assert_eq!(mine.expect("read"), std::slice::from_ref(&alice));
    let reader = Actor {
        principal: Principal::User {
            id: "01READER000000000000000000".into(),
            username: "reader".into(),
            permissions: [roster::domain::Permission::UsersRead].into(),
        },
        ..user("reader")
    };
    let granted = Work::run(&app, reader, Mode::Read, async |w| {
        roster::service::quotas::usage_for(w, &bob).await?;
        seen(w).await
    })
    .await;
    assert_eq!(
        granted.expect("read"),
        std::slice::from_ref(&bob),
        "only bob's account was granted"
    );
    let bob_session = db
        .strings(&format!("SELECT id FROM sessions WHERE user_id = '{bob}'"))
        .await
        .remove(0);
    let after_check = Work::run(&app, user(&alice), Mode::Write, async |w| {
        let refused = roster::service::sessions::revoke(w, &bob_session).await;
        Ok((refused.map_err(|e| e.code()), seen(w).await?))
    })
    .await
    .expect("work");
    assert_eq!(after_check.0, Err("FORBIDDEN"), "found, then refused");
    assert_eq!(
        after_check.1,
        std::slice::from_ref(&alice),
        "the owner lookup narrowed back"
    );
    let operator = Work::run(&app, Actor::cli_operator(), Mode::Read, async |w| {
        seen(w).await
    });
    assert_eq!(operator.await.expect("read"), everyone);
    let bare = app
        .db
        .query_all_raw(Statement::from_string(DbBackend::Postgres, owners))
        .await
        .expect("bare read");
    assert!(bare.is_empty(), "the pooled connection kept a scope");

    // In plain SQL as Roster's role.
    let owner = connect_url(&db.url).await;
    let read = |settings: Vec<(&'static str, String)>| {
        let owner = &owner;
        async move {
            let settings: Vec<(&str, &str)> =
                settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
            scoped(owner, &settings, owners).await
        }
    };
    assert_eq!(read(vec![]).await, Ok(vec![]), "no user, no rows");
    assert_eq!(
        read(vec![("app.user_id", alice.clone())]).await,
        Ok(vec![alice.clone()])
    );
    assert_eq!(
        read(vec![
            ("app.user_id", alice.clone()),
            ("roster.read_ids", bob.clone())
        ])
        .await,
        Ok(sorted(vec![alice.clone(), bob.clone()]))
    );
    assert_eq!(
        read(vec![("roster.scope", "read".into())]).await,
        Ok(everyone.clone())
    );
    let touch = "UPDATE sessions SET user_agent = 'edited' RETURNING user_id";
    let change = async |settings: &[(&str, &str)]| scoped(&owner, settings, touch).await;
    let as_alice = ("app.user_id", alice.as_str());
    assert_eq!(
        change(&[as_alice, ("roster.read_ids", &bob)]).await,
        Ok(vec![alice.clone()]),
        "reading bob's rows changes none of them"
    );
    assert_eq!(
        change(&[as_alice, ("roster.scope", "read")]).await,
        Ok(vec![alice.clone()]),
        "nor does reading everyone's"
    );
    assert_eq!(
        change(&[
            as_alice,
            ("roster.read_ids", &bob),
            ("roster.write_ids", &bob)
        ])
        .await
        .map(sorted),
        Ok(sorted(vec![alice.clone(), bob.clone()]))
    );
    let quota_for = |user: &str| {
        format!(
            "INSERT INTO user_quotas (user_id, resource, max_count, updated_at) \
             VALUES ('{user}', 'tokens', 9, now()) RETURNING user_id"
        )
    };
    let forged = scoped(
        &owner,
        &[as_alice, ("roster.read_ids", &bob)],
        &quota_for(&bob),
    )
    .await;
    assert!(forged.is_err(), "{forged:?}");
    let allowed = scoped(
        &owner,
        &[
            as_alice,
            ("roster.read_ids", &bob),
            ("roster.write_ids", &bob),
        ],
        &quota_for(&bob),
    )
    .await;
    assert_eq!(allowed, Ok(vec![bob.clone()]));
    let deleted = scoped(
        &owner,
        &[as_alice],
        "DELETE FROM sessions RETURNING user_id",
    )
    .await;
    assert_eq!(
        deleted,
        Ok(vec![alice.clone()]),
        "one deletes only one's own"
    );
    assert_eq!(
        sorted(db.strings("SELECT DISTINCT user_id FROM sessions").await),
        sorted(vec![admin.clone(), bob.clone()])
    );
    owner.close().await.ok();
}
