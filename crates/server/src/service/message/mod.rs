//! Sending messages: the one place that decides what may be sent.
//!
//! Checks come first (conversation type, receiver id, client message id, elements, body size);
//! then the store assigns the conversation seq and both inbox cursors and makes the message
//! durable. The sender is answered as soon as that write is durable: fan-out to the receivers'
//! sessions is a separate step ([`Fanout`]) that the caller runs after replying, so the ack never
//! waits for delivery.

mod group;
mod mutes;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use opentim_model::codes;
use opentim_model::elem::Elem;
use opentim_model::enums::{ConvType, ElemType};
use opentim_model::ids::UserId;
use opentim_protocol::op::send::{
    PutRelayRequest, RelayKey, RelayMessages, SendRequest, SendResponse,
};
use opentim_protocol::{Event, GroupEntry, InboxEntry, InboxItem, WireMessage};

use crate::clock::now_secs;
use crate::config::Config;
use crate::delivery::{Delivery, SessionId, Topic};
use crate::error::{Error, Result};
use crate::http::metrics::Metrics;
use crate::store::{GroupStore, MessageStore, NewC2c, Stored};
use crate::webhook::{self, Verdict, Webhooks};

/// Longest client message id, in bytes.
pub const MAX_CLIENT_MSG_ID_BYTES: usize = 64;

/// Whether `url` is a download URL of this server for media `id` (a path, or under
/// `media_public_url`), or absent.
fn own_media_url(url: &Option<String>, id: &str, public: Option<&str>) -> bool {
    let Some(url) = url.as_deref().filter(|u| !u.is_empty()) else {
        return true;
    };
    let path = match public {
        Some(base) if url.starts_with(base.trim_end_matches('/')) => {
            &url[base.trim_end_matches('/').len()..]
        }
        _ => url,
    };
    path.starts_with(&format!("/media/files/{id}/"))
}

/// Whether a media element names files of this server: a media id, and only its URLs (a
/// client cannot pass off a link elsewhere as an image of this server).
fn media_ok(elem: &Elem, public: Option<&str>) -> bool {
    let id = |s: &Option<String>| s.clone().unwrap_or_default();
    let ok = |i: &str, urls: &[&Option<String>]| {
        crate::media::valid_id(i) && urls.iter().all(|u| own_media_url(u, i, public))
    };
    match elem {
        Elem::Image(i) => ok(&id(&i.orig_id), &[&i.orig_url, &i.large_url, &i.thumb_url]),
        Elem::Sound(s) => ok(&id(&s.file_id), &[&s.url]),
        Elem::File(f) => ok(&id(&f.file_id), &[&f.url]),
        Elem::Video(v) => {
            ok(&id(&v.video_id), &[&v.video_url]) && ok(&id(&v.image_id), &[&v.image_url])
        }
        _ => false,
    }
}

/// Element types a client may send. Media elements must name files uploaded to this server;
/// group tips and reports are produced by the server only.
fn sendable(elem: &Elem, public: Option<&str>) -> bool {
    match elem {
        Elem::Image(_) | Elem::Sound(_) | Elem::File(_) | Elem::Video(_) => media_ok(elem, public),
        // A merger travels with the key of its bundle (kept with `msg.relay_put`), not the
        // messages themselves.
        Elem::Merger(m) => {
            m.relay_json_key.as_deref().is_some_and(|k| !k.is_empty())
                && m.message_array.as_ref().is_none_or(Vec::is_empty)
        }
        _ => matches!(
            elem.elem_type(),
            ElemType::TEXT | ElemType::CUSTOM | ElemType::FACE | ElemType::LOCATION
        ),
    }
}

/// Element types a forwarded bundle may hold: what may be sent, media to come, and mergers
/// (nested bundles, by their keys).
fn forwardable(elem: &Elem) -> bool {
    sendable(elem, None) || elem.is_media()
}

pub struct MessageService {
    config: Arc<Config>,
    store: Arc<dyn MessageStore>,
    /// To check that the files media elements name are kept here.
    media: Arc<dyn crate::media::MediaStore>,
    groups: Arc<dyn GroupStore>,
    delivery: Arc<Delivery>,
    webhooks: Arc<Webhooks>,
    metrics: Arc<Metrics>,
    /// Messages per group in the current second, for `group_messages_per_sec`.
    group_rate: group::RateLimit,
    /// Administrators' global mutes of senders.
    mutes: mutes::Mutes,
}

