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

/// At most a few log lines of one kind per second, whatever a peer does:
/// the rest are counted and the count is reported with the next line let
/// through.
#[derive(Debug, Default)]
pub struct LogThrottle {
    second: std::sync::atomic::AtomicU64,
    lines: std::sync::atomic::AtomicU64,
    suppressed: std::sync::atomic::AtomicU64,
}

/// Log lines of one kind let through per second.
pub const LOG_LINES_PER_SEC: u64 = 5;

impl LogThrottle {
    /// A throttle that has let nothing through yet.
    pub const fn new() -> Self {
        Self {
            second: std::sync::atomic::AtomicU64::new(0),
            lines: std::sync::atomic::AtomicU64::new(0),
            suppressed: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// `Some(lines suppressed since the last one let through)` if a line may
    /// be logged now.
    pub fn allow(&self) -> Option<u64> {
        use std::sync::atomic::Ordering::Relaxed;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if self.second.swap(now, Relaxed) != now {
            self.lines.store(0, Relaxed);
        }
        if self.lines.fetch_add(1, Relaxed) < LOG_LINES_PER_SEC {
            Some(self.suppressed.swap(0, Relaxed))
        } else {
            self.suppressed.fetch_add(1, Relaxed);
            None
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
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

    #[test]
    fn the_log_throttle_lets_a_few_lines_through_per_second() {
        let t = LogThrottle::new();
        let let_through = (0..1_000).filter(|_| t.allow().is_some()).count();
        // Within one or two wall-clock seconds.
        assert!(
            (LOG_LINES_PER_SEC as usize..=2 * LOG_LINES_PER_SEC as usize).contains(&let_through),
            "{let_through}"
        );
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
