//! Admission: how fast a node takes logins, and how fast one user may send frames and messages.
//! Each rate is a setting (see [`Config`]); 0 turns it off.
//!
//! The per-user rates are token buckets that hold `rate_burst_secs` seconds of allowance, so a client
//! that was offline and flushes its queue, or a user catching up, is not refused for a burst
//! that averages out, while a client that keeps sending faster than the rate is.
//!
//! - Logins (`max_logins_per_sec`, per node) wait their turn rather than being refused: a storm
//!   of reconnects after a node dies is spread out, so the sessions already here keep a fast
//!   ping. A login that would wait longer than `login_queue_secs` is refused at once with
//!   ERR_SVR_SSO_OVERLOAD (-10114); the SDK backs off and tries again.
//! - Frames (`max_frames_per_sec`, per user and node): a request beyond the rate is answered
//!   with ERR_SVR_SSO_FREQ_LIMIT (-10113) without being served.
//! - Sends (`max_sends_per_sec`, per user and node): a message beyond the rate is refused with
//!   ERR_SVR_COMM_REQ_FREQ_LIMIT (60018); nothing is stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use std::sync::atomic::Ordering;

use opentim_model::codes;
use opentim_model::ids::UserId;
use opentim_protocol::encode_reply_error;
use tokio::time::Instant;

use crate::config::Config;
use crate::http::metrics::Metrics;

/// Logins admitted at once before the rate applies, in seconds of `max_logins_per_sec`.
const LOGIN_BURST_SECS: f64 = 0.05;

/// A token bucket: `rate` tokens a second, holding at most `capacity`.
#[derive(Debug)]
pub struct Bucket {
    rate: f64,
    capacity: f64,
    level: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket of `per_sec` tokens a second holding `burst_secs` seconds of them (at
    /// least one token); None when `per_sec` is 0 (no limit).
    pub fn new(per_sec: u32, burst_secs: f64, now: Instant) -> Option<Self> {
        (per_sec > 0).then(|| {
            let rate = f64::from(per_sec);
            let capacity = (rate * burst_secs).max(1.0);
            Bucket {
                rate,
                capacity,
                level: capacity,
                at: now,
            }
        })
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.level = (self.level + dt * self.rate).min(self.capacity);
        self.at = now;
    }

    /// Take one token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        self.take_many(now, 1.0)
    }

    /// Take `n` tokens if there are that many (a request that counts more than one: a send
    /// to many recipients).
    pub fn take_many(&mut self, now: Instant, n: f64) -> bool {
        self.refill(now);
        if self.level >= n {
            self.level -= n;
            true
        } else {
            false
        }
    }

    /// Take one token, borrowing against the future when the bucket is empty, unless that
    /// would mean waiting longer than `max_wait`. Returns how long to wait before using it.
    pub fn reserve(&mut self, now: Instant, max_wait: Duration) -> Option<Duration> {
        self.refill(now);
        let wait = Duration::from_secs_f64(((1.0 - self.level) / self.rate).max(0.0));
        (wait <= max_wait).then(|| {
            self.level -= 1.0;
            wait
        })
    }
}

/// One user's allowance on this node, shared by the user's sessions here.
pub struct UserAllowance {
    frames: Option<Bucket>,
    sends: Option<Bucket>,
    metrics: Arc<Metrics>,
}

impl UserAllowance {
    /// None when request `id` may be served now; else the reply refusing it.
    pub fn frame(&mut self, id: u64) -> Option<String> {
        let b = self.frames.as_mut()?;
        if b.take(Instant::now()) {
            return None;
        }
        self.metrics
            .throttled_requests
            .fetch_add(1, Ordering::Relaxed);
        Some(encode_reply_error(
            id,
            codes::ERR_SVR_SSO_FREQ_LIMIT,
            &format!(
                "more than {} requests a second from this user (max_frames_per_sec); slow down",
                b.rate
            ),
        ))
    }

    /// None when send `id` may go ahead now; else the reply refusing it.
    pub fn send(&mut self, id: u64) -> Option<String> {
        let b = self.sends.as_mut()?;
        if b.take(Instant::now()) {
            return None;
        }
        self.metrics.throttled_sends.fetch_add(1, Ordering::Relaxed);
        Some(encode_reply_error(
            id,
            codes::ERR_SVR_COMM_REQ_FREQ_LIMIT,
            &format!(
                "more than {} messages a second from this user (max_sends_per_sec); nothing \
                 was stored: send it again later",
                b.rate
            ),
        ))
    }
}

