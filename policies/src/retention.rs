//! The retention policy (`retention.toml`, `kind = "retention"`): how long each class of data is
//! kept and when purges run. The node's purge job asks [`RetentionPolicy::class`] for a class's
//! period and computes the cut-off with [`RetentionPeriod::cutoff`].

use std::fmt;

use chrono::{DateTime, Datelike, Days, Months, NaiveDateTime, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::policy_file::{Diagnostic, PolicyHash, PolicySource};
use crate::rules::report::Report;

/// The retention policy shipped with Lantern.
pub const DEFAULT_RETENTION_TOML: &str = include_str!("../defaults/retention.toml");

/// The built-in retention policy as a source.
pub fn default_source() -> PolicySource {
    PolicySource::builtin("retention.toml", DEFAULT_RETENTION_TOML)
}

/// A class of stored data with its own retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    /// Raw xAPI statement JSON as received.
    RawEvents,
    /// Validated answers and activity events derived from statements.
    LearningEvents,
    /// Daily attendance records.
    Attendance,
    /// Alert flags with their evidence, acknowledgements, overrides and appeals.
    Flags,
    /// Interventions: goals, progress checks and outcomes.
    Interventions,
    /// The hash-chained log of who read which student's record.
    AccessLog,
    /// Login sessions.
    Sessions,
    /// Reports of roster, attendance and item imports.
    ImportReports,
    /// Sealed DP releases and their privacy-budget ledger entries (aggregates only).
    Releases,
}

impl DataClass {
    pub const ALL: [DataClass; 9] = [
        DataClass::RawEvents,
        DataClass::LearningEvents,
        DataClass::Attendance,
        DataClass::Flags,
        DataClass::Interventions,
        DataClass::AccessLog,
        DataClass::Sessions,
        DataClass::ImportReports,
        DataClass::Releases,
    ];

    /// The name used as the TOML table, e.g. `raw_events`.
    pub fn name(self) -> &'static str {
        match self {
            DataClass::RawEvents => "raw_events",
            DataClass::LearningEvents => "learning_events",
            DataClass::Attendance => "attendance",
            DataClass::Flags => "flags",
            DataClass::Interventions => "interventions",
            DataClass::AccessLog => "access_log",
            DataClass::Sessions => "sessions",
            DataClass::ImportReports => "import_reports",
            DataClass::Releases => "releases",
        }
    }

    pub fn from_name(name: &str) -> Option<DataClass> {
        DataClass::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Whether the class is part of students' education records (the access log must outlive it).
    pub fn holds_student_records(self) -> bool {
        matches!(
            self,
            DataClass::RawEvents
                | DataClass::LearningEvents
                | DataClass::Attendance
                | DataClass::Flags
                | DataClass::Interventions
        )
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for DataClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How long records are kept, counted from each record's own timestamp: `"400d"`, `"8w"`, `"3y"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RetentionPeriod {
    Days(u32),
    Weeks(u32),
    /// Calendar years (a record from 29 February is purged on 28 February N years later).
    Years(u32),
}

/// Longest period a policy may set; anything longer is a typo or not retention at all.
const MAX_YEARS: u32 = 100;

impl RetentionPeriod {
    pub fn parse(text: &str) -> Result<RetentionPeriod, String> {
        let expected = "expected a whole number and a unit: \"400d\" (days), \"8w\" (weeks) or \"3y\" (years)";
        let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (number, unit) = text.split_at(digits);
        let n: u32 = match number.parse() {
            Ok(n) => n,
            Err(_) => return Err(format!("\"{text}\": {expected}")),
        };
        let period = match unit {
            "d" => RetentionPeriod::Days(n),
            "w" => RetentionPeriod::Weeks(n),
            "y" => RetentionPeriod::Years(n),
            _ => return Err(format!("\"{text}\": {expected}")),
        };
        if n == 0 {
            return Err(format!("\"{text}\": keep data at least one day (purging is what the schedule is for)"));
        }
        if period.min_days() > MAX_YEARS * 365 {
            return Err(format!("\"{text}\": at most {MAX_YEARS} years"));
        }
        Ok(period)
    }

    /// Fewest days the period can span.
    pub fn min_days(self) -> u32 {
        match self {
            RetentionPeriod::Days(n) => n,
            RetentionPeriod::Weeks(n) => n.saturating_mul(7),
            RetentionPeriod::Years(n) => n.saturating_mul(365),
        }
    }

    /// Most days the period can span (years can contain leap days).
    pub fn max_days(self) -> u32 {
        match self {
            RetentionPeriod::Years(n) => n.saturating_mul(365).saturating_add(n.div_ceil(4)),
            other => other.min_days(),
        }
    }

    /// Whether this period keeps records at least as long as `other`, whatever the calendar.
    pub fn at_least(self, other: RetentionPeriod) -> bool {
        match (self, other) {
            (RetentionPeriod::Years(a), RetentionPeriod::Years(b)) => a >= b,
            _ => self.min_days() >= other.max_days(),
        }
    }

    /// Records with a timestamp before the returned instant are due for purging at `now`.
    pub fn cutoff(self, now: DateTime<Utc>) -> DateTime<Utc> {
        let cut = match self {
            RetentionPeriod::Days(n) => now.checked_sub_days(Days::new(u64::from(n))),
            RetentionPeriod::Weeks(n) => now.checked_sub_days(Days::new(u64::from(n) * 7)),
            RetentionPeriod::Years(n) => now.checked_sub_months(Months::new(n.saturating_mul(12))),
        };
        // Out of chrono's range means "before every record": purge nothing.
        cut.unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

impl fmt::Display for RetentionPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetentionPeriod::Days(n) => write!(f, "{n}d"),
            RetentionPeriod::Weeks(n) => write!(f, "{n}w"),
            RetentionPeriod::Years(n) => write!(f, "{n}y"),
        }
    }
}

