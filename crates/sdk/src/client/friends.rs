//! Relationships: blacklists. The server decides; one result per user comes back.

use opentim_model::profile::{FriendProfile, FriendResult};
use opentim_protocol::op::friend::{Blacklist, Block, Unblock, UsersRequest};
use opentim_protocol::op::Empty;

use super::Client;
use crate::error::Result;

impl Client {
    /// Block users (`TIMFriendshipAddToBlackList`): their C2C messages to this user are
    /// refused from now on.
    pub async fn block_users(&self, users: &[String]) -> Result<Vec<FriendResult>> {
        let request = UsersRequest {
            users: users.to_vec(),
        };
        Ok(self.call::<Block>(&request).await?.results)
    }

    /// Unblock users (`TIMFriendshipDeleteFromBlackList`).
    pub async fn unblock_users(&self, users: &[String]) -> Result<Vec<FriendResult>> {
        let request = UsersRequest {
            users: users.to_vec(),
        };
        Ok(self.call::<Unblock>(&request).await?.results)
    }

    /// Who this user blocked (`TIMFriendshipGetBlackList`).
    pub async fn blacklist(&self) -> Result<Vec<FriendProfile>> {
        Ok(self.call::<Blacklist>(&Empty {}).await?.blocked)
    }
}
