//! `lantern bench rebuild`: a synthetic school's year of quiz answers (2,000 students × 180 days ≈
//! 10M events by default) inserted straight into `learning_event` (with the roster, item bank and
//! attendance imported as `lantern node import` does), then `lantern node rebuild`'s work timed:
//! every indicator recomputed from the stored events and attendance. With `--fit-bkt`, the
//! rebuild also collects every student's answers per standard and BKT parameters are fitted by EM
//! afterwards, as `lantern node rebuild --fit-bkt` does; the peak RSS then covers both.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Context;
use lantern_node::events::LearningEvent;
use lantern_node::imports::{run_import, ImportInput};
use lantern_node::indicators::bkt_fit::{self, FitOptions, FitOutcome};
use lantern_node::store::indicators::seed;
use serde_json::{json, Value};

pub fn run(students: usize, days: u32, fit_bkt: bool) -> anyhow::Result<Value> {
    let dir = tempfile::tempdir().context("creating a scratch directory")?;
    let full = lantern_node::synth::SynthParams { students, days, ..Default::default() };
    full.check()?;
    // Rosters, items and attendance do not depend on the items per day: write them small.
    let files = lantern_node::synth::SynthParams { items_per_day: 1, ..full.clone() };
    eprintln!("bench rebuild: synthetic school of {students} students × {days} days");
    let s = dir.path().join("s");
    lantern_node::synth::write_school(&files, &s)?;
    let store = lantern_node::store::open_temp(dir.path())?;
    let opts = lantern_node::import::ImportOptions::default();
    let now = chrono::Utc::now();
    run_import(&store, ImportInput::OneRoster, &s.join("oneroster"), &opts, now)?;
    run_import(&store, ImportInput::Items, &s.join("items.csv"), &opts, now)?;
    run_import(&store, ImportInput::Attendance, &s.join("attendance.csv"), &opts, now)?;
    let keys: HashMap<String, String> = store.read_blocking(|c| {
        let mut st = c.prepare("SELECT sourced_id, pkey FROM person")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<HashMap<_, _>, _>>()?;
        Ok::<_, lantern_node::store::StoreError>(rows)
    })?;
    let path = store.path().to_path_buf();
    store.shutdown();
    drop(store);

    eprintln!("bench rebuild: loading events");
    let school = lantern_node::synth::generate(&full);
    let t = Instant::now();
    let mut seq = 0i64;
    let mut events = school.statements().filter_map(|st| {
        let key = keys.get(st.student)?;
        seq += 1;
        Some(LearningEvent {
            seq,
            student_key: key.clone(),
            at: st.timestamp.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            verb: "answered".to_owned(),
            item_id: Some(st.item_id.to_owned()),
            class_id: Some(st.class_sourced_id.to_owned()),
            session_id: Some(st.registration.to_string()),
            quiz_id: Some(st.activity_id.to_owned()),
            correct: Some(st.success),
            response: Some(st.response.to_string()),
            score: None,
            duration_s: Some(f64::from(st.duration_seconds)),
        })
    });
    let conn = seed::open_for_bulk_load(&path)?;
    let loaded = seed::bulk_events(&conn, &mut events, 100_000)?;
    drop(conn);
    drop(school);
    eprintln!("bench rebuild: {loaded} events loaded in {:.1} s; rebuilding", t.elapsed().as_secs_f64());

    let store = lantern_node::store::open_temp(dir.path())?;
    let bkt = lantern_node::policies::Policies::defaults()?.rules.bkt_model();
    let rss_before = super::peak_rss_mb();
    let t = Instant::now();
    let model = bkt.clone();
    let (report, answers) = store.write_blocking(move |c| {
        if fit_bkt {
            lantern_node::indicators::rebuild_collecting_answers(c, &model, true)
        } else {
            Ok((lantern_node::indicators::rebuild(c, &model, true)?, Default::default()))
        }
    })?;
    let seconds = t.elapsed().as_secs_f64();
    store.shutdown();
    let fit = fit_bkt.then(|| {
        eprintln!("bench rebuild: fitting BKT parameters for {} standards", answers.len());
        let t = Instant::now();
        let opts = FitOptions::default();
        let fits = bkt_fit::fit_standards(&answers, &bkt, &opts);
        let fit_seconds = t.elapsed().as_secs_f64();
        eprintln!("{}", bkt_fit::table(&fits, &opts));
        let fitted: Vec<_> = fits
            .iter()
            .filter_map(|f| match &f.outcome {
                FitOutcome::Fitted(r) => Some(r),
                FitOutcome::TooLittleEvidence => None,
            })
            .collect();
        json!({
            "fit_bkt_seconds": super::r3(fit_seconds),
            "fit_bkt_standards": fits.len(),
            "fit_bkt_fitted": fitted.len(),
            "fit_bkt_answers": answers.values().map(|a| a.answers()).sum::<usize>(),
            "fit_bkt_iterations_max": fitted.iter().map(|r| r.iterations).max().unwrap_or(0),
            "fit_bkt_not_converged": fitted.iter().filter(|r| !r.converged).count(),
        })
    });
    let mut out = json!({
        "bench": "rebuild",
        "machine": super::machine(),
        "events": report.events,
        "seconds": super::r3(seconds),
        "peak_rss_mb": super::r3(super::peak_rss_mb()),
        "peak_rss_mb_before_rebuild": super::r3(rss_before),
        "events_per_s": (report.events as f64 / seconds).round(),
        "scan_seconds": super::r3(report.scan_millis as f64 / 1000.0),
        "write_seconds": super::r3(report.write_millis as f64 / 1000.0),
        "students": report.students,
        "mastery_rows": report.mastery_rows,
        "items": report.items,
        "sessions": report.sessions,
        "attendance_students": report.attendance_students,
    });
    if let (Some(fit), Some(obj)) = (fit, out.as_object_mut()) {
        obj.extend(fit.as_object().cloned().unwrap_or_default());
        // Peak RSS again: it now covers the fit too.
        obj.insert("peak_rss_mb".into(), json!(super::r3(super::peak_rss_mb())));
    }
    Ok(out)
}
