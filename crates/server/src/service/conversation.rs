//! Conversations: today, paging back through one's stored messages (roaming history).

use std::sync::Arc;

use opentim_model::codes;
use opentim_model::enums::ConvType;
use opentim_model::ids::UserId;
use opentim_protocol::op::history::{HistoryRequest, HistoryResponse};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::MessageStore;

pub struct ConversationService {
    config: Arc<Config>,
    messages: Arc<dyn MessageStore>,
}

impl ConversationService {
    pub fn new(config: Arc<Config>, messages: Arc<dyn MessageStore>) -> Self {
        ConversationService { config, messages }
    }

    /// Up to `count` (at most `max_history_page`) messages of a conversation of `user`, with
    /// seq below `before_seq`, newest first.
    pub async fn history(&self, user: &UserId, req: HistoryRequest) -> Result<HistoryResponse> {
        if req.conv_type != ConvType::C2C {
            return Err(Error::refused(
                codes::ERR_INVALID_CONVERSATION,
                format!(
                    "conv_type {} has no history yet; C2C (1) has",
                    req.conv_type.0
                ),
            ));
        }
        let peer = UserId::parse(&req.conv_id, self.config.max_user_id_bytes).map_err(|e| {
            Error::refused(codes::ERR_INVALID_CONVERSATION, format!("conv_id: {e}"))
        })?;
        let count = req.count.clamp(1, self.config.max_history_page);
        let messages = self
            .messages
            .c2c_history(user.as_str(), peer.as_str(), req.before_seq, count)
            .await
            .map_err(Error::internal("read the history"))?;
        Ok(HistoryResponse { messages })
    }
}
