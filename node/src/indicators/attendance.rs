//! Attendance indicators from a student's marks: which school days count, what a day's status is,
//! and the year-to-date summary (rate, chronic absence, current run of absences) and the 14-day
//! counts. Pure functions; the SQL that feeds them is in `store::indicators`.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

/// A stored attendance status (the `attendance.status` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayStatus {
    Present,
    Tardy,
    Absent,
    Excused,
}

impl DayStatus {
    pub fn parse(s: &str) -> Option<DayStatus> {
        Some(match s {
            "present" => DayStatus::Present,
            "tardy" => DayStatus::Tardy,
            "absent" => DayStatus::Absent,
            "excused" => DayStatus::Excused,
            _ => return None,
        })
    }

    /// Absent for any reason (chronic absence counts excused absences too).
    pub fn is_absence(self) -> bool {
        matches!(self, DayStatus::Absent | DayStatus::Excused)
    }
}

/// One stored mark: for the whole day (`whole_day`) or for one class period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub date: NaiveDate,
    pub whole_day: bool,
    pub status: DayStatus,
}

/// The status of one school day of one student from that day's marks: a whole-day mark decides;
/// otherwise class marks decide: absent from every class → absent (excused if every absence was
/// excused), any tardy → tardy, else present (a partial absence is not a day absent).
pub fn day_status(marks: &[Mark]) -> Option<DayStatus> {
    if let Some(m) = marks.iter().find(|m| m.whole_day) {
        return Some(m.status);
    }
    if marks.is_empty() {
        return None;
    }
    if marks.iter().all(|m| m.status.is_absence()) {
        return Some(if marks.iter().all(|m| m.status == DayStatus::Excused) {
            DayStatus::Excused
        } else {
            DayStatus::Absent
        });
    }
    Some(if marks.iter().any(|m| m.status == DayStatus::Tardy) { DayStatus::Tardy } else { DayStatus::Present })
}

/// Days and their statuses, in date order, from marks in date order.
pub fn school_days(marks: &[Mark]) -> Vec<(NaiveDate, DayStatus)> {
    let mut days = Vec::new();
    let mut start = 0;
    while start < marks.len() {
        let date = marks[start].date;
        let end = start + marks[start..].iter().take_while(|m| m.date == date).count();
        if let Some(s) = day_status(&marks[start..end]) {
            days.push((date, s));
        }
        start = end;
    }
    days
}

/// Year-to-date attendance of one student (the `attendance_summary` row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AttendanceSummary {
    /// School days with a mark for the student: the days they were enrolled. Weekends, holidays
    /// and days before enrolment have no mark and do not count.
    pub days_enrolled: u32,
    /// Present or tardy.
    pub days_attended: u32,
    /// Absent for any reason, excused included.
    pub days_absent: u32,
    /// Of `days_absent`, excused.
    pub days_excused: u32,
    pub days_tardy: u32,
    /// School days absent in a row, ending at the last marked day.
    pub consecutive_absences: u32,
    pub last_day: Option<NaiveDate>,
}

impl AttendanceSummary {
    pub fn from_days(days: &[(NaiveDate, DayStatus)]) -> AttendanceSummary {
        let count = |f: fn(DayStatus) -> bool| days.iter().filter(|(_, s)| f(*s)).count() as u32;
        AttendanceSummary {
            days_enrolled: days.len() as u32,
            days_attended: count(|s| !s.is_absence()),
            days_absent: count(DayStatus::is_absence),
            days_excused: count(|s| s == DayStatus::Excused),
            days_tardy: count(|s| s == DayStatus::Tardy),
            consecutive_absences: days.iter().rev().take_while(|(_, s)| s.is_absence()).count() as u32,
            last_day: days.last().map(|(d, _)| *d),
        }
    }

    /// Days attended / days enrolled; `None` before the first school day.
    pub fn attendance_rate(&self) -> Option<f64> {
        (self.days_enrolled > 0).then(|| f64::from(self.days_attended) / f64::from(self.days_enrolled))
    }

    /// Missed 10% or more of enrolled days, for any reason; `None` before the first school day.
    pub fn chronic_absence(&self) -> Option<bool> {
        // Integer form of absent / enrolled >= 0.10, free of rounding at the boundary.
        (self.days_enrolled > 0).then(|| u64::from(self.days_absent) * 10 >= u64::from(self.days_enrolled))
    }
}

