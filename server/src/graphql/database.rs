//! The database page's actions (SPEC §10, §12).

use async_graphql::{Context, Enum, Object, Result, SimpleObject};

use super::context::{core_enabled, mutate};
use crate::service::database::{self, Step, StepStatus};

/// What happened to one part of a preparation.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "StepStatus")]
pub enum PreparationStatus {
    Created,
    Present,
    Failed,
    Skipped,
}

/// One line of the "Prepare Postgres" report.
#[derive(SimpleObject, Debug, Clone)]
pub struct PreparationStep {
    /// `extension pg_trgm` or `index <name>`.
    pub name: String,
    pub status: PreparationStatus,
    /// Why it failed or was skipped.
    pub message: Option<String>,
}

impl From<Step> for PreparationStep {
    fn from(step: Step) -> Self {
        Self {
            name: step.name,
            status: step.status.into(),
            message: step.message,
        }
    }
}

#[derive(Default)]
pub struct DatabaseMutation;

#[Object]
impl DatabaseMutation {
    /// Installs `pg_trgm` and the trigram indexes search uses (Postgres only,
    /// needs `system:manage`; safe to repeat).
    #[graphql(visible = "core_enabled")]
    async fn prepare_postgres(&self, ctx: &Context<'_>) -> Result<Vec<PreparationStep>> {
        let steps = mutate(ctx, async |w| database::prepare_postgres(w).await).await?;
        Ok(steps.into_iter().map(PreparationStep::from).collect())
    }
}
