//! The roster: district and school orgs, the school year and its terms, one math course per grade,
//! families of students and guardians; class sections and teachers come from `sections.rs`.

use rand::Rng;

use super::calendar::SchoolCalendar;
use super::demographics::{draw_family, draw_student};
use super::latent;
use super::model::{
    AcademicSession, Course, Grade, Guardian, GuardianRole, Org, OrgType, Person, SchoolClass, SessionType, Sex,
    Standard, Student, Teacher,
};
use super::names::{fold_ascii, AREA_CODES, FAMILY, FEMALE_GIVEN, MALE_GIVEN};
use super::rng::{pick, stream, uuid, weighted, Purpose};
use super::sections;
use super::SynthParams;

pub(crate) struct Roster {
    pub(crate) district: Org,
    pub(crate) school: Org,
    pub(crate) sessions: Vec<AcademicSession>,
    pub(crate) courses: Vec<Course>,
    pub(crate) classes: Vec<SchoolClass>,
    pub(crate) students: Vec<Student>,
    pub(crate) teachers: Vec<Teacher>,
    pub(crate) guardians: Vec<Guardian>,
}

pub(crate) fn build(params: &SynthParams, calendar: &SchoolCalendar, standards: &[Standard]) -> Roster {
    let mut rng = stream(params.seed, Purpose::Roster, 0);
    let district_number = rng.gen_range(1000..9999);
    let district = Org {
        sourced_id: uuid(&mut rng).to_string(),
        name: "Prairie Valley Unified School District".to_owned(),
        org_type: OrgType::District,
        identifier: format!("IL-{district_number}"),
        parent: None,
    };
    let school = Org {
        sourced_id: params.school_id.clone(),
        name: params.school_name.clone(),
        org_type: OrgType::School,
        identifier: format!("IL-{district_number}-{:04}", rng.gen_range(1..9999)),
        parent: Some(district.sourced_id.clone()),
    };
    let sessions = sessions(&mut rng, calendar);
    let courses = Grade::ALL
        .iter()
        .map(|&grade| Course {
            sourced_id: uuid(&mut rng).to_string(),
            title: format!("Math {}", grade.number()),
            course_code: format!("MATH-{}", grade.ceds_code()),
            grade,
        })
        .collect();
    let email_domain = format!("{}.lantern.example", fold_ascii(&params.school_id));
    let (mut students, guardians) = families(&mut rng, params, standards, &email_domain);
    let (classes, teachers) = sections::sections(&mut rng, &mut students, &email_domain);
    Roster { district, school, sessions, courses, classes, students, teachers, guardians }
}

fn sessions(rng: &mut impl Rng, calendar: &SchoolCalendar) -> Vec<AcademicSession> {
    let (start, end) = calendar.year();
    let school_year = chrono::Datelike::year(&end);
    let year_title = format!("{}-{}", school_year - 1, school_year);
    let year_id = uuid(rng).to_string();
    let mut sessions = vec![AcademicSession {
        sourced_id: year_id.clone(),
        title: year_title.clone(),
        session_type: SessionType::SchoolYear,
        start_date: start,
        end_date: end,
        parent: None,
        school_year,
    }];
    for (n, (start_date, end_date)) in calendar.terms().into_iter().enumerate() {
        sessions.push(AcademicSession {
            sourced_id: uuid(rng).to_string(),
            title: format!("Semester {} {year_title}", n + 1),
            session_type: SessionType::Term,
            start_date,
            end_date,
            parent: Some(year_id.clone()),
            school_year,
        });
    }
    sessions
}

pub(crate) fn given_name(rng: &mut impl Rng, sex: Sex) -> &'static str {
    match sex {
        Sex::Female => pick(rng, FEMALE_GIVEN),
        Sex::Male => pick(rng, MALE_GIVEN),
        Sex::Unspecified => {
            let list = if rng.gen_bool(0.5) { FEMALE_GIVEN } else { MALE_GIVEN };
            pick(rng, list)
        }
    }
}

