use sea_orm::entity::prelude::*;

/// The ends of the audit hash chain (one row; `service::audit_chain`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_chain")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// The `seq` of the oldest event kept.
    pub start_seq: i64,
    /// What that event links to: the genesis value, or the `chain_hash` of
    /// the last event a retention prune removed.
    pub start_hash: String,
    /// The `seq` of the newest sealed event (0 before any).
    pub head_seq: i64,
    /// Its `chain_hash`.
    pub head_hash: String,
    /// The newest event id written before the chain existed: older events
    /// without a `row_hash` are adopted when sealed.
    pub adopt_through: Option<String>,
    /// What [`ChainDigest::key_check`](crate::service::audit_chain::ChainDigest::key_check)
    /// gave the first sealer: which key the chain is hashed with.
    pub key_check: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
