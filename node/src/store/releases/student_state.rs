//! SQL for the release attributes that come from the alerts and indicators tables: each student's
//! flags (migration 0005: `flag`, `flag_event`), interventions (`intervention`) and BKT mastery
//! (migration 0004: `mastery`, replayed from `learning_event` where the stored state is newer than
//! the as-of date). Every read is "as of" a period: `start` is the period's first day and `end` the
//! day after the as-of date, both as `YYYY-MM-DD` text, which compares correctly with the stored
//! RFC 3339 UTC timestamps (`2026-10-31T12:00:00.000Z` < `2026-11-01`).

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::Connection;

use crate::store::StoreError;

/// The bounds of a release's reads: the period's first day, and the day after the as-of date
/// (exclusive), as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsOf {
    start: String,
    end: String,
}

impl AsOf {
    /// `[period_start, as_of]`, both days included.
    pub fn new(period_start: NaiveDate, as_of: NaiveDate) -> AsOf {
        AsOf { start: period_start.to_string(), end: as_of.succ_opt().unwrap_or(as_of).to_string() }
    }
}

/// One flag of a student that was in force at some moment of the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagFact {
    pub rule_id: String,
    /// The flag's tier at the as-of date when it was live then (open, acknowledged, overridden or
    /// intervention_started): the overridden tier once it was overridden. `None` when it had ended
    /// (dismissed, resolved, expired) by then.
    pub live_tier: Option<u8>,
}

/// Flags in force at some moment of the period, per student: raised before the end of the as-of
/// date and not ended (dismissed, resolved, expired) before the period's first day. The state and
/// tier at the as-of date come from `flag_event`, the flag's append-only history (an override
/// happens at most once and is kept, so `tier_override` is the tier from that event on).
pub fn flags_in_period(c: &Connection, at: &AsOf) -> Result<HashMap<String, Vec<FlagFact>>, StoreError> {
    let mut st = c.prepare(
        "SELECT student_key, rule_id, tier, tier_override, overridden, state_then FROM (
           SELECT f.id, f.student_key, f.rule_id, f.tier, f.tier_override,
                  EXISTS (SELECT 1 FROM flag_event o
                           WHERE o.flag_id = f.id AND o.to_state = 'overridden' AND o.at < ?2) AS overridden,
                  (SELECT e.to_state FROM flag_event e
                    WHERE e.flag_id = f.id AND e.at < ?2 ORDER BY e.at DESC, e.id DESC LIMIT 1) AS state_then
             FROM flag f
            WHERE f.raised_at < ?2
              AND NOT EXISTS (SELECT 1 FROM flag_event x
                               WHERE x.flag_id = f.id AND x.to_state IN ('dismissed', 'resolved', 'expired')
                                 AND x.at < ?1))
          ORDER BY student_key, rule_id, id",
    )?;
    let mut out: HashMap<String, Vec<FlagFact>> = HashMap::new();
    let mut rows = st.query([&at.start, &at.end])?;
    while let Some(r) = rows.next()? {
        let (tier, tier_override, overridden): (u8, Option<u8>, bool) = (r.get(2)?, r.get(3)?, r.get(4)?);
        let state_then: Option<String> = r.get(5)?;
        let live =
            matches!(state_then.as_deref(), Some("open" | "acknowledged" | "overridden" | "intervention_started"));
        let tier_then = if overridden { tier_override.unwrap_or(tier) } else { tier };
        out.entry(r.get(0)?).or_default().push(FlagFact { rule_id: r.get(1)?, live_tier: live.then_some(tier_then) });
    }
    Ok(out)
}

/// How a closed intervention ended (`intervention.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedOutcome {
    Met,
    Partly,
    NotMet,
}

impl ClosedOutcome {
    fn parse(s: &str) -> Option<ClosedOutcome> {
        match s {
            "met" => Some(ClosedOutcome::Met),
            "partly" => Some(ClosedOutcome::Partly),
            "not_met" => Some(ClosedOutcome::NotMet),
            _ => None,
        }
    }
}

/// One intervention in effect at some moment of the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterventionFact {
    pub id: i64,
    /// `intervention.kind`, as logged (the release maps it into the policy's domain).
    pub kind: String,
    pub start_date: String,
    /// Its outcome when it was closed by the end of the as-of date; `None` while still ongoing then.
    pub outcome: Option<ClosedOutcome>,
}

