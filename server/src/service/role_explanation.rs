//! Why a user has each of their roles (issue 13; no peer answers it): every
//! source that grants it — by hand, an identity-provider group through
//! `OIDC_GROUP_ROLE_MAP`, `OIDC_GROUP_ROLE_DEFAULTS`, or kept by the
//! overrides (preserved, or revocations paused) — and each role the
//! provider's groups would give that the overrides withhold. Computed from
//! the roles held, the groups the provider last reported and the overrides,
//! the same inputs a sync uses; a role granted by hand says by whom and
//! when. Needs `users:read`, or to be the user.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::users::{self, UserKey};
use super::work::Work;
use super::{identities, policy, roles};
use crate::domain::{RoleName, RoleOverrides, RoleSource};
use crate::entity::user_role;
use crate::error::Result;

/// How a role came to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// Granted by a person (`setUserRoles`, provisioning, an invitation).
    Manual,
    /// A group of the user's at the provider maps to it.
    IdpGroup,
    /// `OIDC_GROUP_ROLE_DEFAULTS` gives it to everyone.
    IdpDefault,
    /// The provider no longer gives it, but the overrides preserve it.
    Preserved,
    /// The provider no longer gives it, but revocations are paused.
    RevocationsPaused,
    /// Granted by an earlier sync; the provider's current groups no longer
    /// give it, and the next sync revokes it.
    IdpStale,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub kind: SourceKind,
    /// The group, for [`SourceKind::IdpGroup`].
    pub group: Option<String>,
    pub granted_at: DateTime<Utc>,
    /// Who granted it, for [`SourceKind::Manual`]: `None` when the system
    /// did (`bootstrap-superuser`) or the grant predates the record.
    pub granted_by: Option<Granter>,
}

/// The person who granted a role by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granter {
    pub user_id: String,
    /// Their username, or `[Deleted User]` once deleted.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplainedRole {
    pub role: String,
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    pub role: String,
    /// The groups that would give it (empty: a default).
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// Most powerful first.
    pub roles: Vec<ExplainedRole>,
    pub withheld: Vec<Withheld>,
    /// The groups the provider last reported; none without an identity.
    pub groups: Option<Vec<String>>,
}

pub async fn explain(work: &Work, user_id: &str) -> Result<Explanation> {
    policy::require_user_reader(work, user_id).await?;
    let db = work.db().await?;
    let user = users::find(db, &UserKey::Id(user_id.to_string())).await?;
    let overrides = RoleOverrides::from_claims(&user.claims).unwrap_or_default();
    let groups = identities::latest_groups(work, user_id).await?;
    let reported = groups.clone().unwrap_or_default();
    let map = &work.app().config.oidc.group_roles;
    let held = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    let granters = users::names(db, held.iter().filter_map(|h| h.granted_by.clone())).await?;
    let mut explained = Vec::new();
    for role in roles::list(db).await? {
        let Some(row) = held.iter().find(|h| h.role_id == role.role.id) else {
            continue;
        };
        let at = row.created_at;
        let source = |kind, group| Source {
            kind,
            group,
            granted_at: at,
            granted_by: None,
        };
        let mut sources = Vec::new();
        let manual = row.source == RoleSource::Manual.as_str();
        if manual {
            sources.push(Source {
                granted_by: row.granted_by.as_ref().map(|id| Granter {
                    user_id: id.clone(),
                    name: granters
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| users::DELETED_USER.to_string()),
                }),
                ..source(SourceKind::Manual, None)
            });
        }
        // The provider's reasons, also for a role held by hand: they would
        // keep it if the manual grant went.
        if let Ok(name) = RoleName::parse(&role.role.name) {
            let (via, default) = map.sources_of(&name, &reported);
            sources.extend(
                via.into_iter()
                    .map(|g| source(SourceKind::IdpGroup, Some(g))),
            );
            if default {
                sources.push(source(SourceKind::IdpDefault, None));
            }
            if sources.is_empty() {
                let kind = if overrides.preserved.contains(&name) {
                    SourceKind::Preserved
                } else if overrides.enabled {
                    SourceKind::RevocationsPaused
                } else {
                    SourceKind::IdpStale
                };
                sources.push(source(kind, None));
            }
        }
        explained.push(ExplainedRole {
            role: role.role.name.clone(),
            sources,
        });
    }
    let withheld = map
        .resolve(&reported)
        .intersection(&overrides.suppressed)
        .map(|role| Withheld {
            role: role.as_str().to_string(),
            groups: map.sources_of(role, &reported).0,
        })
        .collect();
    Ok(Explanation {
        roles: explained,
        withheld,
        groups,
    })
}
