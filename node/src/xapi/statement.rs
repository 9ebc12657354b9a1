//! One statement: validation of the whole object (Part 2 §2.4) into a [`Statement`] that keeps the
//! validated, normalised JSON text to store and return, plus the typed facts the node works with;
//! and [`Statement::finalize`], the properties the LRS sets when it stores a statement (Part 2
//! §2.4, Part 3 §2.1).

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::activity::validate_activity;
use super::agent::{bad_object_type, validate_actor, Actor, IfiKey, IFI_PROPERTIES};
use super::context::{validate_context, ContextFacts};
use super::datatypes::is_accepted_version;
use super::error::XapiError;
use super::json::{
    expect_iri, expect_object, expect_str, expect_uuid, fields, quoted, validate_language_map, Json,
};
use super::path::Path;
use super::result::{validate_result, ResultFacts};
use super::time::{format_timestamp, is_canonical_timestamp, parse_timestamp};

/// The reserved verb of a statement that voids another (Part 2 §2.3.2).
pub const VOIDED_VERB: &str = "http://adlnet.gov/expapi/verbs/voided";

/// The version the LRS records on a statement that arrives without one (Part 2 §2.4.10: "If they
/// lack a version, the version MUST be set to 1.0.0").
pub const DEFAULT_STATEMENT_VERSION: &str = "1.0.0";