/// When purges run, in the node's local time: `"daily 02:00"` or `"weekly sunday 03:30"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PurgeSchedule {
    Daily { at: NaiveTime },
    Weekly { day: Weekday, at: NaiveTime },
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

impl PurgeSchedule {
    pub fn parse(text: &str) -> Result<PurgeSchedule, String> {
        let expected =
            "expected \"daily HH:MM\" or \"weekly DAY HH:MM\", e.g. \"daily 02:00\" or \"weekly sunday 03:00\"";
        let words: Vec<&str> = text.split_whitespace().collect();
        let time = |t: &str| {
            let valid = t.len() == 5 && t.as_bytes()[2] == b':';
            let parsed = if valid { NaiveTime::parse_from_str(t, "%H:%M").ok() } else { None };
            parsed.ok_or_else(|| format!("\"{text}\": \"{t}\" is not a time of day (HH:MM, 00:00 to 23:59)"))
        };
        match words.as_slice() {
            ["daily", t] => Ok(PurgeSchedule::Daily { at: time(t)? }),
            ["weekly", day, t] => {
                let lower = day.to_lowercase();
                let Some(&(_, day)) = WEEKDAYS.iter().find(|(name, _)| *name == lower) else {
                    return Err(format!("\"{text}\": \"{day}\" is not a day of the week (monday to sunday)"));
                };
                Ok(PurgeSchedule::Weekly { day, at: time(t)? })
            }
            _ => Err(format!("\"{text}\": {expected}")),
        }
    }

    /// The first scheduled run strictly after `now` (node local time).
    pub fn next_after(self, now: NaiveDateTime) -> NaiveDateTime {
        let (at, day) = match self {
            PurgeSchedule::Daily { at } => (at, None),
            PurgeSchedule::Weekly { day, at } => (at, Some(day)),
        };
        let mut date = now.date();
        // At most 8 steps: today or one of the next seven days matches.
        for _ in 0..8 {
            let candidate = date.and_time(at);
            if candidate > now && day.is_none_or(|d| date.weekday() == d) {
                return candidate;
            }
            date = date.succ_opt().unwrap_or(date);
        }
        now
    }
}

