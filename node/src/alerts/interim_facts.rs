//! A small stand-in for `indicators::student_facts` (built in parallel on another branch): one
//! student's facts computed straight from the stored answers, attendance and roster, so alerts can
//! be evaluated and tested end to end before the indicator engine lands. Once it does, the one
//! caller-facing function here, [`student_facts`], should become a call to it.
//!
//! What it computes: enrolments, grades and courses; per standard `mastery` (Bayesian knowledge
//! tracing with the policy's parameters over the scored answers in time order, Corbett & Anderson
//! 1995) and `mastery_evidence`; `accuracy_recent` over the policy's last N answers; from
//! whole-day attendance marks: `days_enrolled`, `attendance_rate`, `absences_14d`, `tardies_14d`,
//! `consecutive_absences`, `chronic_absence`. Participation and trend indicators are left unknown
//! (rules on them do not fire: the policy's evaluation is three-valued).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lantern_policies::rules::{BktParams, FactSheet, Grade, Indicator, RulesPolicy, StandardCode, Value};
use rusqlite::Connection;

use crate::auth::ts;
use crate::store::alerts::reads;
use crate::store::StoreError;

/// One BKT step: the posterior after an answer, then the chance of learning at this opportunity.
pub fn bkt_update(p: &BktParams, known: f64, correct: bool) -> f64 {
    let posterior = if correct {
        known * (1.0 - p.slip) / (known * (1.0 - p.slip) + (1.0 - known) * p.guess)
    } else {
        known * p.slip / (known * p.slip + (1.0 - known) * (1.0 - p.guess))
    };
    posterior + (1.0 - posterior) * p.learn
}

/// The student's facts as of `now`.
pub fn student_facts(
    c: &Connection,
    policy: &RulesPolicy,
    student_key: &str,
    now: DateTime<Utc>,
) -> Result<FactSheet, StoreError> {
    let mut facts = FactSheet::new();
    for (class, course) in reads::student_classes(c, student_key)? {
        facts.classes.insert(class);
        facts.courses.insert(course);
    }
    if let Some(grades) = reads::student_grades(c, student_key)? {
        facts.grades.extend(grades.split(',').filter_map(|g| Grade::parse(g.trim()).ok()));
    }

    let answers = reads::scored_answers(c, student_key, &ts(now))?;
    let mut per_standard: BTreeMap<String, (f64, u32)> = BTreeMap::new();
    let mut recent: Vec<(i64, bool)> = Vec::new();
    for a in &answers {
        let (known, n) = per_standard.entry(a.standard.clone()).or_insert((policy.bkt.prior, 0));
        *known = bkt_update(&policy.bkt, *known, a.correct);
        *n += 1;
        if recent.last().is_none_or(|(seq, _)| *seq != a.seq) {
            recent.push((a.seq, a.correct));
        }
    }
    for (standard, (known, n)) in per_standard {
        if let Ok(code) = StandardCode::parse(&standard) {
            facts = facts.with_mastery(&code, known, n);
        }
    }
    let window = policy.indicator_settings.accuracy_recent_items as usize;
    let last: Vec<bool> = recent.iter().rev().take(window).map(|(_, ok)| *ok).collect();
    if !last.is_empty() {
        let share = last.iter().filter(|&&ok| ok).count() as f64 / last.len() as f64;
        facts = facts.with(Indicator::AccuracyRecent, Value::Number(share));
    }

    let today = now.date_naive();
    let days = reads::attendance_days(c, student_key, &today.format("%Y-%m-%d").to_string())?;
    let days: Vec<(NaiveDate, String)> =
        days.into_iter().filter_map(|(d, s)| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok().map(|d| (d, s))).collect();
    if !days.is_empty() {
        let absent = |s: &str| matches!(s, "absent" | "excused");
        let enrolled = days.len() as u32;
        let missed = days.iter().filter(|(_, s)| absent(s)).count() as u32;
        let since = today - Duration::days(14);
        let in_window = |d: &NaiveDate| *d > since;
        let absences_14d = days.iter().filter(|(d, s)| in_window(d) && absent(s)).count() as u32;
        let tardies_14d = days.iter().filter(|(d, s)| in_window(d) && s == "tardy").count() as u32;
        let run = days.iter().rev().take_while(|(_, s)| absent(s)).count() as u32;
        let rate = f64::from(enrolled - missed) / f64::from(enrolled);
        facts = facts
            .with(Indicator::DaysEnrolled, Value::Count(enrolled))
            .with(Indicator::AttendanceRate, Value::Number(rate))
            .with(Indicator::Absences14d, Value::Count(absences_14d.min(10)))
            .with(Indicator::Tardies14d, Value::Count(tardies_14d.min(10)))
            .with(Indicator::ConsecutiveAbsences, Value::Count(run))
            .with(Indicator::ChronicAbsence, Value::Flag(f64::from(missed) >= 0.1 * f64::from(enrolled)));
    }
    Ok(facts)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::alerts::test_support::*;

    #[test]
    fn bkt_moves_the_right_way_by_hand_computed_amounts() {
        let p = policy().bkt; // prior 0.30, learn 0.15, slip 0.10, guess 0.25
                              // Correct: 0.3·0.9 / (0.27 + 0.7·0.25) = 0.27 / 0.445 = 0.606742; then + 0.393258·0.15.
        let after = bkt_update(&p, 0.3, true);
        assert!((after - (0.606_741_573 + (1.0 - 0.606_741_573) * 0.15)).abs() < 1e-6, "{after}");
        // Wrong: 0.03 / (0.03 + 0.7·0.75) = 0.054054; then + 0.945946·0.15.
        let after = bkt_update(&p, 0.3, false);
        assert!((after - (0.054_054_054 + (1.0 - 0.054_054_054) * 0.15)).abs() < 1e-6, "{after}");
    }

    #[test]
    fn attendance_and_enrolment_facts_from_the_store() {
        let f = fixture();
        f.store
            .write_blocking(|c| -> Result<(), StoreError> {
                for (d, s) in [
                    ("2026-09-21", "present"),
                    ("2026-09-22", "absent"),
                    ("2026-09-29", "tardy"),
                    ("2026-10-01", "present"),
                    ("2026-10-02", "absent"),
                    ("2026-10-05", "excused"),
                ] {
                    c.execute("INSERT INTO attendance (pkey, date, status) VALUES (?1, ?2, ?3)", [S1, d, s])?;
                }
                Ok(())
            })
            .unwrap();
        let facts = f.store.read_blocking(|c| student_facts(c, &policy(), S1, t0())).unwrap();
        use lantern_policies::rules::StudentFacts;
        assert_eq!(facts.value(Indicator::DaysEnrolled), Some(Value::Count(6)));
        assert_eq!(facts.value(Indicator::Absences14d), Some(Value::Count(3)), "09-22 is 13 days back: in");
        assert_eq!(facts.value(Indicator::ConsecutiveAbsences), Some(Value::Count(2)));
        assert_eq!(facts.value(Indicator::ChronicAbsence), Some(Value::Flag(true)));
        assert_eq!(facts.value(Indicator::AttendanceRate), Some(Value::Number(0.5)));
        assert!(facts.in_class(C1) && facts.in_course("course-m6"));
        assert!(facts.in_grade(&Grade::parse("06").unwrap()));
    }
}
