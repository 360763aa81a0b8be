//! WebSocket sessions: decode frames, check identity, call the services, write frames back.
//!
//! A connection must log in with its first frame within `login_timeout_secs`. After that one task
//! drives the session: it reads client frames, forwards queued events from the hub, and closes
//! the connection when the hub says so (kicked, slow reader), when the UserSig expires, or when
//! the server shuts down.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use opentim_model::codes;
use opentim_protocol::{
    decode, encode, ClientFrame, Event, ReplyBody, ServerFrame, PROTOCOL_VERSION,
};
use tokio::sync::watch;

use crate::auth;
use crate::hub::CloseReason;
use crate::service::{now_secs, valid_user_id, Refusal, SendRequest};
use crate::AppState;

fn reply_err(id: u64, r: &Refusal) -> String {
    encode(&ServerFrame::Reply {
        id,
        code: r.code,
        desc: r.desc.clone(),
        body: None,
    })
}

fn reply_ok(id: u64, body: ReplyBody) -> String {
    encode(&ServerFrame::Reply {
        id,
        code: 0,
        desc: String::new(),
        body: Some(body),
    })
}

async fn send_text(socket: &mut WebSocket, text: impl Into<Utf8Bytes>) -> bool {
    socket.send(WsMessage::Text(text.into())).await.is_ok()
}

/// Most frames read or written in one go before the session loop looks at its other inputs.
const MAX_PIPELINE: usize = 256;

