//! A statement's `context` (Part 2 §2.4.6): registration, instructor, team, the four kinds of
//! context activities (normalised to arrays, as the LRS must return them), revision and platform
//! (only with an Activity object), language, a statement reference and extensions.

use serde_json::Value;
use uuid::Uuid;

use super::activity::validate_activity;
use super::agent::{validate_actor, validate_group, Actor};
use super::error::XapiError;
use super::json::{
    expect_object, expect_object_mut, expect_str, expect_uuid, quoted, unknown_property, validate_extensions,
};
use super::language_tag::is_language_tag;
use super::path::Path;
use super::statement::validate_statement_ref;

const CONTEXT_PROPERTIES: [&str; 9] = [
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "revision",
    "platform",
    "language",
    "statement",
    "extensions",
];
const CONTEXT_ACTIVITY_KINDS: [&str; 4] = ["parent", "grouping", "category", "other"];

/// The typed content of a `context`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContextFacts {
    pub registration: Option<Uuid>,
    pub instructor: Option<Actor>,
    pub team: Option<Actor>,
    pub activities: ContextActivityIds,
    /// The id in `context.statement`.
    pub statement: Option<Uuid>,
}

/// The ids of the context activities of each kind, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContextActivityIds {
    pub parent: Vec<String>,
    pub grouping: Vec<String>,
    pub category: Vec<String>,
    pub other: Vec<String>,
}

impl ContextActivityIds {
    /// Every context activity id, parents first.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.parent.iter().chain(&self.grouping).chain(&self.category).chain(&self.other).map(String::as_str)
    }
}

/// Validates a context, rewriting single context activities as arrays of one. `object_is_activity`
/// says whether `revision` and `platform` are allowed.
pub(crate) fn validate_context(
    value: &mut Value,
    path: &Path<'_>,
    object_is_activity: bool,
) -> Result<ContextFacts, XapiError> {
    let object = expect_object_mut(value, path, "a Context")?;
    let mut facts = ContextFacts::default();
    for (key, value) in object.iter_mut() {
        let key_path = path.key(key);
        match key.as_str() {
            "registration" => facts.registration = Some(expect_uuid(value, &key_path)?),
            "instructor" => facts.instructor = Some(validate_actor(value, &key_path)?),
            "team" => facts.team = Some(validate_group(value, &key_path)?),
            "contextActivities" => facts.activities = validate_context_activities(value, &key_path)?,
            "revision" | "platform" => {
                if !object_is_activity {
                    return Err(XapiError::at(
                        &key_path,
                        format!("{key} is only allowed when the statement's object is an Activity"),
                    ));
                }
                expect_str(value, &key_path)?;
            }
            "language" => {
                let tag = expect_str(value, &key_path)?;
                if !is_language_tag(tag) {
                    return Err(XapiError::at(&key_path, format!("{} is not an RFC 5646 language tag", quoted(tag))));
                }
            }
            "statement" => facts.statement = Some(validate_statement_ref(value, &key_path)?),
            "extensions" => validate_extensions(value, &key_path)?,
            _ => return Err(unknown_property(path, key, "a Context", &CONTEXT_PROPERTIES)),
        }
    }
    Ok(facts)
}

fn validate_context_activities(value: &mut Value, path: &Path<'_>) -> Result<ContextActivityIds, XapiError> {
    let object = expect_object_mut(value, path, "a contextActivities map")?;
    let mut ids = ContextActivityIds::default();
    for (key, value) in object.iter_mut() {
        let list = match key.as_str() {
            "parent" => &mut ids.parent,
            "grouping" => &mut ids.grouping,
            "category" => &mut ids.category,
            "other" => &mut ids.other,
            _ => return Err(unknown_property(path, key, "contextActivities", &CONTEXT_ACTIVITY_KINDS)),
        };
        let key_path = path.key(key);
        match value {
            Value::Array(activities) => {
                list.reserve(activities.len());
                for (i, activity) in activities.iter().enumerate() {
                    list.push(validate_activity(activity, &key_path.index(i))?.to_string());
                }
            }
            Value::Object(_) => {
                list.push(validate_activity(value, &key_path)?.to_string());
                let single = value.take();
                *value = Value::Array(vec![single]);
            }
            other => {
                expect_object(other, &key_path, "an Activity or an array of Activities")?;
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context(mut value: Value, object_is_activity: bool) -> Result<(ContextFacts, Value), String> {
        let facts = validate_context(&mut value, &Path::Root("context"), object_is_activity).map_err(|e| e.message)?;
        Ok((facts, value))
    }

    #[test]
    fn single_context_activities_become_arrays() {
        let (facts, normalised) = context(
            json!({
                "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
                "contextActivities": {
                    "parent": {"id": "https://items.lantern.example/quiz/6.RP.A.1"},
                    "grouping": [{"id": "https://sis.lantern.example/classes/c-1"}, {"id": "http://x.example/g"}],
                    "category": [],
                },
                "instructor": {"mbox": "mailto:t@school.example"},
                "team": {"objectType": "Group", "member": [{"mbox": "mailto:a@school.example"}]},
                "revision": "2", "platform": "Lantern quiz", "language": "en-US",
                "statement": {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
                "extensions": {"https://lantern.example/ext/seat": 4}
            }),
            true,
        )
        .unwrap();
        assert_eq!(normalised["contextActivities"]["parent"], json!([{"id": "https://items.lantern.example/quiz/6.RP.A.1"}]));
        assert_eq!(facts.activities.parent, ["https://items.lantern.example/quiz/6.RP.A.1"]);
        assert_eq!(facts.activities.grouping.len(), 2);
        assert_eq!(facts.activities.all().count(), 3);
        assert_eq!(facts.registration.unwrap().to_string(), "ec531277-b57b-4c15-8d91-d292c5b2b8f7");
        assert!(facts.statement.is_some());
        assert!(facts.team.unwrap().ifi().is_none());
    }

    #[test]
    fn context_errors_name_the_path() {
        let cases = [
            (json!({"registration": "abc"}), true, "context.registration: must be a UUID in standard form (8-4-4-4-12 hex digits), found \"abc\""),
            (json!({"revision": "2"}), false, "context.revision: revision is only allowed when the statement's object is an Activity"),
            (json!({"platform": "x"}), false, "context.platform: platform is only allowed when the statement's object is an Activity"),
            (json!({"language": "en-GB-"}), true, "context.language: \"en-GB-\" is not an RFC 5646 language tag"),
            (json!({"team": {"mbox": "mailto:a@b.example"}}), true, "context.team: a Group must have objectType \"Group\""),
            (json!({"contextActivities": {"parents": []}}), true, "context.contextActivities: unknown property \"parents\" (contextActivities may have: parent, grouping, category, other)"),
            (json!({"contextActivities": {"parent": "http://x.example/a"}}), true, "context.contextActivities.parent: must be an Activity or an array of Activities (an object), found a string"),
            (json!({"contextActivities": {"grouping": [{"id": "http://x.example/a"}, {"id": "b"}]}}), true, "context.contextActivities.grouping[1].id: must be an absolute IRI with a scheme, found \"b\""),
            (json!({"statement": {"id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}}), true, "context.statement: a StatementRef must have objectType \"StatementRef\""),
            (json!({"session": 1}), true, "context: unknown property \"session\" (a Context may have: registration, instructor, team, contextActivities, revision, platform, language, statement, extensions)"),
        ];
        for (value, is_activity, message) in cases {
            assert_eq!(context(value, is_activity).unwrap_err(), message);
        }
    }
}
