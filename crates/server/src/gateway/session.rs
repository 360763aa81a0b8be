//! One connection from login to close.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use opentim_protocol::op::login::{Login, LoginResponse};
use opentim_protocol::{encode_reply, Event};
use tokio::sync::watch;

use super::admission::SharedAllowance;
use super::dispatch::{answer_all, Caller};
use super::{login, reply_for, Gateway};
use crate::clock::now_secs;
use crate::delivery::{CloseReason, Registration};
use crate::error::Error;
use crate::webhook;
use opentim_model::codes;

/// Most frames read or written in one go before the session loop looks at its other inputs.
const MAX_PIPELINE: usize = 256;

async fn send_text(socket: &mut WebSocket, text: impl Into<Utf8Bytes>) -> bool {
    socket.send(WsMessage::Text(text.into())).await.is_ok()
}

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
pub async fn serve(gw: Arc<Gateway>, mut socket: WebSocket, mut shutdown: watch::Receiver<bool>) {
    let first = tokio::time::timeout(
        Duration::from_secs(gw.config.login_timeout_secs),
        next_text(&mut socket),
    )
    .await;
    let Ok(Some(Ok(text))) = first else {
        close(&mut socket, 1008, "log in with the first frame").await;
        return;
    };
    let (id, ok) = match login::check(&gw.services.account, &text) {
        Ok(v) => v,
        Err(reply) => {
            send_text(&mut socket, reply).await;
            close(&mut socket, 1008, "login refused").await;
            return;
        }
    };
    if let Err(o) = gw.admission.login().await {
        let e = Error::refused(
            codes::ERR_SVR_SSO_OVERLOAD,
            format!(
                "this server has more logins waiting than it takes in {:.1} s \
                 (max_logins_per_sec); try again in a few seconds",
                o.queue.as_secs_f64()
            ),
        );
        send_text(&mut socket, reply_for(id, &e)).await;
        close(&mut socket, 1013, "overloaded; try again later").await;
        return;
    }
    // A user exists from their first login on; a kick refuses the UserSigs issued before it.
    if let Err(e) = gw.services.account.admit(&ok).await {
        send_text(&mut socket, reply_for(id, &e)).await;
        let (code, why) = match e {
            Error::Refused(_) => (1008, "login refused"),
            _ => (1011, "the store is unavailable; try again later"),
        };
        close(&mut socket, code, why).await;
        return;
    }
    let mut reg = gw.delivery.open_session(&ok.user, ok.platform).await;
    let allowance = gw.admission.user(&ok.user);
    gw.metrics.logins.fetch_add(1, Ordering::Relaxed);
    tracing::info!(user = %ok.user, platform = ok.platform, session = reg.id, node = %gw.config.node_id, "logged in");
    let reply = encode_reply::<Login>(
        id,
        &LoginResponse {
            server_time: now_secs(),
        },
    );
    let webhooks = &gw.services.webhooks;
    webhooks.after(
        webhook::STATE_CHANGE,
        webhook::state_change(ok.user.as_str(), "Login", "Register"),
    );
    let mut ended = ("Disconnect", "LinkClose");
    if send_text(&mut socket, reply).await {
        ended = session_loop(
            &gw,
            &mut socket,
            &mut reg,
            &allowance,
            ok.expires_at,
            &mut shutdown,
        )
        .await;
    }
    webhooks.after(
        webhook::STATE_CHANGE,
        webhook::state_change(reg.user.as_str(), ended.0, ended.1),
    );
    gw.delivery.close_session(reg.id).await;
    gw.admission.release(&reg.user, allowance);
    tracing::info!(user = %reg.user, session = reg.id, "session ended");
}

async fn session_loop(
    gw: &Arc<Gateway>,
    socket: &mut WebSocket,
    reg: &mut Registration,
    allowance: &SharedAllowance,
    expires_at: u64,
    shutdown: &mut watch::Receiver<bool>,
) -> (&'static str, &'static str) {
    const GONE: (&str, &str) = ("Disconnect", "LinkClose");
    let caller = Caller {
        user: reg.user.clone(),
        session: reg.id,
    };
    let expiry = tokio::time::Instant::now()
        + Duration::from_secs(expires_at.saturating_sub(now_secs()).saturating_add(1));
    let expired = tokio::time::sleep_until(expiry);
    tokio::pin!(expired);
    loop {
        tokio::select! {
            incoming = next_text(socket) => {
                let Some(incoming) = incoming else { return GONE };
                let Ok(text) = incoming else {
                    close(socket, 1003, "frames are JSON text").await;
                    return GONE;
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
                let (answers, fanouts) = answer_all(&gw.table, &gw.services, &caller, allowance, &texts).await;
                let logout = answers.iter().any(|a| a.close);
                // The replies go out while the receivers are told: neither waits for the other
                // (the writes are durable already), and events keep the order of the writes.
                let fan_out = async {
                    for f in fanouts {
                        f.run().await;
                    }
                };
                let (written, ()) = tokio::join!(
                    send_all(socket, answers.into_iter().map(|a| Utf8Bytes::from(a.text))),
                    fan_out
                );
                if !written {
                    return GONE;
                }
                if logout {
                    close(socket, 1000, "logged out").await;
                    return ("Logout", "Unregister");
                }
                if ended {
                    return GONE;
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
                if !send_all(socket, frames.into_iter()).await { return GONE; }
            }
            _ = reg.close.changed() => {
                let reason = *reg.close.borrow();
                match reason {
                    CloseReason::Kicked => {
                        send_text(socket, Event::KickedOffline.encode()).await;
                        close(socket, 4001, "kicked by another login").await;
                        return ("Logout", "Kicked");
                    }
                    CloseReason::SlowReader => close(socket, 4002, "too slow; reconnect and sync").await,
                    CloseReason::Open => continue,
                }
                return GONE;
            }
            () = &mut expired => {
                send_text(socket, Event::UserSigExpired.encode()).await;
                close(socket, 4003, "UserSig expired").await;
                return ("Disconnect", "TimeOut");
            }
            _ = shutdown.changed() => {
                close(socket, 1001, "server shutting down").await;
                return GONE;
            }
        }
    }
}
