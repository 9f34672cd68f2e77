use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub occurred_at: DateTimeUtc,
    pub actor_id: Option<String>,
    pub actor_username: Option<String>,
    /// [`crate::domain::Channel`]'s name.
    pub channel: String,
    pub event_type: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub details: Json,
    /// A hash over the fields above, written with the event
    /// (`service::audit_chain`).
    pub row_hash: Option<String>,
    /// The event's place in the chain, once sealed.
    pub seq: Option<i64>,
    /// A hash over the previous event's `chain_hash` and this `row_hash`,
    /// once sealed; `refused` when the sealer found no valid `row_hash`.
    pub chain_hash: Option<String>,
    /// The user the event is about (`service::audit::subject`): derived
    /// from the fields above, not hashed; the sealer and `audit verify`
    /// check it against them.
    pub subject_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