/// Write frames and flush once.
async fn send_all(socket: &mut WebSocket, frames: impl Iterator<Item = Utf8Bytes>) -> bool {
    for f in frames {
        if socket.feed(WsMessage::Text(f)).await.is_err() {
            return false;
        }
    }
    socket.flush().await.is_ok()
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(WsMessage::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

/// Read the next text frame, skipping pings; None when the connection ends.
async fn next_text(socket: &mut WebSocket) -> Option<Result<String, ()>> {
    loop {
        match socket.next().await? {
            Ok(WsMessage::Text(t)) => return Some(Ok(t.to_string())),
            Ok(WsMessage::Binary(_)) => return Some(Err(())),
            Ok(WsMessage::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

/// Serve one upgraded connection to its end.
pub async fn serve_socket(
    state: Arc<AppState>,
    mut socket: WebSocket,
    mut shutdown: watch::Receiver<bool>,
) {
    let cfg = state.config.clone();
    // 1. Login.
    let first = tokio::time::timeout(
        Duration::from_secs(cfg.login_timeout_secs),
        next_text(&mut socket),
    )
    .await;
    let Ok(Some(Ok(text))) = first else {
        close(&mut socket, 1008, "log in with the first frame").await;
        return;
    };
    let (id, user, platform, expires_at) = match decode::<ClientFrame>(&text) {
        Ok(ClientFrame::Login {
            id,
            protocol,
            user_id,
            user_sig,
            platform,
        }) => {
            let refusal = if protocol != PROTOCOL_VERSION {
                Some(Refusal::new(codes::ERR_SVR_MSG_PKG_PARSE_FAILED, format!("protocol {protocol} is not supported; this server speaks {PROTOCOL_VERSION}")))
            } else if !valid_user_id(&user_id, cfg.max_user_id_bytes) {
                Some(Refusal::new(
                    codes::ERR_SVR_COMM_INVALID_ID_FORMAT,
                    format!(
                        "user id must be 1 to {} bytes of printable ASCII without spaces",
                        cfg.max_user_id_bytes
                    ),
                ))
            } else if user_sig.is_empty() {
                Some(Refusal::new(
                    codes::ERR_SVR_ACCOUNT_USERSIG_EMPTY,
                    "UserSig is empty",
                ))
            } else {
                None
            };
            let checked = match refusal {
                Some(r) => Err(r),
                None => auth::verify(
                    &cfg.secret_key,
                    cfg.sdkappid,
                    &user_id,
                    &user_sig,
                    now_secs(),
                )
                .map_err(|e| Refusal::new(e.code(), e.to_string())),
            };
            match checked {
                Ok(ticket) => (id, user_id, platform, ticket.expires_at()),
                Err(r) => {
                    state.metrics.login_failures.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(user = %user_id, code = r.code, reason = %r.desc, "login refused");
                    send_text(&mut socket, reply_err(id, &r)).await;
                    close(&mut socket, 1008, "login refused").await;
                    return;
                }
            }
        }
        _ => {
            send_text(
                &mut socket,
                reply_err(
                    0,
                    &Refusal::new(
                        codes::ERR_SVR_MSG_PKG_PARSE_FAILED,
                        "the first frame must be a login",
                    ),
                ),
            )
            .await;
            close(&mut socket, 1008, "log in with the first frame").await;
            return;
        }
    };
    let mut reg = state.hub.register(&user, platform);
    state.bus.session_opened(&user, platform, reg.id).await;
    state.metrics.logins.fetch_add(1, Ordering::Relaxed);
    tracing::info!(user = %user, platform, session = reg.id, node = %cfg.node_id, "logged in");
    if send_text(
        &mut socket,
        reply_ok(
            id,
            ReplyBody::LoggedIn {
                server_time: now_secs(),
            },
        ),
    )
    .await
    {
        session_loop(
            &state,
            &mut socket,
            &user,
            &mut reg,
            expires_at,
            &mut shutdown,
        )
        .await;
    }
    state.hub.unregister(&user, reg.id);
    state.bus.session_closed(&user).await;
    tracing::info!(user = %user, session = reg.id, "session ended");
}

async fn session_loop(
    state: &Arc<AppState>,
    socket: &mut WebSocket,
    user: &str,
    reg: &mut crate::hub::Registration,
    expires_at: u64,
    shutdown: &mut watch::Receiver<bool>,
) {
    let expiry = tokio::time::Instant::now()
        + Duration::from_secs(expires_at.saturating_sub(now_secs()).saturating_add(1));
    let expired = tokio::time::sleep_until(expiry);
    tokio::pin!(expired);
    loop {
        tokio::select! {
            incoming = next_text(socket) => {
                let Some(incoming) = incoming else { return };
                let Ok(text) = incoming else {
                    close(socket, 1003, "frames are JSON text").await;
                    return;
                };
                // Take every frame already received too: pipelined sends are stored together.
                let mut texts = vec![text];
                let mut ended = false;
                while texts.len() < MAX_PIPELINE {
                    match futures_util::FutureExt::now_or_never(next_text(socket)) {
                        Some(Some(Ok(t))) => texts.push(t),
                        Some(_) => {
                            ended = true;
                            break;
                        }
                        None => break,
                    }
                }
                let replies = handle_frames(state, user, reg.id, texts).await;
                let logout = replies.iter().any(|(_, end)| *end);
                if !send_all(socket, replies.into_iter().map(|(out, _)| Utf8Bytes::from(out))).await {
                    return;
                }
                if logout {
                    close(socket, 1000, "logged out").await;
                    return;
                }
                if ended {
                    return;
                }
            }
            Some(frame) = reg.queue.recv() => {
                // Write every queued event, then flush once.
                let mut frames = vec![Utf8Bytes::from(&*frame)];
                while frames.len() < MAX_PIPELINE {
                    match reg.queue.try_recv() {
                        Ok(f) => frames.push(Utf8Bytes::from(&*f)),
                        Err(_) => break,
                    }
                }
                if !send_all(socket, frames.into_iter()).await { return; }
            }
            _ = reg.close.changed() => {
                let reason = *reg.close.borrow();
                match reason {
                    CloseReason::Kicked => {
                        send_text(socket, encode(&ServerFrame::Event(Event::KickedOffline))).await;
                        close(socket, 4001, "kicked by another login").await;
                    }
                    CloseReason::SlowReader => close(socket, 4002, "too slow; reconnect and sync").await,
                    CloseReason::Open => continue,
                }
                return;
            }
            () = &mut expired => {
                send_text(socket, encode(&ServerFrame::Event(Event::UserSigExpired))).await;
                close(socket, 4003, "UserSig expired").await;
                return;
            }
            _ = shutdown.changed() => {
                close(socket, 1001, "server shutting down").await;
                return;
            }
        }
    }
}

/// Answer frames in order; consecutive sends go to the message service as one batch.
async fn handle_frames(
    state: &Arc<AppState>,
    user: &str,
    session: u64,
    texts: Vec<String>,
) -> Vec<(String, bool)> {
    let mut out = Vec::with_capacity(texts.len());
    let mut batch: Vec<(u64, SendRequest)> = Vec::new();
    for text in texts {
        match decode::<ClientFrame>(&text) {
            Ok(ClientFrame::Send {
                id,
                client_msg_id,
                conv_id,
                conv_type,
                rand,
                message,
            }) => {
                let req = SendRequest {
                    from: user.to_owned(),
                    client_msg_id,
                    conv_id,
                    conv_type,
                    rand,
                    message,
                    origin: Some(session),
                };
                batch.push((id, req));
            }
            decoded => {
                flush_sends(state, &mut batch, &mut out).await;
                out.push(handle_frame(state, user, &text, decoded).await);
            }
        }
    }
    flush_sends(state, &mut batch, &mut out).await;
    out
}

async fn flush_sends(
    state: &Arc<AppState>,
    batch: &mut Vec<(u64, SendRequest)>,
    out: &mut Vec<(String, bool)>,
) {
    if batch.is_empty() {
        return;
    }
    let (ids, reqs): (Vec<u64>, Vec<SendRequest>) = batch.drain(..).unzip();
    let results = state.messages.send_batch(reqs).await;
    for (id, r) in ids.into_iter().zip(results) {
        let reply = match r {
            Ok(stored) => reply_ok(
                id,
                ReplyBody::Sent {
                    message: stored.message,
                    cursor: stored.from_cursor,
                },
            ),
            Err(r) => reply_err(id, &r),
        };
        out.push((reply, false));
    }
}

/// Answer one frame other than a send; the flag says the session ends after the answer.
async fn handle_frame(
    state: &Arc<AppState>,
    user: &str,
    text: &str,
    decoded: Result<ClientFrame, serde_json::Error>,
) -> (String, bool) {
    let frame = match decoded {
        Ok(f) => f,
        Err(e) => {
            // Answer with id 0 when the frame is too broken to carry one.
            let id = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("id")?.as_u64())
                .unwrap_or(0);
            let r = Refusal::new(
                codes::ERR_SVR_MSG_PKG_PARSE_FAILED,
                format!("bad frame: {e}"),
            );
            return (reply_err(id, &r), false);
        }
    };
    let out = match frame {
        ClientFrame::Send { id, .. } => {
            // Sends are batched by handle_frames and never come here.
            reply_err(
                id,
                &Refusal::new(codes::ERR_SVR_MSG_INTERNAL_ERROR1, "send outside a batch"),
            )
        }
        ClientFrame::Sync { id, cursor, limit } => {
            let limit = limit.clamp(1, state.config.sync_page);
            match state
                .messages
                .store
                .inbox_after(user, cursor, limit + 1)
                .await
            {
                Ok(mut entries) => {
                    let more = entries.len() > limit as usize;
                    entries.truncate(limit as usize);
                    state
                        .metrics
                        .sync_entries
                        .fetch_add(entries.len() as u64, Ordering::Relaxed);
                    reply_ok(id, ReplyBody::Synced { entries, more })
                }
                Err(e) => {
                    tracing::error!(error = %e, "reading an inbox failed");
                    reply_err(
                        id,
                        &Refusal::new(
                            codes::ERR_SVR_MSG_INTERNAL_ERROR1,
                            "the server could not read the inbox; retry",
                        ),
                    )
                }
            }
        }
        ClientFrame::History {
            id,
            conv_id,
            conv_type,
            before_seq,
            count,
        } => {
            if conv_type != opentim_model::enums::ConvType::C2C {
                reply_err(
                    id,
                    &Refusal::new(
                        codes::ERR_INVALID_CONVERSATION,
                        "only C2C history is served yet",
                    ),
                )
            } else {
                let count = count.clamp(1, state.config.max_history_page);
                match state
                    .messages
                    .store
                    .c2c_history(user, &conv_id, before_seq, count)
                    .await
                {
                    Ok(messages) => reply_ok(id, ReplyBody::History { messages }),
                    Err(e) => {
                        tracing::error!(error = %e, "reading history failed");
                        reply_err(
                            id,
                            &Refusal::new(
                                codes::ERR_SVR_MSG_INTERNAL_ERROR1,
                                "the server could not read the history; retry",
                            ),
                        )
                    }
                }
            }
        }
        ClientFrame::Ping { id } => reply_ok(
            id,
            ReplyBody::Pong {
                server_time: now_secs(),
            },
        ),
        ClientFrame::Logout { id } => {
            return (
                reply_ok(
                    id,
                    ReplyBody::Pong {
                        server_time: now_secs(),
                    },
                ),
                true,
            )
        }
        ClientFrame::Login { id, .. } => reply_err(
            id,
            &Refusal::new(
                codes::ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS,
                "already logged in on this connection",
            ),
        ),
    };
    (out, false)
}
