//! A user as shown: the account row with the names of its roles.

use crate::entity::user;

/// A user with the names of their roles (rank order).
#[derive(Debug, Clone)]
pub struct UserView {
    pub user: user::Model,
    pub roles: Vec<String>,
}
