//! Who is acting: the principal (the CLI operator, an authenticated user with
//! their effective permissions, or nobody), where the request came from, and
//! how an authenticated user's actor is built from their roles. A leaf of the
//! service layer: the access decisions (`access`) and the audit log (`audit`)
//! build on it.

use std::collections::BTreeSet;

use sea_orm::ConnectionTrait;

use super::roles::catalog;
use super::users::view::UserView;
use crate::domain::{Channel, Permission};
use crate::entity::user;
use crate::error::Result;

/// The identity behind an action.
#[derive(Debug, Clone)]
pub enum Principal {
    /// Someone with shell access to the server and its database, running an
    /// operator command of the CLI. They could edit the database directly, so
    /// Roster checks nothing, but still records what they do.
    Operator,
    /// Nobody signed in: a login, a password-reset request, an invitation
    /// being accepted before it is. Holds no permission at all.
    Anonymous,
    /// An authenticated Roster user with their effective permissions.
    User {
        id: String,
        username: String,
        permissions: BTreeSet<Permission>,
    },
}

/// The acting principal and where the action came from.
#[derive(Debug, Clone)]
pub struct Actor {
    pub principal: Principal,
    pub channel: Channel,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Actor {
    /// The operator at the server's command line.
    pub fn cli_operator() -> Self {
        Self {
            principal: Principal::Operator,
            channel: Channel::Cli,
            ip: None,
            user_agent: None,
        }
    }

    /// Roster itself, on a schedule of its own (the audit sealer and its
    /// retention): acts as the operator, recorded on the `system` channel.
    pub fn system() -> Self {
        Self {
            principal: Principal::Operator,
            channel: Channel::System,
            ip: None,
            user_agent: None,
        }
    }

    /// A caller over the API who has not authenticated.
    pub fn anonymous(ip: Option<String>, user_agent: Option<String>) -> Self {
        Self {
            principal: Principal::Anonymous,
            channel: Channel::Api,
            ip,
            user_agent,
        }
    }

    /// Where the action came from.
    pub fn client(&self) -> Client {
        Client {
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
        }
    }

    pub fn user_id(&self) -> Option<&str> {
        match &self.principal {
            Principal::User { id, .. } => Some(id),
            Principal::Operator | Principal::Anonymous => None,
        }
    }

    /// SPEC §3's `has_permission`: true when a role grants `permission`, or
    /// when `owner_id` is the actor's own id.
    pub fn has_permission(&self, permission: Permission, owner_id: Option<&str>) -> bool {
        match &self.principal {
            Principal::Operator => true,
            Principal::Anonymous => false,
            Principal::User {
                id, permissions, ..
            } => permissions.contains(&permission) || owner_id.is_some_and(|owner| owner == id),
        }
    }

    /// The permissions in `wanted` that the actor lacks.
    pub fn missing(&self, wanted: impl IntoIterator<Item = Permission>) -> Vec<Permission> {
        wanted
            .into_iter()
            .filter(|p| !self.has_permission(*p, None))
            .collect()
    }
}

/// Where a request came from, for sessions, throttling and the audit log.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// An authenticated user: the actor for access checks and the user as shown.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub actor: Actor,
    pub user: UserView,
}

/// Builds the actor for an authenticated user, with their roles'
/// permissions, narrowed to `scopes` when given (access tokens).
pub async fn actor_for(
    db: &impl ConnectionTrait,
    user: user::Model,
    channel: Channel,
    client: &Client,
    scopes: Option<&BTreeSet<Permission>>,
) -> Result<Authenticated> {
    let grants = catalog::grants_of_user(db, &user.id).await?;
    let permissions = match scopes {
        Some(scopes) => grants.permissions.intersection(scopes).copied().collect(),
        None => grants.permissions,
    };
    Ok(Authenticated {
        actor: Actor {
            principal: Principal::User {
                id: user.id.clone(),
                username: user.username.clone(),
                permissions,
            },
            channel,
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
        },
        user: UserView {
            user,
            roles: grants.roles,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::{BookmarksManage, SystemManage, TokensManage, UsersManage, UsersRead};

    fn user(perms: &[Permission]) -> Actor {
        Actor {
            principal: Principal::User {
                id: "U1".into(),
                username: "jane".into(),
                permissions: perms.iter().copied().collect(),
            },
            channel: Channel::Api,
            ip: None,
            user_agent: None,
        }
    }

    #[test]
    fn roles_grant_permissions() {
        let a = user(&[UsersRead]);
        assert!(a.has_permission(UsersRead, None));
        assert!(!a.has_permission(UsersManage, None));
    }

    #[test]
    fn owners_manage_what_they_own() {
        let a = user(&[]);
        assert!(a.has_permission(BookmarksManage, Some("U1")));
        assert!(!a.has_permission(BookmarksManage, Some("U2")));
    }

    #[test]
    fn the_operator_may_do_anything() {
        assert!(Actor::cli_operator().has_permission(SystemManage, None));
    }

    #[test]
    fn anonymous_callers_hold_nothing_and_own_nothing() {
        let a = Actor::anonymous(Some("10.0.0.1".into()), None);
        for p in Permission::ALL {
            assert!(!a.has_permission(p, None), "{p}");
        }
        assert!(!a.has_permission(BookmarksManage, Some("U1")));
        assert_eq!(a.user_id(), None);
        assert_eq!(a.channel, Channel::Api);
        assert_eq!(a.missing([UsersRead]), vec![UsersRead]);
        assert!(!a.has_permission(TokensManage, None));
    }

    #[test]
    fn missing_lists_exactly_what_is_lacking() {
        let a = user(&[UsersRead]);
        assert_eq!(
            a.missing([UsersRead, UsersManage, SystemManage]),
            vec![UsersManage, SystemManage]
        );
    }
}