/// Events still to be delivered after the sender was answered.
#[must_use = "run the fan-out after answering the sender"]
pub struct Fanout {
    delivery: Arc<Delivery>,
    events: Vec<Pending>,
}

/// One event to deliver: built only if someone receives it.
struct Pending {
    topic: Topic,
    what: What,
    except: Option<SessionId>,
}

/// What a [`Pending`] event carries.
enum What {
    /// A message and its inbox cursor for the topic's user; `None` for an online-only
    /// message, which has none.
    Message {
        cursor: Option<u64>,
        message: Arc<WireMessage>,
    },
    /// A group stream entry, for the group's topic.
    Group(Arc<GroupEntry>),
}

impl Fanout {
    /// No events yet.
    pub(crate) fn new(delivery: Arc<Delivery>) -> Self {
        Fanout {
            delivery,
            events: Vec::new(),
        }
    }

    /// Also deliver group stream entry `entry` to the group's members online, except the
    /// session `except`.
    pub(crate) fn group(&mut self, entry: GroupEntry, except: Option<SessionId>) {
        if let Ok(id) = opentim_model::ids::GroupId::parse_unbounded(&entry.group_id) {
            self.events.push(Pending {
                topic: Topic::Group(id),
                what: What::Group(Arc::new(entry)),
                except,
            });
        }
    }

    /// Leave out what would go to `user`'s own sessions (an administrator's send that is not
    /// synced to its sender's devices).
    pub(crate) fn skip_user(&mut self, user: &UserId) {
        self.events
            .retain(|p| !matches!(&p.topic, Topic::User(u) if u == user));
    }

    /// Deliver every event, in the order the messages were stored.
    pub async fn run(self) {
        for p in self.events {
            let what = p.what;
            self.delivery
                .publish_with(&p.topic, p.except, || match what {
                    What::Message { cursor, message } => {
                        let message = Box::new((*message).clone());
                        match cursor {
                            Some(cursor) => Event::Inbox(InboxEntry {
                                cursor,
                                item: InboxItem::Message { message },
                            }),
                            None => Event::Online(message),
                        }
                    }
                    What::Group(entry) => Event::Group(Box::new((*entry).clone())),
                })
                .await;
        }
    }
}

impl MessageService {
    /// Over the messages, groups and accounts of `stores`, and the files of `media`.
    pub fn new(
        config: Arc<Config>,
        stores: &crate::store::Stores,
        media: Arc<dyn crate::media::MediaStore>,
        delivery: Arc<Delivery>,
        webhooks: Arc<Webhooks>,
        metrics: Arc<Metrics>,
    ) -> Self {
        MessageService {
            mutes: mutes::Mutes::new(stores.accounts.clone()),
            config,
            store: stores.messages.clone(),
            media,
            groups: stores.groups.clone(),
            delivery,
            webhooks,
            metrics,
            group_rate: group::RateLimit::default(),
        }
    }

    /// Every file the media elements of a message name is one this server keeps (a finished
    /// upload); elements that name no file well-formed are left to the content rules.
    async fn media_kept(&self, req: &SendRequest) -> Result<()> {
        let ids: Vec<String> = req
            .message
            .elem_array
            .iter()
            .flat_map(|e| {
                let (orig, snapshot) = e.media_ids();
                [orig, snapshot]
            })
            .flatten()
            .filter(|id| crate::media::valid_id(id))
            .map(str::to_owned)
            .collect();
        for id in ids {
            let kept = self.media.file(&id).await.map_err(|e| Error::Internal {
                what: "look up a media file",
                source: crate::store::StoreError::Database(e.to_string()),
            })?;
            if kept.is_none() {
                return Err(Error::refused(
                    codes::ERR_INVALID_MSG_ELEM,
                    format!("a media element names file {id}, which this server does not keep; upload it first"),
                ));
            }
            // Named by a message: kept until the retention period ends.
            self.media
                .mark_referenced(&id)
                .await
                .map_err(|e| Error::Internal {
                    what: "note a media file as sent",
                    source: crate::store::StoreError::Database(e.to_string()),
                })?;
        }
        Ok(())
    }