/// Interventions in effect at some moment of the period, per student, oldest first (start date,
/// then id): started by the as-of date and not closed before the period's first day.
pub fn interventions_in_period(
    c: &Connection,
    at: &AsOf,
) -> Result<HashMap<String, Vec<InterventionFact>>, StoreError> {
    let mut st = c.prepare(
        "SELECT id, student_key, kind, start_date, CASE WHEN closed_at < ?2 THEN outcome END
           FROM intervention
          WHERE start_date < ?2 AND (closed_at IS NULL OR closed_at >= ?1)
          ORDER BY student_key, start_date, id",
    )?;
    let mut out: HashMap<String, Vec<InterventionFact>> = HashMap::new();
    let mut rows = st.query([&at.start, &at.end])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let outcome = match r.get::<_, Option<String>>(4)? {
            None => None,
            Some(o) => Some(
                ClosedOutcome::parse(&o)
                    .ok_or_else(|| StoreError::Invalid(format!("intervention {id}: outcome: unknown outcome {o:?}")))?,
            ),
        };
        out.entry(r.get(1)?).or_default().push(InterventionFact {
            id,
            kind: r.get(2)?,
            start_date: r.get(3)?,
            outcome,
        });
    }
    Ok(out)
}

/// A student's BKT state on one standard at the as-of date.
#[derive(Debug, Clone, PartialEq)]
pub enum MasteryAsOf {
    /// The stored posterior (`mastery.p_known`): no answer on the standard after the as-of date.
    Stored(f64),
    /// The stored state includes later answers: the scored answers up to the as-of date, in event
    /// order (time, then seq), to replay from the prior. Never empty.
    Replay(Vec<bool>),
}

/// Per student: standard → BKT state at the as-of date. A student with no scored answer on a
/// standard by then has no entry (no evidence).
pub type MasteryByStudent = HashMap<String, HashMap<String, MasteryAsOf>>;

