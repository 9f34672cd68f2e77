//! `/admin/database` (SPEC §10, §12; seed 002): the backend and its version
//! and, on Postgres, "Prepare Postgres" and "Enable RLS" with their reports
//! as tables, and each managed table's row-level security as it is. Needs
//! `system:manage`; the menu shows it only on Postgres. Data comes through
//! a resource (the status) and two actions (the buttons), which refresh the
//! status when they finish.

use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{ErrorAlert, Loading};
use crate::model::{DatabaseStatus, PreparationStep, RlsTable};

type Reply<T> = Result<T, ApiError>;

/// A report value as a badge: created, present, failed, ….
fn change_badge(change: &str) -> impl IntoView + use<> {
    let class = match change {
        "CREATED" | "DROPPED" => "badge bg-success",
        "PRESENT" => "badge bg-secondary",
        "FAILED" => "badge bg-danger",
        "SKIPPED" => "badge bg-warning",
        _ => "badge badge-muted",
    };
    view! { <span class=class>{change.to_lowercase()}</span> }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// Each managed table's row-level security (the status, or a run's report).
#[component]
fn RlsTables(tables: Vec<RlsTable>, #[prop(into)] id: String) -> impl IntoView {
    view! {
        <table class="table" id=id>
            <thead>
                <tr>
                    <th scope="col">"Table"</th><th scope="col">"Kind"</th><th scope="col">"Exists"</th>
                    <th scope="col">"RLS"</th><th scope="col">"Forced"</th>
                    <th scope="col">"Select"</th><th scope="col">"Insert"</th><th scope="col">"Update"</th><th scope="col">"Delete"</th>
                    <th scope="col">"Message"</th>
                </tr>
            </thead>
            <tbody>
                {tables.into_iter().map(|t| view! {
                    <tr data-table=t.table.clone()>
                        <td><code>{t.table.clone()}</code></td>
                        <td>{if t.roster { "Roster" } else { "Application" }}</td>
                        <td>{yes_no(t.exists)}</td>
                        <td>{if t.rls_enabled { "on" } else { "off" }}</td>
                        <td>{yes_no(t.forced)}</td>
                        <td>{change_badge(&t.policies.select)}</td>
                        <td>{change_badge(&t.policies.insert)}</td>
                        <td>{change_badge(&t.policies.update)}</td>
                        <td>{change_badge(&t.policies.delete)}</td>
                        <td class="text-muted">{t.message.clone().unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The steps of one "Prepare Postgres" run.
#[component]
fn PreparationSteps(steps: Vec<PreparationStep>) -> impl IntoView {
    view! {
        <table class="table" id="prepare-report">
            <thead><tr><th scope="col">"Step"</th><th scope="col">"Outcome"</th><th scope="col">"Message"</th></tr></thead>
            <tbody>
                {steps.into_iter().map(|s| view! {
                    <tr>
                        <td><code>{s.name.clone()}</code></td>
                        <td>{change_badge(&s.status)}</td>
                        <td class="text-muted">{s.message.clone().unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A button that runs `action` and, under it, the error or `report` of its
/// last run.
#[component]
fn RunButton<T>(
    action: Action<(), Reply<T>>,
    id: &'static str,
    label: &'static str,
    busy_label: &'static str,
    report: fn(T) -> AnyView,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    let pending = action.pending();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <button type="button" class="btn btn-primary" id=id disabled=move || pending.get()
                on:click=move |_| { action.dispatch_local(()); }>
            {move || if pending.get() { busy_label } else { label }}
        </button>
        <ErrorAlert error=error/>
        {move || action.value().get().and_then(Result::ok).map(report)}
    }
}

#[component]
pub fn DatabasePage() -> impl IntoView {
    let status = LocalResource::new(|| api::send(api::ops::DatabaseStatus {}));
    let prepare = Action::new_local(|_: &()| api::send(api::ops::PreparePostgres {}));
    let enable = Action::new_local(|_: &()| api::send(api::ops::EnableRls {}));
    // What a run changed shows in the status at once.
    Effect::watch(
        move || (prepare.version().get(), enable.version().get()),
        move |_, _, _| status.refetch(),
        false,
    );
    let postgres = move |s: DatabaseStatus| {
        view! {
            <section class="card db-card" aria-labelledby="prepare-title">
                <div class="card-body">
                    <h2 id="prepare-title">"Prepare Postgres"</h2>
                    <p class="text-muted">"Installs pg_trgm and the trigram indexes user and organization search use. Safe to repeat."</p>
                    <RunButton action=prepare id="prepare-postgres" label="Prepare Postgres" busy_label="Preparing…"
                               report=|steps| view! { <PreparationSteps steps=steps/> }.into_any()/>
                </div>
            </section>
            <section class="card db-card" aria-labelledby="rls-title">
                <div class="card-body">
                    <h2 id="rls-title">"Row-level security"</h2>
                    <p class="text-muted">
                        "Each table below is bound to its owner's rows: Roster's own (sessions, tokens, quotas) and the application's (RLS_TABLES). "
                        "Enabling is safe to repeat; what exists is left alone."
                    </p>
                    <RlsTables tables=s.tables id="rls-status"/>
                    <RunButton action=enable id="enable-rls" label="Enable RLS" busy_label="Enabling…"
                               report=|tables| view! { <h3>"Report"</h3><RlsTables tables=tables id="rls-report"/> }.into_any()/>
                </div>
            </section>
        }
    };
    view! {
        <div class="page-header"><h1>"Database"</h1></div>
        {move || match status.get() {
            None => view! { <Loading what="the database's state"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
            Some(Ok(s)) => {
                let is_postgres = s.backend == "postgres";
                view! {
                    <div class="card db-card">
                        <dl class="facts card-body" id="database-facts">
                            <dt>"Backend"</dt><dd>{if is_postgres { "PostgreSQL" } else { "SQLite" }}</dd>
                            <dt>"Version"</dt><dd>{s.server_version.clone()}</dd>
                            {is_postgres.then(|| view! { <dt>"pg_trgm"</dt><dd id="pg-trgm">{if s.pg_trgm { "installed" } else { "missing: Prepare Postgres installs it" }}</dd> })}
                        </dl>
                    </div>
                    {if is_postgres {
                        postgres(s).into_any()
                    } else {
                        view! { <p class="text-muted" id="needs-postgres">"Prepare Postgres and row-level security need Postgres; this server uses SQLite, which needs neither."</p> }.into_any()
                    }}
                }.into_any()
            }
        }}
    }
}
