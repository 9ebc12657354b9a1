//! One statement: validation of the whole object (Part 2 §2.4) into a [`Statement`] that keeps the
//! validated, normalised JSON to store and return, plus the typed facts the node works with; and
//! [`Statement::finalize`], the properties the LRS sets when it stores a statement (Part 3 §2.1).

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::activity::validate_activity;
use super::agent::{bad_object_type, validate_actor, Actor, IfiKey, IFI_PROPERTIES};
use super::context::{validate_context, ContextFacts};
use super::datatypes::is_accepted_version;
use super::error::XapiError;
use super::json::{
    expect_iri, expect_object, expect_object_mut, expect_str, expect_uuid, quoted, unknown_property,
    validate_language_map, Object,
};
use super::path::Path;
use super::result::{validate_result, ResultFacts};
use super::time::{format_timestamp, parse_timestamp};

/// The reserved verb of a statement that voids another (Part 2 §2.3.2).
pub const VOIDED_VERB: &str = "http://adlnet.gov/expapi/verbs/voided";

/// The version the LRS records on a statement that arrives without one (Part 2 §2.4.10: "If they
/// lack a version, the version MUST be set to 1.0.0").
pub const DEFAULT_STATEMENT_VERSION: &str = "1.0.0";

const STATEMENT_PROPERTIES: [&str; 10] =
    ["id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version"];
const SUB_STATEMENT_PROPERTIES: [&str; 7] =
    ["objectType", "actor", "verb", "object", "result", "context", "timestamp"];

const ATTACHMENTS_REFUSED: &str =
    "this LRS does not accept attachments; send the statement without the attachments property";

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

impl StatementCore {
    fn collect_activity_ids<'a>(&'a self, ids: &mut Vec<&'a str>) {
        match &self.object {
            StatementObject::Activity(id) => ids.push(id),
            StatementObject::SubStatement(sub) => sub.collect_activity_ids(ids),
            _ => {}
        }
        ids.extend(self.context.activities.all());
    }

    fn collect_agent_keys<'a>(&'a self, keys: &mut Vec<&'a IfiKey>) {
        let mut add = |actor: &'a Actor| keys.extend(actor.ifi().into_iter().chain(actor.members()));
        add(&self.actor);
        match &self.object {
            StatementObject::Actor(actor) => add(actor),
            StatementObject::SubStatement(sub) => sub.collect_agent_keys(keys),
            _ => {}
        }
        if let Some(instructor) = &self.context.instructor {
            keys.extend(instructor.ifi().into_iter().chain(instructor.members()));
        }
        if let Some(team) = &self.context.team {
            keys.extend(team.ifi().into_iter().chain(team.members()));
        }
    }
}

/// A validated statement: the normalised JSON (context activities as arrays, `timestamp` in UTC,
/// `id` in lowercase) and the typed facts read from it. The JSON is what the LRS stores and
/// returns; the facts always agree with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    json: Value,
    id: Option<Uuid>,
    core: StatementCore,
    voids: Option<Uuid>,
    stored: Option<DateTime<Utc>>,
    authority: Option<Actor>,
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

    /// The validated, normalised statement JSON.
    pub fn json(&self) -> &Value {
        &self.json
    }

    pub fn into_json(self) -> Value {
        self.json
    }

    /// Activity ids the `related_activities` filter matches: the object (if an Activity), every
    /// context activity, and the same in a SubStatement.
    pub fn related_activity_ids(&self) -> Vec<&str> {
        let mut ids = Vec::new();
        self.core.collect_activity_ids(&mut ids);
        ids
    }

    /// IFI keys the `related_agents` filter matches: actor, object, authority, instructor, team
    /// (with Group members), and the same in a SubStatement.
    pub fn related_agent_keys(&self) -> Vec<&IfiKey> {
        let mut keys = Vec::new();
        self.core.collect_agent_keys(&mut keys);
        if let Some(authority) = &self.authority {
            keys.extend(authority.ifi().into_iter().chain(authority.members()));
        }
        keys
    }

    /// Sets what the LRS assigns when storing (Part 2 §2.4, Part 3 §2.1): `id` if absent,
    /// `stored` and `authority` (always overwritten), `version` (kept if the sender gave one,
    /// else `1.0.0`) and `timestamp` = `stored` if absent. `authority` is the Agent (or OAuth Group)
    /// of the credentials the statement arrived with; it is stored as given.
    pub fn finalize(&mut self, id: Uuid, stored: DateTime<Utc>, authority: Value) {
        let Value::Object(map) = &mut self.json else {
            unreachable!("a validated statement is a JSON object");
        };
        if self.id.is_none() {
            self.id = Some(id);
            map.insert("id".into(), Value::String(id.to_string()));
        }
        let stored_text = format_timestamp(&stored);
        if self.core.timestamp.is_none() {
            self.core.timestamp = Some(stored);
            map.insert("timestamp".into(), Value::String(stored_text.clone()));
        }
        map.insert("stored".into(), Value::String(stored_text));
        self.stored = Some(stored);
        self.authority = validate_actor(&authority, &Path::Root("authority")).ok();
        map.insert("authority".into(), authority);
        if !map.contains_key("version") {
            map.insert("version".into(), Value::String(DEFAULT_STATEMENT_VERSION.into()));
        }
    }
}