/// A statement's properties; the last one is known but refused.
const STATEMENT_PROPERTIES: [&str; 11] = [
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
];
/// A SubStatement's properties; the last five are known but forbidden in a SubStatement.
const SUB_STATEMENT_PROPERTIES: [&str; 12] = [
    "objectType",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "id",
    "stored",
    "authority",
    "version",
    "attachments",
];

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

    /// Sets what the LRS assigns when storing: `id` if absent, `stored` and `authority` (always
    /// replaced), `version` (kept if the sender gave one, else `1.0.0`, Part 2 §2.4.10) and
    /// `timestamp` = `stored` if absent. `authority` is the Agent (or 3-legged OAuth Group) of the
    /// credentials the statement arrived with; it is stored as given.
    pub fn finalize(&mut self, id: Uuid, stored: DateTime<Utc>, authority: Value) {
        if self.sent_lrs_properties {
            let mut value = self.to_json();
            if let Value::Object(map) = &mut value {
                map.remove("stored");
                map.remove("authority");
            }
            self.text = value.to_string();
        }
        self.authority = validate_actor(&Json::from_value(&authority), &Path::Root("authority")).ok();
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
        added.push_str(&format!(",\"stored\":\"{stored_text}\",\"authority\":{authority}"));
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

/// What has to be rewritten in a statement before it is stored.
#[derive(Default)]
struct Normalise {
    /// The id has upper-case hex digits.
    id: bool,
    /// A timestamp is not in the UTC form the LRS returns.
    timestamp: bool,
    /// A context activity is a single object rather than an array.
    context_activities: bool,
}

/// Validates one statement: `tree` parsed from `text`, one element of the request body.
pub(crate) fn parse_statement(tree: &Json<'_>, text: &str, path: &Path<'_>) -> Result<Statement, XapiError> {
    let properties = expect_object(tree, path, "a Statement")?;
    let [id, actor, verb, object, result, context, timestamp, stored, authority, version, attachments] =
        fields(properties, path, "a Statement", STATEMENT_PROPERTIES, 10)?;
    if attachments.is_some() {
        return Err(XapiError::at(&path.key("attachments"), ATTACHMENTS_REFUSED));
    }
    let mut normalise = Normalise::default();
    let core = validate_core([actor, verb, object, result, context, timestamp], path, Level::Statement, &mut normalise)?;
    let id = match id {
        Some(id) => {
            let uuid = expect_uuid(id, &path.key("id"))?;
            normalise.id = id.as_str().is_some_and(|text| text.bytes().any(|b| b.is_ascii_uppercase()));
            Some(uuid)
        }
        None => None,
    };
    if let Some(stored) = stored {
        validate_timestamp_text(stored, &path.key("stored"))?;
    }
    if let Some(authority) = authority {
        validate_authority(authority, &path.key("authority"))?;
    }
    if let Some(version) = version {
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
    let text = if normalise.id || normalise.timestamp || normalise.context_activities {
        normalised_text(text)
    } else {
        text.to_string()
    };
    Ok(Statement {
        text,
        id,
        core,
        voids,
        stored: None,
        authority: None,
        sent_lrs_properties: stored.is_some() || authority.is_some(),
        sent_version: version.is_some(),
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Statement,
    SubStatement,
}

/// Validates what a statement and a SubStatement share: actor, verb, object, result, context and
/// timestamp (in that order in `values`).
fn validate_core(
    values: [Option<&Json<'_>>; 6],
    path: &Path<'_>,
    level: Level,
    normalise: &mut Normalise,
) -> Result<StatementCore, XapiError> {
    let [actor, verb, object, result, context, timestamp] = values;
    let required = |name: &str| XapiError::at(path, format!("a statement must have {name:?}"));
    let actor = validate_actor(actor.ok_or_else(|| required("actor"))?, &path.key("actor"))?;
    let verb_id = validate_verb(verb.ok_or_else(|| required("verb"))?, &path.key("verb"))?;
    let object_path = path.key("object");
    let object = validate_object(object.ok_or_else(|| required("object"))?, &object_path, level, normalise)?;
    if verb_id == VOIDED_VERB && !matches!(object, StatementObject::StatementRef(_)) {
        return Err(XapiError::at(
            &object_path,
            format!("a voiding statement (verb {VOIDED_VERB}) must have a StatementRef object"),
        ));
    }
    let result = match result {
        Some(result) => validate_result(result, &path.key("result"))?,
        None => ResultFacts::default(),
    };
    let is_activity = matches!(object, StatementObject::Activity(_));
    let context = match context {
        Some(context) => {
            validate_context(context, &path.key("context"), is_activity, &mut normalise.context_activities)?
        }
        None => ContextFacts::default(),
    };
    let timestamp = match timestamp {
        Some(value) => {
            let time = validate_timestamp_text(value, &path.key("timestamp"))?;
            if !value.as_str().is_some_and(|text| is_canonical_timestamp(text, &time)) {
                normalise.timestamp = true;
            }
            Some(time)
        }
        None => None,
    };
    Ok(StatementCore { actor, verb_id, object, result, context, timestamp })
}

fn validate_timestamp_text(value: &Json<'_>, path: &Path<'_>) -> Result<DateTime<Utc>, XapiError> {
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

fn validate_verb(value: &Json<'_>, path: &Path<'_>) -> Result<String, XapiError> {
    let properties = expect_object(value, path, "a Verb")?;
    let [id, display] = fields(properties, path, "a Verb", ["id", "display"], 2)?;
    let id = match id {
        Some(id) => expect_iri(id, &path.key("id"))?,
        None => return Err(XapiError::at(path, "a Verb must have an id")),
    };
    if let Some(display) = display {
        validate_language_map(display, &path.key("display"))?;
    }
    Ok(id.to_string())
}

const OBJECT_TYPES: &str = "\"Activity\", \"Agent\", \"Group\", \"StatementRef\" or \"SubStatement\"";

fn validate_object(
    value: &Json<'_>,
    path: &Path<'_>,
    level: Level,
    normalise: &mut Normalise,
) -> Result<StatementObject, XapiError> {
    let properties = expect_object(value, path, "an Activity, Agent, Group, StatementRef or SubStatement")?;
    let kind = match value.get("objectType") {
        None => {
            let names_an_agent =
                properties.iter().any(|(key, _)| IFI_PROPERTIES.contains(&key.as_ref()) || key == "member");
            if names_an_agent {
                return Err(XapiError::at(
                    path,
                    "an Agent or Group used as a statement's object must have objectType \"Agent\" or \"Group\"",
                ));
            }
            "Activity"
        }
        Some(Json::String(kind)) => kind.as_ref(),
        Some(other) => return Err(bad_object_type(other, path, OBJECT_TYPES)),
    };
    match kind {
        "Activity" => validate_activity(value, path).map(|id| StatementObject::Activity(id.to_string())),
        "Agent" | "Group" => validate_actor(value, path).map(StatementObject::Actor),
        "StatementRef" => validate_statement_ref(value, path).map(StatementObject::StatementRef),
        "SubStatement" if level == Level::SubStatement => {
            Err(XapiError::at(path, "a SubStatement must not contain another SubStatement"))
        }
        "SubStatement" => {
            let [_, actor, verb, object, result, context, timestamp, id, stored, authority, version, attachments] =
                fields(properties, path, "a SubStatement", SUB_STATEMENT_PROPERTIES, 7)?;
            if attachments.is_some() {
                return Err(XapiError::at(&path.key("attachments"), ATTACHMENTS_REFUSED));
            }
            let forbidden = [("id", id), ("stored", stored), ("authority", authority), ("version", version)];
            if let Some((name, _)) = forbidden.iter().find(|(_, value)| value.is_some()) {
                return Err(XapiError::at(path, format!("a SubStatement must not have {name:?}")));
            }
            let values = [actor, verb, object, result, context, timestamp];
            let core = validate_core(values, path, Level::SubStatement, normalise)?;
            Ok(StatementObject::SubStatement(Box::new(core)))
        }
        _ => Err(bad_object_type(value.get("objectType").unwrap_or(&Json::Null), path, OBJECT_TYPES)),
    }
}

/// A Statement Reference `{"objectType": "StatementRef", "id": <uuid>}`; returns the id.
pub(crate) fn validate_statement_ref(value: &Json<'_>, path: &Path<'_>) -> Result<Uuid, XapiError> {
    let properties = expect_object(value, path, "a StatementRef")?;
    let [object_type, id] = fields(properties, path, "a StatementRef", ["objectType", "id"], 2)?;
    match object_type {
        Some(Json::String(kind)) if kind == "StatementRef" => {}
        Some(other) => return Err(bad_object_type(other, path, "\"StatementRef\"")),
        None => return Err(XapiError::at(path, "a StatementRef must have objectType \"StatementRef\"")),
    }
    match id {
        Some(id) => expect_uuid(id, &path.key("id")),
        None => Err(XapiError::at(path, "a StatementRef must have an id")),
    }
}

/// An incoming `authority` (replaced on storage, but still validated): an Agent, or the Group of
/// two Agents of 3-legged OAuth.
fn validate_authority(value: &Json<'_>, path: &Path<'_>) -> Result<(), XapiError> {
    match validate_actor(value, path)? {
        Actor::Agent(_) => Ok(()),
        Actor::Group { members, .. } if members.len() == 2 => Ok(()),
        Actor::Group { members, .. } => Err(XapiError::at(
            path,
            format!("an authority Group must have exactly two Agents (3-legged OAuth), found {}", members.len()),
        )),
    }
}

/// The statement text with the normalisations applied: lowercase `id`, timestamps in UTC, single
/// context activities wrapped in arrays (in the statement and in a SubStatement). Only called for
/// statements that validated, so every shape checked here is already known to be right.
fn normalised_text(text: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<Value>(text) else {
        return text.trim().to_string();
    };
    if let Value::Object(statement) = &mut value {
        if let Some(Value::String(id)) = statement.get_mut("id") {
            id.make_ascii_lowercase();
        }
        normalise_core(statement);
        if let Some(Value::Object(object)) = statement.get_mut("object") {
            if object.get("objectType").and_then(Value::as_str) == Some("SubStatement") {
                normalise_core(object);
            }
        }
    }
    value.to_string()
}

fn normalise_core(statement: &mut serde_json::Map<String, Value>) {
    if let Some(Value::String(timestamp)) = statement.get_mut("timestamp") {
        if let Some(time) = parse_timestamp(timestamp) {
            *timestamp = format_timestamp(&time);
        }
    }
    let activities = statement.get_mut("context").and_then(|c| c.get_mut("contextActivities"));
    if let Some(Value::Object(kinds)) = activities {
        for list in kinds.values_mut() {
            if list.is_object() {
                *list = Value::Array(vec![list.take()]);
            }
        }
    }
}
