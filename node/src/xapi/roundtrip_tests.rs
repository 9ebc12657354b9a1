//! Property tests over generated valid statements (parse → serialise → parse is stable, and the
//! normalised statement has the same content as the original), and the ignored throughput check.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::*;

fn iri() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "http://adlnet.gov/expapi/verbs/",
            "https://items.lantern.example/item/",
            "urn:x-lantern:",
        ]),
        "[a-z0-9]{1,8}(/[A-Za-z0-9._~-]{1,8}){0,2}",
    )
        .prop_map(|(base, rest)| format!("{base}{rest}"))
}

fn uuid_text() -> impl Strategy<Value = String> {
    (any::<u128>(), any::<bool>()).prop_map(|(n, upper)| {
        let text = uuid::Uuid::from_u128(n).to_string();
        if upper {
            text.to_uppercase()
        } else {
            text
        }
    })
}

fn language_tag() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["en", "en-US", "EN-gb", "es-419", "zh-Hant-TW", "de-CH-1901", "x-lantern"])
        .prop_map(String::from)
}

fn language_map() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(language_tag(), "[ -~]{0,12}", 1..3)
        .prop_map(|map| Value::Object(map.into_iter().map(|(k, v)| (k, Value::String(v))).collect()))
}

fn agent() -> impl Strategy<Value = Value> {
    let ifi = prop_oneof![
        ("[a-z]{1,6}", "[a-zA-Z]{1,6}").prop_map(|(l, d)| ("mbox", json!(format!("mailto:{l}@{d}.example")))),
        "[0-9a-fA-F]{40}".prop_map(|h| ("mbox_sha1sum", json!(h))),
        "[a-z]{1,8}".prop_map(|o| ("openid", json!(format!("https://{o}.openid.example/")))),
        "[A-Za-z0-9 ._-]{1,12}"
            .prop_map(|n| ("account", json!({"homePage": "https://sis.lantern.example", "name": n}))),
    ];
    (ifi, proptest::option::of("[A-Za-z ]{0,10}"), any::<bool>()).prop_map(|((key, value), name, typed)| {
        let mut map = Map::new();
        map.insert(key.to_string(), value);
        if let Some(name) = name {
            map.insert("name".into(), json!(name));
        }
        if typed {
            map.insert("objectType".into(), json!("Agent"));
        }
        Value::Object(map)
    })
}

fn group() -> impl Strategy<Value = Value> {
    (prop::collection::vec(agent(), 1..4), proptest::option::of("[a-z]{1,6}")).prop_map(|(members, ifi)| {
        let mut map = Map::new();
        map.insert("objectType".into(), json!("Group"));
        map.insert("member".into(), Value::Array(members));
        if let Some(team) = ifi {
            map.insert("mbox".into(), json!(format!("mailto:{team}@teams.example")));
        }
        Value::Object(map)
    })
}

fn activity() -> impl Strategy<Value = Value> {
    let definition = (
        proptest::option::of(language_map()),
        proptest::option::of(prop::collection::btree_set("[a-e]", 1..4)),
        proptest::option::of(iri()),
    )
        .prop_map(|(name, choices, extension)| {
            let mut map = Map::new();
            if let Some(name) = name {
                map.insert("name".into(), name);
            }
            if let Some(choices) = choices {
                map.insert("interactionType".into(), json!("choice"));
                let first = choices.iter().next().cloned().unwrap_or_default();
                map.insert("correctResponsesPattern".into(), json!([first]));
                map.insert("choices".into(), Value::Array(choices.into_iter().map(|id| json!({"id": id})).collect()));
            }
            if let Some(key) = extension {
                map.insert("extensions".into(), json!({key: [1, "two", null]}));
            }
            Value::Object(map)
        });
    (iri(), proptest::option::of(definition), any::<bool>()).prop_map(|(id, definition, typed)| {
        let mut map = Map::new();
        map.insert("id".into(), json!(id));
        if let Some(definition) = definition {
            map.insert("definition".into(), definition);
        }
        if typed {
            map.insert("objectType".into(), json!("Activity"));
        }
        Value::Object(map)
    })
}

fn timestamp() -> impl Strategy<Value = String> {
    (0i64..4_000_000_000, 0u32..1000, -12i32..14, any::<bool>()).prop_map(|(seconds, millis, hours, zulu)| {
        let time = chrono::DateTime::from_timestamp(seconds, millis * 1_000_000).unwrap_or_default();
        if zulu || hours == 0 {
            time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
        } else {
            let offset =
                chrono::FixedOffset::east_opt(hours * 3600).unwrap_or(chrono::FixedOffset::east_opt(0).unwrap());
            time.with_timezone(&offset).format("%Y-%m-%dT%H:%M:%S%.f%:z").to_string()
        }
    })
}

fn result() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(any::<bool>()),
        proptest::option::of("[ -~]{0,10}"),
        proptest::option::of(-1.0f64..=1.0),
        proptest::option::of((0u32..100, 0u32..60)),
    )
        .prop_map(|(success, response, scaled, duration)| {
            let mut map = Map::new();
            if let Some(success) = success {
                map.insert("success".into(), json!(success));
            }
            if let Some(response) = response {
                map.insert("response".into(), json!(response));
            }
            if let Some(scaled) = scaled {
                map.insert("score".into(), json!({"scaled": scaled, "raw": 5, "min": 0, "max": 10}));
            }
            if let Some((minutes, seconds)) = duration {
                map.insert("duration".into(), json!(format!("PT{minutes}M{seconds}.25S")));
            }
            Value::Object(map)
        })
}

