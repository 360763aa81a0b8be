//! The baseline: a minimal WebSocket relay inside the bench (no auth, no storage, no JSON), on
//! the same WebSocket stack as the server. Each run of a scenario against it gives the ceiling
//! this machine allows, and every opentim figure is also printed as a ratio of it.
//!
//! Relay protocol: the first text frame names the connection's user (answered with `"ok"`); then `"<to>\n<payload>"`
//! is forwarded to `<to>` as `<payload>`, and `"*\n<payload>"` to every other connection (a
//! group's broadcast); the sender gets `"a"` back (an ack, as opentim acks each send).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::Message as Ws;

use super::driver::{anyhow_like::Result, parse_payload, payload, Driver, Held, PairPlan};
use super::stats::{Clock, Pacer, Receipts, Stats};

type Peers = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Ws>>>>;

/// Start the relay on a free loopback port.
pub async fn start_relay() -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let peers: Peers = Arc::default();
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let peers = peers.clone();
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let (mut sink, mut stream) = ws.split();
                let Some(Ok(Ws::Text(me))) = stream.next().await else {
                    return;
                };
                let me = me.to_string();
                let (tx, mut rx) = mpsc::unbounded_channel::<Ws>();
                peers
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(me.clone(), tx.clone());
                // Confirm the registration, as a login is confirmed, so no send can overtake it.
                let _ = tx.send(Ws::text("ok"));
                let writer = tokio::spawn(async move {
                    while let Some(m) = rx.recv().await {
                        if sink.send(m).await.is_err() {
                            break;
                        }
                    }
                });
                while let Some(Ok(Ws::Text(t))) = stream.next().await {
                    if let Some(body) = t.strip_prefix("*\n") {
                        // A broadcast: the same frame to every other connection.
                        let targets: Vec<_> = peers
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .iter()
                            .filter(|(who, _)| **who != me)
                            .map(|(_, tx)| tx.clone())
                            .collect();
                        let frame = Ws::text(body);
                        for target in targets {
                            let _ = target.send(frame.clone());
                        }
                        let _ = tx.send(Ws::text("a"));
                    } else if let Some((to, body)) = t.split_once('\n') {
                        let target = peers
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get(to)
                            .cloned();
                        if let Some(target) = target {
                            let _ = target.send(Ws::text(body));
                        }
                        let _ = tx.send(Ws::text("a"));
                    }
                }
                peers.lock().unwrap_or_else(|p| p.into_inner()).remove(&me);
                writer.abort();
            });
        }
    });
    Ok((addr, task))
}

pub struct BaselineDriver {
    pub url: String,
    pub clock: Clock,
}

type Conn =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl BaselineDriver {
    pub(crate) async fn connect(&self, user: &str) -> Result<Conn> {
        let (mut ws, _) = tokio_tungstenite::connect_async_with_config(&self.url, None, true)
            .await
            .map_err(|e| e.to_string())?;
        ws.send(Ws::text(user)).await.map_err(|e| e.to_string())?;
        match ws.next().await {
            Some(Ok(Ws::Text(t))) if t == "ok" => Ok(ws),
            _ => Err("the relay did not confirm the registration".into()),
        }
    }
}

#[async_trait]
impl Driver for BaselineDriver {
    fn name(&self) -> String {
        "baseline".into()
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
        let (tx_conn, mut rx) = (tx_conn?, rx_conn?);
        let clock = self.clock;
        let n = plan.messages as usize;
        let rx_stats = stats.clone();
        let receiving = tokio::spawn(async move {
            let mut receipts = Receipts::new(n, rx_stats.clone(), clock);
            let deadline = tokio::time::Instant::now()
                + plan.drain_timeout
                + Duration::from_secs_f64(plan.rate.map(|r| n as f64 / r).unwrap_or(0.0));
            while !receipts.complete() {
                let t = match tokio::time::timeout_at(deadline, rx.next()).await {
                    Ok(Some(Ok(Ws::Text(t)))) => t,
                    Ok(Some(Ok(_))) => continue,
                    _ => break,
                };
                let Some((seq, sent_ns)) = parse_payload(&t) else {
                    continue;
                };
                receipts.arrived(seq, sent_ns);
            }
            receipts.finish();
        });
        let (mut sink, mut stream) = tx_conn.split();
        let window = Arc::new(Semaphore::new(plan.window.max(1)));
        let ack_window = window.clone();
        let ack_stats = stats.clone();
        let acks = tokio::spawn(async move {
            let mut acked = 0;
            while acked < n {
                let Some(Ok(_)) = stream.next().await else {
                    break;
                };
                acked += 1;
                ack_stats.acked.fetch_add(1, Ordering::Relaxed);
                ack_window.add_permits(1);
            }
        });
        let mut pacer = Pacer::new(plan.rate);
        for i in 0..plan.messages {
            pacer.wait().await;
            if let Ok(p) = window.acquire().await {
                p.forget();
            }
            let now = clock.now_ns();
            stats.on_send(now);
            if sink
                .send(Ws::text(format!("{receiver}\n{}", payload(i, now))))
                .await
                .is_err()
            {
                stats.failures.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
        let _ = receiving.await;
        // Every send is answered; wait for the answers (bounded), then stop reading.
        let mut acks = acks;
        let _ = tokio::time::timeout(plan.drain_timeout, &mut acks).await;
        acks.abort();
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