/// Absences and tardies on school days in the 14 calendar days ending `today` (today included).
pub fn last_14_days(days: &[(NaiveDate, DayStatus)], today: NaiveDate) -> (u32, u32) {
    let from = today - Duration::days(13);
    let recent = days.iter().filter(|(d, _)| *d >= from && *d <= today);
    let (mut absences, mut tardies) = (0, 0);
    for (_, s) in recent {
        if s.is_absence() {
            absences += 1;
        } else if *s == DayStatus::Tardy {
            tardies += 1;
        }
    }
    (absences, tardies)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn day(date: &str, status: DayStatus) -> Mark {
        Mark { date: d(date), whole_day: true, status }
    }

    #[test]
    fn excused_absences_count_towards_chronic_absence() {
        use DayStatus::*;
        // 10 school days over two weeks (the weekend has no marks): one excused absence = 10%.
        let dates = ["2026-09-07", "2026-09-08", "2026-09-09", "2026-09-10", "2026-09-11"];
        let week2 = ["2026-09-14", "2026-09-15", "2026-09-16", "2026-09-17", "2026-09-18"];
        let mut marks: Vec<Mark> = dates.iter().chain(week2.iter()).map(|x| day(x, Present)).collect();
        marks[3].status = Excused;
        marks[5].status = Tardy;
        let s = AttendanceSummary::from_days(&school_days(&marks));
        assert_eq!(s.days_enrolled, 10, "weekends are not school days");
        assert_eq!((s.days_attended, s.days_absent, s.days_excused, s.days_tardy), (9, 1, 1, 1));
        assert_eq!(s.attendance_rate(), Some(0.9));
        assert_eq!(s.chronic_absence(), Some(true), "1 of 10 days missed, excused, is 10%");
        assert_eq!(s.consecutive_absences, 0);
    }

    #[test]
    fn mid_year_enrolment_counts_only_enrolled_days() {
        use DayStatus::*;
        // Joined on the 16th: only three marked days; one absence is 33%.
        let marks = [day("2026-09-16", Present), day("2026-09-17", Absent), day("2026-09-18", Absent)];
        let days = school_days(&marks);
        let s = AttendanceSummary::from_days(&days);
        assert_eq!(s.days_enrolled, 3);
        assert_eq!(s.consecutive_absences, 2);
        assert_eq!(s.chronic_absence(), Some(true));
        assert_eq!(last_14_days(&days, d("2026-09-18")), (2, 0));
        // Weeks later, the same absences have left the 14-day window.
        assert_eq!(last_14_days(&days, d("2026-10-05")), (0, 0));
    }

    #[test]
    fn nine_percent_is_not_chronic() {
        let mut marks: Vec<Mark> = (0..11)
            .map(|i| Mark { date: d("2026-09-01") + Duration::days(i), whole_day: true, status: DayStatus::Present })
            .collect();
        marks[0].status = DayStatus::Absent;
        let s = AttendanceSummary::from_days(&school_days(&marks));
        assert_eq!(s.chronic_absence(), Some(false), "1 of 11 is 9.1%");
        assert_eq!(AttendanceSummary::from_days(&[]).attendance_rate(), None);
        assert_eq!(AttendanceSummary::from_days(&[]).chronic_absence(), None);
    }

    #[test]
    fn class_marks_make_a_day_when_there_is_no_whole_day_mark() {
        use DayStatus::*;
        let m = |status, whole_day| Mark { date: d("2026-09-07"), whole_day, status };
        assert_eq!(day_status(&[m(Absent, false), m(Excused, false)]), Some(Absent));
        assert_eq!(day_status(&[m(Excused, false), m(Excused, false)]), Some(Excused));
        assert_eq!(day_status(&[m(Absent, false), m(Present, false)]), Some(Present), "partial absence");
        assert_eq!(day_status(&[m(Tardy, false), m(Present, false)]), Some(Tardy));
        assert_eq!(day_status(&[m(Absent, false), m(Present, true)]), Some(Present), "whole-day mark decides");
        assert_eq!(day_status(&[]), None);
    }
}
