//! Release periods (ISO week, calendar month, or school term) and the budget year each one is
//! charged to: the ledger keeps one period budget per period and one yearly cap per budget year.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// A month and day on which a school term starts, e.g. `08-15`. 29 February is not allowed (it
/// would start a term only every fourth year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MonthDay {
    pub month: u32,
    pub day: u32,
}

impl MonthDay {
    /// Parses `MM-DD`.
    pub fn parse(s: &str) -> Result<MonthDay, String> {
        let bad = || format!("term start \"{s}\": expected MM-DD, e.g. \"08-15\"");
        let (m, d) = s.split_once('-').ok_or_else(bad)?;
        if m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let month: u32 = m.parse().map_err(|_| bad())?;
        let day: u32 = d.parse().map_err(|_| bad())?;
        if (month, day) == (2, 29) {
            return Err(format!("term start \"{s}\": 29 February does not occur every year"));
        }
        // 2023 is not a leap year: every other valid month-day exists in it.
        NaiveDate::from_ymd_opt(2023, month, day).ok_or_else(bad)?;
        Ok(MonthDay { month, day })
    }

    fn in_year(self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
    }
}

/// How a policy cuts time into release periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodRule {
    /// ISO weeks, Monday to Sunday, charged to the ISO week-year (`2026-W40`).
    Week,
    /// Calendar months (`2026-10`).
    Month,
    /// School terms starting on each listed day every year, each running until the day before the
    /// next start (`2026-T1` is the first term starting in 2026). Sorted, distinct, non-empty.
    Term { starts: Vec<MonthDay> },
}

/// One release period. `end` is inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    pub label: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The year whose yearly cap this period is charged to.
    pub budget_year: i32,
}

impl PeriodRule {
    pub fn name(&self) -> &'static str {
        match self {
            PeriodRule::Week => "week",
            PeriodRule::Month => "month",
            PeriodRule::Term { .. } => "term",
        }
    }

    /// The most periods that can be charged to one budget year.
    pub fn max_periods_per_year(&self) -> u32 {
        match self {
            PeriodRule::Week => 53,
            PeriodRule::Month => 12,
            PeriodRule::Term { starts } => starts.len() as u32,
        }
    }

    /// The period that contains `date`.
    pub fn containing(&self, date: NaiveDate) -> Period {
        match self {
            PeriodRule::Week => {
                let week = date.iso_week();
                let start = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
                Period {
                    label: format!("{}-W{:02}", week.year(), week.week()),
                    start,
                    end: start + Duration::days(6),
                    budget_year: week.year(),
                }
            }
            PeriodRule::Month => {
                let start = date.with_day(1).unwrap_or(date);
                let next = if date.month() == 12 {
                    NaiveDate::from_ymd_opt(date.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(date.year(), date.month() + 1, 1)
                };
                Period {
                    label: format!("{}-{:02}", date.year(), date.month()),
                    start,
                    end: next.map_or(date, |n| n - Duration::days(1)),
                    budget_year: date.year(),
                }
            }
            PeriodRule::Term { starts } => term_containing(starts, date),
        }
    }
}

fn term_containing(starts: &[MonthDay], date: NaiveDate) -> Period {
    // Candidate starts: every start in the previous, current and next year, in date order.
    let mut all: Vec<(NaiveDate, usize)> = Vec::new();
    for year in [date.year() - 1, date.year(), date.year() + 1] {
        for (i, md) in starts.iter().enumerate() {
            if let Some(d) = md.in_year(year) {
                all.push((d, i));
            }
        }
    }
    all.sort();
    let pos = all.partition_point(|(d, _)| *d <= date);
    // `pos >= 1` because the previous year's starts are all before `date`, and `pos < all.len()`
    // because the next year's starts are all after it.
    let (start, i) = all[pos.saturating_sub(1)];
    let end = all.get(pos).map_or(date, |(next, _)| *next - Duration::days(1));
    Period { label: format!("{}-T{}", start.year(), i + 1), start, end, budget_year: start.year() }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    #[test]
    fn iso_weeks_use_the_week_year() {
        let p = PeriodRule::Week.containing(d(2026, 10, 1));
        assert_eq!(p.label, "2026-W40");
        assert_eq!((p.start, p.end), (d(2026, 9, 28), d(2026, 10, 4)));
        // 29 December 2025 is in ISO week 1 of 2026.
        let p = PeriodRule::Week.containing(d(2025, 12, 29));
        assert_eq!((p.label.as_str(), p.budget_year), ("2026-W01", 2026));
    }

    #[test]
    fn months() {
        let p = PeriodRule::Month.containing(d(2026, 12, 31));
        assert_eq!(p.label, "2026-12");
        assert_eq!((p.start, p.end, p.budget_year), (d(2026, 12, 1), d(2026, 12, 31), 2026));
        let p = PeriodRule::Month.containing(d(2028, 2, 10));
        assert_eq!(p.end, d(2028, 2, 29));
    }

    #[test]
    fn terms_wrap_across_new_year() {
        let rule =
            PeriodRule::Term { starts: vec![MonthDay::parse("01-06").unwrap(), MonthDay::parse("08-15").unwrap()] };
        let fall = rule.containing(d(2026, 1, 2));
        assert_eq!(fall.label, "2025-T2");
        assert_eq!((fall.start, fall.end, fall.budget_year), (d(2025, 8, 15), d(2026, 1, 5), 2025));
        let spring = rule.containing(d(2026, 1, 6));
        assert_eq!(spring.label, "2026-T1");
        assert_eq!(spring.end, d(2026, 8, 14));
        assert_eq!(rule.max_periods_per_year(), 2);
    }

    #[test]
    fn month_day_parsing_errors() {
        assert_eq!(MonthDay::parse("8-15").unwrap_err(), "term start \"8-15\": expected MM-DD, e.g. \"08-15\"");
        assert!(MonthDay::parse("13-01").is_err());
        assert!(MonthDay::parse("04-31").is_err());
        assert!(MonthDay::parse("02-29").unwrap_err().contains("29 February"));
        assert_eq!(MonthDay::parse("12-31"), Ok(MonthDay { month: 12, day: 31 }));
    }
}
