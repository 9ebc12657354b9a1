//! Statement comparison (Part 2 §2.3.1, "Statement Comparison Requirements"), used for the "same
//! id, different content" rule of Part 3 §2.1: differences the LRS itself could have caused are
//! ignored, every other difference counts.

use serde_json::{Map, Value};

use super::datatypes::canonical_mailto;
use super::time::{duration_for_comparison, format_timestamp, parse_timestamp};

/// True when two statements with the same id carry the same content. Ignored, as the
/// specification's exceptions to immutability require:
/// - the properties the LRS assigns: `id`, `stored`, `authority`, `version`, and `timestamp` when
///   either side lacks it (the LRS fills it in);
/// - timestamps written in different zones or precision for the same instant;
/// - Verb `display` and Activity `definition`s (not part of the statement itself);
/// - the order of Group members, single context activities vs arrays of one, property order,
///   `objectType` defaults (`Agent`, `Activity`) left out or spelled out;
/// - case where the specification makes it insignificant: the domain of `mbox` addresses,
///   `mbox_sha1sum` hex, UUIDs, language tags;
/// - number spelling (`1` vs `1.0`, differences beyond 12 significant digits), and duration
///   precision beyond 0.01 s.
///
/// Everything else, including agent names, results, responses and extension values, must match.
pub fn same_content(a: &Value, b: &Value) -> bool {
    let mut a = a.clone();
    let mut b = b.clone();
    if let (Value::Object(a_map), Value::Object(b_map)) = (&mut a, &mut b) {
        if !(a_map.contains_key("timestamp") && b_map.contains_key("timestamp")) {
            a_map.remove("timestamp");
            b_map.remove("timestamp");
        }
        normalise_statement(a_map, true);
        normalise_statement(b_map, true);
    }
    equal_values(&a, &b)
}

/// Structural equality where numbers are equal when they agree to 12 significant digits: the
/// spec only requires numbers to be kept at 32-bit float precision, and a decimal number read,
/// written and read again may come back one unit in the last place off.
fn equal_values(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
            _ => x == y,
        },
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| equal_values(x, y))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len() && xs.iter().all(|(key, x)| ys.get(key).is_some_and(|y| equal_values(x, y)))
        }
        _ => a == b,
    }
}

fn normalise_statement(map: &mut Map<String, Value>, top_level: bool) {
    if top_level {
        for assigned in ["id", "stored", "authority", "version"] {
            map.remove(assigned);
        }
    }
    if let Some(actor) = map.get_mut("actor") {
        normalise_actor(actor);
    }
    if let Some(Value::Object(verb)) = map.get_mut("verb") {
        verb.remove("display");
    }
    if let Some(Value::Object(object)) = map.get_mut("object") {
        match object.get("objectType").and_then(Value::as_str) {
            None | Some("Activity") => normalise_activity(object),
            Some("Agent" | "Group") => normalise_actor_map(object),
            Some("StatementRef") => lowercase(object.get_mut("id")),
            Some("SubStatement") => normalise_statement(object, false),
            Some(_) => {}
        }
    }
    if let Some(Value::Object(result)) = map.get_mut("result") {
        if let Some(Value::String(duration)) = result.get_mut("duration") {
            *duration = duration_for_comparison(duration);
        }
    }
    if let Some(Value::Object(context)) = map.get_mut("context") {
        normalise_context(context);
    }
    if let Some(Value::String(timestamp)) = map.get_mut("timestamp") {
        if let Some(time) = parse_timestamp(timestamp) {
            *timestamp = format_timestamp(&time);
        }
    }
}

fn normalise_context(context: &mut Map<String, Value>) {
    lowercase(context.get_mut("registration"));
    lowercase(context.get_mut("language"));
    if let Some(Value::Object(statement)) = context.get_mut("statement") {
        lowercase(statement.get_mut("id"));
    }
    for role in ["instructor", "team"] {
        if let Some(actor) = context.get_mut(role) {
            normalise_actor(actor);
        }
    }
    if let Some(Value::Object(kinds)) = context.get_mut("contextActivities") {
        for activities in kinds.values_mut() {
            if activities.is_object() {
                *activities = Value::Array(vec![activities.take()]);
            }
            if let Value::Array(list) = activities {
                for activity in list {
                    if let Value::Object(activity) = activity {
                        normalise_activity(activity);
                    }
                }
            }
        }
    }
}

fn normalise_activity(activity: &mut Map<String, Value>) {
    activity.remove("definition");
    activity.remove("objectType");
}

fn normalise_actor(actor: &mut Value) {
    if let Value::Object(map) = actor {
        normalise_actor_map(map);
    }
}

fn normalise_actor_map(map: &mut Map<String, Value>) {
    if map.get("objectType").and_then(Value::as_str) == Some("Agent") {
        map.remove("objectType");
    }
    if let Some(Value::String(mbox)) = map.get_mut("mbox") {
        *mbox = canonical_mailto(mbox);
    }
    lowercase(map.get_mut("mbox_sha1sum"));
    if let Some(Value::Array(members)) = map.get_mut("member") {
        members.iter_mut().for_each(normalise_actor);
        members.sort_by_cached_key(|member| member.to_string());
    }
}

