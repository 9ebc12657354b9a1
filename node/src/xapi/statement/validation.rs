//! Validation of a whole statement or SubStatement (Part 2 §2.4) into a [`Statement`], and the
//! rewriting of the few things the LRS normalises before storing (lowercase id, UTC timestamps,
//! context activities as arrays).

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::{Statement, StatementCore, StatementObject, VOIDED_VERB};
use crate::xapi::activity::validate_activity;
use crate::xapi::agent::{bad_object_type, validate_actor, Actor, IFI_PROPERTIES};
use crate::xapi::context::{validate_context, ContextFacts};
use crate::xapi::datatypes::is_accepted_version;
use crate::xapi::error::XapiError;
use crate::xapi::json::{
    expect_iri, expect_object, expect_str, expect_uuid, fields, quoted, validate_language_map, Json,
};
use crate::xapi::path::Path;
use crate::xapi::result::{validate_result, ResultFacts};
use crate::xapi::time::{format_timestamp, is_canonical_timestamp, parse_timestamp};

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
    let core =
        validate_core([actor, verb, object, result, context, timestamp], path, Level::Statement, &mut normalise)?;
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
