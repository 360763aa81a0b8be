//! The services: the rules of each domain, independent of how requests arrive (WebSocket today,
//! the REST API later). Each service owns its slice of the store; nothing else touches it.
//! Every method takes the authenticated identity of the caller.

pub mod account;
pub mod conversation;
pub mod friendship;
pub mod group;
pub mod message;
pub mod profile;
pub mod sync;

use std::sync::Arc;

use crate::config::Config;
use crate::delivery::Delivery;
use crate::http::metrics::Metrics;
use crate::media::{MediaService, MediaStore};
use crate::store::Stores;
use crate::webhook::Webhooks;

pub use account::AccountService;
pub use conversation::ConversationService;
pub use friendship::FriendshipService;
pub use group::GroupService;
pub use message::MessageService;
pub use profile::ProfileService;
pub use sync::SyncService;

/// Every service of a node.
pub struct Services {
    pub account: AccountService,
    pub message: MessageService,
    pub sync: SyncService,
    pub conversation: ConversationService,
    pub group: GroupService,
    pub profile: ProfileService,
    pub friendship: FriendshipService,
    pub media: MediaService,
    pub webhooks: Arc<Webhooks>,
    stores: Stores,
}

impl Services {
    pub fn new(
        config: Arc<Config>,
        stores: Stores,
        media: Arc<dyn MediaStore>,
        delivery: Arc<Delivery>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let webhooks = Arc::new(Webhooks::new(
            config.clone(),
            stores.webhooks.clone(),
            metrics.clone(),
        ));
        Services {
            media: MediaService::new(config.clone(), media.clone(), metrics.clone()),
            account: AccountService::new(
                config.clone(),
                stores.accounts.clone(),
                delivery.clone(),
                metrics.clone(),
            ),
            message: MessageService::new(
                config.clone(),
                &stores,
                media.clone(),
                delivery.clone(),
                webhooks.clone(),
                metrics.clone(),
            ),
            sync: SyncService::new(config.clone(), stores.inbox.clone(), metrics),
            group: GroupService::new(
                config.clone(),
                stores.groups.clone(),
                stores.pendencies.clone(),
                stores.receipts.clone(),
                delivery.clone(),
                webhooks.clone(),
            ),
            profile: ProfileService::new(config.clone(), stores.profiles.clone()),
            friendship: FriendshipService::new(
                config.clone(),
                stores.friends.clone(),
                stores.accounts.clone(),
                stores.profiles.clone(),
                stores.pendencies.clone(),
                delivery.clone(),
                webhooks.clone(),
            ),
            conversation: ConversationService::new(
                config,
                stores.messages.clone(),
                stores.conversations.clone(),
                stores.groups.clone(),
                delivery,
            ),
            webhooks,
            stores,
        }
    }

    /// Change `user`'s profile and tell their friends (the change is stored whatever happens
    /// to the telling).
    pub async fn modify_profile(
        &self,
        user: &opentim_model::ids::UserId,
        item: opentim_model::profile::UserProfileItem,
    ) -> crate::error::Result<()> {
        self.profile.modify(user, item).await?;
        if let Err(e) = self.friendship.profile_changed(user).await {
            tracing::warn!(%user, error = %e, "friends not told of a profile change");
        }
        Ok(())
    }

    /// Whether the store answers (for `/readyz`).
    pub async fn store_ready(&self) -> Result<(), crate::store::StoreError> {
        self.stores.health.ping().await
    }
}
