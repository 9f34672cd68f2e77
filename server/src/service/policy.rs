//! The policy: every access decision Roster makes (SPEC §3), and the only
//! module that names a permission. Services ask a named decision
//! (`require_user_manager_of`, `require_role_reader`, …); each passes when
//! allowed, and otherwise records a `permission.denied` event in the unit of
//! work (kept whatever its outcome) and, when enforcement is on, fails with
//! `FORBIDDEN`. In permissive mode (`USER_MGMT_ENFORCE=0`) the would-be
//! denial is recorded and allowed.
//!
//! The rules: a permission comes from a role, or from owning the thing
//! (`owner_id` is the actor's id); nobody grants what they lack (no
//! escalation); nobody manages someone more powerful (acting on another
//! user's account needs every permission that user holds); the CLI operator
//! may do anything, an anonymous caller nothing.
//!
//! A decision that grants access to another user's account also opens that
//! user's rows to the unit of work under row-level security
//! (`Work::reach_user`): reading their account to read, managing it or
//! their tokens to change too. Only that user's rows: a grant on one
//! account opens no other. Permissive mode, which allows what it would
//! deny, opens them too.

use std::collections::BTreeSet;

use serde_json::json;

pub use super::actor::{Actor, Principal};
use super::audit::AuditEvent;
use super::work::{Access, Work};
use crate::domain::{Permission, PermissionError};
use crate::error::{DomainError, Result};

/// SPEC §3's `require_permission`.
fn require(work: &Work, permission: Permission, owner_id: Option<&str>) -> Result<()> {
    if work.actor().has_permission(permission, owner_id) {
        return Ok(());
    }
    deny(work, &[permission], json!({}))
}

/// SPEC §3's question asked by a downstream service ("may the current user
/// do this?"): the answer, without failing. In permissive mode a would-be
/// denial is recorded and answered yes; with enforcement it is answered no.
/// A permission Roster does not know is held by nobody; a malformed one is
/// `BAD_USER_INPUT`.
pub fn answer(work: &Work, permission: &str, owner_id: Option<&str>) -> Result<bool> {
    let permission = match Permission::parse(permission) {
        Ok(p) => p,
        Err(PermissionError::Unknown(_)) => return Ok(false),
        Err(e @ PermissionError::Invalid(_)) => {
            return Err(DomainError::bad_input("permission", e.to_string()));
        }
    };
    if work.actor().has_permission(permission, owner_id) {
        return Ok(true);
    }
    if work.app().config.flags.enforce {
        return Ok(false);
    }
    Ok(deny(work, &[permission], json!({})).is_ok())
}

/// Creating users: `users:manage` (granting roles also needs their
/// permissions: [`require_grant`]). The CLI asks this before prompting for
/// the new user's password.
pub fn require_user_manager(work: &Work) -> Result<()> {
    require(work, Permission::UsersManage, None)
}

/// Reading a user's account (their profile, quotas): `users:read`, or being
/// that user.
pub async fn require_user_reader(work: &Work, user_id: &str) -> Result<()> {
    require(work, Permission::UsersRead, Some(user_id))?;
    reach_other(work, user_id, Access::Read).await
}

/// Once access to the account of `target_id` is granted, and it is another
/// user's: the work reaches that user's rows (`access`) from now on.
async fn reach_other(work: &Work, target_id: &str, access: Access) -> Result<()> {
    if work.actor().user_id() == Some(target_id) {
        return Ok(());
    }
    work.reach_user(target_id, access).await
}

/// Listing and searching users: `users:read`.
pub fn require_directory_reader(work: &Work) -> Result<()> {
    require(work, Permission::UsersRead, None)
}

/// Reading the role catalogue: `users:read` or `roles:manage`.
pub fn require_role_reader(work: &Work) -> Result<()> {
    let wanted = [Permission::UsersRead, Permission::RolesManage];
    if wanted.iter().any(|p| work.actor().has_permission(*p, None)) {
        return Ok(());
    }
    deny(work, &wanted, json!({ "any_of": wanted }))
}

/// Creating, changing or deleting a custom role: `roles:manage` and every
/// permission the role had or gets (no escalation).
pub fn require_role_manager(
    work: &Work,
    touched: &BTreeSet<Permission>,
    action: &str,
) -> Result<()> {
    require(work, Permission::RolesManage, None)?;
    require_grant(work, touched, json!({ "action": action }))
}

/// Reading organizations and who belongs to them: `orgs:read`.
pub fn require_org_reader(work: &Work) -> Result<()> {
    require(work, Permission::OrgsRead, None)
}

/// Creating, changing and deleting organizations and their memberships:
/// `orgs:manage`.
pub fn require_org_manager(work: &Work) -> Result<()> {
    require(work, Permission::OrgsManage, None)
}

/// Reading and exporting the audit log: `audit:read`.
pub fn require_audit_reader(work: &Work) -> Result<()> {
    require(work, Permission::AuditRead, None)
}