/// Validates one statement value (the element at `path` of the request body).
pub(crate) fn parse_statement(mut value: Value, path: &Path<'_>) -> Result<Statement, XapiError> {
    let map = expect_object_mut(&mut value, path, "a Statement")?;
    let core = validate_statement_map(map, path, Level::Statement)?;
    let id = match map.get("id") {
        Some(id) => {
            let id = expect_uuid(id, &path.key("id"))?;
            map.insert("id".into(), Value::String(id.to_string()));
            Some(id)
        }
        None => None,
    };
    if let Some(stored) = map.get("stored") {
        validate_timestamp_text(stored, &path.key("stored"))?;
    }
    if let Some(authority) = map.get("authority") {
        validate_authority(authority, &path.key("authority"))?;
    }
    if let Some(version) = map.get("version") {
        let version_path = path.key("version");
        let text = expect_str(version, &version_path)?;
        if !is_accepted_version(text) {
            return Err(XapiError::at(&version_path, format!("must be a 1.0.x version, found {}", quoted(text))));
        }
    }
    let voids = match (&core.object, core.verb_id == VOIDED_VERB) {
        (StatementObject::StatementRef(target), true) => Some(*target),
        _ => None,
    };
    Ok(Statement { json: value, id, core, voids, stored: None, authority: None })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Statement,
    SubStatement,
}

/// Validates the properties a statement and a SubStatement share, normalising in place.
fn validate_statement_map(map: &mut Object, path: &Path<'_>, level: Level) -> Result<StatementCore, XapiError> {
    for key in map.keys() {
        match (key.as_str(), level) {
            ("actor" | "verb" | "object" | "result" | "context" | "timestamp", _) => {}
            ("id" | "stored" | "authority" | "version", Level::Statement) => {}
            ("objectType", Level::SubStatement) => {}
            ("attachments", _) => return Err(XapiError::at(&path.key("attachments"), ATTACHMENTS_REFUSED)),
            ("id" | "stored" | "authority" | "version", Level::SubStatement) => {
                return Err(XapiError::at(path, format!("a SubStatement must not have {key:?}")))
            }
            (_, Level::Statement) => {
                return Err(unknown_property(path, key, "a Statement", &STATEMENT_PROPERTIES))
            }
            (_, Level::SubStatement) => {
                return Err(unknown_property(path, key, "a SubStatement", &SUB_STATEMENT_PROPERTIES))
            }
        }
    }
    let required = |name: &str| XapiError::at(path, format!("a statement must have {name:?}"));

    let actor = validate_actor(map.get("actor").ok_or_else(|| required("actor"))?, &path.key("actor"))?;
    let verb_id = validate_verb(map.get("verb").ok_or_else(|| required("verb"))?, &path.key("verb"))?;
    let object_path = path.key("object");
    let object = validate_object(map.get_mut("object").ok_or_else(|| required("object"))?, &object_path, level)?;
    if verb_id == VOIDED_VERB && !matches!(object, StatementObject::StatementRef(_)) {
        return Err(XapiError::at(
            &object_path,
            format!("a voiding statement (verb {VOIDED_VERB}) must have a StatementRef object"),
        ));
    }
    let result = match map.get("result") {
        Some(result) => validate_result(result, &path.key("result"))?,
        None => ResultFacts::default(),
    };
    let is_activity = matches!(object, StatementObject::Activity(_));
    let context = match map.get_mut("context") {
        Some(context) => validate_context(context, &path.key("context"), is_activity)?,
        None => ContextFacts::default(),
    };
    let timestamp = match map.get_mut("timestamp") {
        Some(value) => {
            let time = validate_timestamp_text(value, &path.key("timestamp"))?;
            *value = Value::String(format_timestamp(&time));
            Some(time)
        }
        None => None,
    };
    Ok(StatementCore { actor, verb_id, object, result, context, timestamp })
}