    /// Ask the app's back-end about a message (a before-callback): it goes on as it is,
    /// rewritten (and then checked again), or refused with the back-end's code.
    pub(super) async fn before_send(
        &self,
        command: &'static str,
        fields: serde_json::Map<String, serde_json::Value>,
        req: &mut SendRequest,
    ) -> Result<()> {
        match self.webhooks.before(command, "", fields).await {
            Verdict::Allow => Ok(()),
            Verdict::Refuse(r) => Err(Error::Refused(r)),
            Verdict::Rewrite {
                body,
                cloud_custom_data,
            } => {
                req.message.elem_array = crate::admin::to_elems(Some(&body)).map_err(|r| {
                    Error::refused(
                        r.code,
                        format!("the app's back-end rewrote the message badly: {}", r.desc),
                    )
                })?;
                if cloud_custom_data.is_some() {
                    req.message.cloud_custom_str = cloud_custom_data;
                }
                self.check_content(req)
            }
        }
    }

    async fn before_c2c(
        &self,
        from: &UserId,
        to: &UserId,
        req: &mut SendRequest,
        now: u64,
    ) -> Result<()> {
        if !self.webhooks.wants(webhook::C2C_BEFORE_SEND) {
            return Ok(());
        }
        let fields =
            webhook::c2c_message(from.as_str(), to.as_str(), 0, req.rand, now, &req.message);
        self.before_send(webhook::C2C_BEFORE_SEND, fields, req)
            .await
    }

    /// Tell the app's back-end a C2C message went out (an after-callback, queued).
    fn after_c2c(&self, m: &opentim_protocol::WireMessage) {
        if self.webhooks.wants(webhook::C2C_AFTER_SEND) {
            let fields = webhook::c2c_sent(m);
            self.webhooks.after(webhook::C2C_AFTER_SEND, fields);
        }
    }

    /// The send rules of a C2C message. Returns the receiver.
    fn check(&self, req: &SendRequest) -> Result<UserId> {
        if req.conv_type != ConvType::C2C {
            return Err(Error::refused(
                codes::ERR_INVALID_CONVERSATION,
                format!(
                    "unknown conversation type {}; C2C (1) and group (2) are",
                    req.conv_type.0
                ),
            ));
        }
        let to = UserId::parse(&req.conv_id, self.config.max_user_id_bytes).map_err(|e| {
            Error::refused(
                codes::ERR_SVR_MSG_INVALID_ID,
                format!(
                    "receiver id: {e}; ids are 1 to {} bytes (max_user_id_bytes) of printable ASCII",
                    self.config.max_user_id_bytes
                ),
            )
        })?;
        self.check_content(req)?;
        Ok(to)
    }

