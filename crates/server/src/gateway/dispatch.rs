//! From a decoded request to its reply: a table from operation name to service call, the
//! batching of consecutive sends, and the one function that turns a service error into a reply.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::{ready, BoxFuture};
use futures_util::FutureExt;
use opentim_model::codes;
use opentim_model::ids::UserId;
use opentim_protocol::op::conv::{
    ClearHistory, ConvList, DeleteConversation, DeleteMessages, GetReceiveOpt, MarkRead,
    PinConversation, RevokeMessage, SetReceiveOpt,
};
use opentim_protocol::op::friend::{
    AddFriend, AnswerRequest, Block, CheckFriends, CheckResponse, CreateFriendGroups,
    DeleteFriendGroups, DeleteFriends, DeleteRequests, FriendsInfo, InfoResponse, ModifyFriend,
    ModifyFriendGroup, RelationSync, RequestsRead, ResultsResponse, Unblock,
};
use opentim_protocol::op::group::{
    AttributesResponse, ChangeGroupAttributes, CreateGroup, DismissGroup, GetGroupAttributes,
    GetGroupReceipts, GroupHeads, GroupHeadsResponse, GroupInfo, GroupInfoResponse, GroupMembers,
    GroupReceiptMembers, GroupSync, HandlePendency, InviteMembers, InviteResponse, JoinGroup,
    JoinGroupResponse, JoinedGroups, JoinedGroupsResponse, KickMembers, KickResponse, ModifyGroup,
    ModifyMember, OnlineMemberCount, Pendencies, PendenciesRead, QuitGroup, ReceiptsResponse,
    SendGroupReceipts,
};
use opentim_protocol::op::history::History;
use opentim_protocol::op::login::Login;
use opentim_protocol::op::logout::Logout;
use opentim_protocol::op::ping::{Ping, Pong};
use opentim_protocol::op::profile::{GetProfiles, ModifyProfile, ProfilesResponse};
use opentim_protocol::op::send::{GetRelay, PutRelay, SendMessage, SendRequest};
use opentim_protocol::op::sync::Sync;
use opentim_protocol::op::Empty;
use opentim_protocol::{decode_body, encode_reply, encode_reply_error, FrameError, Op, Request};
use serde_json::value::RawValue;

use super::admission::{allowance, SharedAllowance};
use crate::clock::now_secs;
use crate::delivery::SessionId;
use crate::error::Error;
use crate::service::message::Fanout;
use crate::service::Services;

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: UserId,
    pub session: SessionId,
}

/// An encoded reply, and whether the session ends after it.
pub struct Answer {
    pub text: String,
    pub close: bool,
}

type Handler = Box<
    dyn Fn(Arc<Services>, Caller, u64, Option<&RawValue>) -> BoxFuture<'static, Answer>
        + Send
        + std::marker::Sync,
>;

/// Operation name -> handler.
pub struct Table {
    routes: HashMap<&'static str, Handler>,
}

/// The reply to request `id` that failed with `e`. Internal errors are logged here, once.
pub fn reply_for(id: u64, e: &Error) -> String {
    if let Error::Internal { .. } = e {
        tracing::error!(error = %e, "request failed");
    }
    let r = e.to_refusal();
    encode_reply_error(id, r.code, &r.desc)
}

fn bad_frame(id: u64, e: &FrameError) -> String {
    encode_reply_error(id, codes::ERR_SVR_MSG_PKG_PARSE_FAILED, &e.to_string())
}