fn validate_timestamp_text(value: &Value, path: &Path<'_>) -> Result<DateTime<Utc>, XapiError> {
    let text = expect_str(value, path)?;
    parse_timestamp(text).ok_or_else(|| {
        XapiError::at(
            path,
            format!(
                "must be an ISO 8601 timestamp with a time zone, such as \"2026-09-03T09:14:22Z\", found {}",
                quoted(text)
            ),
        )
    })
}

fn validate_verb(value: &Value, path: &Path<'_>) -> Result<String, XapiError> {
    let verb = expect_object(value, path, "a Verb")?;
    let mut id = None;
    for (key, value) in verb {
        match key.as_str() {
            "id" => id = Some(expect_iri(value, &path.key("id"))?),
            "display" => validate_language_map(value, &path.key("display"))?,
            _ => return Err(unknown_property(path, key, "a Verb", &["id", "display"])),
        }
    }
    id.map(str::to_string).ok_or_else(|| XapiError::at(path, "a Verb must have an id"))
}

fn validate_object(value: &mut Value, path: &Path<'_>, level: Level) -> Result<StatementObject, XapiError> {
    let object = expect_object(value, path, "an Activity, Agent, Group, StatementRef or SubStatement")?;
    match object.get("objectType") {
        None if IFI_PROPERTIES.iter().chain(&["member"]).any(|p| object.contains_key(*p)) => Err(XapiError::at(
            path,
            "an Agent or Group used as a statement's object must have objectType \"Agent\" or \"Group\"",
        )),
        None => validate_activity(value, path).map(|id| StatementObject::Activity(id.to_string())),
        Some(Value::String(kind)) => match kind.as_str() {
            "Activity" => validate_activity(value, path).map(|id| StatementObject::Activity(id.to_string())),
            "Agent" | "Group" => validate_actor(value, path).map(StatementObject::Actor),
            "StatementRef" => validate_statement_ref(value, path).map(StatementObject::StatementRef),
            "SubStatement" if level == Level::SubStatement => {
                Err(XapiError::at(path, "a SubStatement must not contain another SubStatement"))
            }
            "SubStatement" => {
                let map = expect_object_mut(value, path, "a SubStatement")?;
                let core = validate_statement_map(map, path, Level::SubStatement)?;
                Ok(StatementObject::SubStatement(Box::new(core)))
            }
            _ => Err(bad_object_type(&object["objectType"], path, OBJECT_TYPES)),
        },
        Some(other) => Err(bad_object_type(other, path, OBJECT_TYPES)),
    }
}

const OBJECT_TYPES: &str = "\"Activity\", \"Agent\", \"Group\", \"StatementRef\" or \"SubStatement\"";

/// A Statement Reference `{"objectType": "StatementRef", "id": <uuid>}`; returns the id.
pub(crate) fn validate_statement_ref(value: &Value, path: &Path<'_>) -> Result<Uuid, XapiError> {
    let object = expect_object(value, path, "a StatementRef")?;
    let mut id = None;
    for (key, value) in object {
        match key.as_str() {
            "objectType" => match value {
                Value::String(kind) if kind == "StatementRef" => {}
                other => return Err(bad_object_type(other, path, "\"StatementRef\"")),
            },
            "id" => id = Some(expect_uuid(value, &path.key("id"))?),
            _ => return Err(unknown_property(path, key, "a StatementRef", &["objectType", "id"])),
        }
    }
    if !object.contains_key("objectType") {
        return Err(XapiError::at(path, "a StatementRef must have objectType \"StatementRef\""));
    }
    id.ok_or_else(|| XapiError::at(path, "a StatementRef must have an id"))
}

/// An incoming `authority` (overwritten on storage, but still validated): an Agent, or the Group
/// of two Agents of 3-legged OAuth.
fn validate_authority(value: &Value, path: &Path<'_>) -> Result<(), XapiError> {
    match validate_actor(value, path)? {
        Actor::Agent(_) => Ok(()),
        Actor::Group { members, .. } if members.len() == 2 => Ok(()),
        Actor::Group { members, .. } => Err(XapiError::at(
            path,
            format!("an authority Group must have exactly two Agents (3-legged OAuth), found {}", members.len()),
        )),
    }
}
