//! The table of valid and invalid statements: every Part 2 rule `parse_statements` enforces, each
//! invalid case with the exact message (and so the JSON path) and status it must produce.

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use super::*;

/// The synth statement shape fixed by the lead, a known-valid example.
fn synth() -> Value {
    json!({
        "id": "0f6c3a39-2b36-4a4c-9d4e-3a8f1a0e9b11",
        "actor": {"objectType": "Agent", "account": {"homePage": "https://sis.lantern.example", "name": "stu-0001"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {"objectType": "Activity", "id": "https://items.lantern.example/item/6.RP.A.1/003",
                   "definition": {"type": "http://adlnet.gov/expapi/activities/cmi.interaction", "interactionType": "choice"}},
        "result": {"success": true, "response": "b", "duration": "PT42S"},
        "context": {"registration": "7d0e3f5a-9c1b-4e2d-8f3a-6b5c4d3e2f10",
                    "contextActivities": {"grouping": [{"id": "https://items.lantern.example/quiz/6.RP.A.1"},
                                                        {"id": "https://sis.lantern.example/classes/cls-6a"}]}},
        "timestamp": "2026-09-03T09:14:22Z"
    })
}

fn parse_one(statement: &Value) -> Result<Statement, XapiError> {
    parse_statements(statement.to_string().as_bytes()).map(|mut all| all.remove(0))
}

/// The statement with `change` applied at a JSON pointer (`None` removes the property).
fn edit(pointer: &str, change: Option<Value>) -> Value {
    let mut statement = synth();
    let (parent, key) = pointer.rsplit_once('/').expect("test pointers have a parent");
    let target = statement.pointer_mut(parent).expect("test pointers exist");
    match (target, change) {
        (Value::Object(map), Some(value)) => {
            map.insert(key.to_string(), value);
        }
        (Value::Object(map), None) => {
            map.remove(key);
        }
        (Value::Array(items), Some(value)) => items[key.parse::<usize>().expect("array index")] = value,
        _ => panic!("bad test pointer {pointer}"),
    }
    statement
}

#[test]
fn the_synth_statement_is_valid_and_typed() {
    let statement = parse_one(&synth()).unwrap();
    assert_eq!(statement.id(), Some(Uuid::parse_str("0f6c3a39-2b36-4a4c-9d4e-3a8f1a0e9b11").unwrap()));
    assert_eq!(statement.actor_key().unwrap().as_str(), "account:https://sis.lantern.example|stu-0001");
    assert_eq!(statement.verb_id(), "http://adlnet.gov/expapi/verbs/answered");
    assert_eq!(statement.object().kind(), ObjectKind::Activity);
    assert_eq!(statement.object().id().as_deref(), Some("https://items.lantern.example/item/6.RP.A.1/003"));
    assert_eq!(statement.result().duration_seconds, Some(42.0));
    assert_eq!(statement.context().activities.grouping.len(), 2);
    assert_eq!(statement.timestamp(), Some(Utc.with_ymd_and_hms(2026, 9, 3, 9, 14, 22).unwrap()));
    assert_eq!(statement.voids(), None);
    assert_eq!(statement.to_json(), synth());
    assert_eq!(statement.json_text(), synth().to_string());
}

#[test]
fn spec_examples_are_valid() {
    let examples = [
        json!({"id": "12345678-1234-5678-1234-567812345678", "actor": {"mbox": "mailto:xapi@adlnet.gov"},
               "verb": {"id": "http://adlnet.gov/expapi/verbs/created", "display": {"en-US": "created"}},
               "object": {"id": "http://example.adlnet.gov/xapi/example/activity"}}),
        json!({"actor": {"objectType": "Agent", "name": "Example Admin", "mbox": "mailto:admin@example.adlnet.gov"},
               "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
               "object": {"objectType": "StatementRef", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0"}}),
        json!({"actor": {"objectType": "Agent", "mbox": "mailto:test@example.com"},
               "verb": {"id": "http://example.com/planned", "display": {"en-US": "planned"}},
               "object": {"objectType": "SubStatement",
                          "actor": {"objectType": "Agent", "mbox": "mailto:test@example.com"},
                          "verb": {"id": "http://example.com/visited", "display": {"en-US": "will visit"}},
                          "object": {"objectType": "Activity", "id": "http://example.com/website",
                                     "definition": {"name": {"en-US": "Some Awesome Website"}}},
                          "timestamp": "2099-01-01T00:00:00Z"}}),
        json!({"actor": {"mbox": "mailto:andrew@example.com"}, "verb": {"id": "http://example.com/interviewed"},
               "object": {"objectType": "Agent", "name": "Jeff", "mbox": "mailto:jeff@example.com"}}),
        json!({
            "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
            "actor": {"name": "Team PB", "mbox": "mailto:teampb@example.com", "objectType": "Group", "member": [
                {"name": "Andrew Downes", "account": {"homePage": "http://www.example.com", "name": "13936749"}, "objectType": "Agent"},
                {"name": "Toby Nichols", "openid": "http://toby.openid.example.org/", "objectType": "Agent"},
                {"name": "Ena Hills", "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9", "objectType": "Agent"}]},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-GB": "attended", "en-US": "attended"}},
            "result": {"extensions": {"http://example.com/profiles/meetings/resultextensions/minuteslocation": "X:\\meetings\\minutes\\examplemeeting.one"},
                       "success": true, "completion": true, "response": "We agreed on some example actions.", "duration": "PT1H0M0S"},
            "context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
                "contextActivities": {"parent": [{"id": "http://www.example.com/meetings/series/267", "objectType": "Activity"}],
                    "category": [{"id": "http://www.example.com/meetings/categories/teammeeting", "objectType": "Activity",
                        "definition": {"name": {"en": "team meeting"}, "description": {"en": "A category of meeting used for regular team meetings."},
                                       "type": "http://example.com/expapi/activities/meetingcategory"}}],
                    "other": [{"id": "http://www.example.com/meetings/occurances/34257", "objectType": "Activity"}]},
                "instructor": {"name": "Andrew Downes", "account": {"homePage": "http://www.example.com", "name": "13936749"}, "objectType": "Agent"},
                "team": {"name": "Team PB", "mbox": "mailto:teampb@example.com", "objectType": "Group"},
                "platform": "Example virtual meeting software", "language": "tlh",
                "statement": {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}},
            "timestamp": "2013-05-18T05:32:34.804+00:00",
            "stored": "2013-05-18T05:32:34.804+00:00",
            "authority": {"account": {"homePage": "http://cloud.scorm.com/", "name": "anonymous"}, "objectType": "Agent"},
            "version": "1.0.0",
            "object": {"id": "http://www.example.com/meetings/occurances/34534",
                "definition": {"extensions": {"http://example.com/profiles/meetings/activitydefinitionextensions/room": {"name": "Kilby", "id": "http://example.com/rooms/342"}},
                    "name": {"en-GB": "example meeting", "en-US": "example meeting"},
                    "type": "http://adlnet.gov/expapi/activities/meeting", "moreInfo": "http://virtualmeeting.example.com/345256"},
                "objectType": "Activity"}
        }),
        json!({"actor": {"mbox": "mailto:a@b.example"}, "verb": {"id": "http://example.com/confirmed"},
               "object": {"objectType": "SubStatement", "actor": {"objectType": "Agent", "mbox": "mailto:agent@example.com"},
                          "verb": {"id": "http://example.com/confirmed", "display": {"en": "confirmed"}},
                          "object": {"objectType": "StatementRef", "id": "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"}}}),
        json!({"actor": {"mbox": "mailto:a@b.example"}, "verb": {"id": "http://example.com/v"}, "object": {"id": "http://example.com/o"},
               "authority": {"objectType": "Group", "member": [
                   {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}},
                   {"mbox": "mailto:bob@example.com"}]}}),
    ];
    for (i, example) in examples.iter().enumerate() {
        assert!(parse_one(example).is_ok(), "example {i}: {:?}", parse_one(example).err());
    }
}

#[test]
fn valid_variations_of_the_synth_statement() {
    let valid = [
        edit("/id", None),
        edit("/timestamp", None),
        edit("/result", None),
        edit("/context", None),
        edit("/verb/display", None),
        edit("/object/objectType", None),
        edit("/actor/objectType", None),
        edit("/version", Some(json!("1.0.3"))),
        edit("/result/score", Some(json!({"scaled": -1, "raw": 0, "min": 0, "max": 1}))),
        edit("/result/extensions", Some(json!({"https://lantern.example/ext/x": null}))),
        edit("/context/contextActivities/parent", Some(json!({"id": "https://items.lantern.example/quiz/q"}))),
        edit("/context/language", Some(json!("es-419"))),
        edit("/context/revision", Some(json!("3"))),
        edit("/timestamp", Some(json!("2026-09-03T11:14:22.5+02:00"))),
        edit("/stored", Some(json!("2026-09-03T09:14:22Z"))),
        edit("/authority", Some(json!({"mbox": "mailto:lms@school.example"}))),
    ];
    for (i, statement) in valid.iter().enumerate() {
        assert!(parse_one(statement).is_ok(), "case {i}: {:?}", parse_one(statement).err());
    }
}

#[test]
fn invalid_statements_name_the_path() {
    let attachment = json!([{"usageType": "http://adlnet.gov/expapi/attachments/signature", "display": {"en": "sig"},
                             "contentType": "application/octet-stream", "length": 1, "sha2": "ab"}]);
    let cases: Vec<(Value, &str)> = vec![
        // statement level
        (edit("/actor", None), "statement: a statement must have \"actor\""),
        (edit("/verb", None), "statement: a statement must have \"verb\""),
        (edit("/object", None), "statement: a statement must have \"object\""),
        (edit("/id", Some(json!("not-a-uuid"))), "statement.id: must be a UUID in standard form (8-4-4-4-12 hex digits), found \"not-a-uuid\""),
        (edit("/id", Some(json!(null))), "statement.id: must be a string, found null"),
        (edit("/Actor", Some(json!({}))), "statement: unknown property \"Actor\" (a Statement may have: id, actor, verb, object, result, context, timestamp, stored, authority, version)"),
        (edit("/attachments", Some(attachment)), "statement.attachments: this LRS does not accept attachments; send the statement without the attachments property"),
        (edit("/attachments", Some(json!([]))), "statement.attachments: this LRS does not accept attachments; send the statement without the attachments property"),
        (edit("/version", Some(json!("1.1.0"))), "statement.version: must be a 1.0.x version, found \"1.1.0\""),
        (edit("/version", Some(json!("2.0.0"))), "statement.version: must be a 1.0.x version, found \"2.0.0\""),
        (edit("/version", Some(json!(1.0))), "statement.version: must be a string, found a number"),
        (edit("/timestamp", Some(json!("2026-09-03T09:14:22"))), "statement.timestamp: must be an ISO 8601 timestamp with a time zone, such as \"2026-09-03T09:14:22Z\", found \"2026-09-03T09:14:22\""),
        (edit("/timestamp", Some(json!("01/011/2015"))), "statement.timestamp: must be an ISO 8601 timestamp with a time zone, such as \"2026-09-03T09:14:22Z\", found \"01/011/2015\""),
        (edit("/stored", Some(json!("yesterday"))), "statement.stored: must be an ISO 8601 timestamp with a time zone, such as \"2026-09-03T09:14:22Z\", found \"yesterday\""),
        (edit("/authority", Some(json!({"objectType": "Group", "member": [{"mbox": "mailto:a@b.example"}]}))), "statement.authority: an authority Group must have exactly two Agents (3-legged OAuth), found 1"),
        (edit("/authority", Some(json!({"name": "lms"}))), "statement.authority: an Agent must have exactly one inverse functional identifier, found 0"),
        // actor
        (edit("/actor/mbox", Some(json!("mailto:a@b.example"))), "statement.actor: an Agent must have exactly one inverse functional identifier, found 2 (mbox, account)"),
        (edit("/actor/account", None), "statement.actor: an Agent must have exactly one inverse functional identifier, found 0"),
        (edit("/actor/account/name", None), "statement.actor.account: an account must have a name"),
        (edit("/actor/account/homePage", Some(json!("sis.lantern.example"))), "statement.actor.account.homePage: must be an IRL with a scheme, found \"sis.lantern.example\""),
        (edit("/actor/objectType", Some(json!("Person"))), "statement.actor.objectType: must be \"Agent\" or \"Group\", found \"Person\""),
        (edit("/actor/role", Some(json!("student"))), "statement.actor: unknown property \"role\" (an Agent may have: objectType, name, mbox, mbox_sha1sum, openid, account)"),
        (edit("/actor", Some(json!("stu-0001"))), "statement.actor: must be an Agent or Group (an object), found a string"),
        // verb
        (edit("/verb/id", None), "statement.verb: a Verb must have an id"),
        (edit("/verb/id", Some(json!("answered"))), "statement.verb.id: must be an absolute IRI with a scheme, found \"answered\""),
        (edit("/verb/id", Some(json!(""))), "statement.verb.id: must be an absolute IRI with a scheme, found \"\""),
        (edit("/verb/display", Some(json!({"en-US": null}))), "statement.verb.display[\"en-US\"]: must be a string, found null"),
        (edit("/verb/display", Some(json!({"en US": "answered"}))), "statement.verb.display: \"en US\" is not an RFC 5646 language tag"),
        (edit("/verb/display", Some(json!("answered"))), "statement.verb.display: must be a language map (an object), found a string"),
        (edit("/verb/name", Some(json!({"en": "x"}))), "statement.verb: unknown property \"name\" (a Verb may have: id, display)"),
        // object
        (edit("/object/objectType", Some(json!("activity"))), "statement.object.objectType: must be \"Activity\", \"Agent\", \"Group\", \"StatementRef\" or \"SubStatement\", found \"activity\""),
        (edit("/object", Some(json!({"mbox": "mailto:a@b.example"}))), "statement.object: an Agent or Group used as a statement's object must have objectType \"Agent\" or \"Group\""),
        (edit("/object", Some(json!({"objectType": "StatementRef", "id": "abc"}))), "statement.object.id: must be a UUID in standard form (8-4-4-4-12 hex digits), found \"abc\""),
        (edit("/object", Some(json!({"objectType": "StatementRef"}))), "statement.object: a StatementRef must have an id"),
        (edit("/object", Some(json!({"objectType": "StatementRef", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0", "definition": {}}))), "statement.object: unknown property \"definition\" (a StatementRef may have: objectType, id)"),
        (edit("/object/definition/interactionType", Some(json!("Choice"))), "statement.object.definition.interactionType: must be one of true-false, choice, fill-in, long-fill-in, matching, performance, sequencing, likert, numeric, other, found \"Choice\""),
        // voiding
        (edit("/verb/id", Some(json!(VOIDED_VERB))), "statement.object: a voiding statement (verb http://adlnet.gov/expapi/verbs/voided) must have a StatementRef object"),
        // sub-statements
        (edit("/object", Some(json!({"objectType": "SubStatement", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0", "actor": {"mbox": "mailto:a@b.example"}, "verb": {"id": "http://x.example/v"}, "object": {"id": "http://x.example/o"}}))), "statement.object: a SubStatement must not have \"id\""),
        (edit("/object", Some(json!({"objectType": "SubStatement", "actor": {"mbox": "mailto:a@b.example"}, "verb": {"id": "http://x.example/v"}, "object": {"id": "http://x.example/o"}, "stored": "2026-09-03T09:14:22Z"}))), "statement.object: a SubStatement must not have \"stored\""),
        (edit("/object", Some(json!({"objectType": "SubStatement", "actor": {"mbox": "mailto:a@b.example"}, "verb": {"id": "http://x.example/v"}, "object": {"id": "http://x.example/o"}, "authority": {"mbox": "mailto:a@b.example"}}))), "statement.object: a SubStatement must not have \"authority\""),
        (edit("/object", Some(json!({"objectType": "SubStatement", "actor": {"mbox": "mailto:a@b.example"}, "verb": {"id": "http://x.example/v"}, "object": {"id": "http://x.example/o"}, "version": "1.0.0"}))), "statement.object: a SubStatement must not have \"version\""),
        (edit("/object", Some(json!({"objectType": "SubStatement", "actor": {"mbox": "mailto:a@b.example"}, "verb": {"id": "http://x.example/v"},
            "object": {"objectType": "SubStatement", "actor": {"mbox": "mailto:a@b.example"}, "verb": {"id": "http://x.example/v"}, "object": {"id": "http://x.example/o"}}}))),
            "statement.object.object: a SubStatement must not contain another SubStatement"),
        (edit("/object", Some(json!({"objectType": "SubStatement", "actor": {"mbox": "mailto:a@b.example"}, "object": {"id": "http://x.example/o"}}))), "statement.object: a statement must have \"verb\""),
        (edit("/object", Some(json!({"objectType": "SubStatement", "actor": {"mbox": "mailto:a@b.example"}, "verb": {"id": "http://x.example/v"}, "object": {"id": "o"}}))), "statement.object.object.id: must be an absolute IRI with a scheme, found \"o\""),
        (edit("/object", Some(json!({"objectType": "SubStatement", "actor": {"mbox": "mailto:a@b.example"}, "verb": {"id": "http://x.example/v"}, "object": {"id": "http://x.example/o"}, "note": 1}))), "statement.object: unknown property \"note\" (a SubStatement may have: objectType, actor, verb, object, result, context, timestamp)"),
        // result
        (edit("/result/score", Some(json!({"scaled": 2}))), "statement.result.score.scaled: must be between -1 and 1, found 2"),
        (edit("/result/score", Some(json!({"raw": 5, "min": 10, "max": 20}))), "statement.result.score.raw: must be between min and max, found 5 (min 10, max 20)"),
        (edit("/result/score", Some(json!({"min": 3, "max": 1}))), "statement.result.score: min (3) must be less than max (1)"),
        (edit("/result/success", Some(json!("true"))), "statement.result.success: must be true or false, found a string"),
        (edit("/result/duration", Some(json!("42"))), "statement.result.duration: must be an ISO 8601 duration such as \"PT42S\" or \"PT1H30M\", found \"42\""),
        (edit("/result/extensions", Some(json!({"score": 1}))), "statement.result.extensions: extension key \"score\" is not an absolute IRI"),
        // context
        (edit("/context/registration", Some(json!("7d0e3f5a9c1b4e2d8f3a6b5c4d3e2f10"))), "statement.context.registration: must be a UUID in standard form (8-4-4-4-12 hex digits), found \"7d0e3f5a9c1b4e2d8f3a6b5c4d3e2f10\""),
        (edit("/context/contextActivities/grouping/1", Some(json!({"id": "cls-6a"}))), "statement.context.contextActivities.grouping[1].id: must be an absolute IRI with a scheme, found \"cls-6a\""),
        (edit("/context/contextActivities/class", Some(json!([]))), "statement.context.contextActivities: unknown property \"class\" (contextActivities may have: parent, grouping, category, other)"),
        (edit("/context/instructor", Some(json!({"mbox": "mailto:t@b.example", "openid": "http://t.example/"}))), "statement.context.instructor: an Agent must have exactly one inverse functional identifier, found 2 (mbox, openid)"),
        (edit("/context/team", Some(json!({"mbox": "mailto:t@b.example"}))), "statement.context.team: a Group must have objectType \"Group\""),
        (edit("/context/language", Some(json!("en-"))), "statement.context.language: \"en-\" is not an RFC 5646 language tag"),
        (edit("/context/statement", Some(json!({"objectType": "StatementRef", "id": null}))), "statement.context.statement.id: must be a string, found null"),
        (edit("/context/extensions", Some(json!([]))), "statement.context.extensions: must be an extensions map (an object), found an array"),
    ];
    for (statement, message) in cases {
        let error = parse_one(&statement).unwrap_err();
        assert_eq!(error.status, 400, "{message}");
        assert_eq!(error.message, message);
    }
}

#[test]
fn context_revision_and_platform_need_an_activity_object() {
    let mut statement = synth();
    statement["object"] = json!({"objectType": "Agent", "mbox": "mailto:peer@school.example"});
    statement["context"]["platform"] = json!("Lantern");
    assert_eq!(
        parse_one(&statement).unwrap_err().message,
        "statement.context.platform: platform is only allowed when the statement's object is an Activity"
    );
}

#[test]
fn batches_report_the_index_of_the_bad_statement() {
    let mut bad = synth();
    bad["actor"]["mbox"] = json!("mailto:x@y.example");
    bad["id"] = json!("1f6c3a39-2b36-4a4c-9d4e-3a8f1a0e9b11");
    let batch = json!([synth(), edit("/id", None), edit("/id", None), bad]);
    let error = parse_statements(batch.to_string().as_bytes()).unwrap_err();
    assert_eq!(
        error.message,
        "statement[3].actor: an Agent must have exactly one inverse functional identifier, found 2 (mbox, account)"
    );
    let not_objects = parse_statements(br#"[{"actor": {}}, 3]"#).unwrap_err();
    assert_eq!(
        not_objects.message,
        "statement[0].actor: an Agent must have exactly one inverse functional identifier, found 0"
    );
    let number = parse_statements(br#"[3]"#).unwrap_err();
    assert_eq!(number.message, "statement[0]: must be a Statement (an object), found a number");
}

#[test]
fn batch_level_errors() {
    let upper = edit("/id", Some(json!("0F6C3A39-2B36-4A4C-9D4E-3A8F1A0E9B11")));
    let duplicate = json!([synth(), edit("/id", None), upper]);
    let error = parse_statements(duplicate.to_string().as_bytes()).unwrap_err();
    assert_eq!(
        (error.status, error.message.as_str()),
        (400, "statement[2].id: the same id as statement[0] in one batch")
    );

    let error = parse_statements(b"{\"actor\": ").unwrap_err();
    assert_eq!(error.status, 400);
    assert!(error.message.starts_with("the request body is not valid JSON: EOF while parsing"), "{}", error.message);
    assert_eq!(
        parse_statements(b"\"statement\"").unwrap_err().message,
        "the request body must be a statement object or an array of statements"
    );
    assert!(parse_statements(b"[]").unwrap().is_empty());
    let batch = json!([synth(), edit("/id", None), edit("/id", None)]);
    assert_eq!(parse_statements(batch.to_string().as_bytes()).unwrap().len(), 3);
}

#[test]
fn validation_normalises_what_the_lrs_returns() {
    let mut statement = synth();
    statement["id"] = json!("0F6C3A39-2B36-4A4C-9D4E-3A8F1A0E9B11");
    statement["timestamp"] = json!("2026-09-03T11:14:22.120+02:00");
    statement["context"]["contextActivities"]["parent"] = json!({"id": "https://items.lantern.example/quiz/q"});
    let parsed = parse_one(&statement).unwrap();
    let json = parsed.to_json();
    assert_eq!(json["id"], "0f6c3a39-2b36-4a4c-9d4e-3a8f1a0e9b11");
    assert_eq!(json["timestamp"], "2026-09-03T09:14:22.120Z");
    assert_eq!(json["context"]["contextActivities"]["parent"], json!([{"id": "https://items.lantern.example/quiz/q"}]));
    assert_eq!(parsed.context().activities.parent, ["https://items.lantern.example/quiz/q"]);
    assert!(same_content(&json, &statement));
}

#[test]
fn a_voiding_statement_names_its_target() {
    let target = "e05aa883-acaf-40ad-bf54-02c8ce485fb0";
    let voiding = json!({"actor": {"mbox": "mailto:admin@school.example"}, "verb": {"id": VOIDED_VERB},
                         "object": {"objectType": "StatementRef", "id": target}});
    let statement = parse_one(&voiding).unwrap();
    assert_eq!(statement.voids(), Some(Uuid::parse_str(target).unwrap()));
    assert_eq!(statement.object().kind(), ObjectKind::StatementRef);
    let mut referring = voiding.clone();
    referring["verb"]["id"] = json!("http://example.com/commented");
    assert_eq!(parse_one(&referring).unwrap().voids(), None);
}

#[test]
fn finalize_sets_what_the_lrs_assigns() {
    let stored = Utc.timestamp_nanos(1_788_426_900_123_456_789);
    let authority = json!({"objectType": "Agent", "account": {"homePage": "https://node.lantern.example", "name": "source:quizapp"}});
    let new_id = Uuid::parse_str("11111111-2222-4333-8444-555555555555").unwrap();

    let mut bare = parse_one(&{
        let mut s = edit("/id", None);
        s.as_object_mut().unwrap().remove("timestamp");
        s["stored"] = json!("2020-01-01T00:00:00Z");
        s["authority"] = json!({"mbox": "mailto:claims@elsewhere.example"});
        s
    })
    .unwrap();
    bare.finalize(new_id, stored, authority.clone());
    assert_eq!(bare.id(), Some(new_id));
    assert_eq!(bare.to_json()["id"], "11111111-2222-4333-8444-555555555555");
    assert_eq!(bare.to_json()["stored"], "2026-09-03T09:15:00.123456789Z");
    assert_eq!(bare.to_json()["timestamp"], bare.to_json()["stored"]);
    assert_eq!(bare.timestamp(), Some(stored));
    assert_eq!(bare.stored(), Some(stored));
    assert_eq!(bare.to_json()["authority"], authority);
    assert_eq!(
        bare.authority().unwrap().ifi().unwrap().as_str(),
        "account:https://node.lantern.example|source:quizapp"
    );
    assert_eq!(bare.to_json()["version"], DEFAULT_STATEMENT_VERSION);

    let mut full = parse_one(&edit("/version", Some(json!("1.0.3")))).unwrap();
    full.finalize(new_id, stored, authority);
    assert_eq!(full.id().unwrap().to_string(), "0f6c3a39-2b36-4a4c-9d4e-3a8f1a0e9b11");
    assert_eq!(full.to_json()["timestamp"], "2026-09-03T09:14:22Z");
    assert_eq!(full.to_json()["version"], "1.0.3");
    assert!(same_content(&full.to_json(), &synth()));
}

#[test]
fn repeated_and_misplaced_properties_are_rejected() {
    let body = r#"{"actor": {"mbox": "mailto:a@b.example"}, "verb": {"id": "http://x.example/v"},
                   "object": {"id": "http://x.example/o"}, "actor": {"mbox": "mailto:c@b.example"}}"#;
    assert_eq!(
        parse_statements(body.as_bytes()).unwrap_err().message,
        "statement: property \"actor\" is given more than once"
    );
    let nested = r#"[{"actor": {"mbox": "mailto:a@b.example", "mbox": "mailto:a@b.example"}, "verb": {"id": "http://x.example/v"},
                     "object": {"id": "http://x.example/o"}}]"#;
    assert_eq!(
        parse_statements(nested.as_bytes()).unwrap_err().message,
        "statement[0].actor: property \"mbox\" is given more than once"
    );
    assert_eq!(
        parse_one(&edit("/objectType", Some(json!("Statement")))).unwrap_err().message,
        "statement: unknown property \"objectType\" (a Statement may have: id, actor, verb, object, result, context, \
         timestamp, stored, authority, version)"
    );
}

#[test]
fn sub_statements_are_normalised_too() {
    let mut statement = synth();
    statement["object"] = json!({"objectType": "SubStatement",
        "actor": {"mbox": "mailto:a@school.example"}, "verb": {"id": "http://example.com/will-answer"},
        "object": {"id": "https://items.lantern.example/item/1"},
        "context": {"contextActivities": {"parent": {"id": "https://items.lantern.example/quiz/q"}}},
        "timestamp": "2026-09-10T10:00:00+01:00"});
    statement["context"].as_object_mut().unwrap().remove("platform");
    let parsed = parse_one(&statement).unwrap();
    let json = parsed.to_json();
    assert_eq!(json["object"]["timestamp"], "2026-09-10T09:00:00Z");
    assert_eq!(
        json["object"]["context"]["contextActivities"]["parent"],
        json!([{"id": "https://items.lantern.example/quiz/q"}])
    );
    assert_eq!(json["timestamp"], "2026-09-03T09:14:22Z");
    assert!(same_content(&json, &statement));
}

#[test]
fn finalize_writes_each_property_once_and_keeps_the_text_valid() {
    let pretty = serde_json::to_string_pretty(&edit("/id", None)).unwrap() + "\n\n";
    let mut statement = parse_statements(pretty.as_bytes()).unwrap().remove(0);
    assert_eq!(statement.json_text(), pretty.trim(), "the text is kept as sent");
    let stored = Utc.with_ymd_and_hms(2026, 9, 3, 9, 15, 0).unwrap();
    statement.finalize(Uuid::nil(), stored, json!({"mbox": "mailto:lms@school.example"}));
    let text = statement.json_text();
    let Ok(json::Json::Object(properties)) = json::Json::parse(text) else {
        panic!("the finalized text is a JSON object: {text}");
    };
    let mut keys: Vec<&str> = properties.iter().map(|(key, _)| key.as_ref()).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["actor", "authority", "context", "id", "object", "result", "stored", "timestamp", "verb", "version"]
    );
    let again = parse_statements(text.as_bytes()).unwrap().remove(0);
    assert_eq!(again.id(), Some(Uuid::nil()));
    assert_eq!(again.timestamp(), Some(Utc.with_ymd_and_hms(2026, 9, 3, 9, 14, 22).unwrap()));
    assert_eq!(again.to_json()["stored"], "2026-09-03T09:15:00Z");
}

#[test]
fn non_utf8_and_non_json_bodies_are_400s() {
    let error = parse_statements(&[b'{', 0xff, b'}']).unwrap_err();
    assert_eq!(error.status, 400);
    assert!(error.message.starts_with("the request body is not UTF-8 text"), "{}", error.message);
    let error = parse_statements(b"\xef\xbb\xbf{}").unwrap_err();
    assert!(error.message.starts_with("the request body is not valid JSON"), "{}", error.message);
    assert_eq!(
        parse_statements(b"null").unwrap_err().message,
        "the request body must be a statement object or an array of statements"
    );
}
