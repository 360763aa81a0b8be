//! The Rust SDK adapter: the same scenarios through `opentim-sdk` (local SQLite cache, cursor
//! bookkeeping, conversation updates), to show what the SDK adds on top of the protocol.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::stream::{FuturesOrdered, StreamExt};
use opentim_model::elem::Elem;
use opentim_model::enums::ConvType;
use opentim_model::message::Message;
use opentim_sdk::{Client, ClientOptions, SdkEvent};

use super::driver::{anyhow_like::Result, parse_payload, payload, Driver, Held, PairPlan};
use super::opentim::{OpentimDriver, Target};
use super::stats::{Clock, Pacer, Receipts, Stats};

pub struct SdkDriver {
    pub target: Target,
    pub clock: Clock,
    pub cache: std::path::PathBuf,
}

impl SdkDriver {
    async fn login(
        &self,
        user: &str,
    ) -> Result<(Client, tokio::sync::mpsc::UnboundedReceiver<SdkEvent>)> {
        let options = ClientOptions::new(
            self.target.sdkappid,
            self.target.url.clone(),
            self.cache.clone(),
        );
        self.target.sdk_login(options, user).await
    }
}

fn text_of(m: &Message) -> Option<&str> {
    match m.elem_array.first()? {
        Elem::Text(t) => t.content.as_deref(),
        _ => None,
    }
}

#[async_trait]
impl Driver for SdkDriver {
    fn name(&self) -> String {
        "opentim-sdk".into()
    }

    async fn run_pair(
        &self,
        sender: String,
        receiver: String,
        plan: PairPlan,
        ready: Arc<tokio::sync::Barrier>,
        stats: Arc<Stats>,
    ) -> Result<()> {
        let tx = self.login(&sender).await;
        let rx = self.login(&receiver).await;
        ready.wait().await;
        let ((tx, _tx_events), (rx, mut events)) = (tx?, rx?);
        let clock = self.clock;
        let n = plan.messages as usize;
        let rx_stats = stats.clone();
        let receiving = tokio::spawn(async move {
            let deadline = tokio::time::Instant::now()
                + plan.drain_timeout
                + Duration::from_secs_f64(plan.rate.map(|r| n as f64 / r).unwrap_or(0.0));
            receive(
                &mut events,
                Receipts::new(n, rx_stats, clock),
                deadline,
                None,
            )
            .await;
            let _ = rx.logout().await;
        });
        let mut pacer = Pacer::new(plan.rate);
        let mut inflight = FuturesOrdered::new();
        for i in 0..plan.messages {
            pacer.wait().await;
            while inflight.len() >= plan.window.max(1) {
                record(&stats, inflight.next().await);
            }
            let now = clock.now_ns();
            stats.on_send(now);
            let (c, to) = (tx.clone(), receiver.clone());
            inflight.push_back(async move {
                c.send_message(
                    &to,
                    ConvType::C2C,
                    Message::text(to.clone(), ConvType::C2C, payload(i, now)),
                )
                .await
            });
        }
        while let Some(r) = inflight.next().await {
            record(&stats, Some(r));
        }
        let _ = receiving.await;
        let _ = tx.logout().await;
        Ok(())
    }

    async fn login_once(&self, user: String) -> Result<()> {
        let (c, _events) = self.login(&user).await?;
        let _ = c.logout().await;
        Ok(())
    }

    async fn hold(&self, user: String) -> Result<Box<dyn Held>> {
        Ok(Box::new(self.login(&user).await?))
    }
}

/// Count the messages the SDK announces until every one of `receipts` arrived, the deadline
/// passed, or (when `idle` is given) nothing arrived for that long.
async fn receive(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<SdkEvent>,
    mut receipts: Receipts,
    deadline: tokio::time::Instant,
    idle: Option<Duration>,
) {
    while !receipts.complete() {
        let until = idle.map_or(deadline, |i| deadline.min(tokio::time::Instant::now() + i));
        let ev = match tokio::time::timeout_at(until, events.recv()).await {
            Ok(Some(ev)) => ev,
            _ => break,
        };
        let SdkEvent::NewMessages(msgs) = ev else {
            continue;
        };
        for m in msgs {
            if let Some((seq, sent_ns)) = text_of(&m).and_then(parse_payload) {
                receipts.arrived(seq, sent_ns);
            }
        }
    }
    receipts.finish();
}

impl SdkDriver {
    /// The sdk-receive scenario: `senders` raw protocol connections send `plan.messages` each,
    /// as fast as their windows allow, to one SDK client logged in as `receiver`; what it
    /// measures is how fast that one client stores and announces what arrives. With `offline`
    /// the client logs in only after every send is stored, and the figure is how fast it syncs
    /// the backlog (the rate is counted from its login).
    pub async fn receive_blast(
        &self,
        raw: Arc<OpentimDriver>,
        senders: Vec<String>,
        receiver: String,
        plan: PairPlan,
        offline: bool,
        stats: Arc<Stats>,
    ) -> Result<()> {
        let total = plan.messages * senders.len() as u64;
        // However long the blast takes, give up only when nothing arrives for the drain window.
        let far = tokio::time::Instant::now() + Duration::from_secs(3600);
        let idle = Some(plan.drain_timeout);
        let receiving = match offline {
            true => None,
            false => {
                let receipts = Receipts::new(total as usize, stats.clone(), self.clock);
                let (rx, mut events) = self.login(&receiver).await?;
                Some(tokio::spawn(async move {
                    receive(&mut events, receipts, far, idle).await;
                    let _ = rx.logout().await;
                }))
            }
        };
        let mut conns = Vec::with_capacity(senders.len());
        for s in &senders {
            conns.push(raw.connect(s).await?);
        }
        let mut blasts = Vec::with_capacity(senders.len());
        for (k, (sender, conn)) in senders.into_iter().zip(conns).enumerate() {
            let (raw, receiver, stats) = (raw.clone(), receiver.clone(), stats.clone());
            let first = k as u64 * plan.messages;
            blasts.push(tokio::spawn(async move {
                raw.blast(conn, &sender, &receiver, first, plan, &stats)
                    .await
            }));
        }
        for b in blasts {
            let _ = b.await;
        }
        match receiving {
            Some(r) => {
                let _ = r.await;
            }
            None => {
                let receipts = Receipts::new(total as usize, stats.clone(), self.clock);
                stats
                    .first_send_ns
                    .store(self.clock.now_ns(), Ordering::Relaxed);
                let (rx, mut events) = self.login(&receiver).await?;
                receive(&mut events, receipts, far, idle).await;
                let _ = rx.logout().await;
            }
        }
        Ok(())
    }
}

fn record(stats: &Stats, r: Option<opentim_sdk::Result<Message>>) {
    match r {
        Some(Ok(_)) => {
            stats.acked.fetch_add(1, Ordering::Relaxed);
        }
        Some(Err(_)) => {
            stats.failures.fetch_add(1, Ordering::Relaxed);
        }
        None => {}
    }
}
