//! `roster role …`: the role catalogue from the command line (SPEC §3;
//! seed 001's `contributor` is one command), as the operator, each command
//! one unit of work with its audit event. Role names may be aliases
//! (`ROLE_ALIASES`).

use std::collections::BTreeSet;

use clap::Subcommand;

use super::{Failure, as_operator};
use crate::app::App;
use crate::domain::RoleName;
use crate::service::roles::{self, RoleInput, RoleWithPermissions};

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// List the roles, built-ins first, with their permissions and aliases.
    List {
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Create a custom role.
    Create {
        /// 2-50 lowercase letters, digits, '_' or '-'.
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// A permission it grants (repeat, or separate with commas).
        #[arg(long = "permission", value_delimiter = ',')]
        permissions: Vec<String>,
    },
    /// Change a custom role: its description, or its permissions (all of
    /// them, or some added or removed).
    Update {
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// Every permission it grants from now on (repeat, or commas).
        #[arg(long = "permission", value_delimiter = ',', conflicts_with_all = ["add", "remove"])]
        permissions: Vec<String>,
        /// A permission to add (repeat, or commas).
        #[arg(long = "add-permission", value_delimiter = ',')]
        add: Vec<String>,
        /// A permission to remove (repeat, or commas).
        #[arg(long = "remove-permission", value_delimiter = ',')]
        remove: Vec<String>,
    },
    /// Delete a custom role; its holders lose it.
    Delete { name: String },
}

/// Runs a `role` command.
pub(super) async fn run(app: &App, command: RoleCommand) -> Result<(), Failure> {
    match command {
        RoleCommand::List { json } => {
            let all = as_operator(app, async |w| roles::list_for(w).await).await?;
            for role in &all {
                print_role(app, role, json);
            }
            Ok(())
        }
        RoleCommand::Create {
            name,
            description,
            permissions,
        } => {
            let name = RoleName::parse(&name)?;
            let input = RoleInput {
                description,
                permissions,
            };
            let role = as_operator(app, async |w| roles::create(w, &name, input).await).await?;
            println!(
                "Role created: {} ({} permissions)",
                role.role.name,
                role.permissions.len()
            );
            Ok(())
        }
        RoleCommand::Update {
            name,
            description,
            permissions,
            add,
            remove,
        } => {
            let name = RoleName::parse(&name)?;
            let nothing = description.is_none()
                && permissions.is_empty()
                && add.is_empty()
                && remove.is_empty();
            if nothing {
                return Err(Failure {
                    message: "Nothing to change: give --description, --permission, \
                              --add-permission or --remove-permission"
                        .into(),
                    code: 2,
                });
            }
            let role = as_operator(app, async |w| {
                let current = roles::list_for(w)
                    .await?
                    .into_iter()
                    .find(|r| r.role.name == app.config.role_aliases.canonical(&name).as_str());
                let (old_description, old) = match &current {
                    Some(r) => (
                        r.role.description.clone(),
                        r.permissions
                            .iter()
                            .map(|p| p.as_str().to_string())
                            .collect(),
                    ),
                    // The update names the missing role.
                    None => (String::new(), BTreeSet::new()),
                };
                let input = RoleInput {
                    description: description.clone().unwrap_or(old_description),
                    permissions: next_permissions(old, &permissions, &add, &remove),
                };
                roles::update(w, &name, input).await
            })
            .await?;
            println!(
                "Role updated: {} ({} permissions)",
                role.role.name,
                role.permissions.len()
            );
            Ok(())
        }
        RoleCommand::Delete { name } => {
            let name = RoleName::parse(&name)?;
            as_operator(app, async |w| roles::delete(w, &name).await).await?;
            println!("Role deleted: {name}");
            Ok(())
        }
    }
}

/// The permissions after an update: `replace` when given, else `old` with
/// `add` added and `remove` taken away.
fn next_permissions(
    old: BTreeSet<String>,
    replace: &[String],
    add: &[String],
    remove: &[String],
) -> Vec<String> {
    if !replace.is_empty() {
        return replace.to_vec();
    }
    let mut next = old;
    next.extend(add.iter().map(|p| p.trim().to_string()));
    for p in remove {
        next.remove(p.trim());
    }
    next.into_iter().collect()
}

fn print_role(app: &App, role: &RoleWithPermissions, json: bool) {
    let aliases: Vec<&str> = app
        .config
        .role_aliases
        .of(&role.role.name)
        .map(RoleName::as_str)
        .collect();
    let permissions: Vec<&str> = role.permissions.iter().map(|p| p.as_str()).collect();
    if json {
        let line = serde_json::json!({
            "name": role.role.name,
            "builtin": role.role.is_builtin,
            "description": role.role.description,
            "permissions": permissions,
            "aliases": aliases,
        });
        println!("{line}");
    } else {
        let kind = if role.role.is_builtin {
            "built-in"
        } else {
            "custom"
        };
        let also = if aliases.is_empty() {
            String::new()
        } else {
            format!(" (also: {})", aliases.join(", "))
        };
        println!(
            "{:<20} {:<8} {}{also}\n    {}",
            role.role.name,
            kind,
            role.role.description,
            permissions.join(" ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn permissions_are_replaced_or_added_and_removed() {
        let old = set(&["users:read", "orgs:read"]);
        assert_eq!(
            next_permissions(old.clone(), &strings(&["audit:read"]), &[], &[]),
            strings(&["audit:read"])
        );
        assert_eq!(
            next_permissions(
                old.clone(),
                &[],
                &strings(&["audit:read"]),
                &strings(&["orgs:read"])
            ),
            strings(&["audit:read", "users:read"])
        );
        assert_eq!(
            next_permissions(old, &[], &[], &[]),
            strings(&["orgs:read", "users:read"])
        );
    }
}
