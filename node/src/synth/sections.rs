//! Class sections and teachers: each grade split into sections of ~25–32 students, and every
//! teacher given up to four sections in distinct bell-schedule periods.

use rand::seq::SliceRandom;
use rand::Rng;

use super::model::{Grade, Person, SchoolClass, Sex, Student, Teacher};
use super::names::{fold_ascii, FAMILY};
use super::rng::{pick, uuid};
use super::roster::given_name;

/// Sections a teacher teaches.
const CLASSES_PER_TEACHER: usize = 4;

/// Splits each grade into sections of ~25–32 and gives every teacher up to four sections in
/// distinct periods.
pub(crate) fn sections(
    rng: &mut impl Rng,
    students: &mut [Student],
    email_domain: &str,
) -> (Vec<SchoolClass>, Vec<Teacher>) {
    let mut classes: Vec<SchoolClass> = Vec::new();
    for (g, grade) in Grade::ALL.into_iter().enumerate() {
        let mut members: Vec<usize> = (0..students.len()).filter(|&s| students[s].grade == grade).collect();
        if members.is_empty() {
            continue;
        }
        members.shuffle(rng);
        let n = members.len();
        let count = n.div_ceil(32).max((n as f64 / 28.0).round() as usize).max(1);
        for section in 0..count {
            let mut roster: Vec<usize> = members[section * n / count..(section + 1) * n / count].to_vec();
            roster.sort_unstable();
            let c = classes.len();
            let teacher = c / CLASSES_PER_TEACHER;
            // (2k + t) mod 7 differs for k = 0..3, so a teacher's four sections never share a period.
            let period = 1 + ((c % CLASSES_PER_TEACHER) * 2 + teacher) % 7;
            for &s in &roster {
                students[s].class = c;
            }
            classes.push(SchoolClass {
                sourced_id: uuid(rng).to_string(),
                title: format!("Math {} (Period {period})", grade.number()),
                class_code: format!("M{}-{:02}", grade.number(), section + 1),
                grade,
                course: g,
                teacher,
                period: period as u8,
                location: format!("Room {}", 101 + teacher),
                students: roster,
            });
        }
    }
    let staff_base: u32 = rng.gen_range(10_000..60_000);
    let teachers = (0..classes.len().div_ceil(CLASSES_PER_TEACHER))
        .map(|t| {
            let sex = if rng.gen_bool(0.7) { Sex::Female } else { Sex::Male };
            let given = given_name(rng, sex);
            let family = pick(rng, FAMILY);
            let username = format!("{}.{}{}", fold_ascii(given), fold_ascii(family), t + 1);
            Teacher {
                person: Person {
                    sourced_id: uuid(rng).to_string(),
                    email: format!("{username}@{email_domain}"),
                    username,
                    given_name: given.to_owned(),
                    family_name: family.to_owned(),
                    middle_name: None,
                    preferred_given_name: None,
                    identifier: format!("T{}", staff_base + t as u32),
                    phone: None,
                    user_master_identifier: None,
                },
                classes: (0..classes.len()).filter(|c| classes[*c].teacher == t).collect(),
            }
        })
        .collect();
    (classes, teachers)
}