    /// The rules on what any message holds: its client id, elements and size.
    fn check_content(&self, req: &SendRequest) -> Result<()> {
        if req.client_msg_id.is_empty() || req.client_msg_id.len() > MAX_CLIENT_MSG_ID_BYTES {
            return Err(Error::refused(
                codes::ERR_SVR_MSG_PKG_PARSE_FAILED,
                format!("client_msg_id must be 1 to {MAX_CLIENT_MSG_ID_BYTES} bytes"),
            ));
        }
        if req.message.elem_array.is_empty() {
            return Err(Error::refused(
                codes::ERR_INVALID_MSG_ELEM,
                "message_elem_array is empty",
            ));
        }
        let public = self.config.media_public_url.as_deref();
        if let Some(bad) = req.message.elem_array.iter().find(|e| !sendable(e, public)) {
            return Err(Error::refused(
                codes::ERR_INVALID_MSG_ELEM,
                format!(
                    "an element of elem_type {} cannot be sent: text (0), custom (3), face (6), \
                     location (7), merger (12, with the key of its bundle), and image (1), sound \
                     (2), file (4) and video (9) elements naming files uploaded to this server \
                     (their ids and its URLs) can",
                    bad.elem_type().0
                ),
            ));
        }
        let size = req.message.body_size();
        if size > self.config.max_message_bytes {
            return Err(Error::refused(
                codes::ERR_SVR_COMM_BODY_SIZE_LIMIT,
                format!(
                    "message body is {size} bytes; the limit (max_message_bytes) is {}",
                    self.config.max_message_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Store several sends of one session, in order, with one result each (the store may
    /// commit them together, which is what makes a pipelining client fast). `origin` is the
    /// sending session, which learns of its messages from the replies and gets no event.
    pub async fn send_batch(
        &self,
        from: &UserId,
        origin: Option<SessionId>,
        reqs: Vec<SendRequest>,
    ) -> (Vec<Result<SendResponse>>, Fanout) {
        let mut results: Vec<Option<Result<SendResponse>>> = Vec::with_capacity(reqs.len());
        let mut writes = Vec::with_capacity(reqs.len());
        let mut receivers = Vec::with_capacity(reqs.len());
        let now = now_secs();
        let mut fanout = Fanout::new(self.delivery.clone());
        let mut group_writes = Vec::new();
        let mut group_slots = Vec::new();
        // An administrator's global mute of the sender (one read a second at most). When the
        // store cannot say, the messages' own writes will (they fail the same way).
        let (c2c_muted, group_muted) = self.mutes.of(from).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, user = %from, "could not read the sender's mutes");
            (0, 0)
        });
        for req in reqs {
            let muted_until = match req.conv_type {
                ConvType::GROUP => group_muted,
                _ => c2c_muted,
            };
            if muted_until > now {
                self.metrics
                    .messages_rejected
                    .fetch_add(1, Ordering::Relaxed);
                let code = match req.conv_type {
                    ConvType::GROUP => codes::ERR_SVR_GROUP_SHUTUP_DENY,
                    _ => codes::ERR_SVR_MSG_SHUTUP_DENY,
                };
                results.push(Some(Err(Error::refused(
                    code,
                    format!("an administrator muted you until {muted_until} (Unix time); your messages are not sent"),
                ))));
                continue;
            }
            if let Err(e) = self.media_kept(&req).await {
                self.metrics
                    .messages_rejected
                    .fetch_add(1, Ordering::Relaxed);
                results.push(Some(Err(e)));
                continue;
            }
            if req.conv_type == ConvType::GROUP {
                match self.group_send(from, origin, req, now, &mut fanout).await {
                    Ok(group::Outcome::Answered(r)) => results.push(Some(Ok(r))),
                    Ok(group::Outcome::Store(w, group_type)) => {
                        group_slots.push((results.len(), group_type));
                        group_writes.push(w);
                        results.push(None);
                    }
                    Err(e) => {
                        self.metrics
                            .messages_rejected
                            .fetch_add(1, Ordering::Relaxed);
                        results.push(Some(Err(e)));
                    }
                }
                continue;
            }
            let mut req = req;
            let checked = match self.check(&req) {
                Ok(to) => self.before_c2c(from, &to, &mut req, now).await.map(|()| to),
                Err(e) => Err(e),
            };
            let to = match checked {
                Ok(to) => to,
                Err(e) => {
                    self.metrics
                        .messages_rejected
                        .fetch_add(1, Ordering::Relaxed);
                    results.push(Some(Err(e)));
                    continue;
                }
            };
            if req.message.is_online_msg == Some(true) {
                // Never stored, so checked here: the same rules as a stored message's write.
                let allowed = self
                    .store
                    .c2c_allowed(from.as_str(), to.as_str(), self.config.c2c_friends_only)
                    .await
                    .map_err(|e| {
                        crate::service::account::c2c_refusal(&e, to.as_str()).unwrap_or(
                            Error::Internal {
                                what: "check who may write to whom",
                                source: e,
                            },
                        )
                    });
                let r = allowed.map(|()| self.online(from, to, origin, req, now, &mut fanout));
                if r.is_err() {
                    self.metrics
                        .messages_rejected
                        .fetch_add(1, Ordering::Relaxed);
                }
                results.push(Some(r));
                continue;
            }
            writes.push(NewC2c {
                from: from.as_str().to_owned(),
                to: to.as_str().to_owned(),
                client_msg_id: req.client_msg_id,
                rand: req.rand,
                server_time: now,
                // Keep what the sender says about the content; the envelope is the server's.
                message: req.message.content(),
                friends_only: self.config.c2c_friends_only,
            });
            receivers.push(to);
            results.push(None);
        }
        if !group_writes.is_empty() {
            let stored = self.groups.append_group(group_writes).await;
            for ((slot, group_type), r) in group_slots.into_iter().zip(stored) {
                results[slot] = Some(self.group_stored(r, group_type, origin, &mut fanout));
            }
        }
        let mut stored = self.store.append_c2c_batch(writes).await.into_iter();
        let mut receivers = receivers.into_iter();
        for slot in results.iter_mut().filter(|r| r.is_none()) {
            let to = receivers.next();
            let r = match stored.next() {
                Some(Ok(s)) => {
                    if let Some(to) = to {
                        self.fan_out(&s, from, to, origin, &mut fanout);
                    }
                    Ok(SendResponse {
                        cursor: s.from_cursor,
                        message: s.message,
                    })
                }
                // The store keeps the rules of who may send whom with the message's write.
                Some(Err(e)) => {
                    let to = to.as_ref().map_or("the receiver", |t| t.as_str());
                    Err(
                        crate::service::account::c2c_refusal(&e, to).unwrap_or(Error::Internal {
                            what: "store the message",
                            source: e,
                        }),
                    )
                }
                None => Err(Error::Internal {
                    what: "store the message",
                    source: crate::store::StoreError::Closed,
                }),
            };
            *slot = Some(r);
        }
        (results.into_iter().flatten().collect(), fanout)
    }

    /// A sender's mutes changed on this node: read them again at their next send.
    pub fn mutes_changed(&self, user: &UserId) {
        self.mutes.forget(user);
    }

    /// Store a C2C message from an old system (the REST `importmsg`): the rules of a send,
    /// then stored at its own `time`, marked imported, and pushed to nobody (the users' devices
    /// find it in history and at their next sync).
    pub async fn import(&self, from: &UserId, req: SendRequest, time: u64) -> Result<SendResponse> {
        self.media_kept(&req).await?;
        let to = self.check(&req)?;
        let mut message = req.message.content();
        message.status = Some(opentim_model::enums::MsgStatus::LOCAL_IMPORTED);
        let stored = self
            .store
            .append_c2c(NewC2c {
                from: from.as_str().to_owned(),
                to: to.as_str().to_owned(),
                client_msg_id: req.client_msg_id,
                rand: req.rand,
                server_time: time,
                message,
                friends_only: false,
            })
            .await
            .map_err(|e| {
                crate::service::account::c2c_refusal(&e, to.as_str()).unwrap_or(Error::Internal {
                    what: "import the message",
                    source: e,
                })
            })?;
        if !stored.duplicate {
            self.metrics.messages_stored.fetch_add(1, Ordering::Relaxed);
        }
        Ok(SendResponse {
            cursor: stored.from_cursor,
            message: stored.message,
        })
    }

    /// Store a group message from an old system (the REST `import_group_msg`): its content
    /// checked as a send's, stored at its own `time` under the group's next seq, marked
    /// imported, pushed to nobody (members catch up by seq). The stored message.
    pub async fn import_group(
        &self,
        group: &str,
        from: &UserId,
        req: SendRequest,
        time: u64,
    ) -> Result<opentim_protocol::WireMessage> {
        self.media_kept(&req).await?;
        self.check_content(&req)?;
        let group = opentim_model::ids::GroupId::parse(group, self.config.max_group_id_bytes)
            .map_err(|e| {
                Error::refused(
                    codes::ERR_SVR_GROUP_INVALID_GROUPID,
                    format!("group id: {e}"),
                )
            })?;
        let mut message = req.message.content();
        message.status = Some(opentim_model::enums::MsgStatus::LOCAL_IMPORTED);
        let write = crate::store::NewGroupMessage {
            group: group.into_string(),
            from: from.as_str().to_owned(),
            client_msg_id: req.client_msg_id,
            rand: req.rand,
            server_time: time,
            message,
        };
        let stored = self
            .groups
            .append_group(vec![write])
            .await
            .pop()
            .unwrap_or(Err(crate::store::StoreError::Closed))
            .map_err(Error::internal("import the group message"))?;
        if !stored.duplicate {
            self.metrics.messages_stored.fetch_add(1, Ordering::Relaxed);
        }
        stored.entry.message.ok_or_else(|| Error::Internal {
            what: "import the group message",
            source: crate::store::StoreError::Corrupt(
                "an imported message came back as a recall".into(),
            ),
        })
    }

    /// Keep the bundle of a merger element: at most `max_merger_messages` messages, each with
    /// elements a bundle may hold. Answers its key (128 random bits: knowing it is what lets
    /// a receiver fetch the bundle).
    pub async fn relay_put(&self, from: &UserId, req: PutRelayRequest) -> Result<RelayKey> {
        let max = self.config.max_merger_messages as usize;
        if req.messages.is_empty() || req.messages.len() > max {
            return Err(Error::refused(
                codes::ERR_INVALID_PARAMETERS,
                format!(
                    "a merged message holds 1 to {max} messages (max_merger_messages); this one {}",
                    req.messages.len()
                ),
            ));
        }
        if let Some(bad) = req
            .messages
            .iter()
            .flat_map(|m| &m.elem_array)
            .find(|e| !forwardable(e))
        {
            return Err(Error::refused(
                codes::ERR_INVALID_MSG_ELEM,
                format!(
                    "elem_type {} cannot be forwarded (group tips and reports cannot)",
                    bad.elem_type().0
                ),
            ));
        }
        let body = serde_json::to_string(&req.messages).map_err(|e| {
            Error::refused(codes::ERR_INVALID_PARAMETERS, format!("the messages: {e}"))
        })?;
        let key = format!("{:032x}", rand::random::<u128>());
        self.store
            .put_relay(&key, from.as_str(), body, now_secs())
            .await
            .map_err(Error::internal("keep the forwarded messages"))?;
        Ok(RelayKey { key })
    }

    /// The messages of a merger element, by the key it carries.
    pub async fn relay_get(&self, req: RelayKey) -> Result<RelayMessages> {
        let body = self
            .store
            .relay(&req.key)
            .await
            .map_err(Error::internal("read the forwarded messages"))?
            .ok_or_else(|| {
                Error::refused(
                    codes::ERR_INVALID_PARAMETERS,
                    "no forwarded messages under this key",
                )
            })?;
        let messages = serde_json::from_str(&body).map_err(|e| Error::Internal {
            what: "read the forwarded messages",
            source: crate::store::StoreError::Corrupt(e.to_string()),
        })?;
        Ok(RelayMessages { messages })
    }

    /// An online-only message: never stored (no seq, no inbox entry), handed to the sessions of
    /// the receiver and the sender's other sessions that are online now, and answered at once.
    fn online(
        &self,
        from: &UserId,
        to: UserId,
        origin: Option<SessionId>,
        req: SendRequest,
        now: u64,
        fanout: &mut Fanout,
    ) -> SendResponse {
        self.metrics.online_messages.fetch_add(1, Ordering::Relaxed);
        let message = WireMessage {
            conv_type: ConvType::C2C,
            from: from.as_str().to_owned(),
            to: to.as_str().to_owned(),
            seq: 0,
            rand: req.rand,
            server_time: now,
            client_msg_id: req.client_msg_id,
            message: req.message.content(),
        };
        self.after_c2c(&message);
        let shared = Arc::new(message.clone());
        if *from != to {
            fanout.events.push(Pending {
                topic: Topic::User(to),
                what: What::Message {
                    cursor: None,
                    message: shared.clone(),
                },
                except: None,
            });
        }
        fanout.events.push(Pending {
            topic: Topic::User(from.clone()),
            what: What::Message {
                cursor: None,
                message: shared,
            },
            except: origin,
        });
        SendResponse { cursor: 0, message }
    }

    fn fan_out(
        &self,
        s: &Stored,
        from: &UserId,
        to: UserId,
        origin: Option<SessionId>,
        fanout: &mut Fanout,
    ) {
        if s.duplicate {
            // A retry: the receivers got the first copy.
            return;
        }
        self.metrics.messages_stored.fetch_add(1, Ordering::Relaxed);
        self.after_c2c(&s.message);
        let message = Arc::new(s.message.clone());
        // A receiver who does not receive the sender's messages has no entry for it.
        if *from != to && s.to_cursor != 0 {
            fanout.events.push(Pending {
                topic: Topic::User(to),
                what: What::Message {
                    cursor: Some(s.to_cursor),
                    message: message.clone(),
                },
                except: None,
            });
        }
        // The sender's other sessions (other devices) see their own message too.
        fanout.events.push(Pending {
            topic: Topic::User(from.clone()),
            what: What::Message {
                cursor: Some(s.from_cursor),
                message,
            },
            except: origin,
        });
    }
}