/// Whether the actor reads the whole audit log (`audit:read`): the answer,
/// recording nothing.
pub fn reads_whole_log(work: &Work) -> bool {
    work.actor().has_permission(Permission::AuditRead, None)
}

/// Reading one user's activity: `audit:read`, or being that user.
pub fn require_activity_reader(work: &Work, user_id: &str) -> Result<()> {
    require(work, Permission::AuditRead, Some(user_id))
}

/// Preparing the database, enabling row-level security: `system:manage`.
pub fn require_system_manager(work: &Work) -> Result<()> {
    require(work, Permission::SystemManage, None)
}

/// Acting on the account of `target_id` (its profile, lifecycle, password,
/// sessions, invitations, quotas): `users:manage`, or being that user when
/// `allow_self`, and every permission the target holds.
pub async fn require_user_manager_of(
    work: &Work,
    target_id: &str,
    action: &str,
    allow_self: bool,
) -> Result<()> {
    let owner = allow_self.then_some(target_id);
    require(work, Permission::UsersManage, owner)?;
    require_superset_of(work, target_id, action).await?;
    reach_other(work, target_id, Access::Write).await
}

/// Listing or revoking the personal access tokens of `owner_id`: one's own,
/// or with `tokens:manage` those of a user who is not more powerful.
pub async fn require_token_manager_of(work: &Work, owner_id: &str, action: &str) -> Result<()> {
    require(work, Permission::TokensManage, Some(owner_id))?;
    require_superset_of(work, owner_id, action).await?;
    reach_other(work, owner_id, Access::Write).await
}

/// Nobody manages someone more powerful: acting on another user's account
/// also needs every permission that user holds. Acting on oneself passes.
async fn require_superset_of(work: &Work, target_id: &str, action: &str) -> Result<()> {
    if work.actor().user_id() == Some(target_id) {
        return Ok(());
    }
    let held = super::roles::catalog::permissions_of_user(work.db().await?, target_id).await?;
    require_grant(
        work,
        &held,
        json!({ "action": action, "user_id": target_id }),
    )
}

/// No escalation (SPEC §3): granting roles needs every permission they hold.
pub fn require_grant(
    work: &Work,
    permissions: &BTreeSet<Permission>,
    context: serde_json::Value,
) -> Result<()> {
    let missing = work.actor().missing(permissions.iter().copied());
    if missing.is_empty() {
        return Ok(());
    }
    deny(work, &missing, context)
}

/// The scopes asked for a new token that its owner does not hold (a token
/// only narrows its owner's permissions).
pub fn scopes_beyond_holder(work: &Work, scopes: &BTreeSet<Permission>) -> Vec<Permission> {
    work.actor().missing(scopes.iter().copied())
}

