//! Writes the Lantern-specific CSV files: the item bank (items.csv), daily attendance
//! (attendance.csv) and later outcomes (outcomes.csv).

use std::io::Write;

use super::model::SyntheticSchool;

pub(crate) const ITEMS_HEADER: &str = "item_id,activity_id,title,standards,correct_response,distractors,max_score";
pub(crate) const ATTENDANCE_HEADER: &str = "student_sourced_id,date,status,class_sourced_id,minutes";
pub(crate) const OUTCOMES_HEADER: &str = "student_sourced_id,assessment,date,score,proficiency_level";

type Csv<W> = csv::Writer<W>;

pub(crate) fn items<W: Write>(school: &SyntheticSchool, w: &mut Csv<W>) -> csv::Result<usize> {
    w.write_record(ITEMS_HEADER.split(','))?;
    for item in &school.items {
        let standard = school.standards[item.standard].ccss_code();
        let distractors =
            item.distractors.iter().map(|d| format!("{}={}", d.choice, d.misconception)).collect::<Vec<_>>().join(";");
        let correct = item.correct.to_string();
        w.write_record([&item.item_id, &item.activity_id, &item.title, &standard, &correct, &distractors, "1"])?;
    }
    Ok(school.items.len())
}

/// One whole-day row per student per simulated school day, in date order; the optional
/// `class_sourced_id` and `minutes` are left blank.
pub(crate) fn attendance<W: Write>(school: &SyntheticSchool, w: &mut Csv<W>) -> csv::Result<usize> {
    w.write_record(ATTENDANCE_HEADER.split(','))?;
    for (day, date) in school.school_days.iter().enumerate() {
        let date = date.format("%Y-%m-%d").to_string();
        for (s, student) in school.students.iter().enumerate() {
            let status = school.attendance(s, day).as_str();
            w.write_record([student.person.sourced_id.as_str(), &date, status, "", ""])?;
        }
    }
    Ok(school.school_days.len() * school.students.len())
}

pub(crate) fn outcomes<W: Write>(school: &SyntheticSchool, w: &mut Csv<W>) -> csv::Result<usize> {
    w.write_record(OUTCOMES_HEADER.split(','))?;
    for o in &school.outcomes {
        let student = &school.students[o.student].person.sourced_id;
        let date = o.date.format("%Y-%m-%d").to_string();
        let (score, level) = (format!("{:.1}", o.score), o.proficiency_level.to_string());
        w.write_record([student.as_str(), o.assessment, &date, &score, &level])?;
    }
    Ok(school.outcomes.len())
}
