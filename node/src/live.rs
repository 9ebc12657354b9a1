//! The live hub behind `/api/v1/stream`: typed live events, a bounded ring buffer of recent events
//! (for `Last-Event-ID` resume) and the subscribers, each with a bounded queue. Publishing never
//! blocks: a subscriber whose queue is full (slow or gone) is dropped, and its browser reconnects
//! and resumes from the ring.

mod audience;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

pub use audience::Audience;

/// Recent events kept for resume.
pub const RING_CAPACITY: usize = 4096;
/// Events queued per subscriber before it is considered too slow and dropped.
pub const SUBSCRIBER_QUEUE: usize = 512;
/// Most concurrent subscribers.
pub const MAX_SUBSCRIBERS: usize = 2048;

/// One thing that happened, as pushed to live views. Student keys are pseudonymous.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A student answered an item in a live session.
    AnswerReceived {
        class_id: Option<String>,
        session_id: String,
        item_id: String,
        student_key: String,
        correct: bool,
        response: Option<String>,
        duration_s: Option<f64>,
    },
    /// The session's totals for one item after new answers (first answers per student).
    ItemStatsChanged {
        class_id: Option<String>,
        session_id: String,
        item_id: String,
        responders: u32,
        correct: u32,
        /// Wrong answers with their counts and misconceptions, most common first.
        wrong_answers: Vec<WrongAnswer>,
    },
    /// A student's mastery of a standard changed.
    MasteryChanged { class_id: Option<String>, student_key: String, standard: String, mastery: f64, evidence: u32 },
    /// An early-warning alert was raised or updated (published by the alerts engine).
    AlertChanged { class_id: Option<String>, student_key: String, alert: serde_json::Value },
}

/// One wrong answer chosen in a session, and the misconception the item bank gives for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrongAnswer {
    pub response: String,
    pub count: u32,
    pub misconception: Option<String>,
}

impl LiveEvent {
    /// The SSE event name.
    pub fn kind(&self) -> &'static str {
        match self {
            LiveEvent::AnswerReceived { .. } => "answer_received",
            LiveEvent::ItemStatsChanged { .. } => "item_stats_changed",
            LiveEvent::MasteryChanged { .. } => "mastery_changed",
            LiveEvent::AlertChanged { .. } => "alert_changed",
        }
    }

    pub fn class_id(&self) -> Option<&str> {
        match self {
            LiveEvent::AnswerReceived { class_id, .. }
            | LiveEvent::ItemStatsChanged { class_id, .. }
            | LiveEvent::MasteryChanged { class_id, .. }
            | LiveEvent::AlertChanged { class_id, .. } => class_id.as_deref(),
        }
    }

    pub fn student_key(&self) -> Option<&str> {
        match self {
            LiveEvent::AnswerReceived { student_key, .. }
            | LiveEvent::MasteryChanged { student_key, .. }
            | LiveEvent::AlertChanged { student_key, .. } => Some(student_key),
            LiveEvent::ItemStatsChanged { .. } => None,
        }
    }
}

/// An event with its stream id and its JSON, rendered once — when a subscriber first needs it
/// (most events are never sent: no one watches that class at that moment).
#[derive(Debug)]
pub struct Published {
    pub id: u64,
    pub event: LiveEvent,
    json: std::sync::OnceLock<String>,
}

impl Published {
    pub fn json(&self) -> &str {
        self.json.get_or_init(|| serde_json::to_string(&self.event).unwrap_or_else(|_| "{}".to_owned()))
    }
}

struct Subscriber {
    audience: Audience,
    tx: mpsc::Sender<Arc<Published>>,
}

struct Inner {
    next_id: u64,
    ring: VecDeque<Arc<Published>>,
    subscribers: Vec<Subscriber>,
    dropped: u64,
}

/// The hub; cheap to share behind an `Arc`.
pub struct LiveHub {
    inner: Mutex<Inner>,
}

/// Why a subscription was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    #[error("too many live connections ({MAX_SUBSCRIBERS}); try again shortly")]
    Full,
}

/// A new subscription: events to replay first, then the live queue.
pub struct Subscription {
    pub replay: Vec<Arc<Published>>,
    /// True when `Last-Event-ID` was older than the ring: the client missed events and should
    /// reload its view.
    pub gap: bool,
    pub rx: mpsc::Receiver<Arc<Published>>,
}

impl Default for LiveHub {
    fn default() -> Self {
        LiveHub::new()
    }
}

impl LiveHub {
    pub fn new() -> LiveHub {
        LiveHub {
            inner: Mutex::new(Inner {
                next_id: 1,
                ring: VecDeque::with_capacity(RING_CAPACITY),
                subscribers: Vec::new(),
                dropped: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publishes events to every subscriber whose audience may see them. Never blocks on a
    /// subscriber: one whose queue is full or closed is dropped.
    pub fn publish(&self, events: impl IntoIterator<Item = LiveEvent>) {
        let mut inner = self.lock();
        for event in events {
            let id = inner.next_id;
            inner.next_id += 1;
            let p = Arc::new(Published { id, event, json: std::sync::OnceLock::new() });
            if inner.ring.len() == RING_CAPACITY {
                inner.ring.pop_front();
            }
            inner.ring.push_back(p.clone());
            let before = inner.subscribers.len();
            inner.subscribers.retain(|s| !s.audience.sees(&p.event) || s.tx.try_send(p.clone()).is_ok());
            inner.dropped += (before - inner.subscribers.len()) as u64;
        }
    }

    /// Subscribes `audience`, replaying what it may see after `last_event_id`.
    pub fn subscribe(&self, audience: Audience, last_event_id: Option<u64>) -> Result<Subscription, SubscribeError> {
        let mut inner = self.lock();
        inner.subscribers.retain(|s| !s.tx.is_closed());
        if inner.subscribers.len() >= MAX_SUBSCRIBERS {
            return Err(SubscribeError::Full);
        }
        let (tx, rx) = mpsc::channel(SUBSCRIBER_QUEUE);
        let (replay, gap) = match last_event_id {
            None => (Vec::new(), false),
            Some(last) => {
                let oldest = inner.ring.front().map_or(inner.next_id, |p| p.id);
                let gap = last + 1 < oldest && last + 1 < inner.next_id;
                let replay = inner.ring.iter().filter(|p| p.id > last && audience.sees(&p.event)).cloned().collect();
                (replay, gap)
            }
        };
        inner.subscribers.push(Subscriber { audience, tx });
        Ok(Subscription { replay, gap, rx })
    }

    /// (current subscribers, subscribers dropped for being slow or gone since start).
    pub fn stats(&self) -> (usize, u64) {
        let inner = self.lock();
        (inner.subscribers.len(), inner.dropped)
    }

    /// The id the next event will get.
    pub fn next_id(&self) -> u64 {
        self.lock().next_id
    }
}

#[cfg(test)]
mod tests;