/// Records the denial (whatever the work's outcome) and, when enforcement
/// is on, fails with `FORBIDDEN`.
fn deny(work: &Work, missing: &[Permission], context: serde_json::Value) -> Result<()> {
    let enforce = work.app().config.flags.enforce;
    let event = AuditEvent::new("permission.denied").details(json!({
        "permissions": missing,
        "enforced": enforce,
        "context": context,
    }));
    work.record_denial(event);
    // With enforcement off these are the would-be denials of permissive
    // mode (`enforced="false"`).
    for permission in missing {
        metrics::counter!(
            "roster_permission_denied_total",
            "permission" => permission.as_str(),
            "enforced" => if enforce { "true" } else { "false" }
        )
        .increment(1);
    }
    if enforce {
        Err(DomainError::forbidden())
    } else {
        tracing::warn!(permissions = ?missing, "permissive mode: allowing a denied action");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::domain::Channel;
    use crate::service::work::Mode;
    use crate::{App, Config};
    use Permission::{OrgsManage, OrgsRead, RolesManage, SystemManage, UsersManage, UsersRead};

    /// An app on a fresh SQLite file, enforcing or not.
    async fn app(enforce: bool) -> (tempfile::TempDir, App) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display());
        let mut vars = HashMap::from([("DATABASE_URL".to_string(), url.clone())]);
        if !enforce {
            vars.insert("USER_MGMT_ENFORCE".into(), "0".into());
        }
        let config = Config::from_vars(&vars).expect("config");
        let db = crate::db::open(&url).await.expect("database");
        (dir, App::new(db, config).expect("app"))
    }

    fn holding(permissions: &[Permission]) -> Actor {
        Actor {
            principal: Principal::User {
                id: "01JPOLICY00000000000000000".into(),
                username: "pat".into(),
                permissions: permissions.iter().copied().collect(),
            },
            channel: Channel::Api,
            ip: None,
            user_agent: None,
        }
    }

    /// Runs `decide` in a work for `actor` and answers its outcome and the
    /// denials the work recorded.
    async fn decide(
        app: &App,
        actor: Actor,
        decide: impl FnOnce(&Work) -> Result<()>,
    ) -> (Result<()>, usize) {
        let work = Work::new(app, actor, Mode::Write);
        let outcome = decide(&work);
        let code = outcome.as_ref().map_err(|e| e.code()).copied();
        let ended = work.finish(outcome).await;
        assert_eq!(ended.as_ref().map_err(|e| e.code()).copied(), code);
        let denials = crate::entity::audit_event::Entity::find()
            .all(&app.db)
            .await
            .expect("audit")
            .into_iter()
            .filter(|e| e.event_type == "permission.denied")
            .count();
        (ended, denials)
    }

    use sea_orm::EntityTrait;

    #[tokio::test]
    async fn each_named_decision_asks_its_permission() {
        let (_dir, app) = app(true).await;
        type Rule = fn(&Work) -> Result<()>;
        // Each rule, and the permissions that satisfy it (any one of them).
        let cases: [(&str, Rule, &[Permission]); 6] = [
            ("manage users", require_user_manager, &[UsersManage]),
            ("list users", require_directory_reader, &[UsersRead]),
            ("run system tasks", require_system_manager, &[SystemManage]),
            ("read roles", require_role_reader, &[UsersRead, RolesManage]),
            ("read organizations", require_org_reader, &[OrgsRead]),
            ("manage organizations", require_org_manager, &[OrgsManage]),
        ];
        let mut denied = 0;
        for (what, rule, granting) in cases {
            for one in granting {
                let (ok, _) = decide(&app, holding(&[*one]), rule).await;
                assert!(ok.is_ok(), "{what} with {one}");
            }
            // Every other permission is not enough.
            let others: Vec<Permission> = Permission::ALL
                .into_iter()
                .filter(|p| !granting.contains(p))
                .collect();
            let (refused, denials) = decide(&app, holding(&others), rule).await;
            denied += 1;
            assert_eq!(refused.map_err(|e| e.code()), Err("FORBIDDEN"), "{what}");
            assert_eq!(denials, denied, "{what}: the denial is recorded");
        }
    }

    #[tokio::test]
    async fn reading_an_account_is_for_readers_and_its_owner() {
        let (_dir, app) = app(true).await;
        async fn reads(app: &App, actor: Actor, user_id: &str) -> bool {
            let work = Work::new(app, actor, Mode::Read);
            let outcome = require_user_reader(&work, user_id).await;
            work.finish(outcome).await.is_ok()
        }
        let (own, other) = ("01JPOLICY00000000000000000", "01JOTHER000000000000000000");
        assert!(reads(&app, holding(&[]), own).await);
        assert!(!reads(&app, holding(&[]), other).await);
        assert!(reads(&app, holding(&[UsersRead]), other).await);
    }

    #[tokio::test]
    async fn nobody_grants_what_they_lack() {
        let (_dir, app) = app(true).await;
        let grant = |w: &Work| {
            let wanted = BTreeSet::from([UsersRead, SystemManage]);
            require_grant(w, &wanted, json!({}))
        };
        assert!(decide(&app, holding(&[UsersRead]), grant).await.0.is_err());
        assert!(
            decide(&app, holding(&[UsersRead, SystemManage]), grant)
                .await
                .0
                .is_ok()
        );
        let roles = |w: &Work| require_role_manager(w, &BTreeSet::from([SystemManage]), "x");
        assert!(
            decide(&app, holding(&[RolesManage]), roles)
                .await
                .0
                .is_err()
        );
    }

    #[tokio::test]
    async fn the_operator_may_anything_and_nobody_nothing() {
        let (_dir, app) = app(true).await;
        let anonymous = Actor::anonymous(None, None);
        assert!(
            decide(&app, Actor::cli_operator(), require_system_manager)
                .await
                .0
                .is_ok()
        );
        assert!(
            decide(&app, anonymous, require_directory_reader)
                .await
                .0
                .is_err()
        );
    }

    #[tokio::test]
    async fn permissive_mode_records_and_allows() {
        let (_dir, app) = app(false).await;
        let (allowed, denials) = decide(&app, holding(&[]), require_system_manager).await;
        assert!(allowed.is_ok());
        assert_eq!(denials, 1);
        let (answered, denials) = decide(&app, holding(&[]), |w| {
            assert!(answer(w, "users:manage", None)?);
            Ok(())
        })
        .await;
        assert!(answered.is_ok());
        assert_eq!(denials, 2);
    }

    #[tokio::test]
    async fn questions_about_unknown_or_malformed_permissions() {
        let (_dir, app) = app(true).await;
        let (asked, denials) = decide(&app, holding(&[UsersRead]), |w| {
            assert_eq!(answer(w, "users:read", None).ok(), Some(true));
            assert_eq!(answer(w, "events:publish", None).ok(), Some(false));
            assert_eq!(
                answer(w, "Users Read", None).map_err(|e| e.code()),
                Err("BAD_USER_INPUT")
            );
            Ok(())
        })
        .await;
        assert!(asked.is_ok());
        assert_eq!(denials, 0, "questions are not denials");
    }
}