/// Each student's mastery per standard at the end of the as-of date: the `mastery` row when its
/// last answer is before then, otherwise the answers before then to replay.
pub fn mastery_as_of(c: &Connection, at: &AsOf) -> Result<MasteryByStudent, StoreError> {
    let mut out: MasteryByStudent = HashMap::new();
    let mut st = c.prepare("SELECT student_key, standard, p_known FROM mastery WHERE last_at < ?1 AND evidence > 0")?;
    let mut rows = st.query([&at.end])?;
    while let Some(r) = rows.next()? {
        out.entry(r.get(0)?).or_default().insert(r.get(1)?, MasteryAsOf::Stored(r.get(2)?));
    }
    let mut st = c.prepare(
        "SELECT m.student_key, m.standard, e.correct
           FROM mastery m
           JOIN item_standard s ON s.standard = m.standard
           JOIN learning_event e ON e.item_id = s.item_id AND e.student_key = m.student_key
          WHERE m.last_at >= ?1 AND e.at < ?1 AND e.correct IS NOT NULL
          ORDER BY m.student_key, m.standard, e.at, e.seq",
    )?;
    let mut rows = st.query([&at.end])?;
    while let Some(r) = rows.next()? {
        let correct = r.get::<_, i64>(2)? != 0;
        let entry = out.entry(r.get(0)?).or_default().entry(r.get(1)?).or_insert(MasteryAsOf::Replay(Vec::new()));
        if let MasteryAsOf::Replay(answers) = entry {
            answers.push(correct);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use lantern_policies::rules::BktParams;
    use rusqlite::params;

    use super::*;
    use crate::indicators::Engine;
    use crate::live::LiveHub;
    use crate::store::indicators::seed;
    use crate::store::migrations;

    const BKT: BktParams = BktParams { prior: 0.30, learn: 0.15, slip: 0.10, guess: 0.25 };

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "foreign_keys", "ON").unwrap();
        migrations::migrate_to(&mut c, migrations::latest_version()).unwrap();
        c
    }

    /// October 2026, as of its last day.
    fn october() -> AsOf {
        AsOf::new(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 10, 31).unwrap())
    }

    /// A flag of `rule` with `(at, to_state)` events, the first being its raise.
    fn flag(c: &Connection, student: &str, rule: &str, tier: u8, tier_override: Option<u8>, events: &[(&str, &str)]) {
        let (raised, _) = events[0];
        let (_, state) = events[events.len() - 1];
        c.execute(
            "INSERT INTO flag (student_key, rule_id, rule_version, policy_hash, tier, tier_override, color, label,
                               playbook, reason, evidence, state, raised_at, last_confirmed_at, expiry_days,
                               expires_at, updated_at)
             VALUES (?1, ?2, 1, 'h', ?3, ?4, 'amber', 'l', 'p', 'r', '{}', ?5, ?6, ?6, 14, '2027-01-01', ?6)",
            params![student, rule, tier, tier_override, state, raised],
        )
        .unwrap();
        let id = c.last_insert_rowid();
        let mut from: Option<&str> = None;
        for (at, to) in events {
            c.execute(
                "INSERT INTO flag_event (flag_id, at, from_state, to_state) VALUES (?1, ?2, ?3, ?4)",
                params![id, at, from, to],
            )
            .unwrap();
            from = Some(to);
        }
    }

    #[test]
    fn flags_in_force_during_the_period_with_their_tier_at_the_as_of_date() {
        let c = db();
        flag(&c, "s1", "live", 2, None, &[("2026-10-05T10:00:00.000Z", "open")]);
        flag(
            &c,
            "s1",
            "overridden",
            1,
            Some(3),
            &[("2026-10-02T10:00:00.000Z", "open"), ("2026-10-10T10:00:00.000Z", "overridden")],
        );
        // Overridden after the as-of date: still its rule's tier then.
        flag(
            &c,
            "s1",
            "overridden-later",
            1,
            Some(3),
            &[("2026-10-02T10:00:00.000Z", "open"), ("2026-11-05T10:00:00.000Z", "overridden")],
        );
        flag(
            &c,
            "s1",
            "dismissed-in-period",
            3,
            None,
            &[("2026-09-20T10:00:00.000Z", "open"), ("2026-10-03T10:00:00.000Z", "dismissed")],
        );
        flag(
            &c,
            "s1",
            "expired-before",
            3,
            None,
            &[("2026-09-01T10:00:00.000Z", "open"), ("2026-09-25T10:00:00.000Z", "expired")],
        );
        flag(&c, "s1", "raised-after", 3, None, &[("2026-11-01T00:00:00.000Z", "open")]);
        flag(
            &c,
            "s2",
            "resolved-after",
            2,
            None,
            &[
                ("2026-10-01T08:00:00.000Z", "open"),
                ("2026-10-02T08:00:00.000Z", "intervention_started"),
                ("2026-11-03T08:00:00.000Z", "resolved"),
            ],
        );
        // Overridden, then an intervention started: the overridden tier stays.
        flag(
            &c,
            "s2",
            "overridden-then-intervention",
            3,
            Some(1),
            &[
                ("2026-09-01T08:00:00.000Z", "open"),
                ("2026-09-02T08:00:00.000Z", "overridden"),
                ("2026-09-03T08:00:00.000Z", "intervention_started"),
            ],
        );
        let got = flags_in_period(&c, &october()).unwrap();
        let of = |s: &str| -> HashMap<String, Option<u8>> {
            got[s].iter().map(|f| (f.rule_id.clone(), f.live_tier)).collect()
        };
        let want: HashMap<String, Option<u8>> =
            [("live", Some(2)), ("overridden", Some(3)), ("overridden-later", Some(1)), ("dismissed-in-period", None)]
                .into_iter()
                .map(|(r, t)| (r.to_string(), t))
                .collect();
        assert_eq!(of("s1"), want);
        let want: HashMap<String, Option<u8>> =
            [("resolved-after", Some(2)), ("overridden-then-intervention", Some(1))]
                .into_iter()
                .map(|(r, t)| (r.to_string(), t))
                .collect();
        assert_eq!(of("s2"), want);
        assert_eq!(got.len(), 2);
    }

    fn intervention(c: &Connection, student: &str, kind: &str, start: &str, closed: Option<(&str, &str)>) -> i64 {
        c.execute(
            "INSERT INTO intervention (student_key, kind, tier, goal_indicator, baseline, target, start_date, goal_date,
                                       strategies, owner_account_id, check_every_days, state, outcome, closed_at,
                                       created_by, created_at)
             VALUES (?1, ?2, 2, 'attendance_rate', 0.8, 0.9, ?3, '2027-06-01', '[]', 1, 7,
                     CASE WHEN ?4 IS NULL THEN 'active' ELSE 'closed' END, ?4, ?5, 1, ?3)",
            params![student, kind, start, closed.map(|c| c.1), closed.map(|c| c.0)],
        )
        .unwrap();
        c.last_insert_rowid()
    }

    #[test]
    fn interventions_in_effect_during_the_period_with_their_outcome_at_the_as_of_date() {
        let c = db();
        intervention(&c, "s1", "tutoring", "2026-09-01", Some(("2026-09-20T10:00:00.000Z", "met")));
        let partly = intervention(&c, "s1", "mentoring", "2026-09-15", Some(("2026-10-10T10:00:00.000Z", "partly")));
        let later = intervention(&c, "s1", "tutoring", "2026-10-20", Some(("2026-11-03T10:00:00.000Z", "met")));
        intervention(&c, "s1", "tutoring", "2026-11-02", None);
        let active = intervention(&c, "s2", "counseling", "2026-10-31", None);
        let got = interventions_in_period(&c, &october()).unwrap();
        let s1: Vec<(i64, &str, Option<ClosedOutcome>)> =
            got["s1"].iter().map(|i| (i.id, i.kind.as_str(), i.outcome)).collect();
        assert_eq!(s1, vec![(partly, "mentoring", Some(ClosedOutcome::Partly)), (later, "tutoring", None)]);
        assert_eq!(got["s2"][0].id, active);
        assert_eq!(got["s2"][0].outcome, None);
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn closed_outcomes_parse_only_the_schema_values() {
        assert_eq!(ClosedOutcome::parse("met"), Some(ClosedOutcome::Met));
        assert_eq!(ClosedOutcome::parse("partly"), Some(ClosedOutcome::Partly));
        assert_eq!(ClosedOutcome::parse("not_met"), Some(ClosedOutcome::NotMet));
        assert_eq!(ClosedOutcome::parse("partially_met"), None);
        // The schema's CHECK keeps any other value out of the table, so the read's error path
        // cannot be reached through the database.
        let c = db();
        let err = c
            .execute(
                "INSERT INTO intervention (student_key, kind, tier, goal_indicator, baseline, target, start_date,
                   goal_date, strategies, owner_account_id, check_every_days, state, outcome, created_by, created_at)
                 VALUES ('s', 'k', 1, 'g', 0, 1, '2026-10-01', '2026-11-01', '[]', 1, 7, 'closed', 'sort_of', 1, 'x')",
                [],
            )
            .unwrap_err();
        assert!(err.to_string().contains("CHECK"), "{err}");
    }

    #[test]
    fn mastery_is_the_stored_posterior_or_the_answers_to_replay_up_to_the_as_of_date() {
        let c = db();
        seed::class(&c, "c1", "Math 6A", "06").unwrap();
        for k in ["s1", "s2", "s3"] {
            seed::student(&c, k, "Given", k, Some("c1")).unwrap();
        }
        seed::item(&c, "i1", &["STD.A"], &[("a", true, None), ("b", false, None)]).unwrap();
        seed::item(&c, "i2", &["STD.A", "STD.B"], &[("a", true, None), ("b", false, None)]).unwrap();
        let engine = Engine::new(BKT, Arc::new(LiveHub::new()));
        let events = [
            seed::answer(1, "s1", "2026-10-05T10:00:00Z", "i1", None, true, "a"),
            seed::answer(2, "s1", "2026-10-06T10:00:00Z", "i2", None, false, "b"),
            seed::answer(3, "s2", "2026-10-06T10:00:00Z", "i1", None, false, "b"),
            seed::answer(4, "s2", "2026-10-31T23:59:59Z", "i1", None, true, "a"),
            // After the as-of date: s2's stored STD.A state includes it; s3 has nothing before.
            seed::answer(5, "s2", "2026-11-01T00:00:00Z", "i1", None, true, "a"),
            seed::answer(6, "s3", "2026-11-02T10:00:00Z", "i2", None, true, "a"),
        ];
        for e in &events {
            seed::event(&c, e).unwrap();
        }
        engine.apply(&c, &events).unwrap();
        let stored = |s: &str, std: &str| -> f64 {
            c.query_row("SELECT p_known FROM mastery WHERE student_key = ?1 AND standard = ?2", [s, std], |r| r.get(0))
                .unwrap()
        };
        let got = mastery_as_of(&c, &october()).unwrap();
        assert_eq!(got["s1"]["STD.A"], MasteryAsOf::Stored(stored("s1", "STD.A")));
        assert_eq!(got["s1"]["STD.B"], MasteryAsOf::Stored(stored("s1", "STD.B")));
        assert_eq!(got["s2"]["STD.A"], MasteryAsOf::Replay(vec![false, true]));
        assert!(!got.contains_key("s3"), "no answer by the as-of date: no evidence");
        // The replay gives what the table held before the later answer arrived.
        let c2 = db();
        seed::class(&c2, "c1", "Math 6A", "06").unwrap();
        seed::student(&c2, "s2", "Given", "s2", Some("c1")).unwrap();
        seed::item(&c2, "i1", &["STD.A"], &[("a", true, None), ("b", false, None)]).unwrap();
        for e in &events[2..4] {
            seed::event(&c2, e).unwrap();
        }
        Engine::new(BKT, Arc::new(LiveHub::new())).apply(&c2, &events[2..4]).unwrap();
        let then: f64 = c2
            .query_row("SELECT p_known FROM mastery WHERE student_key = 's2' AND standard = 'STD.A'", [], |r| r.get(0))
            .unwrap();
        let replayed = crate::release::records::p_known(&BKT, &got["s2"]["STD.A"]);
        assert!((replayed - then).abs() < 1e-12, "{replayed} vs {then}");
    }
}
