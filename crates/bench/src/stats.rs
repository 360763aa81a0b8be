//! Counters and latency samples of one scenario run, and the figures derived from them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The bench clock: every timestamp in a payload is nanoseconds since this origin.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: Instant,
}

impl Clock {
    pub fn new() -> Self {
        Clock {
            origin: Instant::now(),
        }
    }
    pub fn now_ns(&self) -> u64 {
        self.origin.elapsed().as_nanos() as u64
    }
}

/// Live counters, shared by every connection of a run.
#[derive(Default)]
pub struct Stats {
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub delivered: AtomicU64,
    pub duplicates: AtomicU64,
    pub lost: AtomicU64,
    pub failures: AtomicU64,
    /// Time of the first send and the last delivery, ns on the bench clock.
    pub first_send_ns: AtomicU64,
    pub last_delivery_ns: AtomicU64,
    latencies_ns: Mutex<Vec<u64>>,
}

impl Stats {
    pub fn new() -> Self {
        Stats {
            first_send_ns: AtomicU64::new(u64::MAX),
            ..Stats::default()
        }
    }

    pub fn on_send(&self, at_ns: u64) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.first_send_ns.fetch_min(at_ns, Ordering::Relaxed);
    }

    pub fn on_delivery(&self, at_ns: u64) {
        self.delivered.fetch_add(1, Ordering::Relaxed);
        self.last_delivery_ns.fetch_max(at_ns, Ordering::Relaxed);
    }

    /// Add one connection's latency samples (collected locally to keep the hot path lock-free).
    pub fn add_latencies(&self, mut samples: Vec<u64>) {
        self.latencies_ns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .append(&mut samples);
    }

    pub fn latencies(&self) -> Vec<u64> {
        let mut v = self
            .latencies_ns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        v.sort_unstable();
        v
    }

    /// Delivered messages per second between the first send and the last delivery.
    pub fn delivery_rate(&self) -> f64 {
        let first = self.first_send_ns.load(Ordering::Relaxed);
        let last = self.last_delivery_ns.load(Ordering::Relaxed);
        if first == u64::MAX || last <= first {
            return 0.0;
        }
        self.delivered.load(Ordering::Relaxed) as f64 / ((last - first) as f64 / 1e9)
    }
}

/// A receiver's bookkeeping of one pair's messages: each seq counts once; a repeat is a
/// duplicate; what never came is lost. Latencies are kept locally and handed to [`Stats`] at
/// the end, so the hot path takes no lock.
pub struct Receipts {
    seen: Vec<bool>,
    got: usize,
    latencies: Vec<u64>,
    stats: Arc<Stats>,
    clock: Clock,
}

impl Receipts {
    pub fn new(expected: usize, stats: Arc<Stats>, clock: Clock) -> Self {
        Receipts {
            seen: vec![false; expected],
            got: 0,
            latencies: Vec::with_capacity(expected),
            stats,
            clock,
        }
    }

    /// Record the arrival of message `seq`, sent at `sent_ns` on the bench clock. True when it
    /// is the first arrival of that message.
    pub fn arrived(&mut self, seq: u64, sent_ns: u64) -> bool {
        let now = self.clock.now_ns();
        match self.seen.get_mut(seq as usize) {
            Some(s) if !*s => {
                *s = true;
                self.got += 1;
                self.latencies.push(now.saturating_sub(sent_ns));
                self.stats.on_delivery(now);
                true
            }
            _ => {
                self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Every expected message arrived.
    pub fn complete(&self) -> bool {
        self.got == self.seen.len()
    }

    /// Count what never arrived as lost and hand over the latencies.
    pub fn finish(self) {
        self.stats
            .lost
            .fetch_add((self.seen.len() - self.got) as u64, Ordering::Relaxed);
        self.stats.add_latencies(self.latencies);
    }
}

/// The `p`-th percentile (0..=100) of sorted samples, nearest-rank; 0 when empty.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Paces sends at a fixed rate: the `i`-th send is due at `start + i / rate`. Sends that fall
/// behind are not skipped (the schedule catches up), so the total count is exact.
pub struct Pacer {
    start: tokio::time::Instant,
    interval: Option<Duration>,
    next: u64,
}

impl Pacer {
    pub fn new(rate: Option<f64>) -> Self {
        let interval = rate
            .filter(|r| *r > 0.0)
            .map(|r| Duration::from_secs_f64(1.0 / r));
        Pacer {
            start: tokio::time::Instant::now(),
            interval,
            next: 0,
        }
    }

    /// When the next send is due (`None`: at once).
    pub fn due(&mut self) -> Option<tokio::time::Instant> {
        let i = self.next;
        self.next += 1;
        self.interval.map(|d| self.start + d.mul_f64(i as f64))
    }

    pub async fn wait(&mut self) {
        if let Some(at) = self.due() {
            tokio::time::sleep_until(at).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&v, 0.0), 1);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
        assert_eq!(percentile(&[1, 2, 3, 1000], 75.0), 3);
    }

    #[test]
    fn delivery_rate_spans_first_send_to_last_delivery() {
        let s = Stats::new();
        s.on_send(1_000_000_000);
        for _ in 0..500 {
            s.on_delivery(1_250_000_000);
        }
        s.on_delivery(1_500_000_000);
        assert!((s.delivery_rate() - 1002.0).abs() < 1e-6);
        assert_eq!(Stats::new().delivery_rate(), 0.0);
    }

    #[test]
    fn receipts_count_each_seq_once() {
        let stats = Arc::new(Stats::new());
        let mut r = Receipts::new(3, stats.clone(), Clock::new());
        r.arrived(0, 0);
        r.arrived(2, 0);
        r.arrived(2, 0);
        r.arrived(9, 0);
        assert!(!r.complete());
        r.finish();
        assert_eq!(stats.delivered.load(Ordering::Relaxed), 2);
        assert_eq!(
            stats.duplicates.load(Ordering::Relaxed),
            2,
            "a repeat and an unknown seq"
        );
        assert_eq!(stats.lost.load(Ordering::Relaxed), 1);
        assert_eq!(stats.latencies().len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_spreads_sends_evenly_and_catches_up() {
        let mut p = Pacer::new(Some(1000.0));
        let t0 = tokio::time::Instant::now();
        for _ in 0..10 {
            p.wait().await;
        }
        // 10 sends at 1000/s: the 10th is due 9 ms after the start.
        assert_eq!(t0.elapsed(), Duration::from_millis(9));
        tokio::time::advance(Duration::from_millis(50)).await;
        let before = tokio::time::Instant::now();
        p.wait().await; // late: due at 10 ms, runs at once
        assert_eq!(before.elapsed(), Duration::ZERO);
        let mut blast = Pacer::new(None);
        assert!(blast.due().is_none());
    }
}
