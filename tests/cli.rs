//! The command line as an IT person uses it: every bad input exits non-zero with one line of reason
//! and changes nothing.

use std::path::Path;
use std::process::{Command, Output};

fn lantern(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lantern"))
        .args(args)
        .current_dir(dir)
        .env_remove("LANTERN_DB_KEY")
        .output()
        .expect("run lantern")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim().to_string()
}

fn db_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for f in ["node.db", "node.db-wal"] {
        if let Ok(b) = std::fs::read(dir.join("lantern-data").join(f)) {
            all.extend(b);
        }
    }
    all
}

#[test]
fn bad_config_names_the_key_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("node.toml"), "school_id = \"x\"\nlisen = \"127.0.0.1:1\"\n").unwrap();
    let o = lantern(dir.path(), &["node", "user", "add", "t1", "--role", "teacher"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.starts_with("lantern: node.toml:2:1: unknown field `lisen`"), "{e}");
    assert!(!dir.path().join("lantern-data").exists(), "nothing was created");
}

#[test]
fn user_commands_and_their_bad_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let o = lantern(dir.path(), &["node", "user", "add", "ms.rivera", "--role", "teacher"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("one-time password"));
    let before = db_bytes(dir.path());
    for (args, want) in [
        (&["node", "user", "add", "x", "--role", "studnet"][..], "unknown role \"studnet\""),
        (&["node", "user", "add", "ms.rivera", "--role", "teacher"][..], "already exists"),
        (&["node", "user", "passwd", "nobody"][..], "unknown user \"nobody\""),
        (&["node", "user", "link", "ms.rivera", "--class", "no-such-class"][..], "no rostered class"),
    ] {
        let o = lantern(dir.path(), args);
        assert!(!o.status.success(), "{args:?}");
        let e = stderr(&o);
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(e.contains(want), "{args:?}: {e}");
    }
    assert_eq!(db_bytes(dir.path()), before, "refused commands change nothing");
    let o = lantern(dir.path(), &["node", "audit", "verify"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("access log intact"));
}

#[test]
fn synth_then_import_in_an_empty_directory_and_a_bad_import_lists_problems() {
    let dir = tempfile::tempdir().unwrap();
    let o = lantern(dir.path(), &["synth", "--students", "30", "--days", "3", "--out", "s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = lantern(dir.path(), &["node", "import", "oneroster", "s/oneroster"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("users.csv"));
    let before = db_bytes(dir.path());
    std::fs::write(dir.path().join("bad.csv"), "student_sourced_id,date,status\nnobody,2026-13-40,lost\n").unwrap();
    let o = lantern(dir.path(), &["node", "import", "attendance", "bad.csv"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.starts_with("lantern: import of bad.csv rejected, nothing changed"), "{e}");
    assert!(e.contains("bad.csv:2: date:"), "{e}");
    assert_eq!(db_bytes(dir.path()), before);
    let o = lantern(dir.path(), &["synth", "--students", "0", "--out", "t"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("students"), "{}", stderr(&o));
}

#[test]
fn policy_check_reports_file_line_col() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.toml"), "kind = \"rules\"\n[[rules]]\nid = 3\n").unwrap();
    let o = lantern(dir.path(), &["policy", "check", "r.toml"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("r.toml:3:6:"), "{}", String::from_utf8_lossy(&o.stdout));
}
