//! Admin uploads over HTTP: a synthetic school's roster zip and CSVs import; bad uploads are
//! refused with every problem listed, and nothing changes.

use std::io::Write;

use serde_json::Value;

use crate::support::{error_code, TestNode};

fn zip_dir(dir: &std::path::Path) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            w.start_file(p.file_name().unwrap().to_string_lossy(), opts).unwrap();
            w.write_all(&std::fs::read(&p).unwrap()).unwrap();
        }
        w.finish().unwrap();
    }
    buf.into_inner()
}

#[tokio::test]
async fn roster_zip_and_attendance_upload_then_listed() {
    let n = TestNode::start().await;
    let dir = tempfile::tempdir().unwrap();
    let params = lantern_node::synth::SynthParams { students: 60, days: 5, items_per_day: 1, ..Default::default() };
    lantern_node::synth::write_school(&params, dir.path()).unwrap();
    let admin = n.token("admin").await;

    let r = n
        .client
        .post(n.url("/api/v1/imports/oneroster"))
        .bearer_auth(&admin)
        .header("content-type", "application/zip")
        .body(zip_dir(&dir.path().join("oneroster")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["format"], "OneRoster 1.2 CSV");
    assert!(n.count("person") > 60);

    let attendance = std::fs::read(dir.path().join("attendance.csv")).unwrap();
    let r =
        n.client.post(n.url("/api/v1/imports/attendance")).bearer_auth(&admin).body(attendance).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(n.count("attendance"), 300);

    let r = n.client.get(n.url("/api/v1/imports")).bearer_auth(&admin).send().await.unwrap();
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["imports"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_uploads_change_nothing() {
    let n = TestNode::start().await;
    let admin = n.token("admin").await;
    let before = (n.count("person"), n.count("attendance"), n.count("import_run"));

    // Attendance for students who are not rostered: every row is a problem, listed.
    let csv = "student_sourced_id,date,status,class_sourced_id,minutes\nghost-1,2026-09-14,absent,,\nghost-2,2026-09-14,present,,\n";
    let r = n.client.post(n.url("/api/v1/imports/attendance")).bearer_auth(&admin).body(csv).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "import_rejected");
    assert!(v["error"]["problems"].as_array().unwrap().iter().any(|p| p.as_str().unwrap().contains("ghost-1")), "{v}");

    // A truncated zip.
    let r = n
        .client
        .post(n.url("/api/v1/imports/oneroster"))
        .bearer_auth(&admin)
        .body(vec![b'P', b'K', 3, 4, 0, 0])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // Empty upload and unknown kind.
    let r = n.client.post(n.url("/api/v1/imports/items")).bearer_auth(&admin).body(Vec::new()).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let r = n.client.post(n.url("/api/v1/imports/grades")).bearer_auth(&admin).body("x").send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "not_found");

    assert_eq!((n.count("person"), n.count("attendance"), n.count("import_run")), before);
}