/// A handler that decodes `O::Request`, calls `f` and encodes `O::Response`.
fn route<O, F, Fut>(close: bool, f: F) -> (&'static str, Handler)
where
    O: Op,
    F: Fn(Arc<Services>, Caller, O::Request) -> Fut + Send + std::marker::Sync + 'static,
    Fut: Future<Output = Result<O::Response, Error>> + Send + 'static,
{
    let handler: Handler =
        Box::new(
            move |services, caller, id, body| match decode_body::<O::Request>(body) {
                Err(e) => ready(Answer {
                    text: bad_frame(id, &e),
                    close: false,
                })
                .boxed(),
                Ok(req) => {
                    let fut = f(services, caller, req);
                    async move {
                        let text = match fut.await {
                            Ok(resp) => encode_reply::<O>(id, &resp),
                            Err(e) => reply_for(id, &e),
                        };
                        Answer { text, close }
                    }
                    .boxed()
                }
            },
        );
    (O::NAME, handler)
}

impl Table {
    /// Every operation a logged-in session may call.
    pub fn new() -> Self {
        let routes = [
            route::<Login, _, _>(false, |_, _, _| async {
                Err(Error::refused(
                    codes::ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS,
                    "already logged in on this connection",
                ))
            }),
            route::<Logout, _, _>(true, |_, _, _: Empty| async { Ok(Empty {}) }),
            route::<Ping, _, _>(false, |_, _, _: Empty| async {
                Ok(Pong {
                    server_time: now_secs(),
                })
            }),
            // Sends normally arrive in batches (see `answer_all`); a lone one comes here.
            route::<SendMessage, _, _>(false, |services, caller, req| async move {
                let (mut results, fanout) = services
                    .message
                    .send_batch(&caller.user, Some(caller.session), vec![req])
                    .await;
                fanout.run().await;
                results.pop().unwrap_or_else(|| {
                    Err(Error::refused(
                        codes::ERR_SVR_MSG_INTERNAL_ERROR1,
                        "no result",
                    ))
                })
            }),
            route::<Sync, _, _>(false, |services, caller, req| async move {
                services.sync.page(&caller.user, req).await
            }),
            route::<History, _, _>(false, |services, caller, req| async move {
                services.conversation.history(&caller.user, req).await
            }),
            route::<ConvList, _, _>(false, |services, caller, _| async move {
                services.conversation.list(&caller.user).await
            }),
            route::<MarkRead, _, _>(false, |services, caller, req| async move {
                services.conversation.mark_read(&caller.user, req).await
            }),
            route::<RevokeMessage, _, _>(false, |services, caller, req| async move {
                services.conversation.revoke(&caller.user, req).await
            }),
            route::<DeleteMessages, _, _>(false, |services, caller, req| async move {
                services.conversation.delete(&caller.user, req).await
            }),
            route::<ClearHistory, _, _>(false, |services, caller, req| async move {
                services.conversation.clear(&caller.user, req).await
            }),
            route::<PinConversation, _, _>(false, |services, caller, req| async move {
                services.conversation.pin(&caller.user, req).await
            }),
            route::<CreateGroup, _, _>(false, |services, caller, req| async move {
                services.group.create(&caller.user, req).await
            }),
            route::<DismissGroup, _, _>(false, |services, caller, req| async move {
                services.group.dismiss(&caller.user, &req.group_id).await?;
                Ok(Empty {})
            }),
            route::<QuitGroup, _, _>(false, |services, caller, req| async move {
                services
                    .group
                    .quit(&caller.user, Some(caller.session), &req.group_id)
                    .await?;
                Ok(Empty {})
            }),
            route::<JoinedGroups, _, _>(false, |services, caller, _| async move {
                let groups = services.group.joined(&caller.user).await?;
                Ok(JoinedGroupsResponse { groups })
            }),
            route::<GroupInfo, _, _>(false, |services, caller, req| async move {
                let results = services.group.info(&caller.user, req.group_ids).await?;
                Ok(GroupInfoResponse { results })
            }),
            route::<InviteMembers, _, _>(false, |services, caller, req| async move {
                let results = services.group.invite(&caller.user, req).await?;
                Ok(InviteResponse { results })
            }),
            route::<KickMembers, _, _>(false, |services, caller, req| async move {
                let results = services.group.kick(&caller.user, req).await?;
                Ok(KickResponse { results })
            }),
            route::<GroupHeads, _, _>(false, |services, caller, _| async move {
                let groups = services.group.heads(&caller.user, caller.session).await?;
                Ok(GroupHeadsResponse { groups })
            }),
            route::<GroupSync, _, _>(false, |services, caller, req| async move {
                services.group.sync(&caller.user, caller.session, req).await
            }),
            route::<GroupMembers, _, _>(false, |services, caller, req| async move {
                services.group.members(&caller.user, req).await
            }),
            route::<JoinGroup, _, _>(false, |services, caller, req| async move {
                let session_only = services
                    .group
                    .join(
                        &caller.user,
                        Some(caller.session),
                        &req.group_id,
                        &req.hello_msg,
                    )
                    .await?;
                Ok(JoinGroupResponse { session_only })
            }),
            route::<ModifyGroup, _, _>(false, |services, caller, req| async move {
                services.group.modify_info(&caller.user, req).await?;
                Ok(Empty {})
            }),
            route::<ModifyMember, _, _>(false, |services, caller, req| async move {
                services.group.modify_member(&caller.user, req).await?;
                Ok(Empty {})
            }),
            route::<Pendencies, _, _>(false, |services, caller, req| async move {
                services.group.pendencies(&caller.user, req).await
            }),
            route::<PendenciesRead, _, _>(false, |services, caller, req| async move {
                services
                    .group
                    .pendencies_read(&caller.user, req.time_stamp)
                    .await?;
                Ok(Empty {})
            }),
            route::<ChangeGroupAttributes, _, _>(false, |services, caller, req| async move {
                services
                    .group
                    .change_attributes(&caller.user, Some(caller.session), req)
                    .await?;
                Ok(Empty {})
            }),
            route::<GetGroupAttributes, _, _>(false, |services, caller, req| async move {
                let attributes = services
                    .group
                    .attributes(&caller.user, Some(caller.session), req)
                    .await?;
                Ok(AttributesResponse { attributes })
            }),
            route::<OnlineMemberCount, _, _>(false, |services, caller, req| async move {
                let count = services
                    .group
                    .online_count(&caller.user, Some(caller.session), &req.group_id)
                    .await?;
                Ok(opentim_model::group::GroupGetOnlineMemberCountResult { count: Some(count) })
            }),
            route::<SendGroupReceipts, _, _>(false, |services, caller, req| async move {
                services.group.send_receipts(&caller.user, req).await?;
                Ok(Empty {})
            }),
            route::<GetGroupReceipts, _, _>(false, |services, caller, req| async move {
                let receipts = services.group.receipts(&caller.user, req).await?;
                Ok(ReceiptsResponse { receipts })
            }),
            route::<GroupReceiptMembers, _, _>(false, |services, caller, req| async move {
                services.group.receipt_members(&caller.user, req).await
            }),
            route::<Block, _, _>(false, |services, caller, req| async move {
                let results = services.friendship.block(&caller.user, req.users).await?;
                Ok(ResultsResponse { results })
            }),
            route::<Unblock, _, _>(false, |services, caller, req| async move {
                let results = services.friendship.unblock(&caller.user, req.users).await?;
                Ok(ResultsResponse { results })
            }),
            route::<AddFriend, _, _>(false, |services, caller, req| async move {
                services.friendship.add(&caller.user, req).await
            }),
            route::<AnswerRequest, _, _>(false, |services, caller, req| async move {
                services.friendship.answer(&caller.user, req).await
            }),
            route::<DeleteFriends, _, _>(false, |services, caller, req| async move {
                let results = services.friendship.delete(&caller.user, req).await?;
                Ok(ResultsResponse { results })
            }),
            route::<ModifyFriend, _, _>(false, |services, caller, req| async move {
                services.friendship.modify(&caller.user, req).await?;
                Ok(Empty {})
            }),
            route::<CheckFriends, _, _>(false, |services, caller, req| async move {
                let check_type = req
                    .check_type
                    .unwrap_or(opentim_model::enums::FriendType::BOTH);
                let users = req.identifier_array.unwrap_or_default();
                let results = services
                    .friendship
                    .check(&caller.user, check_type, users)
                    .await?;
                Ok(CheckResponse { results })
            }),
            route::<FriendsInfo, _, _>(false, |services, caller, req| async move {
                let infos = services.friendship.info(&caller.user, req.users).await?;
                Ok(InfoResponse { infos })
            }),
            route::<CreateFriendGroups, _, _>(false, |services, caller, req| async move {
                let results = services.friendship.create_groups(&caller.user, req).await?;
                Ok(ResultsResponse { results })
            }),
            route::<ModifyFriendGroup, _, _>(false, |services, caller, req| async move {
                let results = services.friendship.modify_group(&caller.user, req).await?;
                Ok(ResultsResponse { results })
            }),
            route::<DeleteFriendGroups, _, _>(false, |services, caller, req| async move {
                services
                    .friendship
                    .delete_groups(&caller.user, req.names)
                    .await?;
                Ok(Empty {})
            }),
            route::<DeleteRequests, _, _>(false, |services, caller, req| async move {
                let results = services
                    .friendship
                    .delete_requests(&caller.user, req)
                    .await?;
                Ok(ResultsResponse { results })
            }),
            route::<RequestsRead, _, _>(false, |services, caller, req| async move {
                services
                    .friendship
                    .requests_read(&caller.user, req.time)
                    .await?;
                Ok(Empty {})
            }),
            route::<RelationSync, _, _>(false, |services, caller, req| async move {
                services.friendship.sync(&caller.user, req.since).await
            }),
            route::<GetProfiles, _, _>(false, |services, _, req| async move {
                let profiles = services.profile.get(req.users).await?;
                Ok(ProfilesResponse { profiles })
            }),
            route::<ModifyProfile, _, _>(false, |services, caller, req| async move {
                services.modify_profile(&caller.user, req).await?;
                Ok(Empty {})
            }),
            route::<HandlePendency, _, _>(false, |services, caller, req| async move {
                services.group.handle_pendency(&caller.user, req).await?;
                Ok(Empty {})
            }),
            route::<PutRelay, _, _>(false, |services, caller, req| async move {
                services.message.relay_put(&caller.user, req).await
            }),
            route::<GetRelay, _, _>(false, |services, _, req| async move {
                services.message.relay_get(req).await
            }),
            route::<SetReceiveOpt, _, _>(false, |services, caller, req| async move {
                services
                    .conversation
                    .set_receive_opt(&caller.user, req)
                    .await
            }),
            route::<GetReceiveOpt, _, _>(false, |services, caller, req| async move {
                services.conversation.receive_opts(&caller.user, req).await
            }),
            route::<DeleteConversation, _, _>(false, |services, caller, req| async move {
                services
                    .conversation
                    .delete_conversation(&caller.user, req)
                    .await
            }),
        ];
        Table {
            routes: routes.into_iter().collect(),
        }
    }

    /// Whether `op` has a handler.
    pub fn serves(&self, op: &str) -> bool {
        self.routes.contains_key(op)
    }

    /// Answer one request.
    pub async fn answer(
        &self,
        services: &Arc<Services>,
        caller: &Caller,
        req: &Request<'_>,
    ) -> Answer {
        match self.routes.get(req.op) {
            Some(handler) => handler(services.clone(), caller.clone(), req.id, req.body).await,
            None => Answer {
                text: encode_reply_error(
                    req.id,
                    codes::ERR_SVR_COMM_INVALID_SERVICE,
                    &format!(
                        "unknown operation {:?}; this server speaks protocol {}",
                        req.op,
                        opentim_protocol::PROTOCOL_VERSION
                    ),
                ),
                close: false,
            },
        }
    }
}

impl Default for Table {
    fn default() -> Self {
        Self::new()
    }
}

/// Answer frames in order, within the caller's `allowance` (a refused request is answered at
/// once, ahead of a batch still being collected). Consecutive sends go to the message service
/// as one batch; their fan-out is returned to run after the replies are written.
pub async fn answer_all(
    table: &Table,
    services: &Arc<Services>,
    caller: &Caller,
    allowed: &SharedAllowance,
    texts: &[String],
) -> (Vec<Answer>, Vec<Fanout>) {
    let mut out = Vec::with_capacity(texts.len());
    let mut fanouts = Vec::new();
    let mut batch: Vec<(u64, SendRequest)> = Vec::new();
    for text in texts {
        let req = match Request::decode(text) {
            Ok(r) => r,
            Err(e) => {
                flush(services, caller, &mut batch, &mut out, &mut fanouts).await;
                // Answer with id 0 when the frame is too broken to carry one.
                let id = serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .and_then(|v| v.get("id")?.as_u64())
                    .unwrap_or(0);
                out.push(Answer {
                    text: bad_frame(id, &e),
                    close: false,
                });
                continue;
            }
        };
        // A logout is always served, so a throttled client can still leave cleanly.
        if req.op != Logout::NAME {
            if let Some(refusal) = allowance(allowed).frame(req.id) {
                out.push(Answer {
                    text: refusal,
                    close: false,
                });
                continue;
            }
        }
        if req.op == SendMessage::NAME {
            match req.body::<SendMessage>() {
                Ok(body) => match allowance(allowed).send(req.id) {
                    None => batch.push((req.id, body)),
                    Some(refusal) => out.push(Answer {
                        text: refusal,
                        close: false,
                    }),
                },
                Err(e) => {
                    flush(services, caller, &mut batch, &mut out, &mut fanouts).await;
                    out.push(Answer {
                        text: bad_frame(req.id, &e),
                        close: false,
                    });
                }
            }
            continue;
        }
        flush(services, caller, &mut batch, &mut out, &mut fanouts).await;
        let answer = table.answer(services, caller, &req).await;
        let close = answer.close;
        out.push(answer);
        if close {
            break;
        }
    }
    flush(services, caller, &mut batch, &mut out, &mut fanouts).await;
    (out, fanouts)
}

async fn flush(
    services: &Arc<Services>,
    caller: &Caller,
    batch: &mut Vec<(u64, SendRequest)>,
    out: &mut Vec<Answer>,
    fanouts: &mut Vec<Fanout>,
) {
    if batch.is_empty() {
        return;
    }
    let (ids, reqs): (Vec<u64>, Vec<SendRequest>) = batch.drain(..).unzip();
    let (results, fanout) = services
        .message
        .send_batch(&caller.user, Some(caller.session), reqs)
        .await;
    fanouts.push(fanout);
    for (id, r) in ids.into_iter().zip(results) {
        let text = match r {
            Ok(resp) => encode_reply::<SendMessage>(id, &resp),
            Err(e) => reply_for(id, &e),
        };
        out.push(Answer { text, close: false });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_the_protocol_has_a_handler() {
        let table = Table::new();
        for op in opentim_protocol::OPS {
            assert!(table.serves(op), "no handler for {op}");
        }
        assert_eq!(
            table.routes.len(),
            opentim_protocol::OPS.len(),
            "a handler for an op the protocol does not list"
        );
        assert!(!table.serves("msg.teleport"));
    }
}
