//! Tests of actor matching by `mbox_sha1sum`, and of the `related_*` filters, the StatementRef rule
//! and paging of `GET /xapi/statements` (Part 3 §2.1.3) against statements stored by the real
//! ingest path.

use sha1::{Digest, Sha1};

use super::*;

const VERB: &str = "http://adlnet.gov/expapi/verbs/experienced";

fn mbox(name: &str) -> Value {
    json!({"mbox": format!("mailto:{name}@school.example")})
}

fn key(name: &str) -> String {
    format!("{{\"mbox\": \"mailto:{name}@school.example\"}}")
}

/// A statement with a fixed id (`n` in its last digits).
fn with_id(n: u32, actor: Value, object: Value, extra: Value) -> Value {
    let mut s = json!({"id": id(n), "actor": actor, "verb": {"id": VERB}, "object": object});
    if let (Value::Object(map), Value::Object(more)) = (&mut s, extra) {
        map.extend(more);
    }
    s
}

fn id(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn activity(iri: &str) -> Value {
    json!({"id": iri})
}

fn statement_ref(n: u32) -> Value {
    json!({"objectType": "StatementRef", "id": id(n)})
}

impl Fixture {
    /// The ids a list query returns (one page), in order.
    fn ids(&self, pairs: &[(&str, &str)]) -> Vec<String> {
        let page: Value = serde_json::from_str(&self.get(pairs).unwrap().body).unwrap();
        page["statements"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect()
    }

    /// Every id of a list query, following `more`; also checks no page exceeds `limit`.
    fn all_pages(&self, pairs: &[(&str, &str)], limit: usize) -> Vec<String> {
        let mut page: Value = serde_json::from_str(&self.get(pairs).unwrap().body).unwrap();
        let mut seen = Vec::new();
        loop {
            let list = page["statements"].as_array().unwrap();
            assert!(list.len() <= limit);
            seen.extend(list.iter().map(|s| s["id"].as_str().unwrap().to_string()));
            let more = page["more"].as_str().unwrap();
            if more.is_empty() {
                return seen;
            }
            let cursor = more.strip_prefix("/xapi/statements?more=").unwrap().to_string();
            page = serde_json::from_str(&self.get(&[("more", &cursor)]).unwrap().body).unwrap();
        }
    }
}

fn ids(ns: &[u32]) -> Vec<String> {
    ns.iter().map(|n| id(*n)).collect()
}

#[tokio::test]
async fn mbox_sha1sum_actors_match_rostered_students() {
    let f = fixture().await;
    let (email, pkey): (String, String) = f
        .store
        .read_blocking(|c| {
            Ok::<_, StoreError>(c.query_row(
                "SELECT p.email, p.pkey FROM person p JOIN person_role r ON r.pkey = p.pkey
                  WHERE r.role = 'student' AND p.email LIKE '%@%' ORDER BY p.pkey LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    let sum = |mailto: &str| hex::encode(Sha1::digest(mailto.as_bytes()));
    let item: Value = serde_json::from_str(&f.statements[0]).unwrap();
    let item = item["object"]["id"].as_str().unwrap();
    let known = json!({"mbox_sha1sum": sum(&format!("mailto:{email}")).to_uppercase()});
    let unknown_sum = sum("mailto:nobody@school.example");
    let answered = |actor: Value| {
        json!({"actor": actor, "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
               "object": {"id": item}, "result": {"success": true, "response": "b"}})
    };
    let body = json!([answered(known), answered(json!({"mbox_sha1sum": unknown_sum}))]).to_string();
    let stored = f.post(&body, None).await.unwrap();
    assert_eq!(stored.new, 2);
    assert_eq!(stored.events.len(), 1, "only the rostered student's statement is a learning event");
    assert_eq!(stored.events[0].student_key, pkey);
    assert_eq!(stored.events[0].correct, Some(true));
    let unmatched = f.store.read_blocking(sql::list_unmatched).unwrap();
    let actors: Vec<(&str, i64)> =
        unmatched.iter().filter(|r| r.kind == "actor").map(|r| (r.value.as_str(), r.count)).collect();
    assert_eq!(actors, [(format!("mbox_sha1sum:{unknown_sum}").as_str(), 1)]);
}

/// Statements exercising every place the filters look. Their ids end in 1..=6.
fn varied() -> String {
    let s1 = with_id(
        1,
        mbox("t1"),
        activity("https://x.example/o1"),
        json!({"context": {
            "registration": "6a1f1a2b-0000-4000-8000-000000000001",
            "instructor": mbox("instructor"),
            "team": {"objectType": "Group", "mbox": "mailto:team@school.example", "member": [mbox("m1")]},
            "contextActivities": {"parent": [activity("https://x.example/parent")],
                                  "grouping": [activity("https://x.example/grouping")],
                                  "category": activity("https://x.example/category"),
                                  "other": [activity("https://x.example/other")]}}}),
    );
    let mut s2 = with_id(
        2,
        json!({"objectType": "Group", "member": [mbox("m2"), mbox("m3")]}),
        activity("https://x.example/o2"),
        json!({}),
    );
    s2["verb"] = json!({"id": "http://x.example/verbs/v2"});
    let s3 = with_id(
        3,
        mbox("t3"),
        json!({"objectType": "SubStatement", "actor": mbox("sub-actor"), "verb": {"id": VERB},
               "object": activity("https://x.example/sub-object"),
               "context": {"instructor": mbox("sub-instructor"),
                           "contextActivities": {"parent": [activity("https://x.example/sub-parent")]}}}),
        json!({}),
    );
    let s4 = with_id(4, mbox("t4"), json!({"objectType": "Agent", "mbox": "mailto:ob4@school.example"}), json!({}));
    let s5 = with_id(5, mbox("t5"), activity("https://x.example/o1"), json!({}));
    // IRIs written with JSON escapes are found by their value.
    let s6 = r#"{"id": "00000000-0000-4000-8000-000000000006", "actor": {"mbox": "mailto:t6@school.example"},
                 "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": {"id": "https:\/\/x.example\/o6"},
                 "context": {"contextActivities": {"parent": [{"id": "https:\/\/x.example\/esc\u0061ped"}]}}}"#;
    format!("[{},{s1},{s2},{s3},{s4},{s5}]", s6)
}

#[tokio::test]
async fn related_filters_look_where_the_spec_says() {
    let f = fixture().await;
    f.post(&varied(), None).await.unwrap();
    let act =
        |iri: &str, related: &str| f.ids(&[("activity", iri), ("related_activities", related), ("ascending", "true")]);
    let agent =
        |name: &str, related: &str| f.ids(&[("agent", &key(name)), ("related_agents", related), ("ascending", "true")]);
    for context in ["parent", "grouping", "category", "other"] {
        let iri = format!("https://x.example/{context}");
        assert!(act(&iri, "false").is_empty(), "{context}: not the object");
        assert_eq!(act(&iri, "true"), ids(&[1]), "{context}");
    }
    assert_eq!(act("https://x.example/o1", "false"), ids(&[1, 5]));
    assert_eq!(act("https://x.example/o1", "true"), ids(&[1, 5]));
    assert!(act("https://x.example/sub-object", "false").is_empty());
    assert_eq!(act("https://x.example/sub-object", "true"), ids(&[3]));
    assert_eq!(act("https://x.example/sub-parent", "true"), ids(&[3]));
    assert_eq!(act("https://x.example/o6", "false"), ids(&[6]));
    assert_eq!(act("https://x.example/escaped", "true"), ids(&[6]));

    assert!(agent("instructor", "false").is_empty());
    assert_eq!(agent("instructor", "true"), ids(&[1]));
    assert_eq!(agent("team", "true"), ids(&[1]), "the team Group");
    assert_eq!(agent("m1", "true"), ids(&[1]), "a member of the team");
    assert_eq!(agent("m2", "false"), ids(&[2]), "a member of the actor Group matches even without related_agents");
    assert_eq!(agent("m3", "true"), ids(&[2]));
    assert!(agent("sub-actor", "false").is_empty());
    assert_eq!(agent("sub-actor", "true"), ids(&[3]));
    assert_eq!(agent("sub-instructor", "true"), ids(&[3]));
    assert_eq!(agent("ob4", "false"), ids(&[4]), "an Agent object");
    assert_eq!(agent("t1", "false"), ids(&[1]));
    let authority = source_authority("quiz").to_string();
    assert!(f.ids(&[("agent", &authority)]).is_empty(), "authority only with related_agents");
    assert_eq!(
        f.ids(&[("agent", &authority), ("related_agents", "true"), ("ascending", "true")]),
        ids(&[6, 1, 2, 3, 4, 5])
    );
    let other_source = source_authority("other").to_string();
    assert!(f.ids(&[("agent", &other_source), ("related_agents", "true")]).is_empty());

    assert_eq!(f.ids(&[("verb", "http://x.example/verbs/v2")]), ids(&[2]));
    assert_eq!(f.ids(&[("registration", "6a1f1a2b-0000-4000-8000-000000000001")]), ids(&[1]));
    // Filters combine with AND.
    let parent = "https://x.example/parent";
    assert_eq!(f.ids(&[("agent", &key("t1")), ("activity", parent), ("related_activities", "true")]), ids(&[1]));
    assert!(f.ids(&[("agent", &key("t5")), ("activity", parent), ("related_activities", "true")]).is_empty());
    assert!(f.ids(&[("verb", VERB), ("activity", "https://x.example/o2")]).is_empty());
}

#[tokio::test]
async fn statements_targeting_a_match_match_too() {
    let f = fixture().await;
    let passed = "http://adlnet.gov/expapi/verbs/passed";
    let mut ben = with_id(1, mbox("ben"), activity("https://x.example/explosives"), json!({}));
    ben["verb"] = json!({"id": passed});
    let mut andrew = with_id(2, mbox("andrew"), statement_ref(1), json!({}));
    andrew["verb"] = json!({"id": "http://x.example/verbs/confirmed"});
    let carl = with_id(3, mbox("carl"), statement_ref(2), json!({}));
    // A reference in context does not target (Part 3 §2.1.3, note).
    let dana = with_id(
        4,
        mbox("dana"),
        activity("https://x.example/other"),
        json!({"context": {"statement": statement_ref(1)}}),
    );
    f.post(&json!([ben, andrew, carl, dana]).to_string(), None).await.unwrap();
    let asc = ("ascending", "true");
    assert_eq!(f.ids(&[("agent", &key("ben")), asc]), ids(&[1, 2, 3]), "recursively: carl → andrew → ben");
    assert_eq!(f.ids(&[("activity", "https://x.example/explosives"), asc]), ids(&[1, 2, 3]));
    assert_eq!(f.ids(&[("verb", passed), asc]), ids(&[1, 2, 3]));
    assert_eq!(f.ids(&[("verb", "http://x.example/verbs/confirmed"), asc]), ids(&[2, 3]));
    // Each filter condition separately: andrew himself, passed through his target.
    assert_eq!(f.ids(&[("agent", &key("andrew")), ("verb", passed), asc]), ids(&[2, 3]));
    assert!(f.ids(&[("agent", &key("dana")), ("verb", passed)]).is_empty());
    // Time bounds apply to the referring statement.
    let stored: Value = serde_json::from_str(&f.get(&[("statementId", &id(1))]).unwrap().body).unwrap();
    let since = stored["stored"].as_str().unwrap();
    assert_eq!(f.ids(&[("agent", &key("ben")), ("since", since), asc]), ids(&[2, 3]));

    // A voided target is never listed, but statements targeting it are (the voiding one too).
    let xavier = with_id(5, mbox("xavier"), activity("https://x.example/x"), json!({}));
    let void = with_id(6, mbox("admin"), statement_ref(5), json!({"verb": {"id": crate::xapi::VOIDED_VERB}}));
    let about = with_id(7, mbox("carl"), statement_ref(5), json!({}));
    f.post(&json!([xavier]).to_string(), None).await.unwrap();
    f.post(&json!([void, about]).to_string(), None).await.unwrap();
    assert_eq!(f.ids(&[("agent", &key("xavier")), asc]), ids(&[6, 7]));
    // A target stored after the statement referring to it.
    let early = with_id(8, mbox("carl"), statement_ref(9), json!({}));
    f.post(&json!([early]).to_string(), None).await.unwrap();
    assert!(f.ids(&[("agent", &key("zoe"))]).is_empty());
    f.post(&json!([with_id(9, mbox("zoe"), activity("https://x.example/z"), json!({}))]).to_string(), None)
        .await
        .unwrap();
    assert_eq!(f.ids(&[("agent", &key("zoe")), asc]), ids(&[8, 9]));
}

#[tokio::test]
async fn related_filters_page_through_more() {
    let f = fixture().await;
    let group = "https://x.example/unit-7";
    let mut batch = Vec::new();
    for n in 1..=30u32 {
        let context = if n % 3 == 0 {
            json!({})
        } else {
            json!({"context": {"contextActivities": {"grouping": [activity(group)]}, "instructor": mbox("coach")}})
        };
        batch.push(with_id(n, mbox(&format!("s{}", n % 4)), activity(&format!("https://x.example/item/{n}")), context));
    }
    // Two statements that match only through their target.
    batch.push(with_id(31, mbox("reviewer"), statement_ref(1), json!({})));
    batch.push(with_id(32, mbox("reviewer"), statement_ref(3), json!({})));
    f.post(&Value::Array(batch).to_string(), None).await.unwrap();
    let mut expected: Vec<u32> = (1..=30).filter(|n| n % 3 != 0).collect();
    expected.push(31);
    for (name, pairs) in [
        ("activity", vec![("activity", group), ("related_activities", "true")]),
        ("agent", vec![("agent", "{\"mbox\": \"mailto:coach@school.example\"}"), ("related_agents", "true")]),
    ] {
        let mut ascending = pairs.clone();
        ascending.extend([("limit", "4"), ("ascending", "true")]);
        assert_eq!(f.all_pages(&ascending, 4), ids(&expected), "{name}, oldest first");
        let mut descending = pairs.clone();
        descending.push(("limit", "3"));
        let mut newest_first = ids(&expected);
        newest_first.reverse();
        assert_eq!(f.all_pages(&descending, 3), newest_first, "{name}, newest first");
    }
    // Paging with a related filter and since/until together.
    let all: Value = serde_json::from_str(&f.get(&[("ascending", "true")]).unwrap().body).unwrap();
    let stored = |i: usize| all["statements"][i]["stored"].as_str().unwrap().to_string();
    let (since, until) = (stored(9), stored(30));
    let window = f.all_pages(
        &[
            ("activity", group),
            ("related_activities", "true"),
            ("since", &since),
            ("until", &until),
            ("limit", "2"),
            ("ascending", "true"),
        ],
        2,
    );
    let in_window: Vec<u32> = expected.iter().copied().filter(|n| (11..=31).contains(n)).collect();
    assert_eq!(window, ids(&in_window));
}

#[tokio::test]
async fn statements_stored_before_the_side_tables_are_backfilled() {
    let f = fixture().await;
    f.post(&varied(), None).await.unwrap();
    let side_rows = "SELECT (SELECT count(*) FROM statement_related) + (SELECT count(*) FROM statement_target)";
    let before = f.count(side_rows);
    assert!(before > 0);
    // As a database migrated from version 7 looks: no side rows, a backfill marker.
    f.store
        .write(|c| {
            c.execute_batch(
                "DELETE FROM statement_related; DELETE FROM statement_target; DELETE FROM related_set_id;
                 DELETE FROM related_set; INSERT INTO related_backfill (done_seq, last_seq) SELECT 0, max(seq) FROM statement;",
            )?;
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
    assert!(f.ids(&[("activity", "https://x.example/parent"), ("related_activities", "true")]).is_empty());
    let backfill = |store: Store| tokio::task::spawn_blocking(move || backfill_related(&store).unwrap());
    let report = backfill(f.store.clone()).await.unwrap();
    assert_eq!((report.statements, report.unreadable), (6, 0));
    assert_eq!(f.count(side_rows), before);
    assert_eq!(f.count("SELECT count(*) FROM related_backfill"), 0);
    assert_eq!(f.ids(&[("activity", "https://x.example/parent"), ("related_activities", "true")]), ids(&[1]));
    assert_eq!(backfill(f.store.clone()).await.unwrap(), Default::default(), "done once");
}
