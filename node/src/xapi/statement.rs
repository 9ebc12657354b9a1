//! One statement: validation of the whole object (Part 2 §2.4) into a [`Statement`] that keeps the
//! validated, normalised JSON text to store and return, plus the typed facts the node works with;
//! and [`Statement::finalize`], the properties the LRS sets when it stores a statement (Part 2
//! §2.4, Part 3 §2.1).

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::agent::{validate_actor, Actor, IfiKey};
use super::context::ContextFacts;
use super::json::Json;
use super::path::Path;
use super::result::ResultFacts;
use super::time::format_timestamp;

mod validation;

pub(crate) use validation::{parse_statement, validate_statement_ref};

/// The reserved verb of a statement that voids another (Part 2 §2.3.2).
pub const VOIDED_VERB: &str = "http://adlnet.gov/expapi/verbs/voided";

/// The version the LRS records on a statement that arrives without one (Part 2 §2.4.10: "If they
/// lack a version, the version MUST be set to 1.0.0").
pub const DEFAULT_STATEMENT_VERSION: &str = "1.0.0";
/// What a statement is about, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum StatementObject {
    /// The activity id (an IRI).
    Activity(String),
    /// An Agent or Group.
    Actor(Actor),
    /// The id of the statement referred to.
    StatementRef(Uuid),
    SubStatement(Box<StatementCore>),
}

/// The kind of a statement's object, as `objectType` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Activity,
    Agent,
    Group,
    StatementRef,
    SubStatement,
}

impl StatementObject {
    pub fn kind(&self) -> ObjectKind {
        match self {
            StatementObject::Activity(_) => ObjectKind::Activity,
            StatementObject::Actor(Actor::Agent(_)) => ObjectKind::Agent,
            StatementObject::Actor(Actor::Group { .. }) => ObjectKind::Group,
            StatementObject::StatementRef(_) => ObjectKind::StatementRef,
            StatementObject::SubStatement(_) => ObjectKind::SubStatement,
        }
    }

    /// The object's identifier: the activity IRI, the IFI key of an Agent or identified Group, or
    /// the referenced statement id. `None` for anonymous Groups and SubStatements.
    pub fn id(&self) -> Option<String> {
        match self {
            StatementObject::Activity(id) => Some(id.clone()),
            StatementObject::Actor(actor) => actor.ifi().map(|key| key.to_string()),
            StatementObject::StatementRef(id) => Some(id.to_string()),
            StatementObject::SubStatement(_) => None,
        }
    }

    /// The activity id when the object is an Activity.
    pub fn activity_id(&self) -> Option<&str> {
        match self {
            StatementObject::Activity(id) => Some(id),
            _ => None,
        }
    }
}

/// The typed facts a statement and a SubStatement share.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementCore {
    pub actor: Actor,
    pub verb_id: String,
    pub object: StatementObject,
    pub result: ResultFacts,
    pub context: ContextFacts,
    pub timestamp: Option<DateTime<Utc>>,
}

/// A validated statement: the normalised JSON text (context activities as arrays, `timestamp` in
/// UTC, `id` in lowercase; otherwise exactly as received) and the typed facts read from it. The
/// text is what the LRS stores and returns; the facts always agree with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    text: String,
    id: Option<Uuid>,
    core: StatementCore,
    voids: Option<Uuid>,
    stored: Option<DateTime<Utc>>,
    authority: Option<Actor>,
    /// The sender gave `stored` or `authority`, which [`Statement::finalize`] must replace.
    sent_lrs_properties: bool,
    sent_version: bool,
}

impl Statement {
    /// The statement id, if the sender gave one (always set after [`Statement::finalize`]).
    pub fn id(&self) -> Option<Uuid> {
        self.id
    }

    pub fn actor(&self) -> &Actor {
        &self.core.actor
    }

    /// The canonical IFI key of the actor; `None` when the actor is an anonymous Group.
    pub fn actor_key(&self) -> Option<&IfiKey> {
        self.core.actor.ifi()
    }