impl fmt::Display for PurgeSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PurgeSchedule::Daily { at } => write!(f, "daily {}", at.format("%H:%M")),
            PurgeSchedule::Weekly { day, at } => {
                let name = WEEKDAYS.iter().find(|(_, d)| d == day).map_or("?", |(n, _)| n);
                write!(f, "weekly {name} {}", at.format("%H:%M"))
            }
        }
    }
}

/// Retention of one data class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClassRetention {
    pub keep: RetentionPeriod,
    pub schedule: PurgeSchedule,
}

/// A validated retention policy: every data class has a period and a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub hash: PolicyHash,
    /// Indexed by `DataClass as usize`.
    classes: [ClassRetention; 9],
}

impl RetentionPolicy {
    pub fn class(&self, class: DataClass) -> ClassRetention {
        self.classes[class.index()]
    }

    /// Every class with its retention, in `DataClass::ALL` order.
    pub fn iter(&self) -> impl Iterator<Item = (DataClass, ClassRetention)> + '_ {
        DataClass::ALL.into_iter().map(|c| (c, self.class(c)))
    }
}

/// Releases (and their budget ledger) are kept at least a year: the ledger accounts for the
/// privacy budget of a whole budget year, and dropping entries would let it be spent twice.
const RELEASES_MINIMUM: RetentionPeriod = RetentionPeriod::Years(1);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionFile {
    kind: Option<Spanned<String>>,
    purge_schedule: Option<Spanned<String>>,
    raw_events: Option<Spanned<ClassRaw>>,
    learning_events: Option<Spanned<ClassRaw>>,
    attendance: Option<Spanned<ClassRaw>>,
    flags: Option<Spanned<ClassRaw>>,
    interventions: Option<Spanned<ClassRaw>>,
    access_log: Option<Spanned<ClassRaw>>,
    sessions: Option<Spanned<ClassRaw>>,
    import_reports: Option<Spanned<ClassRaw>>,
    releases: Option<Spanned<ClassRaw>>,
}

