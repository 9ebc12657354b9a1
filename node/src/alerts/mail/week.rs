//! Which week a summary e-mail covers. A week is named by its send day (`2026-09-14`): the
//! summaries cover the days from the previous send time to that day's send time (read on the
//! configured clock: the node's local time by default), so the scheduled task and
//! `lantern node summaries send --week` always agree on what "the week" is.

use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, Local, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};

use crate::config::smtp::{SendZone, SmtpConfig};

/// The clock a schedule is read on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Utc,
    /// The server's time zone.
    Local,
    /// A fixed offset (tests, and servers whose zone has no daylight saving time).
    Fixed(FixedOffset),
}

impl Zone {
    /// The calendar date at `t` on this clock.
    fn date_of(self, t: DateTime<Utc>) -> NaiveDate {
        match self {
            Zone::Utc => t.date_naive(),
            Zone::Local => t.with_timezone(&Local).date_naive(),
            Zone::Fixed(o) => t.with_timezone(&o).date_naive(),
        }
    }

    /// The instant a wall-clock time names on this clock. A time skipped by a daylight-saving
    /// change is read as the first instant after the gap; a repeated one as its first occurrence.
    fn instant(self, wall: NaiveDateTime) -> DateTime<Utc> {
        fn on<Tz: TimeZone>(tz: &Tz, wall: NaiveDateTime) -> DateTime<Utc> {
            let mut probe = wall;
            // Daylight-saving gaps are at most a few hours; step forward until the clock exists.
            for _ in 0..48 {
                match tz.from_local_datetime(&probe) {
                    LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.with_timezone(&Utc),
                    LocalResult::None => probe += Duration::minutes(15),
                }
            }
            wall.and_utc()
        }
        match self {
            Zone::Utc => wall.and_utc(),
            Zone::Local => on(&Local, wall),
            Zone::Fixed(o) => on(&o, wall),
        }
    }

    /// `t` as a wall-clock time on this clock, with the clock named.
    fn show(self, t: DateTime<Utc>) -> String {
        match self {
            Zone::Utc => format!("{} UTC", t.format("%Y-%m-%d %H:%M")),
            Zone::Local => format!("{} local time", t.with_timezone(&Local).format("%Y-%m-%d %H:%M")),
            Zone::Fixed(o) => t.with_timezone(&o).format("%Y-%m-%d %H:%M %:z").to_string(),
        }
    }
}

/// When summaries go out: a weekday and a time of day on a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub day: Weekday,
    pub time: NaiveTime,
    pub zone: Zone,
}

impl Schedule {
    pub fn of(config: &SmtpConfig) -> Schedule {
        let zone = match config.time_zone {
            SendZone::Local => Zone::Local,
            SendZone::Utc => Zone::Utc,
        };
        Schedule { day: config.send_day.weekday(), time: config.send_time.0, zone }
    }
}

/// One week of summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailWeek {
    /// The send day that ends the week; the week's name.
    pub send_date: NaiveDate,
    /// The end of the week covered (exclusive): the send day at the send time.
    pub ends_at: DateTime<Utc>,
    zone: Zone,
}

impl fmt::Display for MailWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.send_date.format("%Y-%m-%d"))
    }
}

fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

impl MailWeek {
    fn at(s: Schedule, send_date: NaiveDate) -> MailWeek {
        MailWeek { send_date, ends_at: s.zone.instant(send_date.and_time(s.time)), zone: s.zone }
    }

    /// The latest week whose send time is at or before `now`.
    pub fn latest(s: Schedule, now: DateTime<Utc>) -> MailWeek {
        let today = s.zone.date_of(now);
        let back = (7 + today.weekday().num_days_from_monday() - s.day.num_days_from_monday()) % 7;
        let week = MailWeek::at(s, today - Duration::days(i64::from(back)));
        if week.ends_at > now {
            MailWeek::at(s, week.send_date - Duration::days(7))
        } else {
            week
        }
    }

    /// The week named by `date` (`--week`): it must be a send day, and the week must be over.
    pub fn named(s: Schedule, date: NaiveDate, now: DateTime<Utc>) -> Result<MailWeek, String> {
        if date.weekday() != s.day {
            return Err(format!(
                "--week {date}: is a {}; summaries are sent on {}s (smtp.send_day), so a week is named by one",
                weekday_name(date.weekday()),
                weekday_name(s.day)
            ));
        }
        let week = MailWeek::at(s, date);
        if week.ends_at > now {
            return Err(format!("--week {date}: the week ends {}, which is still to come", s.zone.show(week.ends_at)));
        }
        Ok(week)
    }

