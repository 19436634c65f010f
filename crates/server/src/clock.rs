//! Where the server gets the time from.
//!
//! Every timestamp the server writes (enrolment, declarations, token expiry, audit records) comes
//! from a [`Clock`] passed in when the app is built, never from `Timestamp::now()` in a handler,
//! so that tests can move time with a [`ManualClock`] instead of sleeping.

use std::fmt;
use std::sync::Mutex;

use healthcode_core::Timestamp;
use jiff::SignedDuration;

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// The operating system's clock: what production uses.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until told to move: for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> ManualClock {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// Sets the time, forwards or backwards.
    pub fn set(&self, now: Timestamp) {
        *self.lock() = now;
    }

    /// Moves the time forwards (or backwards, for a negative duration).
    ///
    /// # Panics
    ///
    /// If the result falls outside the range of `Timestamp` (about ±9999 years), which no test
    /// means to do.
    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.lock();
        *now = now
            .checked_add(by)
            .expect("the manual clock stays within the years ±9999");
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Timestamp> {
        // A panic while holding this lock cannot leave a half-written timestamp behind, so a
        // poisoned lock is still safe to use.
        self.now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start: Timestamp = "2026-02-10T08:00:00Z".parse().unwrap();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(SignedDuration::from_hours(13));
        assert_eq!(
            clock.now(),
            "2026-02-10T21:00:00Z".parse::<Timestamp>().unwrap()
        );
        clock.set(start);
        assert_eq!(clock.now(), start);
    }
}
