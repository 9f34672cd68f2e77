//! The whole data model of SPEC §2–§10.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each statement is run on its own; `{ts}`, `{json}` and `{bool}` are replaced
/// with the backend's type, everything else is the same SQL on both.
const UP: &[&str] = &[
    // SPEC §2. `status` and `deleted_at` move together: `deleted` iff deleted_at set.
    "CREATE TABLE users (
        id TEXT PRIMARY KEY NOT NULL,
        username TEXT NOT NULL,
        email TEXT NOT NULL,
        display_name TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending_invitation', 'active', 'deactivated', 'deleted')),
        claims {json} NOT NULL,
        password_hash TEXT,
        created_at {ts} NOT NULL,
        updated_at {ts} NOT NULL,
        last_login_at {ts},
        last_active_at {ts},
        deleted_at {ts},
        CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
    )",
    // Case-insensitive uniqueness lives in the database, across every user
    // (soft-deleted ones included: their username and email stay taken).
    "CREATE UNIQUE INDEX users_username_ci ON users (lower(username))",
    "CREATE UNIQUE INDEX users_email_ci ON users (lower(email))",
    "CREATE INDEX users_status_created ON users (status, created_at, id)",
    "CREATE INDEX users_created ON users (created_at, id)",
    // SPEC §8: identities are keyed by (issuer, subject), never by email alone.
    "CREATE TABLE external_identities (
        id TEXT PRIMARY KEY NOT NULL,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        email TEXT,
        created_at {ts} NOT NULL,
        last_seen_at {ts},
        UNIQUE (issuer, subject)
    )",
    "CREATE INDEX external_identities_user ON external_identities (user_id)",
    // SPEC §3: roles are data.
    "CREATE TABLE roles (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        is_builtin {bool} NOT NULL,
        created_at {ts} NOT NULL,
        updated_at {ts} NOT NULL
    )",
    "CREATE UNIQUE INDEX roles_name_ci ON roles (lower(name))",
    "CREATE TABLE role_permissions (
        role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
        permission TEXT NOT NULL,
        PRIMARY KEY (role_id, permission)
    )",
    "CREATE TABLE user_roles (
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
        source TEXT NOT NULL CHECK (source IN ('manual', 'idp')),
        created_at {ts} NOT NULL,
        PRIMARY KEY (user_id, role_id)
    )",
    "CREATE INDEX user_roles_role ON user_roles (role_id)",
    // SPEC §7.
    "CREATE TABLE organizations (
        id TEXT PRIMARY KEY NOT NULL,
        slug TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        description TEXT,
        is_default {bool} NOT NULL,
        created_at {ts} NOT NULL,
        updated_at {ts} NOT NULL
    )",
    "CREATE UNIQUE INDEX organizations_name_ci ON organizations (lower(name))",
    // At most one default organization.
    "CREATE UNIQUE INDEX organizations_one_default ON organizations (is_default) WHERE is_default",
    "CREATE TABLE organization_memberships (
        organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at {ts} NOT NULL,
        PRIMARY KEY (organization_id, user_id)
    )",
    "CREATE INDEX organization_memberships_user ON organization_memberships (user_id)",
    // SPEC §5: only SHA-256 digests of secrets are stored.
    "CREATE TABLE sessions (
        id TEXT PRIMARY KEY NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at {ts} NOT NULL,
        last_seen_at {ts} NOT NULL,
        idle_expires_at {ts} NOT NULL,
        expires_at {ts} NOT NULL,
        ip_address TEXT,
        user_agent TEXT,
        revoked_at {ts}
    )",
    "CREATE INDEX sessions_user ON sessions (user_id)",
    "CREATE TABLE personal_access_tokens (
        id TEXT PRIMARY KEY NOT NULL,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        scopes {json} NOT NULL,
        created_at {ts} NOT NULL,
        expires_at {ts},
        last_used_at {ts},
        revoked_at {ts}
    )",
    "CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_id)",
    // Invitations and password resets.
    "CREATE TABLE one_time_tokens (
        id TEXT PRIMARY KEY NOT NULL,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
        token_hash TEXT NOT NULL UNIQUE,
        created_at {ts} NOT NULL,
        expires_at {ts} NOT NULL,
        used_at {ts},
        revoked_at {ts}
    )",
    "CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose)",
    // SPEC §9. No foreign key to users: the trail outlives whatever it mentions.
    "CREATE TABLE audit_events (
        id TEXT PRIMARY KEY NOT NULL,
        occurred_at {ts} NOT NULL,
        actor_id TEXT,
        actor_username TEXT,
        channel TEXT NOT NULL CHECK (channel IN ('api', 'cli', 'oidc', 'system')),
        event_type TEXT NOT NULL,
        resource_type TEXT,
        resource_id TEXT,
        ip_address TEXT,
        user_agent TEXT,
        details {json} NOT NULL
    )",
    "CREATE INDEX audit_events_occurred ON audit_events (occurred_at, id)",
    "CREATE INDEX audit_events_actor ON audit_events (actor_id, occurred_at)",
    "CREATE INDEX audit_events_type ON audit_events (event_type, occurred_at)",
    "CREATE INDEX audit_events_resource ON audit_events (resource_type, resource_id)",
    // Brute-force counters (SPEC §5), one row per account or client address, so
    // that every roster process behind a load balancer sees the same numbers.
    "CREATE TABLE login_attempts (
        scope TEXT NOT NULL CHECK (scope IN ('account', 'address')),
        subject TEXT NOT NULL,
        failures INTEGER NOT NULL,
        window_started_at {ts} NOT NULL,
        last_failure_at {ts} NOT NULL,
        locked_until {ts},
        PRIMARY KEY (scope, subject)
    )",
    // Per-user overrides of the configured default limits.
    "CREATE TABLE user_quotas (
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        resource TEXT NOT NULL,
        max_count INTEGER NOT NULL CHECK (max_count >= 0),
        updated_at {ts} NOT NULL,
        PRIMARY KEY (user_id, resource)
    )",
];

const TABLES: &[&str] = &[
    "user_quotas",
    "login_attempts",
    "audit_events",
    "one_time_tokens",
    "personal_access_tokens",
    "sessions",
    "organization_memberships",
    "organizations",
    "user_roles",
    "role_permissions",
    "roles",
    "external_identities",
    "users",
];

/// The SQL of `UP` for one backend.
pub fn ddl(backend: DbBackend) -> Vec<String> {
    let (ts, json, boolean) = match backend {
        DbBackend::Postgres => ("TIMESTAMPTZ", "JSONB", "BOOLEAN"),
        // sea-orm stores chrono timestamps and JSON as text on SQLite.
        _ => ("TEXT", "TEXT", "BOOLEAN"),
    };
    UP.iter()
        .map(|sql| {
            sql.replace("{ts}", ts)
                .replace("{json}", json)
                .replace("{bool}", boolean)
        })
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in ddl(manager.get_database_backend()) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TABLES {
            db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
                .await?;
        }
        Ok(())
    }
}
