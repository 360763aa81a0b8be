//! The opentim protocol adapter: raw frames over WebSocket, as the SDK sends them, without the
//! SDK's local store, so the figures are the server's.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::{SinkExt, StreamExt};
use opentim_model::enums::ConvType;
use opentim_protocol::op::history::{History, HistoryRequest, HistoryResponse};
use opentim_protocol::op::login::{Login, LoginRequest};
use opentim_protocol::{decode_body, encode_request, Op, ServerFrame, PROTOCOL_VERSION};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::driver::{anyhow_like::Result, parse_payload, payload, Driver, Held, PairPlan};
use super::stats::{Clock, Receipts, Stats};

pub type Conn = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Where and as whom to connect.
#[derive(Clone)]
pub struct Target {
    pub url: String,
    pub sdkappid: u64,
    pub secret_key: String,
}

impl Target {
    /// A UserSig of `user` for this app, valid for a day.
    pub fn mint(&self, user: &str) -> String {
        opentim_server::auth::mint(&self.secret_key, self.sdkappid, user, now_secs(), 86_400)
    }

    /// A Rust SDK client of `user` with `options` (this target's app and server), logged in.
    pub async fn sdk_login(
        &self,
        mut options: opentim_sdk::ClientOptions,
        user: &str,
    ) -> std::result::Result<
        (
            opentim_sdk::Client,
            tokio::sync::mpsc::UnboundedReceiver<opentim_sdk::SdkEvent>,
        ),
        String,
    > {
        options.sdkappid = self.sdkappid;
        options.servers = vec![self.url.clone()];
        let (client, events) = opentim_sdk::Client::new(options);
        client
            .login(user, &self.mint(user))
            .await
            .map_err(|e| e.to_string())?;
        Ok((client, events))
    }
}

