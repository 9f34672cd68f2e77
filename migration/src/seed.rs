//! The built-in data every Roster database holds: the four built-in roles with
//! their permissions (SPEC §3) and the default organization (SPEC §7).
//!
//! [`ensure_defaults`] is idempotent: the seed migration runs it once, and
//! `roster ensure-defaults` runs it again to repair drift.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbErr};

/// Roster's own permissions.
pub const ROSTER_PERMISSIONS: &[&str] = &[
    "users:read",
    "users:manage",
    "roles:manage",
    "orgs:read",
    "orgs:manage",
    "audit:read",
    "tokens:manage",
    "system:manage",
];

/// Application permissions from seed 002's matrix.
pub const APPLICATION_PERMISSIONS: &[&str] = &[
    "site_configs:read",
    "site_configs:manage",
    "credentials:read",
    "credentials:manage",
    "bookmarks:read",
    "bookmarks:manage",
];

/// Every permission Roster knows, in display order.
pub fn all_permissions() -> impl Iterator<Item = &'static str> {
    ROSTER_PERMISSIONS
        .iter()
        .chain(APPLICATION_PERMISSIONS)
        .copied()
}

/// A role the migrations create and nobody may change.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinRole {
    pub name: &'static str,
    pub description: &'static str,
    /// `None` means every known permission.
    pub permissions: Option<&'static [&'static str]>,
}

impl BuiltinRole {
    /// The permissions this role grants.
    pub fn permission_list(&self) -> Vec<&'static str> {
        match self.permissions {
            Some(list) => list.to_vec(),
            None => all_permissions().collect(),
        }
    }
}

pub const SUPERUSER: &str = "superuser";
pub const ADMIN: &str = "admin";
pub const EDITOR: &str = "editor";
pub const VIEWER: &str = "viewer";

/// The built-in roles, from most to least powerful.
pub const BUILTIN_ROLES: &[BuiltinRole] = &[
    BuiltinRole {
        name: SUPERUSER,
        description: "Full system access",
        permissions: None,
    },
    BuiltinRole {
        name: ADMIN,
        description: "Manages users, roles below superuser, organizations, tokens and audit, and every application resource",
        permissions: Some(&[
            "users:read",
            "users:manage",
            "roles:manage",
            "orgs:read",
            "orgs:manage",
            "audit:read",
            "tokens:manage",
            "site_configs:read",
            "site_configs:manage",
            "credentials:read",
            "credentials:manage",
            "bookmarks:read",
            "bookmarks:manage",
        ]),
    },
    BuiltinRole {
        name: EDITOR,
        description: "Creates and edits application content",
        permissions: Some(&[
            "orgs:read",
            "site_configs:read",
            "site_configs:manage",
            "bookmarks:read",
            "bookmarks:manage",
            "credentials:read",
        ]),
    },
    BuiltinRole {
        name: VIEWER,
        description: "Read-only access",
        permissions: Some(&["orgs:read", "site_configs:read", "bookmarks:read"]),
    },
];

pub const DEFAULT_ORG_SLUG: &str = "default";
pub const DEFAULT_ORG_NAME: &str = "Default";

/// What [`ensure_defaults`] had to repair; all zero on a healthy database.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Repairs {
    pub roles_created: u64,
    pub roles_marked_builtin: u64,
    pub permissions_added: u64,
    pub permissions_removed: u64,
    pub default_org_created: bool,
    pub default_org_restored: bool,
    pub memberships_added: u64,
}

impl Repairs {
    pub fn is_empty(&self) -> bool {
        *self == Repairs::default()
    }
}

