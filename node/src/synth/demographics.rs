//! Subgroup attributes in realistic US public-school proportions: race flags and Hispanic/Latino
//! ethnicity (shared within a family), sex, birth date by grade, place of birth.

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;

use super::model::{Demographics, Grade, Sex};
use super::names::{HOME_CITIES, HOME_STATE, OTHER_COUNTRIES, OTHER_STATES};
use super::rng::{pick, weighted};

/// Race categories, weights roughly as in NCES enrolment figures (race asked separately from
/// Hispanic/Latino ethnicity): white, Black, Asian, American Indian/Alaska Native, Native
/// Hawaiian/Pacific Islander, two or more.
const RACE_WEIGHTS: [f64; 6] = [0.66, 0.16, 0.055, 0.012, 0.005, 0.068];
/// Share of students who are Hispanic or Latino.
pub(crate) const HISPANIC_SHARE: f64 = 0.28;
/// Share of students born outside the US.
const FOREIGN_BORN_SHARE: f64 = 0.08;
/// Share of students a year older than their grade (retained once).
const RETAINED_SHARE: f64 = 0.03;

/// What siblings share.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FamilyOrigin {
    race: [bool; 5],
    two_or_more: bool,
    hispanic_or_latino: bool,
}

pub(crate) fn draw_family(rng: &mut impl Rng) -> FamilyOrigin {
    let mut race = [false; 5];
    let category = weighted(rng, &RACE_WEIGHTS);
    let two_or_more = category == 5;
    if two_or_more {
        let first = rng.gen_range(0..5);
        let second = (first + rng.gen_range(1..5)) % 5;
        race[first] = true;
        race[second] = true;
    } else {
        race[category] = true;
    }
    FamilyOrigin { race, two_or_more, hispanic_or_latino: rng.gen_bool(HISPANIC_SHARE) }
}

/// A student's demographics; `school_year_start` is the first day of school.
pub(crate) fn draw_student(
    rng: &mut impl Rng,
    family: FamilyOrigin,
    grade: Grade,
    school_year_start: NaiveDate,
) -> Demographics {
    let sex = match weighted(rng, &[0.49, 0.505, 0.005]) {
        0 => Sex::Female,
        1 => Sex::Male,
        _ => Sex::Unspecified,
    };
    // Grade 6 in a year starting in fall Y: 11 on 1 September Y, so born 2 Sep (Y−12) .. 1 Sep (Y−11).
    let fall_year = school_year_start.year() - i32::from(school_year_start.month() < 7);
    let mut oldest_year = fall_year - 6 - i32::from(grade.number());
    if rng.gen_bool(RETAINED_SHARE) {
        oldest_year -= 1;
    }
    let window_start = NaiveDate::from_ymd_opt(oldest_year, 9, 2).unwrap_or(school_year_start);
    let birth_date = window_start + Days::new(rng.gen_range(0..365));
    let (country_of_birth, state_of_birth, city_of_birth) = if rng.gen_bool(FOREIGN_BORN_SHARE) {
        let weights: Vec<f64> = OTHER_COUNTRIES.iter().map(|c| c.2).collect();
        let (country, city, _) = OTHER_COUNTRIES[weighted(rng, &weights)];
        (country, None, Some(city))
    } else if rng.gen_bool(0.8) {
        ("US", Some(HOME_STATE), Some(pick(rng, HOME_CITIES)))
    } else {
        let (state, city) = pick(rng, OTHER_STATES);
        ("US", Some(state), Some(city))
    };
    let [white, black, asian, american_indian, pacific_islander] = family.race;
    Demographics {
        birth_date,
        sex,
        american_indian_or_alaska_native: american_indian,
        asian,
        black_or_african_american: black,
        native_hawaiian_or_other_pacific_islander: pacific_islander,
        white,
        two_or_more_races: family.two_or_more,
        hispanic_or_latino: family.hispanic_or_latino,
        country_of_birth,
        state_of_birth,
        city_of_birth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::rng::{stream, Purpose};

    #[test]
    fn proportions_are_realistic() {
        let mut rng = stream(5, Purpose::Roster, 0);
        let start = NaiveDate::from_ymd_opt(2026, 9, 7).expect("valid date");
        let people: Vec<Demographics> = (0..4000)
            .map(|_| {
                let family = draw_family(&mut rng);
                draw_student(&mut rng, family, Grade::Six, start)
            })
            .collect();
        let share = |f: &dyn Fn(&Demographics) -> bool| people.iter().filter(|d| f(d)).count() as f64 / 4000.0;
        assert!((0.25..0.31).contains(&share(&|d| d.hispanic_or_latino)));
        assert!((0.60..0.75).contains(&share(&|d| d.white)));
        assert!((0.13..0.20).contains(&share(&|d| d.black_or_african_american)));
        assert!((0.45..0.53).contains(&share(&|d| d.sex == Sex::Female)));
        assert!((0.05..0.11).contains(&share(&|d| d.country_of_birth != "US")));
        for d in &people {
            let flags = [
                d.white,
                d.black_or_african_american,
                d.asian,
                d.american_indian_or_alaska_native,
                d.native_hawaiian_or_other_pacific_islander,
            ];
            let n = flags.iter().filter(|f| **f).count();
            assert_eq!(n == 2, d.two_or_more_races);
            assert!(n == 1 || n == 2);
        }
    }

    #[test]
    fn grade_six_students_are_eleven_on_the_first_of_september() {
        let mut rng = stream(5, Purpose::Roster, 0);
        let start = NaiveDate::from_ymd_opt(2026, 9, 7).expect("valid date");
        let sept_first = NaiveDate::from_ymd_opt(2026, 9, 1).expect("valid date");
        for _ in 0..500 {
            let family = draw_family(&mut rng);
            let d = draw_student(&mut rng, family, Grade::Six, start);
            let age = sept_first.years_since(d.birth_date).unwrap_or(0);
            assert!(age == 11 || age == 12, "born {} is {age}", d.birth_date);
        }
    }
}
