//! `lantern bench import`: a synthetic school's roster and a year of attendance imported into a
//! fresh node database the way `lantern node import` does it.

use std::time::Instant;

use anyhow::Context;
use lantern_node::imports::{run_import, ImportInput};
use serde_json::{json, Value};

pub fn run(students: usize, days: u32) -> anyhow::Result<Value> {
    let dir = tempfile::tempdir().context("creating a scratch directory")?;
    let params = lantern_node::synth::SynthParams { students, days, items_per_day: 1, ..Default::default() };
    eprintln!("bench import: writing a synthetic school of {students} students × {days} days");
    lantern_node::synth::write_school(&params, &dir.path().join("s"))?;
    let store = lantern_node::store::open_temp(dir.path())?;
    let opts = lantern_node::import::ImportOptions::default();
    let now = chrono::Utc::now();
    let s = dir.path().join("s");

    eprintln!("bench import: roster");
    let t = Instant::now();
    let roster = run_import(&store, ImportInput::OneRoster, &s.join("oneroster"), &opts, now)?;
    let roster_s = t.elapsed().as_secs_f64();
    let roster_rows: u64 = roster.files.iter().map(|f| f.rows).sum();

    eprintln!("bench import: attendance");
    let t = Instant::now();
    let att = run_import(&store, ImportInput::Attendance, &s.join("attendance.csv"), &opts, now)?;
    let att_s = t.elapsed().as_secs_f64();
    let att_rows: u64 = att.files.iter().map(|f| f.rows).sum();

    eprintln!("bench import: roster again (no-op)");
    let t = Instant::now();
    run_import(&store, ImportInput::OneRoster, &s.join("oneroster"), &opts, now)?;
    let reimport_s = t.elapsed().as_secs_f64();
    store.shutdown();

    let rows = roster_rows + att_rows;
    let seconds = roster_s + att_s;
    Ok(json!({
        "bench": "import",
        "machine": super::machine(),
        "students": students,
        "rows": rows,
        "seconds": super::r3(seconds),
        "rows_per_s": (rows as f64 / seconds).round(),
        "roster_rows": roster_rows,
        "roster_seconds": super::r3(roster_s),
        "attendance_rows": att_rows,
        "attendance_seconds": super::r3(att_s),
        "roster_reimport_seconds": super::r3(reimport_s),
    }))
}