pub type SharedAllowance = Arc<Mutex<UserAllowance>>;

/// Why a login was not admitted.
#[derive(Debug)]
pub struct Overloaded {
    pub queue: Duration,
}

/// The admission state of one node.
pub struct Admission {
    config: Arc<Config>,
    metrics: Arc<Metrics>,
    logins: Mutex<Option<Bucket>>,
    users: Mutex<HashMap<UserId, Weak<Mutex<UserAllowance>>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Admission {
    pub fn new(config: Arc<Config>, metrics: Arc<Metrics>) -> Self {
        // Logins get a small burst: the point is to spread a storm of them evenly.
        let logins = Bucket::new(config.max_logins_per_sec, LOGIN_BURST_SECS, Instant::now());
        Admission {
            config,
            metrics,
            logins: Mutex::new(logins),
            users: Mutex::new(HashMap::new()),
        }
    }

    /// Wait for this login's turn, or refuse it when the queue is longer than
    /// `login_queue_secs`.
    pub async fn login(&self) -> Result<(), Overloaded> {
        let max_wait = Duration::from_secs_f64(self.config.login_queue_secs);
        let wait = match lock(&self.logins).as_mut() {
            None => return Ok(()),
            Some(bucket) => match bucket.reserve(Instant::now(), max_wait) {
                Some(wait) => wait,
                None => {
                    self.metrics
                        .logins_overloaded
                        .fetch_add(1, Ordering::Relaxed);
                    return Err(Overloaded { queue: max_wait });
                }
            },
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// The allowance of `user`, shared with the user's other sessions on this node.
    pub fn user(&self, user: &UserId) -> SharedAllowance {
        let mut users = lock(&self.users);
        if let Some(a) = users.get(user).and_then(Weak::upgrade) {
            return a;
        }
        let now = Instant::now();
        let burst = f64::from(self.config.rate_burst_secs);
        let a = Arc::new(Mutex::new(UserAllowance {
            frames: Bucket::new(self.config.max_frames_per_sec, burst, now),
            sends: Bucket::new(self.config.max_sends_per_sec, burst, now),
            metrics: self.metrics.clone(),
        }));
        users.insert(user.clone(), Arc::downgrade(&a));
        a
    }

    /// A session of `user` ended and dropped its allowance: forget it when no other session
    /// holds it. (A user who reconnects at once starts with a full allowance, but a reconnect
    /// costs a login, which is rate-limited per node.)
    pub fn release(&self, user: &UserId, allowance: SharedAllowance) {
        drop(allowance);
        let mut users = lock(&self.users);
        if users.get(user).is_some_and(|w| w.strong_count() == 0) {
            users.remove(user);
        }
    }
}

/// Lock an allowance (a poisoned lock still counts).
pub fn allowance(a: &SharedAllowance) -> std::sync::MutexGuard<'_, UserAllowance> {
    lock(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_holds_its_burst_then_refills_at_its_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::new(10, 2.0, t0).unwrap();
        assert_eq!(
            (0..25).filter(|_| b.take(t0)).count(),
            20,
            "two seconds' worth"
        );
        assert!(!b.take(t0));
        let later = t0 + Duration::from_millis(500);
        assert_eq!((0..25).filter(|_| b.take(later)).count(), 5);
        assert!(Bucket::new(0, 10.0, t0).is_none(), "0 means no limit");
    }

    #[test]
    fn a_reservation_waits_its_turn_within_the_queue_limit() {
        let t0 = Instant::now();
        let mut b = Bucket::new(100, 1.0, t0).unwrap();
        for _ in 0..100 {
            assert_eq!(b.reserve(t0, Duration::ZERO), Some(Duration::ZERO));
        }
        let w = b.reserve(t0, Duration::from_secs(1)).unwrap();
        assert!(
            w > Duration::from_millis(5) && w <= Duration::from_millis(11),
            "{w:?}"
        );
        // 100 more in the queue take a second; the one after would wait longer.
        for _ in 0..99 {
            assert!(b.reserve(t0, Duration::from_secs(1)).is_some());
        }
        assert_eq!(b.reserve(t0, Duration::from_secs(1)), None);
    }
}
