//! The school calendar: weekdays from the start date, minus a US-style set of holidays and breaks;
//! the school year is at least 180 school days long and splits into two terms.

use chrono::{Datelike, NaiveDate, Weekday};

/// School days in a regular school year.
pub(crate) const YEAR_SCHOOL_DAYS: usize = 180;

/// The school days of the year and how many of them are simulated.
#[derive(Debug, Clone)]
pub(crate) struct SchoolCalendar {
    year_days: Vec<NaiveDate>,
    simulated: usize,
}

impl SchoolCalendar {
    /// A calendar whose year starts on `start` and simulates its first `days` school days.
    pub(crate) fn new(start: NaiveDate, days: u32) -> Self {
        let simulated = days as usize;
        let wanted = simulated.max(YEAR_SCHOOL_DAYS);
        let year_days = start.iter_days().filter(|d| is_school_day(*d)).take(wanted).collect::<Vec<_>>();
        let simulated = simulated.min(year_days.len());
        SchoolCalendar { year_days, simulated }
    }

    /// The simulated school days, in order.
    pub(crate) fn simulated_days(&self) -> &[NaiveDate] {
        &self.year_days[..self.simulated]
    }

    /// First and last school day of the year.
    pub(crate) fn year(&self) -> (NaiveDate, NaiveDate) {
        (self.day(0), self.day(self.year_days.len().saturating_sub(1)))
    }

    /// First and last day of each term: the year split in two halves of school days.
    pub(crate) fn terms(&self) -> [(NaiveDate, NaiveDate); 2] {
        let half = self.year_days.len() / 2;
        let (first, last) = self.year();
        [(first, self.day(half.saturating_sub(1))), (self.day(half), last)]
    }

    /// Index of the last simulated day at or before the `n`-th school day of the year.
    pub(crate) fn simulated_index_at(&self, n: usize) -> Option<usize> {
        if self.simulated == 0 {
            None
        } else {
            Some(n.min(self.simulated - 1))
        }
    }

    /// The index in the year of a school day.
    pub(crate) fn index_of(&self, date: NaiveDate) -> usize {
        self.year_days.partition_point(|d| *d < date)
    }

    fn day(&self, i: usize) -> NaiveDate {
        self.year_days.get(i).copied().unwrap_or(NaiveDate::MIN)
    }
}

/// A weekday that is not a holiday or in a break.
pub(crate) fn is_school_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && holiday(date).is_none()
}

/// The holiday or break a weekday falls in, if any.
pub(crate) fn holiday(date: NaiveDate) -> Option<&'static str> {
    let (month, day, weekday) = (date.month(), date.day(), date.weekday());
    // Day of month of this week's Monday (may be < 1 early in the month).
    let monday = i64::from(day) - i64::from(weekday.num_days_from_monday());
    match month {
        10 if weekday == Weekday::Mon && (8..=14).contains(&day) => Some("Indigenous Peoples' Day"),
        11 if day == 11 => Some("Veterans Day"),
        11 if weekday == Weekday::Thu && (22..=28).contains(&day) => Some("Thanksgiving"),
        11 if weekday == Weekday::Fri && (23..=29).contains(&day) => Some("Thanksgiving break"),
        12 if day >= 21 => Some("Winter break"),
        1 if day <= 2 => Some("Winter break"),
        1 if weekday == Weekday::Mon && (15..=21).contains(&day) => Some("Martin Luther King Jr. Day"),
        2 if weekday == Weekday::Mon && (15..=21).contains(&day) => Some("Presidents' Day"),
        4 if (1..=7).contains(&monday) => Some("Spring break"),
        5 if weekday == Weekday::Mon && day >= 25 => Some("Memorial Day"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn skips_weekends_and_holidays() {
        let cal = SchoolCalendar::new(date(2026, 9, 7), 180);
        let days = cal.simulated_days();
        assert_eq!(days.len(), 180);
        assert_eq!(days[0], date(2026, 9, 7));
        assert!(days.iter().all(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)));
        for holiday in [date(2026, 11, 26), date(2026, 11, 27), date(2026, 12, 24), date(2027, 1, 18)] {
            assert!(!days.contains(&holiday), "{holiday} should be a holiday");
        }
        assert!(days.windows(2).all(|w| w[0] < w[1]));
        // 180 school days from early September end in June.
        assert_eq!(days[179].month(), 6);
    }

    #[test]
    fn year_and_terms_cover_at_least_180_days() {
        let cal = SchoolCalendar::new(date(2026, 9, 7), 20);
        assert_eq!(cal.simulated_days().len(), 20);
        let (start, end) = cal.year();
        assert_eq!(start, date(2026, 9, 7));
        let [t1, t2] = cal.terms();
        assert_eq!(t1.0, start);
        assert_eq!(t2.1, end);
        assert!(t1.1 < t2.0);
        assert_eq!(cal.index_of(t2.0), 90);
        assert_eq!(cal.simulated_index_at(89), Some(19));
    }

    #[test]
    fn weekend_start_moves_to_monday() {
        let cal = SchoolCalendar::new(date(2026, 9, 5), 3);
        assert_eq!(cal.simulated_days()[0], date(2026, 9, 7));
    }

    #[test]
    fn zero_days_is_empty_but_has_a_year() {
        let cal = SchoolCalendar::new(date(2026, 9, 7), 0);
        assert!(cal.simulated_days().is_empty());
        assert_eq!(cal.simulated_index_at(5), None);
        assert_eq!(cal.year().0, date(2026, 9, 7));
    }
}
