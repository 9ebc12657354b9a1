//! Tests of the statement SQL against a real store.

use super::*;

fn store() -> (tempfile::TempDir, crate::store::Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::open_temp(dir.path()).unwrap();
    store
        .write_blocking(|c| {
            c.execute(
                "INSERT INTO data_source (id, name, key, secret_sha256, created_at) VALUES (1, 's', 'k', x'00', 't')",
                [],
            )?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    (dir, store)
}

fn row<'a>(id: &'a str, stored: &'a str, verb: &'a str, voids: Option<&'a str>) -> NewStatement<'a> {
    NewStatement {
        id,
        stored,
        timestamp: stored,
        source_id: 1,
        actor: "account:https://sis.example|s-1",
        verb,
        object: Some("https://items.example/q1"),
        registration: None,
        voids,
        voided: false,
        json: r#"{"verb":"x","context":{"contextActivities":{"grouping":[{"id":"https://sis.example/classes/c1"}]}}}"#,
    }
}

#[test]
fn insert_lookup_void_and_list() {
    let (_dir, store) = store();
    let listed = store
        .write_blocking(|c| {
            let a = insert_statement(c, &row("a", "2026-09-14T08:00:00.000001Z", "v1", None))?.unwrap();
            assert_eq!(insert_statement(c, &row("a", "2026-09-14T08:00:00.000002Z", "v1", None))?, None);
            insert_statement(c, &row("b", "2026-09-14T08:00:00.000003Z", "v2", None))?.unwrap();
            assert!(!is_void_target(c, "a")?);
            insert_statement(c, &row("c", "2026-09-14T08:00:00.000004Z", "voided", Some("a")))?.unwrap();
            assert!(is_void_target(c, "a")?);
            void_statement(c, a)?;
            let found = statement_by_id(c, "a")?.unwrap();
            assert!(found.voided && found.voids.is_none() && found.seq == a);
            let all = list_statements(c, &ListFilter::default(), 10)?;
            let v2 = list_statements(c, &ListFilter { verb: Some("v2".into()), ..ListFilter::default() }, 10)?;
            let agent = ListFilter {
                agent: Some(AgentFilter {
                    key: "account:https://sis.example|s-1".into(),
                    related: false,
                    authority_of_source: None,
                }),
                ascending: true,
                since: Some("2026-09-14T08:00:00.000003Z".into()),
                ..ListFilter::default()
            };
            let after = list_statements(c, &agent, 10)?;
            Ok::<_, StoreError>((all, v2, after))
        })
        .unwrap();
    let (all, v2, after) = listed;
    assert_eq!(all.iter().map(|s| s.seq).collect::<Vec<_>>(), [3, 2], "newest first, voided left out");
    assert_eq!(v2.len(), 1);
    assert_eq!(after.iter().map(|s| s.seq).collect::<Vec<_>>(), [3]);
    assert_eq!(store.read_blocking(last_stored).unwrap().as_deref(), Some("2026-09-14T08:00:00.000004Z"));
}

#[test]
fn stored_times_become_seq_bounds() {
    let (_dir, store) = store();
    assert_eq!(store.read_blocking(|c| first_seq_stored_after(c, "2026")).unwrap(), 1, "empty");
    let ids: Vec<String> = (0..37).map(|i| format!("s{i}")).collect();
    let stored: Vec<String> = (0..37).map(|i| format!("2026-09-14T08:00:{:02}.000000Z", i + 10)).collect();
    let (i2, s2) = (ids.clone(), stored.clone());
    store
        .write_blocking(move |c| {
            for (id, at) in i2.iter().zip(&s2) {
                insert_statement(c, &row(id, at, "v", None))?;
            }
            // A gap in seq, as purging leaves.
            c.execute("DELETE FROM statement WHERE seq BETWEEN 10 AND 14", [])?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let after = |at: &str| {
        let at = at.to_string();
        store.read_blocking(move |c| first_seq_stored_after(c, &at)).unwrap()
    };
    assert_eq!(after("2026-01-01T00:00:00.000000Z"), 1);
    assert_eq!(after(&stored[0]), 2);
    // Inside the gap any bound between the neighbours present (9 and 15) splits them right.
    for at in [stored[9].as_str(), &stored[10], "2026-09-14T08:00:20.500000Z", &stored[13]] {
        let bound = after(at);
        assert!((10..=15).contains(&bound), "{at}: {bound}");
    }
    assert_eq!(after(&stored[20]), 22);
    assert_eq!(after(&stored[36]), 38);
    assert_eq!(after("2027-01-01T00:00:00.000000Z"), 38);
}

#[test]
fn unmatched_counts_accumulate() {
    let (_dir, store) = store();
    store
        .write_blocking(|c| {
            count_unmatched(c, "activity", "https://x.example/a", 2, "t1")?;
            count_unmatched(c, "activity", "https://x.example/a", 3, "t2")?;
            count_unmatched(c, "class", "https://x.example/classes/z", 1, "t2")
        })
        .unwrap();
    let rows = store.read_blocking(list_unmatched).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].count, rows[0].first_seen.as_str(), rows[0].last_seen.as_str()), (5, "t1", "t2"));
    assert_eq!(store.read_blocking(roster_generation).unwrap(), [0, 0, 0, 0]);
}

fn set(ids: &[(&'static str, &str)]) -> std::sync::Arc<RelatedSet> {
    std::sync::Arc::new(RelatedSet::new(ids.iter().map(|(k, v)| (*k, v.to_string())).collect()).unwrap())
}

fn count(store: &crate::store::Store, sql_text: &'static str) -> i64 {
    store.read_blocking(|c| Ok::<i64, StoreError>(c.query_row(sql_text, [], |r| r.get(0))?)).unwrap()
}

#[test]
fn related_sets_are_interned_and_their_ids_are_canonical() {
    assert_eq!(RelatedSet::new(Vec::new()), None, "no identifiers, no row");
    let a = set(&[
        ("activity", "https://x.example/b"),
        ("agent", "mbox:mailto:t@x.example"),
        ("activity", "https://x.example/a"),
    ]);
    let b = set(&[
        ("agent", "mbox:mailto:t@x.example"),
        ("activity", "https://x.example/a"),
        ("activity", "https://x.example/b"),
    ]);
    assert_eq!(a, b, "order does not matter");
    assert_eq!(
        a.text,
        r#"[["activity","https://x.example/a"],["activity","https://x.example/b"],["agent","mbox:mailto:t@x.example"]]"#
    );
    let (_dir, store) = store();
    let (a1, a2) = (a.clone(), a.clone());
    store
        .write_blocking(move |c| {
            for (id, stored) in [("s1", "2026-09-14T08:00:00.000001Z"), ("s2", "2026-09-14T08:00:00.000002Z")] {
                let seq = insert_statement(c, &row(id, stored, "v", None))?.unwrap();
                // Both register: a set registered already is left as it is.
                insert_related(c, seq, &NewRelated { set: Some(a1.clone()), register: true, target: None })?;
            }
            let seq = insert_statement(c, &row("s3", "2026-09-14T08:00:00.000003Z", "v", None))?.unwrap();
            insert_related(c, seq, &NewRelated { set: Some(a2), register: false, target: Some("s1".into()) })
        })
        .unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM related_set"), 1);
    assert_eq!(count(&store, "SELECT count(*) FROM related_set_id"), 3);
    assert_eq!(count(&store, "SELECT count(*) FROM statement_related"), 3);
    assert_eq!(count(&store, "SELECT count(*) FROM statement_target WHERE target = 's1'"), 1);
}

#[test]
fn an_unregistered_set_or_an_id_collision_refuses_the_write() {
    let (_dir, store) = store();
    let unregistered = set(&[("activity", "https://x.example/a")]);
    let err = store
        .write_blocking(move |c| {
            let seq = insert_statement(c, &row("s1", "2026-09-14T08:00:00.000001Z", "v", None))?.unwrap();
            insert_related(c, seq, &NewRelated { set: Some(unregistered), register: false, target: None })
        })
        .unwrap_err();
    assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
    let real = set(&[("activity", "https://x.example/a")]);
    let mut impostor = (*set(&[("activity", "https://x.example/z")])).clone();
    impostor.id = real.id;
    let err = store
        .write_blocking(move |c| {
            let seq = insert_statement(c, &row("s2", "2026-09-14T08:00:00.000002Z", "v", None))?.unwrap();
            insert_related(c, seq, &NewRelated { set: Some(real), register: true, target: None })?;
            let seq = insert_statement(c, &row("s3", "2026-09-14T08:00:00.000003Z", "v", None))?.unwrap();
            insert_related(c, seq, &NewRelated { set: Some(impostor.into()), register: true, target: None })
        })
        .unwrap_err();
    assert!(err.to_string().contains("two identifier sets share one id"), "{err}");
    for table in
        ["SELECT count(*) FROM statement", "SELECT count(*) FROM related_set", "SELECT count(*) FROM statement_related"]
    {
        assert_eq!(count(&store, table), 0, "{table}: a refused job leaves nothing");
    }
}

#[test]
fn statement_ref_chains_end_at_cycles_and_missing_targets() {
    let (_dir, store) = store();
    let verb = |v: &str| ListFilter { verb: Some(v.into()), ascending: true, ..ListFilter::default() };
    let listed = store
        .write_blocking(move |c| {
            // a → b → a (a cycle), c → missing; none of them has verb "w", d has it, e → d.
            for (id, v, target) in [
                ("a", "v", Some("b")),
                ("b", "v", Some("a")),
                ("c", "v", Some("gone")),
                ("d", "w", None),
                ("e", "v", Some("d")),
            ] {
                let stored = format!("2026-09-14T08:00:00.00000{}Z", id.as_bytes()[0] - b'a' + 1);
                let seq = insert_statement(c, &row(id, &stored, v, None))?.unwrap();
                insert_related(c, seq, &NewRelated { set: None, register: false, target: target.map(str::to_string) })?;
            }
            Ok::<_, StoreError>((list_statements(c, &verb("w"), 10)?, list_statements(c, &verb("x"), 10)?))
        })
        .unwrap();
    assert_eq!(listed.0.iter().map(|s| s.seq).collect::<Vec<_>>(), [4, 5], "d itself, and e through its target");
    assert!(listed.1.is_empty());
}

#[test]
fn the_backfill_marker_advances_and_goes() {
    let (_dir, store) = store();
    store
        .write_blocking(|c| {
            assert_eq!(backfill_pending(c)?, None, "an empty database needs no backfill");
            c.execute("INSERT INTO related_backfill (done_seq, last_seq) VALUES (0, 3)", [])?;
            for (id, stored) in [
                ("s1", "2026-09-14T08:00:00.000001Z"),
                ("s2", "2026-09-14T08:00:00.000002Z"),
                ("s3", "2026-09-14T08:00:00.000003Z"),
                ("s4", "2026-09-14T08:00:00.000004Z"),
            ] {
                insert_statement(c, &row(id, stored, "v", None))?;
            }
            assert_eq!(backfill_chunk(c, 0, 3, 2)?.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2]);
            assert_eq!(backfill_chunk(c, 2, 3, 2)?.iter().map(|r| r.0).collect::<Vec<_>>(), [3], "not past last_seq");
            backfill_advance(c, 2)?;
            assert_eq!(backfill_pending(c)?, Some((2, 3)));
            backfill_advance(c, 3)?;
            assert_eq!(backfill_pending(c)?, None);
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

#[test]
fn migrating_a_database_with_statements_leaves_a_backfill_marker() {
    use crate::store::migrations::{latest_version, migrate_to};
    for statements in [0, 3] {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_to(&mut c, 7).unwrap();
        c.execute(
            "INSERT INTO data_source (id, name, key, secret_sha256, created_at) VALUES (1, 's', 'k', x'00', 't')",
            [],
        )
        .unwrap();
        for i in 0..statements {
            insert_statement(&c, &row(&format!("s{i}"), "2026-09-14T08:00:00.000001Z", "v", None)).unwrap();
        }
        migrate_to(&mut c, latest_version()).unwrap();
        let expected = (statements > 0).then_some((0, 3));
        assert_eq!(backfill_pending(&c).unwrap(), expected, "{statements} statements before the migration");
    }
}
