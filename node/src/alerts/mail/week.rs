//! Which week a summary e-mail covers. A week is named by its send day (`2026-09-14`): the
//! summaries cover the seven days ending at that day's send time (UTC), so the scheduled task
//! and `lantern node summaries send --week` always agree on what "the week" is.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};

use crate::config::smtp::SmtpConfig;

/// When summaries go out: a weekday and a time of day, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub day: Weekday,
    pub time: NaiveTime,
}

impl Schedule {
    pub fn of(config: &SmtpConfig) -> Schedule {
        Schedule { day: config.send_day.weekday(), time: config.send_time.0 }
    }
}

/// One week of summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailWeek {
    /// The send day that ends the week; the week's name.
    pub send_date: NaiveDate,
    /// The end of the week covered (exclusive): the send day at the send time.
    pub ends_at: DateTime<Utc>,
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
        MailWeek { send_date, ends_at: send_date.and_time(s.time).and_utc() }
    }

    /// The latest week whose send time is at or before `now`.
    pub fn latest(s: Schedule, now: DateTime<Utc>) -> MailWeek {
        let today = now.date_naive();
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
            return Err(format!(
                "--week {date}: the week ends {} UTC, which is still to come",
                week.ends_at.format("%Y-%m-%d %H:%M")
            ));
        }
        Ok(week)
    }

    /// The first day covered (YYYY-MM-DD).
    pub fn first_day(&self) -> NaiveDate {
        (self.ends_at - Duration::days(7)).date_naive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn monday_seven() -> Schedule {
        Schedule { day: Weekday::Mon, time: NaiveTime::from_hms_opt(7, 0, 0).unwrap() }
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
        let friday = Schedule { day: Weekday::Fri, time: NaiveTime::from_hms_opt(16, 30, 0).unwrap() };
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
}
