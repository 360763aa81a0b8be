//! Repeating a store operation that failed transiently, with backoff, inside a deadline.
//!
//! A database that blinks (a restart, a failover, a full pool) costs the caller latency, not a
//! failed request: the operation is repeated until it succeeds or the deadline passes. Writes
//! are safe to repeat because every message carries its sender's client message id and the
//! store answers a repeat with the first result.

use std::time::Duration;

use tokio::time::Instant;

/// How long a transiently failing operation is repeated by default (`store_retry_secs`).
pub const DEFAULT_RETRY_DEADLINE: Duration = Duration::from_secs(10);

const FIRST_DELAY: Duration = Duration::from_millis(25);
const MAX_DELAY: Duration = Duration::from_secs(1);

/// The attempts of one operation.
pub(crate) struct Backoff {
    deadline: Instant,
    delay: Duration,
    pub attempts: u32,
}

impl Backoff {
    pub fn new(budget: Duration) -> Self {
        Backoff {
            deadline: Instant::now() + budget,
            delay: FIRST_DELAY,
            attempts: 1,
        }
    }

    /// Wait before the next attempt (doubling, with jitter, never past the deadline). False
    /// when the deadline has passed: give up.
    pub async fn wait(&mut self) -> bool {
        let now = Instant::now();
        if now >= self.deadline {
            return false;
        }
        let jittered = self.delay.mul_f64(0.5 + rand::random::<f64>() * 0.5);
        tokio::time::sleep_until((now + jittered).min(self.deadline)).await;
        self.delay = (self.delay * 2).min(MAX_DELAY);
        self.attempts += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn backoff_doubles_and_stops_at_the_deadline() {
        let start = Instant::now();
        let mut b = Backoff::new(Duration::from_millis(400));
        let mut waits = Vec::new();
        while b.wait().await {
            waits.push(Instant::now() - start);
        }
        let total = Instant::now() - start;
        assert!(total >= Duration::from_millis(400), "{total:?}");
        assert!(
            total < Duration::from_millis(1400),
            "stops at the deadline: {total:?}"
        );
        assert!(
            waits.len() >= 3,
            "several attempts fit in 400 ms: {waits:?}"
        );
        assert_eq!(b.attempts as usize, waits.len() + 1);
    }
}