    pub fn verb_id(&self) -> &str {
        &self.core.verb_id
    }

    pub fn object(&self) -> &StatementObject {
        &self.core.object
    }

    /// The statement this one voids, for a statement with the verb [`VOIDED_VERB`].
    pub fn voids(&self) -> Option<Uuid> {
        self.voids
    }

    pub fn result(&self) -> &ResultFacts {
        &self.core.result
    }

    pub fn context(&self) -> &ContextFacts {
        &self.core.context
    }

    pub fn registration(&self) -> Option<Uuid> {
        self.core.context.registration
    }

    /// When the experience happened (set to `stored` by [`Statement::finalize`] if absent).
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        self.core.timestamp
    }

    /// When the LRS stored the statement; `None` before [`Statement::finalize`].
    pub fn stored(&self) -> Option<DateTime<Utc>> {
        self.stored
    }

    /// The authority set by [`Statement::finalize`].
    pub fn authority(&self) -> Option<&Actor> {
        self.authority.as_ref()
    }

    /// All the typed facts.
    pub fn core(&self) -> &StatementCore {
        &self.core
    }

    /// The validated, normalised statement as JSON text: what to store and return.
    pub fn json_text(&self) -> &str {
        &self.text
    }

    pub fn into_json_text(self) -> String {
        self.text
    }

    /// The statement as a JSON value (parses [`Statement::json_text`]).
    pub fn to_json(&self) -> Value {
        serde_json::from_str(&self.text).expect("a validated statement's text is JSON")
    }

    /// Sets what the LRS assigns when storing: `id` if absent, `stored` and `authority` (always
    /// replaced), `version` (kept if the sender gave one, else `1.0.0`, Part 2 §2.4.10) and
    /// `timestamp` = `stored` if absent. `authority` is the Agent (or 3-legged OAuth Group) of the
    /// credentials the statement arrived with; it is stored as given.
    pub fn finalize(&mut self, id: Uuid, stored: DateTime<Utc>, authority: Value) {
        self.finalize_with(id, stored, &Authority::new(&authority));
    }

    /// [`Statement::finalize`] with the authority prepared once for a whole batch.
    pub fn finalize_with(&mut self, id: Uuid, stored: DateTime<Utc>, authority: &Authority) {
        if self.sent_lrs_properties {
            let mut value = self.to_json();
            if let Value::Object(map) = &mut value {
                map.remove("stored");
                map.remove("authority");
            }
            self.text = value.to_string();
        }
        self.authority = authority.actor.clone();
        let stored_text = format_timestamp(&stored);
        let mut added = String::with_capacity(200);
        if self.id.is_none() {
            self.id = Some(id);
            added.push_str(&format!(",\"id\":\"{id}\""));
        }
        if self.core.timestamp.is_none() {
            self.core.timestamp = Some(stored);
            added.push_str(&format!(",\"timestamp\":\"{stored_text}\""));
        }
        added.push_str(&format!(",\"stored\":\"{stored_text}\",\"authority\":{}", authority.text));
        if !self.sent_version {
            added.push_str(&format!(",\"version\":\"{DEFAULT_STATEMENT_VERSION}\""));
        }
        self.stored = Some(stored);
        // The text is a JSON object with at least actor, verb and object: insert before its `}`.
        let end = self.text.trim_end().len() - 1;
        self.text.truncate(end);
        self.text.push_str(&added);
        self.text.push('}');
    }
}

/// The `authority` a statement is stored with, validated and rendered once per request.
#[derive(Debug, Clone)]
pub struct Authority {
    text: String,
    actor: Option<Actor>,
}

impl Authority {
    pub fn new(value: &Value) -> Authority {
        Authority {
            text: value.to_string(),
            actor: validate_actor(&Json::from_value(value), &Path::Root("authority")).ok(),
        }
    }
}
