//! `roster org …`: organizations from the command line (SPEC §7, §11), as
//! the operator, each command one unit of work.

use clap::Subcommand;

use super::{Failure, as_operator};
use crate::app::App;
use crate::domain::{Description, OrgName, Slug};
use crate::service::organizations::{self, MemberOutcome, MemberResult, NewOrg, OrgKey};

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// List organizations by slug, with their member counts.
    List {
        /// Only those whose slug or name contains this (any case).
        #[arg(long)]
        search: Option<String>,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Create an organization.
    Create {
        /// 2-63 lowercase letters, digits and hyphens.
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Add users (ids, emails or usernames) to an organization.
    AddMembers {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// Users to add.
        #[arg(required = true)]
        users: Vec<String>,
    },
    /// Remove users (ids, emails or usernames) from an organization.
    RemoveMembers {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// Users to remove.
        #[arg(required = true)]
        users: Vec<String>,
    },
}

/// Runs an `org` command.
pub(super) async fn run(app: &App, command: OrgCommand) -> Result<(), Failure> {
    match command {
        OrgCommand::List { search, json } => list(app, search.as_deref(), json).await,
        OrgCommand::Create {
            slug,
            name,
            description,
        } => {
            let new = NewOrg {
                slug: Slug::parse(&slug)?,
                name: OrgName::parse(&name)?,
                description: description
                    .as_deref()
                    .map(Description::parse)
                    .transpose()?
                    .flatten(),
            };
            let org = as_operator(app, async |w| organizations::create(w, new).await).await?;
            println!(
                "Organization created: {} ({}, id {})",
                org.org.slug, org.org.name, org.org.id
            );
            Ok(())
        }
        OrgCommand::AddMembers { org, users } => {
            let key = OrgKey::Slug(Slug::parse(&org.to_lowercase())?);
            let (org, results) = as_operator(app, async |w| {
                organizations::add_members(w, &key, &users).await
            })
            .await?;
            report(&org.org.slug, org.member_count, &results)
        }
        OrgCommand::RemoveMembers { org, users } => {
            let key = OrgKey::Slug(Slug::parse(&org.to_lowercase())?);
            let (org, results) = as_operator(app, async |w| {
                organizations::remove_members(w, &key, &users).await
            })
            .await?;
            report(&org.org.slug, org.member_count, &results)
        }
    }
}

/// Every organization (pages of 100 until the last).
async fn list(app: &App, search: Option<&str>, json: bool) -> Result<(), Failure> {
    let mut after: Option<String> = None;
    let mut rows = Vec::new();
    loop {
        let cursor = after.clone();
        let page = as_operator(app, async |w| {
            organizations::page(w, 100, cursor.as_deref(), search, false).await
        })
        .await?;
        after = page
            .orgs
            .last()
            .map(|o| organizations::encode_cursor(&o.org.slug));
        rows.extend(page.orgs);
        if !page.has_next_page {
            break;
        }
    }
    for o in &rows {
        if json {
            let line = serde_json::json!({
                "id": o.org.id,
                "slug": o.org.slug,
                "name": o.org.name,
                "description": o.org.description,
                "is_default": o.org.is_default,
                "member_count": o.member_count,
                "created_at": o.org.created_at,
            });
            println!("{line}");
        } else {
            let default = if o.org.is_default { " (default)" } else { "" };
            println!(
                "{:<28} {:<32} {:>7} members{default}",
                o.org.slug, o.org.name, o.member_count
            );
        }
    }
    Ok(())
}

/// One line per entry, then the count; exit 5 when an entry named nobody.
fn report(slug: &str, members: u64, results: &[MemberResult]) -> Result<(), Failure> {
    for r in results {
        let what = match r.outcome {
            MemberOutcome::Added => "added",
            MemberOutcome::Removed => "removed",
            MemberOutcome::AlreadyMember => "already a member",
            MemberOutcome::NotMember => "not a member",
            MemberOutcome::Unknown => "unknown user",
            MemberOutcome::DeletedUser => "deleted user, skipped",
        };
        println!("{}: {what}", r.entry);
    }
    println!("{slug} has {members} member(s)");
    if results.iter().any(|r| r.outcome == MemberOutcome::Unknown) {
        return Err(Failure {
            message: "Some users were not found; the others were applied".into(),
            code: 5,
        });
    }
    Ok(())
}