    /// The first day covered (YYYY-MM-DD).
    pub fn first_day(&self) -> NaiveDate {
        self.zone.date_of(self.ends_at - Duration::days(7))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn monday_seven() -> Schedule {
        Schedule { day: Weekday::Mon, time: NaiveTime::from_hms_opt(7, 0, 0).unwrap(), zone: Zone::Utc }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn latest_week_is_the_last_send_time_passed() {
        let s = monday_seven();
        // Monday 2026-09-14 before seven: still last week's.
        assert_eq!(MailWeek::latest(s, at("2026-09-14T06:59:59Z")).to_string(), "2026-09-07");
        assert_eq!(MailWeek::latest(s, at("2026-09-14T07:00:00Z")).to_string(), "2026-09-14");
        assert_eq!(MailWeek::latest(s, at("2026-09-20T23:00:00Z")).to_string(), "2026-09-14");
        let w = MailWeek::latest(s, at("2026-09-16T12:00:00Z"));
        assert_eq!((w.first_day().to_string(), w.ends_at), ("2026-09-07".into(), at("2026-09-14T07:00:00Z")));
        let friday = Schedule { day: Weekday::Fri, time: NaiveTime::from_hms_opt(16, 30, 0).unwrap(), zone: Zone::Utc };
        assert_eq!(MailWeek::latest(friday, at("2026-09-14T07:00:00Z")).to_string(), "2026-09-11");
    }

    #[test]
    fn a_named_week_is_a_send_day_in_the_past() {
        let s = monday_seven();
        let now = at("2026-09-16T12:00:00Z");
        assert_eq!(MailWeek::named(s, "2026-09-14".parse().unwrap(), now).unwrap().to_string(), "2026-09-14");
        let err = MailWeek::named(s, "2026-09-15".parse().unwrap(), now).unwrap_err();
        assert_eq!(
            err,
            "--week 2026-09-15: is a Tuesday; summaries are sent on Mondays (smtp.send_day), so a week is named by one"
        );
        let err = MailWeek::named(s, "2026-09-21".parse().unwrap(), now).unwrap_err();
        assert_eq!(err, "--week 2026-09-21: the week ends 2026-09-21 07:00 UTC, which is still to come");
    }

    #[test]
    fn the_send_time_is_read_on_the_configured_clock() {
        // New York in September: UTC−4. Monday 07:00 there is 11:00 UTC.
        let ny = Schedule { zone: Zone::Fixed(FixedOffset::west_opt(4 * 3600).unwrap()), ..monday_seven() };
        assert_eq!(MailWeek::latest(ny, at("2026-09-14T10:59:00Z")).to_string(), "2026-09-07");
        let w = MailWeek::latest(ny, at("2026-09-14T11:00:00Z"));
        assert_eq!((w.to_string(), w.ends_at), ("2026-09-14".into(), at("2026-09-14T11:00:00Z")));
        // Late Sunday evening there is already Monday in UTC: the local date decides.
        assert_eq!(MailWeek::latest(ny, at("2026-09-21T02:00:00Z")).to_string(), "2026-09-14");
        // Auckland (UTC+12): Monday 07:00 there is Sunday 19:00 UTC.
        let akl = Schedule { zone: Zone::Fixed(FixedOffset::east_opt(12 * 3600).unwrap()), ..monday_seven() };
        let w = MailWeek::latest(akl, at("2026-09-13T19:00:00Z"));
        assert_eq!((w.to_string(), w.first_day().to_string()), ("2026-09-14".into(), "2026-09-07".into()));
        let err = MailWeek::named(ny, "2026-09-21".parse().unwrap(), at("2026-09-16T12:00:00Z")).unwrap_err();
        assert_eq!(err, "--week 2026-09-21: the week ends 2026-09-21 07:00 -04:00, which is still to come");
    }

    #[test]
    fn wall_times_are_read_on_the_zone() {
        let z = Zone::Fixed(FixedOffset::east_opt(3600).unwrap());
        let wall = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(z.instant(wall), at("2026-03-29T01:30:00Z"));
        assert_eq!(Zone::Utc.instant(wall), at("2026-03-29T02:30:00Z"));
    }
}
