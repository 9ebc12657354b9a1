//! Activities and their definitions (Part 2 §2.4.4.1), including interaction activities: the
//! `interactionType`, `correctResponsesPattern` and the component lists each type supports.

use super::agent::bad_object_type;
use super::datatypes::is_iri;
use super::error::XapiError;
use super::json::{
    expect_array, expect_iri, expect_object, expect_str, fields, quoted, validate_extensions, validate_language_map,
    Json,
};
use super::path::Path;

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
const COMPONENT_LISTS: [&str; 5] = ["choices", "scale", "source", "target", "steps"];
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
pub(crate) fn validate_activity<'v>(value: &'v Json<'_>, path: &Path<'_>) -> Result<&'v str, XapiError> {
    let properties = expect_object(value, path, "an Activity")?;
    let [object_type, id, definition] = fields(properties, path, "an Activity", ["objectType", "id", "definition"], 3)?;
    match object_type {
        None => {}
        Some(Json::String(kind)) if kind == "Activity" => {}
        Some(other) => return Err(bad_object_type(other, path, "\"Activity\"")),
    }
    let id = match id {
        Some(id) => expect_iri(id, &path.key("id"))?,
        None => return Err(XapiError::at(path, "an Activity must have an id")),
    };
    if let Some(definition) = definition {
        validate_definition(definition, &path.key("definition"))?;
    }
    Ok(id)
}

fn validate_definition(value: &Json<'_>, path: &Path<'_>) -> Result<(), XapiError> {
    let properties = expect_object(value, path, "an Activity definition")?;
    let [name, description, kind, more_info, extensions, interaction_type, pattern, lists @ ..] =
        fields(properties, path, "an Activity definition", DEFINITION_PROPERTIES, 12)?;
    for (key, map) in [("name", name), ("description", description)] {
        if let Some(map) = map {
            validate_language_map(map, &path.key(key))?;
        }
    }
    if let Some(kind) = kind {
        expect_iri(kind, &path.key("type"))?;
    }
    if let Some(more_info) = more_info {
        let more_info_path = path.key("moreInfo");
        let text = expect_str(more_info, &more_info_path)?;
        if !is_iri(text) {
            return Err(XapiError::at(
                &more_info_path,
                format!("must be an IRL with a scheme, found {}", quoted(text)),
            ));
        }
    }
    if let Some(extensions) = extensions {
        validate_extensions(extensions, &path.key("extensions"))?;
    }
    let interaction_type = match interaction_type {
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
    if let Some(pattern) = pattern {
        if interaction_type.is_none() {
            return Err(XapiError::at(path, "correctResponsesPattern needs an interactionType"));
        }
        let pattern_path = path.key("correctResponsesPattern");
        for (i, response) in expect_array(pattern, &pattern_path)?.iter().enumerate() {
            expect_str(response, &pattern_path.index(i))?;
        }
    }
    for (key, list) in COMPONENT_LISTS.into_iter().zip(lists) {
        let Some(list) = list else { continue };
        let Some(kind) = interaction_type else {
            return Err(XapiError::at(path, format!("{key} needs an interactionType")));
        };
        let list_path = path.key(key);
        if !component_lists(kind).contains(&key) {
            let supported = match component_lists(kind) {
                [] => "no component lists".to_string(),
                supported => supported.join(" and "),
            };
            return Err(XapiError::at(
                &list_path,
                format!("interactionType {kind:?} does not take {key} (it takes {supported})"),
            ));
        }
        validate_components(list, &list_path)?;
    }
    Ok(())
}

/// An interaction component list: objects `{id, description}` with distinct ids.
fn validate_components(value: &Json<'_>, path: &Path<'_>) -> Result<(), XapiError> {
    let components = expect_array(value, path)?;
    let mut ids: Vec<(&str, usize)> = Vec::with_capacity(components.len());
    for (i, component) in components.iter().enumerate() {
        let component_path = path.index(i);
        let properties = expect_object(component, &component_path, "an interaction component")?;
        let [id, description] =
            fields(properties, &component_path, "an interaction component", ["id", "description"], 2)?;
        if let Some(description) = description {
            validate_language_map(description, &component_path.key("description"))?;
        }
        match id {
            Some(id) => ids.push((expect_str(id, &component_path.key("id"))?, i)),
            None => return Err(XapiError::at(&component_path, "an interaction component must have an id")),
        }
    }
    // Sorted rather than compared pairwise, so a huge list cannot cost quadratic time.
    ids.sort_unstable();
    let repeated = ids.windows(2).filter(|pair| pair[0].0 == pair[1].0).map(|pair| pair[1]).min_by_key(|(_, i)| *i);
    match repeated {
        Some((id, i)) => {
            Err(XapiError::at(&path.index(i).key("id"), format!("{} is used twice in this list", quoted(id))))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::xapi::json::on_tree;
    use serde_json::json;

    fn activity(value: serde_json::Value) -> Result<String, String> {
        on_tree(&value, |tree| {
            validate_activity(tree, &Path::Root("object")).map(str::to_string).map_err(|e| e.message)
        })
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
                json!({"id": "http://x.example/a", "definition": {"interactionType": "choice", "choices": [{"id": "b"}, {"id": "a"}, {"id": "b"}, {"id": "a"}]}}),
                "object.definition.choices[2].id: \"b\" is used twice in this list",
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