fn lowercase(value: Option<&mut Value>) {
    if let Some(Value::String(text)) = value {
        text.make_ascii_lowercase();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
            "actor": {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@school.example"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
            "object": {"objectType": "Activity", "id": "https://items.lantern.example/item/1",
                       "definition": {"name": {"en-US": "Item 1"}}},
            "result": {"success": true, "response": "b", "duration": "PT42.123S", "score": {"scaled": 1}},
            "context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
                        "contextActivities": {"grouping": [{"id": "https://sis.lantern.example/classes/c-1"}]},
                        "team": {"objectType": "Group", "member": [{"mbox": "mailto:a@x.example"}, {"mbox": "mailto:b@x.example"}]}},
            "timestamp": "2026-09-03T09:14:22Z"
        })
    }

    fn with(change: impl FnOnce(&mut Value)) -> Value {
        let mut statement = base();
        change(&mut statement);
        statement
    }

    #[test]
    fn differences_the_lrs_could_have_caused_are_ignored() {
        let same = [
            with(|s| {
                s["stored"] = json!("2026-09-03T09:15:00Z");
                s["authority"] = json!({"mbox": "mailto:source@lrs.example"});
                s["version"] = json!("1.0.0");
            }),
            with(|s| {
                s.as_object_mut().unwrap().remove("id");
            }),
            with(|s| s["timestamp"] = json!("2026-09-03T11:14:22.000+02:00")),
            with(|s| {
                s.as_object_mut().unwrap().remove("timestamp");
            }),
            with(|s| s["actor"]["mbox"] = json!("mailto:ann@SCHOOL.example")),
            with(|s| {
                s["actor"].as_object_mut().unwrap().remove("objectType");
            }),
            with(|s| s["verb"]["display"] = json!({"fr": "a répondu"})),
            with(|s| s["object"]["definition"] = json!({"name": {"en-US": "Renamed"}})),
            with(|s| {
                s["object"].as_object_mut().unwrap().remove("objectType");
            }),
            with(|s| s["result"]["score"]["scaled"] = json!(1.0)),
            with(|s| s["result"]["score"]["scaled"] = json!(1.0 - 1e-15)),
            with(|s| s["result"]["duration"] = json!("PT42.129S")),
            with(|s| s["context"]["registration"] = json!("EC531277-B57B-4C15-8D91-D292C5B2B8F7")),
            with(|s| {
                s["context"]["contextActivities"]["grouping"] =
                    json!({"id": "https://sis.lantern.example/classes/c-1", "objectType": "Activity"})
            }),
            with(|s| {
                s["context"]["team"]["member"] = json!([{"mbox": "mailto:b@x.example"}, {"mbox": "mailto:a@X.example"}])
            }),
        ];
        for (i, other) in same.iter().enumerate() {
            assert!(same_content(&base(), other), "case {i}");
            assert!(same_content(other, &base()), "case {i} reversed");
        }
    }

    #[test]
    fn other_differences_count() {
        let different = [
            with(|s| s["timestamp"] = json!("2026-09-03T09:14:23Z")),
            with(|s| s["actor"]["mbox"] = json!("mailto:Ann@school.example")),
            with(|s| s["actor"]["name"] = json!("Anne")),
            with(|s| s["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/attempted")),
            with(|s| s["object"]["id"] = json!("https://items.lantern.example/item/2")),
            with(|s| s["result"]["success"] = json!(false)),
            with(|s| s["result"]["duration"] = json!("PT42.1S")),
            with(|s| s["result"]["score"]["scaled"] = json!(0.99)),
            with(|s| s["context"]["contextActivities"]["grouping"] = json!([])),
            with(|s| s["context"]["team"]["member"] = json!([{"mbox": "mailto:a@x.example"}])),
            with(|s| s["context"]["extensions"] = json!({"https://lantern.example/ext/seat": 4})),
            with(|s| {
                s.as_object_mut().unwrap().remove("result");
            }),
        ];
        for (i, other) in different.iter().enumerate() {
            assert!(!same_content(&base(), other), "case {i}");
            assert!(!same_content(other, &base()), "case {i} reversed");
        }
    }

    #[test]
    fn sub_statements_compare_their_own_timestamps() {
        let sub = |timestamp: &str| {
            with(|s| {
                s["object"] = json!({"objectType": "SubStatement",
                    "actor": {"mbox": "mailto:ann@school.example"},
                    "verb": {"id": "http://example.com/planned", "display": {"en": "planned"}},
                    "object": {"id": "http://example.com/website", "definition": {"name": {"en": "x"}}},
                    "timestamp": timestamp});
            })
        };
        assert!(same_content(&sub("2026-09-04T00:00:00Z"), &sub("2026-09-04T02:00:00+02:00")));
        assert!(!same_content(&sub("2026-09-04T00:00:00Z"), &sub("2026-09-05T00:00:00Z")));
    }
}