impl RetentionFile {
    fn class(&self, class: DataClass) -> Option<&Spanned<ClassRaw>> {
        match class {
            DataClass::RawEvents => self.raw_events.as_ref(),
            DataClass::LearningEvents => self.learning_events.as_ref(),
            DataClass::Attendance => self.attendance.as_ref(),
            DataClass::Flags => self.flags.as_ref(),
            DataClass::Interventions => self.interventions.as_ref(),
            DataClass::AccessLog => self.access_log.as_ref(),
            DataClass::Sessions => self.sessions.as_ref(),
            DataClass::ImportReports => self.import_reports.as_ref(),
            DataClass::Releases => self.releases.as_ref(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassRaw {
    keep: Option<Spanned<String>>,
    purge_schedule: Option<Spanned<String>>,
}

fn schedule(report: &mut Report<'_>, value: &Spanned<String>, key: &str) -> Option<PurgeSchedule> {
    PurgeSchedule::parse(value.get_ref()).map_err(|e| report.at(value.span(), format!("{key} = {e}"))).ok()
}

/// Validates a retention policy, returning every problem found.
pub fn load(src: &PolicySource) -> Result<RetentionPolicy, Vec<Diagnostic>> {
    let file: RetentionFile = src.parse().map_err(|d| vec![d])?;
    let mut report = Report::new(src);
    match &file.kind {
        Some(k) if k.get_ref() == "retention" => {}
        Some(k) => report.at(k.span(), format!("kind = \"{}\": this file must say kind = \"retention\"", k.get_ref())),
        None => report.whole("missing top-level key `kind` (kind = \"retention\")"),
    }
    let default_schedule = match &file.purge_schedule {
        Some(s) => schedule(&mut report, s, "purge_schedule"),
        None => {
            report.whole("missing top-level key `purge_schedule` (e.g. \"daily 02:00\")");
            None
        }
    };
    let mut classes: Vec<Option<(ClassRetention, std::ops::Range<usize>)>> = Vec::new();
    for class in DataClass::ALL {
        let Some(raw) = file.class(class) else {
            report.whole(format!("missing table [{class}] (how long to keep {class}, e.g. keep = \"400d\")"));
            classes.push(None);
            continue;
        };
        let owner = format!("[{class}]");
        let keep = report.required(&raw.get_ref().keep, &raw.span(), &owner, "keep", "e.g. \"400d\", \"8w\" or \"3y\"");
        let period = keep.and_then(|k| {
            let period = RetentionPeriod::parse(k.get_ref()).map_err(|e| report.at(k.span(), format!("{class}.keep = {e}"))).ok()?;
            if class == DataClass::Releases && !period.at_least(RELEASES_MINIMUM) {
                report.at(
                    k.span(),
                    format!(
                        "releases.keep = \"{period}\": keep releases at least {RELEASES_MINIMUM}; the privacy-budget ledger accounts for a whole budget year"
                    ),
                );
                return None;
            }
            Some((period, k.span()))
        });
        let own_schedule = match &raw.get_ref().purge_schedule {
            Some(s) => schedule(&mut report, s, &format!("{class}.purge_schedule")),
            None => default_schedule,
        };
        classes.push(match (period, own_schedule) {
            (Some((keep, span)), Some(schedule)) => Some((ClassRetention { keep, schedule }, span)),
            _ => None,
        });
    }
    check_access_log_outlives_records(&mut report, &classes);
    let complete: Option<Vec<ClassRetention>> = classes.into_iter().map(|c| c.map(|(r, _)| r)).collect();
    let policy = complete
        .and_then(|c| <[ClassRetention; 9]>::try_from(c).ok())
        .map(|classes| RetentionPolicy { hash: src.hash(), classes });
    report.into_result(policy)
}

/// The record of who read a student's data is kept as long as the data itself (FERPA keeps the
/// record of disclosures as long as the education records).
fn check_access_log_outlives_records(
    report: &mut Report<'_>,
    classes: &[Option<(ClassRetention, std::ops::Range<usize>)>],
) {
    let Some(Some((log, span))) = classes.get(DataClass::AccessLog.index()) else { return };
    let longest = DataClass::ALL
        .into_iter()
        .filter(|c| c.holds_student_records())
        .filter_map(|c| classes.get(c.index()).and_then(Option::as_ref).map(|(r, _)| (c, r.keep)))
        .filter(|(_, keep)| !log.keep.at_least(*keep))
        .max_by_key(|(_, keep)| keep.max_days());
    if let Some((class, keep)) = longest {
        report.at(
            span.clone(),
            format!(
                "access_log.keep = \"{}\" is shorter than {class}.keep = \"{keep}\": keep the record of who read a student's data at least as long as the data",
                log.keep
            ),
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::*;

    fn source(text: &str) -> PolicySource {
        PolicySource { name: "retention.toml".to_string(), text: text.to_string() }
    }

    fn diagnostics(text: &str) -> String {
        match load(&source(text)) {
            Ok(_) => panic!("expected errors in:\n{text}"),
            Err(ds) => ds.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"),
        }
    }

    /// The default file with `from` replaced by `to` (which must occur).
    fn defaults_with(from: &str, to: &str) -> String {
        assert!(DEFAULT_RETENTION_TOML.contains(from), "{from}");
        DEFAULT_RETENTION_TOML.replacen(from, to, 1)
    }

    #[test]
    fn defaults_load_clean() {
        let p = load(&default_source()).unwrap_or_else(|ds| panic!("{ds:#?}"));
        let summary: Vec<String> = p.iter().map(|(c, r)| format!("{c}: {} ({})", r.keep, r.schedule)).collect();
        insta::assert_snapshot!(summary.join("\n"), @r"
        raw_events: 90d (daily 02:00)
        learning_events: 400d (daily 02:00)
        attendance: 400d (daily 02:00)
        flags: 2y (daily 02:00)
        interventions: 3y (daily 02:00)
        access_log: 3y (daily 02:00)
        sessions: 30d (daily 02:00)
        import_reports: 400d (daily 02:00)
        releases: 5y (weekly sunday 03:00)
        ");
        assert_eq!(p.hash, default_source().hash());
    }

    #[test]
    fn data_class_names_round_trip() {
        for c in DataClass::ALL {
            assert_eq!(DataClass::from_name(c.name()), Some(c));
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{c}\""));
            assert_eq!(DataClass::ALL[c.index()], c);
        }
    }

    #[test]
    fn periods_parse_and_compare() {
        assert_eq!(RetentionPeriod::parse("400d"), Ok(RetentionPeriod::Days(400)));
        assert_eq!(RetentionPeriod::parse("8w"), Ok(RetentionPeriod::Weeks(8)));
        assert_eq!(RetentionPeriod::parse("3y"), Ok(RetentionPeriod::Years(3)));
        assert!(RetentionPeriod::Years(3).at_least(RetentionPeriod::Years(3)));
        assert!(RetentionPeriod::Years(1).at_least(RetentionPeriod::Days(365)));
        assert!(!RetentionPeriod::Years(1).at_least(RetentionPeriod::Days(366)), "a year can be 365 days");
        assert!(!RetentionPeriod::Days(365).at_least(RetentionPeriod::Years(1)), "a year can be 366 days");
        assert!(RetentionPeriod::Days(366).at_least(RetentionPeriod::Years(1)));
        assert!(RetentionPeriod::Weeks(53).at_least(RetentionPeriod::Years(1)));
    }

    #[test]
    fn period_errors() {
        let errors: Vec<String> = ["400", "d", "4 d", "-3d", "3m", "0d", "101y", "99999999999d"]
            .into_iter()
            .map(|t| RetentionPeriod::parse(t).unwrap_err())
            .collect();
        insta::assert_snapshot!(errors.join("\n"), @r#"
        "400": expected a whole number and a unit: "400d" (days), "8w" (weeks) or "3y" (years)
        "d": expected a whole number and a unit: "400d" (days), "8w" (weeks) or "3y" (years)
        "4 d": expected a whole number and a unit: "400d" (days), "8w" (weeks) or "3y" (years)
        "-3d": expected a whole number and a unit: "400d" (days), "8w" (weeks) or "3y" (years)
        "3m": expected a whole number and a unit: "400d" (days), "8w" (weeks) or "3y" (years)
        "0d": keep data at least one day (purging is what the schedule is for)
        "101y": at most 100 years
        "99999999999d": expected a whole number and a unit: "400d" (days), "8w" (weeks) or "3y" (years)
        "#);
    }

    #[test]
    fn cutoffs_use_the_calendar() {
        let now = Utc.with_ymd_and_hms(2028, 2, 29, 2, 0, 0).unwrap();
        assert_eq!(RetentionPeriod::Days(30).cutoff(now), Utc.with_ymd_and_hms(2028, 1, 30, 2, 0, 0).unwrap());
        assert_eq!(RetentionPeriod::Weeks(2).cutoff(now), Utc.with_ymd_and_hms(2028, 2, 15, 2, 0, 0).unwrap());
        assert_eq!(RetentionPeriod::Years(1).cutoff(now), Utc.with_ymd_and_hms(2027, 2, 28, 2, 0, 0).unwrap());
        assert_eq!(RetentionPeriod::Years(4).cutoff(now), Utc.with_ymd_and_hms(2024, 2, 29, 2, 0, 0).unwrap());
        assert_eq!(RetentionPeriod::Years(100).cutoff(DateTime::<Utc>::MIN_UTC), DateTime::<Utc>::MIN_UTC);
    }

    #[test]
    fn schedules_parse_and_find_the_next_run() {
        let at = |d: u32, h: u32, m: u32| NaiveDate::from_ymd_opt(2026, 9, d).unwrap().and_hms_opt(h, m, 0).unwrap();
        // 2026-09-06 is a Sunday.
        let daily = PurgeSchedule::parse("daily 02:00").unwrap();
        assert_eq!(daily.next_after(at(7, 1, 0)), at(7, 2, 0));
        assert_eq!(daily.next_after(at(7, 2, 0)), at(8, 2, 0), "strictly after");
        let weekly = PurgeSchedule::parse("weekly Sunday 03:00").unwrap();
        assert_eq!(weekly.to_string(), "weekly sunday 03:00");
        assert_eq!(weekly.next_after(at(7, 12, 0)), at(13, 3, 0));
        assert_eq!(weekly.next_after(at(6, 2, 59)), at(6, 3, 0));
        assert_eq!(weekly.next_after(at(6, 3, 0)), at(13, 3, 0));
    }

    #[test]
    fn schedule_errors() {
        let errors: Vec<String> =
            ["nightly", "daily 2am", "daily 24:00", "daily 2:00", "weekly funday 03:00", "weekly 03:00"]
                .into_iter()
                .map(|t| PurgeSchedule::parse(t).unwrap_err())
                .collect();
        insta::assert_snapshot!(errors.join("\n"), @r#"
        "nightly": expected "daily HH:MM" or "weekly DAY HH:MM", e.g. "daily 02:00" or "weekly sunday 03:00"
        "daily 2am": "2am" is not a time of day (HH:MM, 00:00 to 23:59)
        "daily 24:00": "24:00" is not a time of day (HH:MM, 00:00 to 23:59)
        "daily 2:00": "2:00" is not a time of day (HH:MM, 00:00 to 23:59)
        "weekly funday 03:00": "funday" is not a day of the week (monday to sunday)
        "weekly 03:00": expected "daily HH:MM" or "weekly DAY HH:MM", e.g. "daily 02:00" or "weekly sunday 03:00"
        "#);
    }

    #[test]
    fn error_every_problem_at_once() {
        let text = defaults_with("keep = \"90d\"", "keep = \"90 days\"")
            .replacen("[sessions]\nkeep = \"30d\"\n", "", 1)
            .replacen("purge_schedule = \"weekly sunday 03:00\"", "purge_schedule = \"weekly funday 03:00\"", 1)
            .replacen("kind = \"retention\"", "kind = \"rules\"", 1);
        insta::assert_snapshot!(diagnostics(&text), @r#"
        retention.toml: missing table [sessions] (how long to keep sessions, e.g. keep = "400d")
        retention.toml:6:8: kind = "rules": this file must say kind = "retention"
        retention.toml:14:8: raw_events.keep = "90 days": expected a whole number and a unit: "400d" (days), "8w" (weeks) or "3y" (years)
        retention.toml:51:18: releases.purge_schedule = "weekly funday 03:00": "funday" is not a day of the week (monday to sunday)
        "#);
    }

    #[test]
    fn error_access_log_shorter_than_records() {
        let text = defaults_with("[access_log]\nkeep = \"3y\"", "[access_log]\nkeep = \"400d\"");
        insta::assert_snapshot!(diagnostics(&text), @r#"
        retention.toml:39:8: access_log.keep = "400d" is shorter than interventions.keep = "3y": keep the record of who read a student's data at least as long as the data
        "#);
    }

    #[test]
    fn error_releases_shorter_than_a_budget_year() {
        let text = defaults_with("[releases]\nkeep = \"5y\"", "[releases]\nkeep = \"52w\"");
        insta::assert_snapshot!(diagnostics(&text), @r#"
        retention.toml:52:8: releases.keep = "52w": keep releases at least 1y; the privacy-budget ledger accounts for a whole budget year
        "#);
    }

    #[test]
    fn error_missing_keys_and_shape() {
        let no_keep = defaults_with("[flags]\nkeep = \"2y\"", "[flags]");
        let no_schedule = defaults_with("purge_schedule = \"daily 02:00\"\n", "");
        let unknown_class = format!("{DEFAULT_RETENTION_TOML}\n[grades]\nkeep = \"1y\"\n");
        let out = [no_keep, no_schedule, unknown_class].map(|t| diagnostics(&t));
        insta::assert_snapshot!(out.join("\n"), @r#"
        retention.toml:28:1: [flags]: missing key `keep` (e.g. "400d", "8w" or "3y")
        retention.toml: missing top-level key `purge_schedule` (e.g. "daily 02:00")
        retention.toml:55:2: unknown field `grades`, expected one of `kind`, `purge_schedule`, `raw_events`, `learning_events`, `attendance`, `flags`, `interventions`, `access_log`, `sessions`, `import_reports`, `releases`
        "#);
    }
}
