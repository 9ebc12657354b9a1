//! Activities and their definitions (Part 2 §2.4.4.1), including interaction activities: the
//! `interactionType`, `correctResponsesPattern` and the component lists each type supports.

use serde_json::Value;

use super::agent::bad_object_type;
use super::error::XapiError;
use super::json::{
    expect_array, expect_iri, expect_object, expect_str, quoted, unknown_property, validate_extensions,
    validate_language_map,
};
use super::path::Path;

const ACTIVITY_PROPERTIES: [&str; 3] = ["objectType", "id", "definition"];
const DEFINITION_PROPERTIES: [&str; 12] = [
    "name",
    "description",
    "type",
    "moreInfo",
    "extensions",
    "interactionType",
    "correctResponsesPattern",
    "choices",
    "scale",
    "source",
    "target",
    "steps",
];
const INTERACTION_TYPES: [&str; 10] = [
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
];

/// The component lists an interaction type supports (Part 2 §2.4.4.1, "Interaction Components").
fn component_lists(interaction_type: &str) -> &'static [&'static str] {
    match interaction_type {
        "choice" | "sequencing" => &["choices"],
        "likert" => &["scale"],
        "matching" => &["source", "target"],
        "performance" => &["steps"],
        _ => &[],
    }
}

/// Validates an Activity (`objectType` absent or `"Activity"`) and returns its id.
pub(crate) fn validate_activity<'v>(value: &'v Value, path: &Path<'_>) -> Result<&'v str, XapiError> {
    let object = expect_object(value, path, "an Activity")?;
    let mut id = None;
    for (key, value) in object {
        match key.as_str() {
            "objectType" => match value {
                Value::String(kind) if kind == "Activity" => {}
                other => return Err(bad_object_type(other, path, "\"Activity\"")),
            },
            "id" => id = Some(expect_iri(value, &path.key("id"))?),
            "definition" => validate_definition(value, &path.key("definition"))?,
            _ => return Err(unknown_property(path, key, "an Activity", &ACTIVITY_PROPERTIES)),
        }
    }
    id.ok_or_else(|| XapiError::at(path, "an Activity must have an id"))
}

fn validate_definition(value: &Value, path: &Path<'_>) -> Result<(), XapiError> {
    let definition = expect_object(value, path, "an Activity definition")?;
    let interaction_type = match definition.get("interactionType") {
        None => None,
        Some(value) => {
            let type_path = path.key("interactionType");
            let kind = expect_str(value, &type_path)?;
            if !INTERACTION_TYPES.contains(&kind) {
                return Err(XapiError::at(
                    &type_path,
                    format!("must be one of {}, found {}", INTERACTION_TYPES.join(", "), quoted(kind)),
                ));
            }
            Some(kind)
        }
    };
    for (key, value) in definition {
        let key_path = path.key(key);
        match key.as_str() {
            "name" | "description" => validate_language_map(value, &key_path)?,
            "type" => {
                expect_iri(value, &key_path)?;
            }
            "moreInfo" => {
                let text = expect_str(value, &key_path)?;
                if !super::datatypes::is_iri(text) {
                    return Err(XapiError::at(&key_path, format!("must be an IRL with a scheme, found {}", quoted(text))));
                }
            }
            "extensions" => validate_extensions(value, &key_path)?,
            "interactionType" => {}
            "correctResponsesPattern" => {
                if interaction_type.is_none() {
                    return Err(XapiError::at(path, "correctResponsesPattern needs an interactionType"));
                }
                for (i, pattern) in expect_array(value, &key_path)?.iter().enumerate() {
                    expect_str(pattern, &key_path.index(i))?;
                }
            }
            "choices" | "scale" | "source" | "target" | "steps" => {
                let Some(kind) = interaction_type else {
                    return Err(XapiError::at(path, format!("{key} needs an interactionType")));
                };
                if !component_lists(kind).contains(&key.as_str()) {
                    let supported = match component_lists(kind) {
                        [] => "no component lists".to_string(),
                        lists => lists.join(" and "),
                    };
                    return Err(XapiError::at(
                        &key_path,
                        format!("interactionType {kind:?} does not take {key} (it takes {supported})"),
                    ));
                }
                validate_components(value, &key_path)?;
            }
            _ => return Err(unknown_property(path, key, "an Activity definition", &DEFINITION_PROPERTIES)),
        }
    }
    Ok(())
}

