//! The message service: the rules of sending, independent of how frames arrive.
//!
//! Checks come first (conversation type, receiver id, elements, body size); then the store
//! assigns the conversation seq and both inbox cursors and makes the message durable; only then
//! is the sender answered and the event queued to every online session of receiver and sender.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use opentim_model::codes;
use opentim_model::elem::Elem;
use opentim_model::enums::{ConvType, ElemType};
use opentim_model::message::Message;
use opentim_protocol::{encode, Event, InboxEntry, InboxItem, ServerFrame};

use crate::bus::Bus;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::{NewC2c, Store, Stored};

/// A refused request: a TIM error code and a text that says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: i32,
    pub desc: String,
}

impl Refusal {
    pub fn new(code: i32, desc: impl Into<String>) -> Self {
        Refusal {
            code,
            desc: desc.into(),
        }
    }
}

/// Unix time in seconds.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Whether `id` is a valid user id under `max_bytes`: non-empty printable ASCII without spaces.
pub fn valid_user_id(id: &str, max_bytes: usize) -> bool {
    !id.is_empty() && id.len() <= max_bytes && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Element types a client may send today. Media elements arrive with the media issue; group tips
/// and reports are produced by the server only.
fn sendable(elem: &Elem) -> bool {
    matches!(elem.elem_type(), ElemType::TEXT | ElemType::CUSTOM)
}

/// Sending and delivering messages.
pub struct MessageService {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn Bus>,
    pub metrics: Arc<Metrics>,
    pub config: Arc<Config>,
}

/// One send request as the gateway decoded it.
pub struct SendRequest {
    pub from: String,
    pub client_msg_id: String,
    pub conv_id: String,
    pub conv_type: ConvType,
    pub rand: u64,
    pub message: Message,
    /// The sending session (on this node), which is answered with the stored message and so
    /// needs no event for it.
    pub origin: Option<u64>,
}

impl MessageService {
    fn check(&self, req: &SendRequest) -> Result<(), Refusal> {
        if req.conv_type != ConvType::C2C {
            let what = if req.conv_type == ConvType::GROUP {
                "group conversations are not served yet"
            } else {
                "unknown conversation type"
            };
            return Err(Refusal::new(
                codes::ERR_INVALID_CONVERSATION,
                format!("{what} (conv_type {})", req.conv_type.0),
            ));
        }
        if !valid_user_id(&req.conv_id, self.config.max_user_id_bytes) {
            return Err(Refusal::new(
                codes::ERR_SVR_MSG_INVALID_ID,
                format!(
                    "receiver id must be 1 to {} bytes of printable ASCII without spaces",
                    self.config.max_user_id_bytes
                ),
            ));
        }
        if req.client_msg_id.is_empty() || req.client_msg_id.len() > 64 {
            return Err(Refusal::new(
                codes::ERR_SVR_MSG_PKG_PARSE_FAILED,
                "client_msg_id must be 1 to 64 bytes",
            ));
        }
        if req.message.elem_array.is_empty() {
            return Err(Refusal::new(
                codes::ERR_INVALID_MSG_ELEM,
                "message_elem_array is empty",
            ));
        }
        if let Some(bad) = req.message.elem_array.iter().find(|e| !sendable(e)) {
            return Err(Refusal::new(
                codes::ERR_INVALID_MSG_ELEM,
                format!(
                    "elem_type {} cannot be sent yet; text (0) and custom (3) elements can",
                    bad.elem_type().0
                ),
            ));
        }
        let size = req.message.body_size();
        if size > self.config.max_message_bytes {
            return Err(Refusal::new(
                codes::ERR_SVR_COMM_BODY_SIZE_LIMIT,
                format!(
                    "message body is {size} bytes; the limit (max_message_bytes) is {}",
                    self.config.max_message_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Store and deliver one C2C message. Returns the stored message and the sender's cursor.
    pub async fn send(&self, req: SendRequest) -> Result<Stored, Refusal> {
        self.send_batch(vec![req]).await.pop().unwrap_or_else(|| {
            Err(Refusal::new(
                codes::ERR_SVR_MSG_INTERNAL_ERROR1,
                "no result",
            ))
        })
    }

    /// Store and deliver several sends of one session, in order; one result each. The store
    /// may commit them together, which is what makes a pipelining client fast.
    pub async fn send_batch(&self, reqs: Vec<SendRequest>) -> Vec<Result<Stored, Refusal>> {
        let mut results: Vec<Option<Result<Stored, Refusal>>> = Vec::with_capacity(reqs.len());
        let mut writes = Vec::with_capacity(reqs.len());
        let origins: Vec<Option<u64>> = reqs.iter().map(|r| r.origin).collect();
        let now = now_secs();
        for req in reqs {
            if let Err(r) = self.check(&req) {
                self.metrics
                    .messages_rejected
                    .fetch_add(1, Ordering::Relaxed);
                results.push(Some(Err(r)));
                continue;
            }
            // Keep what the sender says about the content; envelope fields are the server's.
            let m = req.message;
            let content = Message {
                elem_array: m.elem_array,
                priority: m.priority,
                client_time: m.client_time,
                platform: m.platform,
                is_online_msg: m.is_online_msg,
                offline_push_config: m.offline_push_config,
                ..Message::default()
            };
            writes.push(NewC2c {
                from: req.from,
                to: req.conv_id,
                client_msg_id: req.client_msg_id,
                rand: req.rand,
                server_time: now,
                message: content,
            });
            results.push(None);
        }
        let mut stored = self.store.append_c2c_batch(writes).await.into_iter();
        for slot in results.iter_mut().filter(|r| r.is_none()) {
            let r = match stored.next() {
                Some(Ok(s)) => Ok(s),
                Some(Err(e)) => {
                    tracing::error!(error = %e, "storing a message failed");
                    Err(Refusal::new(
                        codes::ERR_SVR_MSG_INTERNAL_ERROR1,
                        "the server could not store the message; retry",
                    ))
                }
                None => Err(Refusal::new(
                    codes::ERR_SVR_MSG_INTERNAL_ERROR1,
                    "the store returned too few results",
                )),
            };
            *slot = Some(r);
        }
        let results: Vec<Result<Stored, Refusal>> = results.into_iter().flatten().collect();
        for (s, origin) in results.iter().zip(&origins) {
            let Ok(s) = s else { continue };
            if s.duplicate {
                continue;
            }
            self.metrics.messages_stored.fetch_add(1, Ordering::Relaxed);
            self.publish(&s.message.to, s.to_cursor, s, None).await;
            if s.message.from != s.message.to {
                self.publish(&s.message.from, s.from_cursor, s, *origin)
                    .await;
            }
        }
        results
    }

    async fn publish(&self, user: &str, cursor: u64, stored: &Stored, except: Option<u64>) {
        let frame = ServerFrame::Event(Event::Inbox(InboxEntry {
            cursor,
            item: InboxItem::Message {
                message: stored.message.clone(),
            },
        }));
        self.bus.deliver(user, encode(&frame).into(), except).await;
    }
}
