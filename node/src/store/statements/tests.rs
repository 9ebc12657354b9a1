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
            let all = list_statements(c, &ListFilter::default(), 10, |_| true)?;
            let v2 =
                list_statements(c, &ListFilter { verb: Some("v2".into()), ..ListFilter::default() }, 10, |_| true)?;
            let agent = ListFilter {
                agent: Some("account:https://sis.example|s-1".into()),
                ascending: true,
                text_contains: vec!["classes/c1".into()],
                since: Some("2026-09-14T08:00:00.000003Z".into()),
                ..ListFilter::default()
            };
            let after = list_statements(c, &agent, 10, |_| true)?;
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