pub struct OpentimDriver {
    pub target: Target,
    pub clock: Clock,
    /// Tickets minted up front, so minting is not measured.
    sigs: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl OpentimDriver {
    pub fn new(target: Target, clock: Clock) -> Self {
        OpentimDriver {
            target,
            clock,
            sigs: Default::default(),
        }
    }

    /// Mint tickets for `users` ahead of a run.
    pub fn premint(&self, users: impl IntoIterator<Item = String>) {
        let mut sigs = self.sigs.lock().unwrap_or_else(|p| p.into_inner());
        for u in users {
            let sig = self.target.mint(&u);
            sigs.insert(u, sig);
        }
    }

    fn sig(&self, user: &str) -> String {
        let cached = self
            .sigs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(user)
            .cloned();
        cached.unwrap_or_else(|| self.target.mint(user))
    }

    pub async fn connect(&self, user: &str) -> Result<Conn> {
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(&self.target.url, None, true)
                .await
                .map_err(|e| format!("connect: {e}"))?;
        let login = encode_request::<Login>(
            1,
            &LoginRequest {
                protocol: PROTOCOL_VERSION,
                user_id: user.into(),
                user_sig: self.sig(user),
                platform: 0,
            },
        );
        ws.send(Ws::text(login)).await.map_err(|e| e.to_string())?;
        loop {
            match ws.next().await {
                Some(Ok(Ws::Text(t))) => {
                    return match ServerFrame::decode(&t) {
                        Ok(f) if f.reply.is_some() && f.code == 0 => Ok(ws),
                        Ok(f) if f.reply.is_some() => {
                            Err(format!("login refused: {} {}", f.code, f.desc))
                        }
                        _ => Err("unexpected frame at login".into()),
                    };
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("closed during login".into()),
            }
        }
    }

    /// Send `plan.messages` messages from `sender` (logged in on `conn`) to `receiver`, with
    /// payload seqs `first..first + plan.messages`, pipelined within the window (acks release
    /// it); returns when every send is answered or the drain timeout has passed after the last.
    pub async fn blast(
        &self,
        conn: Conn,
        sender: &str,
        receiver: &str,
        first: u64,
        plan: PairPlan,
        stats: &Arc<Stats>,
    ) {
        self.blast_to(conn, sender, (receiver, 1), first, plan, stats)
            .await
    }

    /// [`OpentimDriver::blast`] to a conversation of type `conv.1` (1 C2C, 2 group).
    pub async fn blast_to(
        &self,
        conn: Conn,
        sender: &str,
        conv: (&str, i64),
        first: u64,
        plan: PairPlan,
        stats: &Arc<Stats>,
    ) {
        let n = plan.messages as usize;
        let (mut sink, mut stream) = conn.split();
        let window = Arc::new(Semaphore::new(plan.window.max(1)));
        let ack_window = window.clone();
        let ack_stats = stats.clone();
        let mut acks = tokio::spawn(async move {
            let mut acked = 0usize;
            while acked < n {
                let Some(Ok(frame)) = stream.next().await else {
                    break;
                };
                let Ws::Text(t) = frame else { continue };
                if t.starts_with("{\"reply\":") {
                    acked += 1;
                    if t.contains("\"code\":0,") {
                        ack_stats.acked.fetch_add(1, Ordering::Relaxed);
                    } else {
                        ack_stats.failures.fetch_add(1, Ordering::Relaxed);
                    }
                    ack_window.add_permits(1);
                }
            }
        });
        let mut pacer = super::stats::Pacer::new(plan.rate);
        for i in 0..plan.messages {
            pacer.wait().await;
            if let Ok(permit) = window.acquire().await {
                permit.forget();
            }
            let now = self.clock.now_ns();
            let frame = send_frame_to(i + 2, sender, conv, i, &payload(first + i, now));
            stats.on_send(now);
            if sink.send(Ws::text(frame)).await.is_err() {
                stats.failures.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
        // Every send is answered; wait for the answers (bounded), then stop reading.
        let _ = tokio::time::timeout(plan.drain_timeout, &mut acks).await;
        acks.abort();
        let _ = sink.close().await;
    }

    /// Ms per history page: fetch pages of `page` messages backwards through the whole
    /// conversation of `a` and `b`, `rounds` times; returns the per-page durations.
    pub async fn history_pages(
        &self,
        a: &str,
        b: &str,
        page: u32,
        pages: usize,
    ) -> Result<Vec<Duration>> {
        let mut ws = self.connect(a).await?;
        let mut out = Vec::with_capacity(pages);
        let mut before = u64::MAX;
        let mut id = 10;
        while out.len() < pages {
            id += 1;
            let frame = encode_request::<History>(
                id,
                &HistoryRequest {
                    conv_id: b.into(),
                    conv_type: ConvType::C2C,
                    before_seq: before,
                    count: page,
                },
            );
            let t0 = Instant::now();
            ws.send(Ws::text(frame)).await.map_err(|e| e.to_string())?;
            let messages = loop {
                match ws.next().await {
                    Some(Ok(Ws::Text(t))) => match ServerFrame::decode(&t) {
                        Ok(f) if f.reply == Some(id) && f.code == 0 => {
                            match decode_body::<HistoryResponse>(f.body) {
                                Ok(r) => break r.messages,
                                Err(e) => return Err(format!("history: {e}")),
                            }
                        }
                        Ok(f) if f.reply == Some(id) => {
                            return Err(format!("history: {} {}", f.code, f.desc))
                        }
                        _ => continue,
                    },
                    Some(Ok(_)) => continue,
                    _ => return Err("closed during history".into()),
                }
            };
            out.push(t0.elapsed());
            before = match messages.last() {
                Some(m) if m.seq > 1 && messages.len() == page as usize => m.seq,
                _ => u64::MAX, // wrap around to the newest page
            };
        }
        Ok(out)
    }
}

/// A send frame written directly (user ids and payloads of the bench need no escaping): the
/// load generator must not spend its CPU on serialisation. A test checks it decodes.
pub(crate) fn send_frame(id: u64, from: &str, to: &str, n: u64, text: &str) -> String {
    send_frame_to(id, from, (to, 1), n, text)
}

/// [`send_frame`] to a conversation of type `conv.1` (1 C2C, 2 group).
pub(crate) fn send_frame_to(id: u64, from: &str, conv: (&str, i64), n: u64, text: &str) -> String {
    let (to, conv_type) = conv;
    format!(
        "{{\"op\":\"msg.send\",\"id\":{id},\"body\":{{\"client_msg_id\":\"{from}-{n}\",\"conv_id\":\"{to}\",\"conv_type\":{conv_type},\"rand\":{n},\
         \"message\":{{\"message_elem_array\":[{{\"elem_type\":0,\"text_elem_content\":\"{text}\"}}]}}}}}}"
    )
}

/// The first text element's content in an encoded frame (bench payloads need no unescaping).
pub(crate) fn scan_text(frame: &str) -> Option<&str> {
    const KEY: &str = "\"text_elem_content\":\"";
    let start = frame.find(KEY)? + KEY.len();
    let len = frame[start..].find('"')?;
    Some(&frame[start..start + len])
}

#[async_trait]
impl Driver for OpentimDriver {
    fn name(&self) -> String {
        "opentim".into()
    }

    async fn run_pair(
        &self,
        sender: String,
        receiver: String,
        plan: PairPlan,
        ready: Arc<tokio::sync::Barrier>,
        stats: Arc<Stats>,
    ) -> Result<()> {
        let tx_conn = self.connect(&sender).await;
        let rx_conn = self.connect(&receiver).await;
        ready.wait().await;
        let (tx_conn, rx_conn) = (tx_conn?, rx_conn?);
        let clock = self.clock;
        let n = plan.messages as usize;
        // Receiver: count deliveries by seq.
        let rx_stats = stats.clone();
        let from_needle = format!("\"from\":\"{sender}\"");
        let receiving = tokio::spawn(async move {
            let mut receipts = Receipts::new(n, rx_stats.clone(), clock);
            let mut rx = rx_conn;
            let deadline = tokio::time::Instant::now()
                + plan.drain_timeout
                + Duration::from_secs_f64(plan.rate.map(|r| n as f64 / r).unwrap_or(0.0));
            while !receipts.complete() {
                let frame = match tokio::time::timeout_at(deadline, rx.next()).await {
                    Ok(Some(Ok(Ws::Text(t)))) => t,
                    Ok(Some(Ok(_))) => continue,
                    _ => break,
                };
                // Scan instead of decoding the whole frame: the load generator must stay cheap.
                if !frame.contains(&from_needle) {
                    continue;
                }
                let Some((seq, sent_ns)) = scan_text(&frame).and_then(parse_payload) else {
                    continue;
                };
                receipts.arrived(seq, sent_ns);
            }
            receipts.finish();
            let _ = rx.close(None).await;
        });
        self.blast(tx_conn, &sender, &receiver, 0, plan, &stats)
            .await;
        let _ = receiving.await;
        Ok(())
    }

    async fn login_once(&self, user: String) -> Result<()> {
        let mut ws = self.connect(&user).await?;
        let _ = ws.close(None).await;
        Ok(())
    }

    async fn hold(&self, user: String) -> Result<Box<dyn Held>> {
        Ok(Box::new(self.connect(&user).await?))
    }
}

/// Send one request on `conn` and wait for its reply; an error names the refusal.
pub async fn request<O: Op>(
    conn: &mut Conn,
    id: u64,
    body: &O::Request,
) -> std::result::Result<(), String> {
    conn.send(Ws::text(encode_request::<O>(id, body)))
        .await
        .map_err(|e| e.to_string())?;
    loop {
        match conn.next().await {
            Some(Ok(Ws::Text(t))) => match ServerFrame::decode(&t) {
                Ok(f) if f.reply == Some(id) && f.code == 0 => return Ok(()),
                Ok(f) if f.reply == Some(id) => {
                    return Err(format!("{}: {} {}", O::NAME, f.code, f.desc))
                }
                _ => continue,
            },
            Some(Ok(_)) => continue,
            _ => return Err(format!("{}: the connection closed", O::NAME)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentim_model::message::Message;

    #[test]
    fn scanning_finds_the_payload_of_an_encoded_event() {
        let wire = opentim_protocol::WireMessage {
            conv_type: ConvType::C2C,
            from: "s1".into(),
            to: "r1".into(),
            seq: 3,
            rand: 9,
            server_time: 1,
            client_msg_id: "c".into(),
            message: Message::text("r1", ConvType::C2C, payload(7, 12345)),
        };
        let frame = opentim_protocol::Event::Inbox(opentim_protocol::InboxEntry {
            cursor: 1,
            item: opentim_protocol::InboxItem::Message {
                message: Box::new(wire),
            },
        })
        .encode();
        assert!(frame.contains("\"from\":\"s1\""));
        assert_eq!(scan_text(&frame).and_then(parse_payload), Some((7, 12345)));
        let reply = opentim_protocol::encode_reply::<Login>(
            1,
            &opentim_protocol::op::login::LoginResponse { server_time: 1 },
        );
        let text = send_frame(5, "s1", "r1", 3, "3 99");
        let req = opentim_protocol::Request::decode(&text).unwrap();
        assert_eq!((req.op, req.id), ("msg.send", 5));
        let body = req
            .body::<opentim_protocol::op::send::SendMessage>()
            .unwrap();
        assert_eq!(
            (body.client_msg_id.as_str(), body.conv_id.as_str()),
            ("s1-3", "r1")
        );
        assert_eq!(
            scan_text(&serde_json::to_string(&body.message).unwrap()),
            Some("3 99")
        );
        assert!(reply.starts_with("{\"reply\":") && reply.contains("\"code\":0,"));
    }
}
