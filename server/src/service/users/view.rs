//! A user as shown: the account row with the names of its roles.

use crate::domain::UserStatus;
use crate::entity::user;

/// A user with the names of their roles (rank order).
#[derive(Debug, Clone)]
pub struct UserView {
    pub user: user::Model,
    pub roles: Vec<String>,
}

impl UserView {
    pub fn status(&self) -> UserStatus {
        self.user.status
    }
}