/// An interaction component list: objects `{id, description}` with distinct ids.
fn validate_components(value: &Value, path: &Path<'_>) -> Result<(), XapiError> {
    let components = expect_array(value, path)?;
    let mut ids: Vec<&str> = Vec::with_capacity(components.len());
    for (i, component) in components.iter().enumerate() {
        let component_path = path.index(i);
        let object = expect_object(component, &component_path, "an interaction component")?;
        let mut id = None;
        for (key, value) in object {
            match key.as_str() {
                "id" => id = Some(expect_str(value, &component_path.key("id"))?),
                "description" => validate_language_map(value, &component_path.key("description"))?,
                _ => {
                    return Err(unknown_property(&component_path, key, "an interaction component", &["id", "description"]))
                }
            }
        }
        let id = id.ok_or_else(|| XapiError::at(&component_path, "an interaction component must have an id"))?;
        if ids.contains(&id) {
            return Err(XapiError::at(&component_path.key("id"), format!("{} is used twice in this list", quoted(id))));
        }
        ids.push(id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn activity(value: Value) -> Result<String, String> {
        validate_activity(&value, &Path::Root("object")).map(str::to_string).map_err(|e| e.message)
    }

    #[test]
    fn interaction_activities_with_their_component_lists_pass() {
        let choice = json!({
            "objectType": "Activity",
            "id": "https://items.lantern.example/item/6.RP.A.1/003",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "interactionType": "choice",
                "correctResponsesPattern": ["b"],
                "choices": [{"id": "a", "description": {"en-US": "2:3"}}, {"id": "b"}],
                "name": {"en-US": "Ratios 3"},
                "moreInfo": "https://items.lantern.example/item/6.RP.A.1/003/info",
                "extensions": {"https://lantern.example/ext/standard": "6.RP.A.1"}
            }
        });
        assert_eq!(activity(choice).unwrap(), "https://items.lantern.example/item/6.RP.A.1/003");
        let matching = json!({"id": "http://x.example/m", "definition": {"interactionType": "matching",
            "source": [{"id": "ben"}], "target": [{"id": "1"}], "correctResponsesPattern": ["ben[.]1"]}});
        assert!(activity(matching).is_ok());
        let no_answer = json!({"id": "http://x.example/s", "definition": {"interactionType": "likert",
            "scale": [{"id": "likert_0"}], "correctResponsesPattern": []}});
        assert!(activity(no_answer).is_ok());
    }

    #[test]
    fn activity_errors_name_the_path() {
        let cases = [
            (json!({"definition": {}}), "object: an Activity must have an id"),
            (json!({"id": "item-3"}), "object.id: must be an absolute IRI with a scheme, found \"item-3\""),
            (json!({"id": "http://x.example/a", "objectType": "activity"}), "object.objectType: must be \"Activity\", found \"activity\""),
            (
                json!({"id": "http://x.example/a", "definition": {"interactionType": "multiple-choice"}}),
                "object.definition.interactionType: must be one of true-false, choice, fill-in, long-fill-in, matching, \
                 performance, sequencing, likert, numeric, other, found \"multiple-choice\"",
            ),
            (
                json!({"id": "http://x.example/a", "definition": {"interactionType": "true-false", "choices": []}}),
                "object.definition.choices: interactionType \"true-false\" does not take choices (it takes no component lists)",
            ),
            (
                json!({"id": "http://x.example/a", "definition": {"interactionType": "matching", "choices": []}}),
                "object.definition.choices: interactionType \"matching\" does not take choices (it takes source and target)",
            ),
            (
                json!({"id": "http://x.example/a", "definition": {"choices": [{"id": "a"}]}}),
                "object.definition: choices needs an interactionType",
            ),
            (
                json!({"id": "http://x.example/a", "definition": {"correctResponsesPattern": ["a"]}}),
                "object.definition: correctResponsesPattern needs an interactionType",
            ),
            (
                json!({"id": "http://x.example/a", "definition": {"interactionType": "choice", "correctResponsesPattern": "a"}}),
                "object.definition.correctResponsesPattern: must be an array, found a string",
            ),
            (
                json!({"id": "http://x.example/a", "definition": {"interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]}}),
                "object.definition.choices[1].id: \"a\" is used twice in this list",
            ),
            (
                json!({"id": "http://x.example/a", "definition": {"interactionType": "choice", "choices": [{"description": {"en": "x"}}]}}),
                "object.definition.choices[0]: an interaction component must have an id",
            ),
            (
                json!({"id": "http://x.example/a", "definition": {"name": {"en_GB": "x"}}}),
                "object.definition.name: \"en_GB\" is not an RFC 5646 language tag",
            ),
            (
                json!({"id": "http://x.example/a", "definition": {"type": "cmi.interaction"}}),
                "object.definition.type: must be an absolute IRI with a scheme, found \"cmi.interaction\"",
            ),
            (
                json!({"id": "http://x.example/a", "definition": {"moreInfo": "www.x.example"}}),
                "object.definition.moreInfo: must be an IRL with a scheme, found \"www.x.example\"",
            ),
            (
                json!({"id": "http://x.example/a", "definition": {"title": "x"}}),
                "object.definition: unknown property \"title\" (an Activity definition may have: name, description, type, \
                 moreInfo, extensions, interactionType, correctResponsesPattern, choices, scale, source, target, steps)",
            ),
            (
                json!({"id": "http://x.example/a", "name": "x"}),
                "object: unknown property \"name\" (an Activity may have: objectType, id, definition)",
            ),
        ];
        for (value, message) in cases {
            assert_eq!(activity(value).unwrap_err(), message);
        }
    }
}
