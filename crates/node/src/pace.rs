//! Token buckets: how fast one peer may make this node work.
//!
//! Inbound streams are paced, not cut: when a peer sends faster than its
//! rate, its stream is simply not read until the bucket refills, so HTTP/2
//! flow control pushes back on the sender and the node's other peers are
//! unaffected.

use std::time::Duration;
use tokio::time::Instant;

/// A rate with a burst allowance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// Sustained units per second.
    pub per_sec: f64,
    /// Units that may be spent at once after a quiet period.
    pub burst: f64,
}

impl Rate {
    /// `per_sec` units per second, with a burst of one second's worth.
    pub const fn per_second(per_sec: f64) -> Self {
        Self {
            per_sec,
            burst: per_sec,
        }
    }
}

/// A token bucket for one [`Rate`].
#[derive(Debug)]
pub struct Bucket {
    rate: Rate,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket.
    pub fn new(rate: Rate) -> Self {
        Self {
            rate,
            tokens: rate.burst,
            at: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + dt * self.rate.per_sec).min(self.rate.burst);
        self.at = now;
    }

    /// Spends `cost` if the bucket holds it now; otherwise spends nothing.
    pub fn try_take(&mut self, cost: f64) -> bool {
        self.refill(Instant::now());
        if self.tokens >= cost {
            self.tokens -= cost;
            true
        } else {
            false
        }
    }

    /// Spends `cost`, first waiting as long as the rate requires (a cost
    /// above the burst is spent in debt, so one large message is not refused
    /// forever but delays the next ones).
    pub async fn take(&mut self, cost: f64) {
        self.refill(Instant::now());
        let need = cost.min(self.rate.burst) - self.tokens;
        if need > 0.0 && self.rate.per_sec > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(need / self.rate.per_sec)).await;
            self.refill(Instant::now());
        }
        self.tokens -= cost;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn take_waits_for_the_rate() {
        let mut b = Bucket::new(Rate {
            per_sec: 100.0,
            burst: 10.0,
        });
        let start = Instant::now();
        for _ in 0..110 {
            b.take(1.0).await;
        }
        // 10 from the burst, 100 at 100 per second.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(990), "{took:?}");
        assert!(took <= Duration::from_millis(1100), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn try_take_refuses_beyond_the_burst_and_refills() {
        let mut b = Bucket::new(Rate {
            per_sec: 1.0,
            burst: 2.0,
        });
        assert!(b.try_take(1.0));
        assert!(b.try_take(1.0));
        assert!(!b.try_take(1.0));
        tokio::time::advance(Duration::from_millis(1_001)).await;
        assert!(b.try_take(1.0));
        assert!(!b.try_take(1.0));
    }
}
