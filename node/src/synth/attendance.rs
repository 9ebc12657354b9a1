//! Daily attendance: a two-state chain per student whose long-run absence rate is the student's
//! propensity, with absences clustering into spells (illness, family trips); absences are excused or
//! not, attended days are sometimes tardy.

use rand::Rng;

use super::model::{AttendanceStatus, Student};
use super::rng::{stream, Purpose};

/// Chance of staying absent the day after an absence (at least the propensity itself).
const SPELL_CONTINUE: f64 = 0.4;

/// Attendance of every student on every simulated day, student-major (`[student * days + day]`).
pub(crate) fn simulate(seed: u64, students: &[Student], days: usize) -> Vec<AttendanceStatus> {
    let mut marks = Vec::with_capacity(students.len() * days);
    for (s, student) in students.iter().enumerate() {
        let latent = &student.latent;
        let mut rng = stream(seed, Purpose::Attendance, s as u64);
        let p = latent.absence_propensity.clamp(0.0, 0.95);
        let stay = SPELL_CONTINUE.max(p);
        // Chance of a new spell chosen so the stationary absence rate is p.
        let start = if p >= 1.0 { 1.0 } else { (p * (1.0 - stay) / (1.0 - p)).clamp(0.0, 1.0) };
        let mut absent_yesterday = false;
        for day in 0..days {
            let chance = if day == 0 {
                p
            } else if absent_yesterday {
                stay
            } else {
                start
            };
            let absent = rng.gen::<f64>() < chance;
            let mark = if absent {
                if rng.gen::<f64>() < latent.excused_share {
                    AttendanceStatus::Excused
                } else {
                    AttendanceStatus::Absent
                }
            } else if rng.gen::<f64>() < latent.tardy_propensity {
                AttendanceStatus::Tardy
            } else {
                AttendanceStatus::Present
            };
            absent_yesterday = absent;
            marks.push(mark);
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use crate::synth::{generate, AttendanceStatus, SynthParams};

    #[test]
    fn long_run_absence_rate_follows_propensity() {
        let school = generate(&SynthParams { students: 300, days: 180, ..SynthParams::default() });
        let days = school.school_days.len();
        let (mut observed, mut expected) = (0.0, 0.0);
        for (s, student) in school.students.iter().enumerate() {
            observed += (0..days).filter(|d| school.attendance(s, *d).is_absence()).count() as f64;
            expected += student.latent.absence_propensity * days as f64;
        }
        let ratio = observed / expected;
        assert!((0.85..1.15).contains(&ratio), "observed/expected absences {ratio}");
    }

    #[test]
    fn every_status_occurs() {
        let school = generate(&SynthParams { students: 100, days: 60, ..SynthParams::default() });
        for status in
            [AttendanceStatus::Present, AttendanceStatus::Tardy, AttendanceStatus::Absent, AttendanceStatus::Excused]
        {
            assert!(school.attendance.contains(&status), "{status:?} never occurs");
        }
    }
}