fn context() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(uuid_text()),
        prop::collection::vec(activity(), 0..3),
        any::<bool>(),
        proptest::option::of(agent()),
    )
        .prop_map(|(registration, parents, single, instructor)| {
            let mut map = Map::new();
            if let Some(registration) = registration {
                map.insert("registration".into(), json!(registration));
            }
            let parent = match (single, parents.first()) {
                (true, Some(first)) => first.clone(),
                _ => Value::Array(parents),
            };
            map.insert("contextActivities".into(), json!({"parent": parent}));
            if let Some(instructor) = instructor {
                map.insert("instructor".into(), instructor);
            }
            Value::Object(map)
        })
}

fn statement() -> impl Strategy<Value = Value> {
    let object = prop_oneof![
        3 => activity(),
        1 => agent().prop_map(|mut a| { a["objectType"] = json!("Agent"); a }),
        1 => group(),
        1 => uuid_text().prop_map(|id| json!({"objectType": "StatementRef", "id": id})),
    ];
    (
        proptest::option::of(uuid_text()),
        prop_oneof![agent(), group()],
        (iri(), proptest::option::of(language_map())),
        object,
        proptest::option::of(result()),
        proptest::option::of(context()),
        proptest::option::of(timestamp()),
    )
        .prop_map(|(id, actor, (verb_id, display), object, result, context, timestamp)| {
            let mut map = Map::new();
            if let Some(id) = id {
                map.insert("id".into(), json!(id));
            }
            map.insert("actor".into(), actor);
            let mut verb = json!({"id": verb_id});
            if let Some(display) = display {
                verb["display"] = display;
            }
            map.insert("verb".into(), verb);
            map.insert("object".into(), object);
            if let Some(result) = result {
                map.insert("result".into(), result);
            }
            if let Some(context) = context {
                map.insert("context".into(), context);
            }
            if let Some(timestamp) = timestamp {
                map.insert("timestamp".into(), json!(timestamp));
            }
            Value::Object(map)
        })
}

proptest! {
    // Failures are reported with their minimal input; no regression file is written outside src.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parse_serialise_parse_is_stable(original in statement()) {
        let first = parse_statements(original.to_string().as_bytes());
        prop_assert!(first.is_ok(), "{:?}\n{original:#}", first.err());
        let first = first.unwrap().remove(0);
        let second = parse_statements(first.json_text().as_bytes()).unwrap().remove(0);
        prop_assert_eq!(first.json_text(), second.json_text());
        prop_assert_eq!(first.core(), second.core());
        prop_assert_eq!(first.id(), second.id());
        let first_json = first.to_json();
        prop_assert!(same_content(&original, &first_json));
        for format in [Format::Ids, Format::Canonical] {
            let formatted = format_statement(&first_json, format, &["en".to_string()]);
            prop_assert!(parse_statements(formatted.to_string().as_bytes()).is_ok(), "{:?} not valid", format);
        }
    }
}

/// Measures validation throughput on synth-shaped statements in batches of 100. Run with
/// optimisations: `CARGO_PROFILE_DEV_OPT_LEVEL=3 cargo test -p lantern-node --lib -- --ignored
/// validation_throughput --nocapture`.
#[test]
#[ignore]
fn validation_throughput() {
    let batch: Vec<Value> = (0..100)
        .map(|i| {
            json!({"id": uuid::Uuid::from_u128(0x1000 + i).to_string(),
                "actor": {"objectType": "Agent", "account": {"homePage": "https://sis.lantern.example", "name": format!("stu-{i:04}")}},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
                "object": {"objectType": "Activity", "id": format!("https://items.lantern.example/item/6.RP.A.1/{i:03}"),
                           "definition": {"type": "http://adlnet.gov/expapi/activities/cmi.interaction", "interactionType": "choice"}},
                "result": {"success": i % 3 != 0, "response": "b", "duration": "PT42S"},
                "context": {"registration": "7d0e3f5a-9c1b-4e2d-8f3a-6b5c4d3e2f10",
                            "contextActivities": {"grouping": [{"id": "https://items.lantern.example/quiz/6.RP.A.1"},
                                                                {"id": "https://sis.lantern.example/classes/cls-6a"}]}},
                "timestamp": "2026-09-03T09:14:22Z"})
        })
        .collect();
    let body = serde_json::to_vec(&batch).unwrap();
    let rounds: usize = std::env::var("XAPI_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(2_000);
    let cpu_start = thread_cpu_nanos();
    let start = std::time::Instant::now();
    let mut count = 0;
    for _ in 0..rounds {
        count += parse_statements(&body).unwrap().len();
    }
    let elapsed = start.elapsed();
    let cpu_seconds = thread_cpu_nanos().zip(cpu_start).map(|(end, start)| (end - start) as f64 / 1e9);
    let per_second = count as f64 / elapsed.as_secs_f64();
    let per_cpu_second = cpu_seconds.map_or(per_second, |cpu| count as f64 / cpu);
    println!(
        "validated {count} statements ({} bytes each) in {elapsed:?}: {per_second:.0} statements/s wall clock, \
         {per_cpu_second:.0} per second of this thread's CPU time",
        body.len() / 100
    );
    if !cfg!(debug_assertions) {
        assert!(per_cpu_second > 200_000.0, "{per_cpu_second:.0} statements/s");
    }
}

/// Nanoseconds this thread has run on a CPU (Linux), so a loaded machine does not skew the figure.
fn thread_cpu_nanos() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
