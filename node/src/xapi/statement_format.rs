//! The `format` of returned statements (Part 3 §2.1.3): `exact` as stored, `ids` with Agents,
//! Groups, Activities and Verbs reduced to their identifiers, and `canonical` with every Activity
//! and Verb language map reduced to the one language the reader prefers (`Accept-Language`).

use serde_json::{Map, Value};

use super::agent::IFI_PROPERTIES;
use super::query::Format;

/// A stored statement in the requested format. `langs` are the reader's language ranges, most
/// preferred first (see [`parse_accept_language`]); only `canonical` uses them.
pub fn format_statement(statement: &Value, format: Format, langs: &[String]) -> Value {
    let mut out = statement.clone();
    if let Value::Object(map) = &mut out {
        match format {
            Format::Exact => {}
            Format::Ids => reduce_statement(map),
            Format::Canonical => canonicalise_statement(map, langs),
        }
    }
    out
}

/// The language ranges of an `Accept-Language` header, most preferred first (by `q`, then by
/// position); ranges with `q=0` and malformed entries are left out.
pub fn parse_accept_language(header: &str) -> Vec<String> {
    let mut ranges: Vec<(f32, usize, String)> = Vec::new();
    for (position, entry) in header.split(',').enumerate() {
        let mut parts = entry.split(';');
        let range = parts.next().unwrap_or("").trim();
        let valid_range = !range.is_empty()
            && (range == "*"
                || range
                    .split('-')
                    .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())));
        if !valid_range {
            continue;
        }
        let mut quality = 1.0f32;
        for parameter in parts {
            if let Some(q) = parameter.trim().strip_prefix("q=") {
                quality = q.trim().parse().unwrap_or(-1.0);
            }
        }
        if quality > 0.0 && quality <= 1.0 {
            ranges.push((quality, position, range.to_string()));
        }
    }
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.into_iter().map(|(_, _, range)| range).collect()
}

// ---- format=ids ----

fn reduce_statement(map: &mut Map<String, Value>) {
    for role in ["actor", "authority"] {
        if let Some(actor) = map.get_mut(role) {
            reduce_actor(actor);
        }
    }
    if let Some(Value::Object(verb)) = map.get_mut("verb") {
        verb.retain(|key, _| key == "id");
    }
    if let Some(Value::Object(object)) = map.get_mut("object") {
        match object.get("objectType").and_then(Value::as_str) {
            None | Some("Activity") => reduce_activity(object),
            Some("Agent" | "Group") => reduce_actor_map(object),
            Some("SubStatement") => reduce_statement(object),
            _ => {}
        }
    }
    if let Some(Value::Object(context)) = map.get_mut("context") {
        for role in ["instructor", "team"] {
            if let Some(actor) = context.get_mut(role) {
                reduce_actor(actor);
            }
        }
        for_each_context_activity(context, reduce_activity);
    }
}

fn reduce_activity(activity: &mut Map<String, Value>) {
    activity.retain(|key, _| key == "id" || key == "objectType");
}

fn reduce_actor(actor: &mut Value) {
    if let Value::Object(map) = actor {
        reduce_actor_map(map);
    }
}

/// Keeps `objectType` and the IFI; an anonymous Group keeps its members, each reduced.
fn reduce_actor_map(map: &mut Map<String, Value>) {
    let identified = IFI_PROPERTIES.iter().any(|p| map.contains_key(*p));
    map.retain(|key, _| {
        key == "objectType" || IFI_PROPERTIES.contains(&key.as_str()) || (!identified && key == "member")
    });
    if let Some(Value::Array(members)) = map.get_mut("member") {
        members.iter_mut().for_each(reduce_actor);
    }
}

// ---- format=canonical ----

fn canonicalise_statement(map: &mut Map<String, Value>, langs: &[String]) {
    if let Some(Value::Object(verb)) = map.get_mut("verb") {
        if let Some(display) = verb.get_mut("display") {
            keep_one_language(display, langs);
        }
    }
    if let Some(Value::Object(object)) = map.get_mut("object") {
        match object.get("objectType").and_then(Value::as_str) {
            None | Some("Activity") => canonicalise_activity(object, langs),
            Some("SubStatement") => canonicalise_statement(object, langs),
            _ => {}
        }
    }
    if let Some(Value::Object(context)) = map.get_mut("context") {
        for_each_context_activity(context, |activity| canonicalise_activity(activity, langs));
    }
}