fn new_id() -> String {
    ulid::Ulid::new().to_string()
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

async fn query_strings<C: ConnectionTrait>(
    db: &C,
    stmt: &SelectStatement,
    column: &str,
) -> Result<Vec<String>, DbErr> {
    let rows = db.query_all(stmt).await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", column))
        .collect()
}

/// Creates or repairs the built-in roles, their permissions, the default
/// organization and every user's membership of it.
pub async fn ensure_defaults<C: ConnectionTrait>(db: &C) -> Result<Repairs, DbErr> {
    let mut repairs = Repairs::default();
    for role in BUILTIN_ROLES {
        ensure_role(db, role, &mut repairs).await?;
    }
    let org_id = ensure_default_org(db, &mut repairs).await?;
    repairs.memberships_added = ensure_memberships(db, &org_id).await?;
    Ok(repairs)
}

async fn ensure_role<C: ConnectionTrait>(
    db: &C,
    role: &BuiltinRole,
    repairs: &mut Repairs,
) -> Result<(), DbErr> {
    let find = Query::select()
        .columns(["id", "is_builtin"])
        .from("roles")
        .and_where(Expr::expr(Func::lower(Expr::col("name"))).eq(role.name))
        .to_owned();
    let existing = db.query_one(&find).await?;
    let id = match existing {
        Some(row) => {
            let id: String = row.try_get("", "id")?;
            let builtin: bool = row.try_get("", "is_builtin")?;
            if !builtin {
                db.execute(
                    &Query::update()
                        .table("roles")
                        .value("is_builtin", true)
                        .and_where(Expr::col("id").eq(id.as_str()))
                        .to_owned(),
                )
                .await?;
                repairs.roles_marked_builtin += 1;
            }
            id
        }
        None => {
            let id = new_id();
            let at = now();
            db.execute(
                &Query::insert()
                    .into_table("roles")
                    .columns([
                        "id",
                        "name",
                        "description",
                        "is_builtin",
                        "created_at",
                        "updated_at",
                    ])
                    .values([
                        id.as_str().into(),
                        role.name.into(),
                        role.description.into(),
                        true.into(),
                        at.into(),
                        at.into(),
                    ])
                    .map_err(|e| DbErr::Custom(e.to_string()))?
                    .to_owned(),
            )
            .await?;
            repairs.roles_created += 1;
            id
        }
    };

    let held = query_strings(
        db,
        &Query::select()
            .column("permission")
            .from("role_permissions")
            .and_where(Expr::col("role_id").eq(id.as_str()))
            .to_owned(),
        "permission",
    )
    .await?;
    let wanted = role.permission_list();
    for permission in wanted.iter().filter(|p| !held.iter().any(|h| h == *p)) {
        db.execute(
            &Query::insert()
                .into_table("role_permissions")
                .columns(["role_id", "permission"])
                .values([id.as_str().into(), (*permission).into()])
                .map_err(|e| DbErr::Custom(e.to_string()))?
                .to_owned(),
        )
        .await?;
        repairs.permissions_added += 1;
    }
    let extra: Vec<&String> = held
        .iter()
        .filter(|h| !wanted.contains(&h.as_str()))
        .collect();
    if !extra.is_empty() {
        let result = db
            .execute(
                &Query::delete()
                    .from_table("role_permissions")
                    .and_where(Expr::col("role_id").eq(id.as_str()))
                    .and_where(Expr::col("permission").is_in(extra.iter().map(|s| s.as_str())))
                    .to_owned(),
            )
            .await?;
        repairs.permissions_removed += result.rows_affected();
    }
    Ok(())
}

async fn ensure_default_org<C: ConnectionTrait>(
    db: &C,
    repairs: &mut Repairs,
) -> Result<String, DbErr> {
    let default = query_strings(
        db,
        &Query::select()
            .column("id")
            .from("organizations")
            .and_where(Expr::col("is_default").eq(true))
            .to_owned(),
        "id",
    )
    .await?;
    if let Some(id) = default.into_iter().next() {
        return Ok(id);
    }
    // The flag was lost: give it back to the organization with the default slug.
    let by_slug = query_strings(
        db,
        &Query::select()
            .column("id")
            .from("organizations")
            .and_where(Expr::col("slug").eq(DEFAULT_ORG_SLUG))
            .to_owned(),
        "id",
    )
    .await?;
    if let Some(id) = by_slug.into_iter().next() {
        db.execute(
            &Query::update()
                .table("organizations")
                .value("is_default", true)
                .and_where(Expr::col("id").eq(id.as_str()))
                .to_owned(),
        )
        .await?;
        repairs.default_org_restored = true;
        return Ok(id);
    }
    let id = new_id();
    let at = now();
    db.execute(
        &Query::insert()
            .into_table("organizations")
            .columns([
                "id",
                "slug",
                "name",
                "description",
                "is_default",
                "created_at",
                "updated_at",
            ])
            .values([
                id.as_str().into(),
                DEFAULT_ORG_SLUG.into(),
                DEFAULT_ORG_NAME.into(),
                "Every user belongs here".into(),
                true.into(),
                at.into(),
                at.into(),
            ])
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .to_owned(),
    )
    .await?;
    repairs.default_org_created = true;
    Ok(id)
}

async fn ensure_memberships<C: ConnectionTrait>(db: &C, org_id: &str) -> Result<u64, DbErr> {
    let missing = Query::select()
        .expr(Expr::val(org_id))
        .column("id")
        .expr(Expr::val(now()))
        .from("users")
        .and_where(
            Expr::col("id").not_in_subquery(
                Query::select()
                    .column("user_id")
                    .from("organization_memberships")
                    .and_where(Expr::col("organization_id").eq(org_id))
                    .to_owned(),
            ),
        )
        .to_owned();
    let insert = Query::insert()
        .into_table("organization_memberships")
        .columns(["organization_id", "user_id", "created_at"])
        .select_from(missing)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    Ok(db.execute(&insert).await?.rows_affected())
}
