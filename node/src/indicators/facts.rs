//! One student's indicator values as the rules engine reads them ([`student_facts`]): every
//! `rules::Indicator`, from the stored indicator tables plus the windowed counts computed at read
//! time relative to "now" (so a 14-day window moves with the clock, not only with new data).

use chrono::{DateTime, Duration, Utc};
use lantern_policies::rules::{
    FactSheet, FocusStandards, Grade, Indicator, RulesPolicy, StandardCode, Value, MAX_SCHOOL_DAYS_IN_14_DAYS,
    MAX_SCHOOL_DAYS_IN_YEAR,
};
use rusqlite::Connection;

use super::attendance::{last_14_days, school_days};
use super::bkt::wilson;
use super::monday;
use crate::store::indicators::reads;
use crate::store::StoreError;

/// RFC 3339 UTC text in the form stored events use, for range comparisons.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn count(n: u32, max: u32) -> Value {
    Value::Count(n.min(max))
}

/// Every indicator of one student at `now`. Values are absent where there is no data (no answers,
/// no attendance marks, no live items presented): the rules treat them as unknown.
pub fn student_facts(
    c: &Connection,
    rules: &RulesPolicy,
    student_key: &str,
    now: DateTime<Utc>,
) -> Result<FactSheet, StoreError> {
    let mut f = FactSheet::new();
    let mastery = reads::student_mastery(c, student_key)?;
    for m in &mastery {
        let Ok(code) = StandardCode::parse(&m.standard) else { continue };
        let (low, high) = wilson(m.p_known, m.evidence);
        f = f
            .with_mastery(&code, m.p_known, m.evidence)
            .with_standard(&code, Indicator::MasteryLow, Value::Number(low))
            .with_standard(&code, Indicator::MasteryHigh, Value::Number(high));
    }

    let recent = reads::recent_answers(c, student_key, rules.indicator_settings.accuracy_recent_items)?;
    if !recent.is_empty() {
        let right = recent.iter().filter(|r| **r).count();
        f = f.with(Indicator::AccuracyRecent, Value::Number(right as f64 / recent.len() as f64));
    }

    if let Some(s) = reads::attendance_summary(c, student_key)? {
        let days = school_days(&reads::student_marks(c, student_key)?);
        let (absences, tardies) = last_14_days(&days, now.date_naive());
        f = f
            .with(Indicator::DaysEnrolled, count(s.days_enrolled, MAX_SCHOOL_DAYS_IN_YEAR))
            .with(Indicator::ConsecutiveAbsences, count(s.consecutive_absences, MAX_SCHOOL_DAYS_IN_YEAR))
            .with(Indicator::Absences14d, count(absences, MAX_SCHOOL_DAYS_IN_14_DAYS))
            .with(Indicator::Tardies14d, count(tardies, MAX_SCHOOL_DAYS_IN_14_DAYS));
        if let Some(rate) = s.attendance_rate() {
            f = f.with(Indicator::AttendanceRate, Value::Number(rate));
        }
        if let Some(chronic) = s.chronic_absence() {
            f = f.with(Indicator::ChronicAbsence, Value::Flag(chronic));
        }
    }

    let rate = |from: DateTime<Utc>, to: DateTime<Utc>| -> Result<Option<f64>, StoreError> {
        let (presented, answered) = reads::participation(c, student_key, &rfc3339(from), &rfc3339(to))?;
        Ok((presented > 0).then(|| (f64::from(answered) / f64::from(presented)).min(1.0)))
    };
    let recent_rate = rate(now - Duration::days(14), now)?;
    let before_rate = rate(now - Duration::days(42), now - Duration::days(14))?;
    if let Some(r) = recent_rate {
        f = f.with(Indicator::ParticipationRate, Value::Number(r));
        if let Some(b) = before_rate {
            f = f.with(Indicator::ParticipationChange, Value::Number(r - b));
        }
    }

    if let Some(trend) = mastery_trend(c, rules, student_key, &mastery, now)? {
        f = f.with(Indicator::MasteryTrend, Value::Number(trend));
    }

    for (class, course, grades) in reads::student_classes(c, student_key)? {
        f.classes.insert(class);
        f.courses.insert(course);
        f.grades.extend(grades.split(',').filter_map(|g| Grade::parse(g.trim()).ok()));
    }
    if let Some(grades) = reads::student_grades(c, student_key)? {
        f.grades.extend(grades.split(',').filter_map(|g| Grade::parse(g.trim()).ok()));
    }
    Ok(f)
}

/// Mean mastery over the focus standards the student has answered, now, minus the mean of the same
/// standards as they stood at the start of the week `mastery_trend_weeks` weeks ago (the prior
/// where there was no answer yet then).
fn mastery_trend(
    c: &Connection,
    rules: &RulesPolicy,
    student_key: &str,
    mastery: &[reads::MasteryValue],
    now: DateTime<Utc>,
) -> Result<Option<f64>, StoreError> {
    let focus: Vec<&reads::MasteryValue> = mastery
        .iter()
        .filter(|m| match rules.focus_standards.as_ref() {
            FocusStandards::All => true,
            FocusStandards::List(list) => list.iter().any(|s| s.as_str() == m.standard),
        })
        .collect();
    if focus.is_empty() {
        return Ok(None);
    }
    let weeks = i64::from(rules.indicator_settings.mastery_trend_weeks);
    let since = monday(now.date_naive() - Duration::days(7 * weeks)).format("%Y-%m-%d").to_string();
    let (mut now_sum, mut then_sum) = (0.0, 0.0);
    for m in &focus {
        now_sum += m.p_known;
        then_sum += reads::mastery_before_week(c, student_key, &m.standard, &since)?
            .unwrap_or(rules.bkt_for(&m.standard).prior);
    }
    let n = focus.len() as f64;
    Ok(Some(((now_sum - then_sum) / n).clamp(-1.0, 1.0)))
}
