//! Tests of the item bank import: the fixture bank, re-import, an update, and the bad file.

use crate::import::test_support::{assert_rejected_unchanged, fixture, in_transaction, now, rostered_connection};
use crate::import::{apply_items, read_items, ImportOptions, ImportReport};
use crate::store::roster;
use rusqlite::Connection;
use std::path::Path;

fn import_items(conn: &Connection, path: &Path) -> Result<ImportReport, crate::import::ImportError> {
    let batch = read_items(path, &ImportOptions::default())?;
    in_transaction(conn, |tx| apply_items(tx, &batch, now()))
}

#[test]
fn imports_items_with_standards_key_and_misconceptions() {
    let conn = rostered_connection();
    let report = import_items(&conn, &fixture("items.csv")).expect("imports");
    let counts = report.file("items.csv").expect("counts");
    assert_eq!((counts.added, counts.updated, counts.unchanged), (2, 0, 0));

    let item =
        roster::load_item(&conn, "https://items.lantern.example/item/6.RP.A.1/002").expect("query").expect("stored");
    assert_eq!(item.activity_id, "https://items.lantern.example/quiz/6.RP.A.1");
    assert_eq!(item.standards, ["CCSS.MATH.CONTENT.6.RP.A.1", "CCSS.MATH.CONTENT.6.RP.A.2"]);
    assert_eq!(item.correct_choice, "c");
    assert_eq!(item.distractors, [("a".to_owned(), "adds-instead-of-divides".to_owned())]);
    assert_eq!(item.max_score, 2.0);
    let first =
        roster::load_item(&conn, "https://items.lantern.example/item/6.RP.A.1/001").expect("query").expect("stored");
    assert_eq!(first.title, "Ratios: apples, oranges");
    assert_eq!(first.max_score, 1.0, "max_score defaults to 1");

    let again = import_items(&conn, &fixture("items.csv")).expect("reimports");
    assert!(again.changed_nothing());
}

#[test]
fn a_changed_row_replaces_the_stored_item() {
    let conn = rostered_connection();
    import_items(&conn, &fixture("items.csv")).expect("imports");
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("items.csv");
    let text = std::fs::read_to_string(fixture("items.csv")).expect("fixture");
    std::fs::write(&path, text.replace("a=adds-instead-of-divides", "b=adds-instead-of-divides;d=guessed"))
        .expect("write");
    let report = import_items(&conn, &path).expect("imports");
    let counts = report.file("items.csv").expect("counts");
    assert_eq!((counts.added, counts.updated, counts.unchanged), (0, 1, 1));
    let item =
        roster::load_item(&conn, "https://items.lantern.example/item/6.RP.A.1/002").expect("query").expect("stored");
    assert_eq!(item.distractors.len(), 2);
}

#[test]
fn rejects_the_bad_item_file_with_every_problem() {
    let conn = rostered_connection();
    import_items(&conn, &fixture("items.csv")).expect("imports");
    assert_rejected_unchanged(
        &conn,
        |conn| import_items(conn, &fixture("items_bad.csv")),
        &[
            "items_bad.csv:2: standards: required value missing",
            "items_bad.csv:3: item_id: not an absolute IRI: \"item-2\" (expected e.g. https://items.example/item/1)",
            "items_bad.csv:4: distractors: choice \"b\" is the correct response",
            "items_bad.csv:5: distractors: misconception \"Wrong_Sign\" is not lowercase kebab-case (e.g. inverted-ratio)",
            "items_bad.csv:6: distractors: \"a\" is not choice=misconception (e.g. a=ratio-as-difference)",
            "items_bad.csv:7: max_score: must be greater than 0, found 0",
        ],
    );
}

#[test]
fn rejects_duplicate_items() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("items.csv");
    let text = std::fs::read_to_string(fixture("items.csv")).expect("fixture");
    let last = text.lines().last().expect("a row").to_owned();
    std::fs::write(&path, format!("{text}{last}\n")).expect("write");
    let conn = rostered_connection();
    assert_rejected_unchanged(
        &conn,
        |conn| import_items(conn, &path),
        &["items.csv:4: item_id: duplicate item \"https://items.lantern.example/item/6.RP.A.1/002\" (first on line 3)"],
    );
}
