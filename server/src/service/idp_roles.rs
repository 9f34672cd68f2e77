//! The roles an identity provider grants (SPEC §8, seed 002 "Mapping
//! configuration"). So far: the check, at `serve`'s start, that every role
//! the mapping names exists, so a typo stops the server instead of
//! granting nothing at the first login.

use crate::app::App;
use crate::service::roles;

/// Fails naming the variable, the entry and its position when the group →
/// role mapping names a role that does not exist.
pub async fn check_mapping(app: &App) -> anyhow::Result<()> {
    let mentions = app.config.oidc.group_roles.mentions();
    if mentions.is_empty() {
        return Ok(());
    }
    let known = roles::list(&app.db).await?;
    for mention in mentions {
        if !known.iter().any(|r| r.role.name == mention.role.as_str()) {
            let available: Vec<&str> = known.iter().map(|r| r.role.name.as_str()).collect();
            anyhow::bail!(
                "{}: entry {} ({:?}): unknown role {}; available roles: {}",
                mention.variable,
                mention.position,
                mention.entry,
                mention.role,
                available.join(", ")
            );
        }
    }
    tracing::info!(
        entries = mentions.len(),
        "the OIDC group → role mapping names only known roles"
    );
    Ok(())
}
