//! A statement's `context` (Part 2 §2.4.6): registration, instructor, team, the four kinds of
//! context activities (single ones flagged for normalising to arrays, as the LRS must return
//! them), revision and platform (only with an Activity object), language, a statement reference
//! and extensions.

use uuid::Uuid;

use super::activity::validate_activity;
use super::agent::{validate_actor, validate_group, Actor};
use super::error::XapiError;
use super::json::{expect_object, expect_str, expect_uuid, fields, quoted, validate_extensions, Json};
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

/// Validates a context. `object_is_activity` says whether `revision` and `platform` are allowed;
/// `single_activities` is set when a context activity is a single object rather than an array
/// (the statement must then be normalised before it is stored).
pub(crate) fn validate_context(
    value: &Json<'_>,
    path: &Path<'_>,
    object_is_activity: bool,
    single_activities: &mut bool,
) -> Result<ContextFacts, XapiError> {
    let properties = expect_object(value, path, "a Context")?;
    let [registration, instructor, team, activities, revision, platform, language, statement, extensions] =
        fields(properties, path, "a Context", CONTEXT_PROPERTIES, 9)?;
    let mut facts = ContextFacts::default();
    if let Some(registration) = registration {
        facts.registration = Some(expect_uuid(registration, &path.key("registration"))?);
    }
    if let Some(instructor) = instructor {
        facts.instructor = Some(validate_actor(instructor, &path.key("instructor"))?);
    }
    if let Some(team) = team {
        facts.team = Some(validate_group(team, &path.key("team"))?);
    }
    if let Some(activities) = activities {
        facts.activities = validate_context_activities(activities, &path.key("contextActivities"), single_activities)?;
    }
    for (key, value) in [("revision", revision), ("platform", platform)] {
        let Some(value) = value else { continue };
        let key_path = path.key(key);
        if !object_is_activity {
            return Err(XapiError::at(
                &key_path,
                format!("{key} is only allowed when the statement's object is an Activity"),
            ));
        }
        expect_str(value, &key_path)?;
    }
    if let Some(language) = language {
        let language_path = path.key("language");
        let tag = expect_str(language, &language_path)?;
        if !is_language_tag(tag) {
            return Err(XapiError::at(&language_path, format!("{} is not an RFC 5646 language tag", quoted(tag))));
        }
    }
    if let Some(statement) = statement {
        facts.statement = Some(validate_statement_ref(statement, &path.key("statement"))?);
    }
    if let Some(extensions) = extensions {
        validate_extensions(extensions, &path.key("extensions"))?;
    }
    Ok(facts)
}

fn validate_context_activities(
    value: &Json<'_>,
    path: &Path<'_>,
    single_activities: &mut bool,
) -> Result<ContextActivityIds, XapiError> {
    let properties = expect_object(value, path, "a contextActivities map")?;
    let kinds = ["parent", "grouping", "category", "other"];
    let values = fields(properties, path, "contextActivities", kinds, 4)?;
    let mut ids = ContextActivityIds::default();
    let lists = [&mut ids.parent, &mut ids.grouping, &mut ids.category, &mut ids.other];
    for ((kind, value), list) in kinds.into_iter().zip(values).zip(lists) {
        let Some(value) = value else { continue };
        let kind_path = path.key(kind);
        match value {
            Json::Array(activities) => {
                list.reserve(activities.len());
                for (i, activity) in activities.iter().enumerate() {
                    list.push(validate_activity(activity, &kind_path.index(i))?.to_string());
                }
            }
            Json::Object(_) => {
                list.push(validate_activity(value, &kind_path)?.to_string());
                *single_activities = true;
            }
            other => {
                expect_object(other, &kind_path, "an Activity or an array of Activities")?;
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::xapi::json::on_tree;
    use serde_json::json;

    fn context(value: serde_json::Value, object_is_activity: bool) -> Result<(ContextFacts, bool), String> {
        let mut single = false;
        on_tree(&value, |tree| validate_context(tree, &Path::Root("context"), object_is_activity, &mut single))
            .map(|facts| (facts, single))
            .map_err(|e| e.message)
    }

    #[test]
    fn single_context_activities_are_flagged() {
        let (facts, single) = context(
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
        assert!(single);
        assert_eq!(facts.activities.parent, ["https://items.lantern.example/quiz/6.RP.A.1"]);
        assert_eq!(facts.activities.grouping.len(), 2);
        assert_eq!(facts.activities.all().count(), 3);
        assert_eq!(facts.registration.unwrap().to_string(), "ec531277-b57b-4c15-8d91-d292c5b2b8f7");
        assert!(facts.statement.is_some());
        assert!(facts.team.unwrap().ifi().is_none());
        let (_, single) =
            context(json!({"contextActivities": {"parent": [{"id": "http://x.example/p"}]}}), true).unwrap();
        assert!(!single);
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