/// Families of one or two students (siblings) and one to three guardians, ~1.5 guardians per student.
fn families(
    rng: &mut impl Rng,
    params: &SynthParams,
    standards: &[Standard],
    email_domain: &str,
) -> (Vec<Student>, Vec<Guardian>) {
    let mut students: Vec<Student> = Vec::with_capacity(params.students);
    let mut guardians: Vec<Guardian> = Vec::new();
    let student_base: u32 = rng.gen_range(2_000_000..7_000_000);
    let state_base: u64 = rng.gen_range(1_000_000_000..8_000_000_000);
    let guardian_base: u32 = rng.gen_range(100_000..400_000);
    while students.len() < params.students {
        let family_name = pick(rng, FAMILY);
        let origin = draw_family(rng);
        let kids = if params.students - students.len() >= 2 && rng.gen_bool(0.12) { 2 } else { 1 };
        let adults = weighted(rng, &[0.40, 0.55, 0.05]) + 1;
        let first_guardian = guardians.len();
        for a in 0..adults {
            let sex = if a == 0 {
                if rng.gen_bool(0.7) {
                    Sex::Female
                } else {
                    Sex::Male
                }
            } else {
                Sex::Male
            };
            let given = given_name(rng, sex);
            let family = if a == 0 || rng.gen_bool(0.7) { family_name } else { pick(rng, FAMILY) };
            let number = guardian_base + guardians.len() as u32;
            let local = format!("{}.{}{number}", fold_ascii(given), fold_ascii(family));
            guardians.push(Guardian {
                person: Person {
                    sourced_id: uuid(rng).to_string(),
                    username: local.clone(),
                    given_name: given.to_owned(),
                    family_name: family.to_owned(),
                    middle_name: None,
                    preferred_given_name: None,
                    identifier: format!("P{number}"),
                    email: format!("{local}@mail.example"),
                    phone: Some(format!("+1-{}-555-01{:02}", pick(rng, AREA_CODES), rng.gen_range(0..100))),
                    user_master_identifier: None,
                },
                role: if rng.gen_bool(0.9) { GuardianRole::Parent } else { GuardianRole::Guardian },
                children: Vec::new(),
            });
        }
        for _ in 0..kids {
            let index = students.len();
            let grade = Grade::ALL[rng.gen_range(0..Grade::ALL.len())];
            let demographics = draw_student(rng, origin, grade, params.start_date);
            let given = given_name(rng, demographics.sex);
            let number = student_base + index as u32;
            let username = format!(
                "{}{}{:05}",
                fold_ascii(given).chars().next().unwrap_or('s'),
                fold_ascii(family_name),
                number % 100_000
            );
            let grade_range = grade_range(standards, grade);
            let latent = latent::draw(params.seed, index, demographics.hispanic_or_latino, standards, grade_range);
            for guardian in &mut guardians[first_guardian..] {
                guardian.children.push(index);
            }
            students.push(Student {
                person: Person {
                    sourced_id: uuid(rng).to_string(),
                    email: format!("{username}@{email_domain}"),
                    username,
                    given_name: given.to_owned(),
                    family_name: family_name.to_owned(),
                    middle_name: rng.gen_bool(0.3).then(|| given_name(rng, demographics.sex).to_owned()),
                    preferred_given_name: rng.gen_bool(0.04).then(|| given_name(rng, demographics.sex).to_owned()),
                    identifier: number.to_string(),
                    phone: None,
                    user_master_identifier: Some((state_base + 7 * index as u64).to_string()),
                },
                grade,
                class: 0,
                guardians: (first_guardian..guardians.len()).collect(),
                demographics,
                latent,
            });
        }
    }
    (students, guardians)
}

/// Indices of a grade's standards in the bank (standards are grouped by grade).
fn grade_range(standards: &[Standard], grade: Grade) -> std::ops::Range<usize> {
    let start = standards.iter().position(|s| s.grade == grade).unwrap_or(0);
    start..start + standards.iter().filter(|s| s.grade == grade).count()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::synth::{generate, SynthParams};

    #[test]
    fn school_shape_is_realistic() {
        let school = generate(&SynthParams { students: 2000, days: 1, ..SynthParams::default() });
        assert_eq!(school.students.len(), 2000);
        for class in &school.classes {
            assert!((24..=32).contains(&class.students.len()), "{} has {}", class.title, class.students.len());
            assert!(class.students.iter().all(|s| school.students[*s].grade == class.grade));
        }
        let per_student = school.guardians.len() as f64 / 2000.0;
        assert!((1.35..1.65).contains(&per_student), "{per_student} guardians per student");
        assert!(school.guardians.iter().any(|g| g.children.len() == 2), "no siblings");
        for teacher in &school.teachers {
            assert!((1..=4).contains(&teacher.classes.len()));
            let periods: BTreeSet<u8> = teacher.classes.iter().map(|c| school.classes[*c].period).collect();
            assert_eq!(periods.len(), teacher.classes.len(), "a teacher is double-booked");
        }
        let ids: BTreeSet<&str> = school
            .students
            .iter()
            .map(|s| s.person.sourced_id.as_str())
            .chain(school.guardians.iter().map(|g| g.person.sourced_id.as_str()))
            .chain(school.teachers.iter().map(|t| t.person.sourced_id.as_str()))
            .collect();
        assert_eq!(ids.len(), 2000 + school.guardians.len() + school.teachers.len(), "sourcedIds repeat");
        let usernames: BTreeSet<&str> = school.students.iter().map(|s| s.person.username.as_str()).collect();
        assert_eq!(usernames.len(), 2000, "student usernames repeat");
        assert!(school.students.iter().all(|s| s.person.username.is_ascii() && s.person.email.is_ascii()));
        assert!(school.students.iter().any(|s| !s.person.family_name.is_ascii()), "no non-ASCII names");
    }

    #[test]
    fn school_org_uses_school_id_and_district_parent() {
        let school = generate(&SynthParams { students: 10, days: 1, ..SynthParams::default() });
        assert_eq!(school.school.sourced_id, "school-1");
        assert_eq!(school.school.parent.as_deref(), Some(school.district.sourced_id.as_str()));
        assert_eq!(school.sessions.len(), 3);
        assert_eq!(school.sessions[0].title, "2026-2027");
        assert_eq!(school.sessions[1].parent.as_deref(), Some(school.sessions[0].sourced_id.as_str()));
    }
}