fn canonicalise_activity(activity: &mut Map<String, Value>, langs: &[String]) {
    let Some(Value::Object(definition)) = activity.get_mut("definition") else {
        return;
    };
    for (key, value) in definition.iter_mut() {
        match key.as_str() {
            "name" | "description" => keep_one_language(value, langs),
            "choices" | "scale" | "source" | "target" | "steps" => {
                if let Value::Array(components) = value {
                    for component in components {
                        if let Some(description) = component.get_mut("description") {
                            keep_one_language(description, langs);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn keep_one_language(map: &mut Value, langs: &[String]) {
    let Value::Object(entries) = map else {
        return;
    };
    if let Some(chosen) = choose_language(entries, langs) {
        entries.retain(|tag, _| *tag == chosen);
    }
}

/// The tag to keep: for each range in order of preference, an exact match, then a tag the range
/// is a prefix of (RFC 2616 §14.4); then the same with each range truncated (`en-AU` → `en`, as
/// in RFC 4647 lookup, so an `en-AU` reader gets `en-US` rather than another language); otherwise
/// the first entry.
fn choose_language(entries: &Map<String, Value>, langs: &[String]) -> Option<String> {
    let tags: Vec<&String> = entries.keys().collect();
    let matches = |range: &str, tag: &str| {
        range == "*"
            || tag.eq_ignore_ascii_case(range)
            || (tag.len() > range.len()
                && tag.as_bytes()[range.len()] == b'-'
                && tag[..range.len()].eq_ignore_ascii_case(range))
    };
    let found = langs
        .iter()
        .find_map(|range| tags.iter().find(|tag| matches(range, tag)))
        .or_else(|| {
            langs.iter().find_map(|range| {
                let mut truncated = range.as_str();
                while let Some((head, _)) = truncated.rsplit_once('-') {
                    truncated = head;
                    if let Some(tag) = tags.iter().find(|tag| matches(truncated, tag)) {
                        return Some(tag);
                    }
                }
                None
            })
        })
        .or_else(|| tags.first());
    found.map(|tag| tag.to_string())
}

fn for_each_context_activity(context: &mut Map<String, Value>, mut apply: impl FnMut(&mut Map<String, Value>)) {
    if let Some(Value::Object(kinds)) = context.get_mut("contextActivities") {
        for list in kinds.values_mut() {
            if let Value::Array(activities) = list {
                for activity in activities {
                    if let Value::Object(activity) = activity {
                        apply(activity);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn stored() -> Value {
        json!({
            "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
            "actor": {"objectType": "Agent", "name": "Ann Lee", "mbox": "mailto:ann@school.example"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered", "es": "respondió"}},
            "object": {"objectType": "Activity", "id": "https://items.lantern.example/item/1",
                "definition": {"name": {"en-US": "Ratios", "en-GB": "Ratios (UK)", "es": "Razones"},
                               "interactionType": "choice",
                               "choices": [{"id": "a", "description": {"en-US": "two", "es": "dos"}}]}},
            "context": {
                "instructor": {"name": "Mr T", "account": {"homePage": "https://sis.example", "name": "t-1"}},
                "team": {"objectType": "Group", "name": "Table 3", "member": [{"name": "Bo", "mbox": "mailto:bo@school.example"}]},
                "contextActivities": {"grouping": [{"id": "https://sis.lantern.example/classes/c-1",
                    "definition": {"name": {"en": "Class 1"}}}]}
            },
            "authority": {"objectType": "Group", "mbox": "mailto:oauth@lrs.example", "member": [{"mbox": "mailto:app@lrs.example"}]},
            "stored": "2026-09-03T09:15:00Z"
        })
    }

    #[test]
    fn exact_returns_the_statement_unchanged() {
        assert_eq!(format_statement(&stored(), Format::Exact, &[]), stored());
    }

    #[test]
    fn ids_keeps_only_identifiers() {
        let ids = format_statement(&stored(), Format::Ids, &[]);
        assert_eq!(ids["actor"], json!({"objectType": "Agent", "mbox": "mailto:ann@school.example"}));
        assert_eq!(ids["verb"], json!({"id": "http://adlnet.gov/expapi/verbs/answered"}));
        assert_eq!(ids["object"], json!({"objectType": "Activity", "id": "https://items.lantern.example/item/1"}));
        assert_eq!(
            ids["context"]["instructor"],
            json!({"account": {"homePage": "https://sis.example", "name": "t-1"}})
        );
        assert_eq!(
            ids["context"]["team"],
            json!({"objectType": "Group", "member": [{"mbox": "mailto:bo@school.example"}]})
        );
        assert_eq!(
            ids["context"]["contextActivities"]["grouping"],
            json!([{"id": "https://sis.lantern.example/classes/c-1"}])
        );
        assert_eq!(ids["authority"], json!({"objectType": "Group", "mbox": "mailto:oauth@lrs.example"}));
        assert_eq!(ids["stored"], stored()["stored"]);
    }

    #[test]
    fn canonical_keeps_one_language_per_map() {
        let pick = |langs: &[&str]| {
            let langs: Vec<String> = langs.iter().map(|s| s.to_string()).collect();
            format_statement(&stored(), Format::Canonical, &langs)
        };
        let spanish = pick(&["es"]);
        assert_eq!(spanish["verb"]["display"], json!({"es": "respondió"}));
        assert_eq!(spanish["object"]["definition"]["name"], json!({"es": "Razones"}));
        assert_eq!(spanish["object"]["definition"]["choices"][0]["description"], json!({"es": "dos"}));
        assert_eq!(
            spanish["context"]["contextActivities"]["grouping"][0]["definition"]["name"],
            json!({"en": "Class 1"})
        );
        assert_eq!(spanish["actor"], stored()["actor"]);

        assert_eq!(pick(&["en-GB"])["object"]["definition"]["name"], json!({"en-GB": "Ratios (UK)"}));
        assert_eq!(pick(&["fr", "en"])["verb"]["display"], json!({"en-US": "answered"}));
        assert_eq!(pick(&["en-AU"])["verb"]["display"], json!({"en-US": "answered"}));
        assert_eq!(pick(&["EN-us"])["verb"]["display"], json!({"en-US": "answered"}));
        assert_eq!(pick(&[])["object"]["definition"]["name"].as_object().unwrap().len(), 1);
    }

    #[test]
    fn accept_language_orders_by_quality() {
        assert_eq!(parse_accept_language("da, en-gb;q=0.8, en;q=0.7"), ["da", "en-gb", "en"]);
        assert_eq!(parse_accept_language("en;q=0.5, es, fr;q=0, *;q=0.1"), ["es", "en", "*"]);
        assert_eq!(parse_accept_language("en_US, ;q=1, de;q=x"), Vec::<String>::new());
        assert!(parse_accept_language("").is_empty());
    }
}
