//! Regroup suggestions for a class: small groups of students with similar mastery across the
//! focus standards, each with the standards it needs and the misconceptions most common in it.
//!
//! Method: **sorted split**, chosen over k-means because it is deterministic without a seed, gives
//! groups of equal size (what a teacher can run in a room), and is easy to explain. Each assessed
//! student's mean mastery over the class's assessed focus standards (a standard the student has
//! no answers on counts at the BKT prior) orders the students, ties by key; the ordered list is
//! cut into k consecutive groups whose sizes differ by at most one (earlier groups take the extra
//! student). Students with no answers on any of those standards are listed apart, not grouped.

use std::collections::BTreeMap;

use lantern_policies::rules::{FactSheet, Indicator, RulesPolicy, StandardCode, StudentFacts, Value};
use rusqlite::Connection;
use serde::Serialize;

use super::AlertError;
use crate::store::alerts::reads;

/// Default number of groups.
pub const DEFAULT_GROUPS: usize = 4;
/// Most groups a teacher may ask for.
pub const MAX_GROUPS: usize = 20;
/// A group "needs" a standard when its mean mastery on it is below this.
pub const NEEDS_BELOW: f64 = 0.70;
/// Misconceptions listed per group.
pub const TOP_MISCONCEPTIONS: usize = 3;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub student_key: String,
    pub name: Option<String>,
    pub mean_mastery: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandardNeed {
    pub standard: String,
    pub mean_mastery: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MisconceptionCount {
    pub misconception: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// 1 = lowest mean mastery.
    pub number: usize,
    pub mean_mastery: f64,
    pub students: Vec<Member>,
    /// Weakest first.
    pub needs: Vec<StandardNeed>,
    pub misconceptions: Vec<MisconceptionCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Regroup {
    pub class_id: String,
    pub method: &'static str,
    pub k: usize,
    /// The focus standards at least one student of the class has answers on.
    pub standards: Vec<String>,
    pub groups: Vec<Group>,
    /// Students with no answers on those standards yet.
    pub unassessed: Vec<Member>,
}

/// Checks the teacher's k.
pub fn groups_wanted(k: Option<usize>) -> Result<usize, AlertError> {
    match k.unwrap_or(DEFAULT_GROUPS) {
        k @ 1..=MAX_GROUPS => Ok(k),
        k => Err(AlertError::Invalid(format!("k: {k} groups; ask for 1 to {MAX_GROUPS}"))),
    }
}

fn mastery(facts: &FactSheet, s: &StandardCode) -> Option<f64> {
    let evidence = facts.standard_value(s, Indicator::MasteryEvidence).and_then(Value::as_number).unwrap_or(0.0);
    if evidence < 1.0 {
        return None;
    }
    facts.standard_value(s, Indicator::Mastery).and_then(Value::as_number)
}

/// Groups the class's students (callers check the class exists and is in scope).
pub fn regroup(
    c: &Connection,
    policy: &RulesPolicy,
    class_id: &str,
    k: usize,
    facts_for: impl Fn(&Connection, &str) -> Result<FactSheet, AlertError>,
) -> Result<Regroup, AlertError> {
    let keys = reads::class_students(c, class_id)?;
    let names = reads::display_names(c, &keys)?;
    let sheets: Vec<(String, FactSheet)> =
        keys.iter().map(|k| facts_for(c, k).map(|f| (k.clone(), f))).collect::<Result<_, _>>()?;
    // The class's assessed focus standards, in code order.
    let mut standards: Vec<StandardCode> = Vec::new();
    for (_, f) in &sheets {
        for s in policy.focus_standards.resolve(f) {
            if mastery(f, &s).is_some() && !standards.contains(&s) {
                standards.push(s);
            }
        }
    }
    standards.sort();
    let prior = policy.bkt.prior;
    let mut assessed: Vec<(Member, Vec<f64>)> = Vec::new();
    let mut unassessed = Vec::new();
    for (key, f) in &sheets {
        let values: Vec<Option<f64>> = standards.iter().map(|s| mastery(f, s)).collect();
        let member = |mean| Member { student_key: key.clone(), name: names.get(key).cloned(), mean_mastery: mean };
        if values.iter().all(Option::is_none) {
            unassessed.push(member(prior));
            continue;
        }
        let filled: Vec<f64> = values.iter().map(|v| v.unwrap_or(prior)).collect();
        let mean = filled.iter().sum::<f64>() / filled.len() as f64;
        assessed.push((member(mean), filled));
    }
    assessed.sort_by(|a, b| a.0.mean_mastery.total_cmp(&b.0.mean_mastery).then(a.0.student_key.cmp(&b.0.student_key)));
    let k = k.min(assessed.len()).max(1);
    let (base, extra) = (assessed.len() / k, assessed.len() % k);
    let mut groups = Vec::new();
    let mut rest = assessed.as_slice();
    for number in 1..=k {
        if rest.is_empty() {
            break;
        }
        let size = base + usize::from(number <= extra);
        let (members, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        groups.push(group(c, number, members, &standards)?);
    }
    Ok(Regroup {
        class_id: class_id.to_string(),
        method: "sorted-split",
        k: groups.len(),
        standards: standards.iter().map(|s| s.as_str().to_string()).collect(),
        groups,
        unassessed,
    })
}

fn group(
    c: &Connection,
    number: usize,
    members: &[(Member, Vec<f64>)],
    standards: &[StandardCode],
) -> Result<Group, AlertError> {
    let n = members.len() as f64;
    let mut needs: Vec<StandardNeed> = standards
        .iter()
        .enumerate()
        .map(|(i, s)| StandardNeed {
            standard: s.as_str().to_string(),
            mean_mastery: members.iter().map(|(_, v)| v[i]).sum::<f64>() / n,
        })
        .filter(|need| need.mean_mastery < NEEDS_BELOW)
        .collect();
    needs.sort_by(|a, b| a.mean_mastery.total_cmp(&b.mean_mastery).then(a.standard.cmp(&b.standard)));
    let keys: Vec<String> = members.iter().map(|(m, _)| m.student_key.clone()).collect();
    let counts: BTreeMap<String, u64> = reads::misconception_counts(c, &keys, None, None)?;
    Ok(Group {
        number,
        mean_mastery: members.iter().map(|(m, _)| m.mean_mastery).sum::<f64>() / n,
        students: members.iter().map(|(m, _)| m.clone()).collect(),
        needs,
        misconceptions: top(counts, TOP_MISCONCEPTIONS),
    })
}

/// The `n` most frequent misconceptions, ties by name.
pub fn top(counts: BTreeMap<String, u64>, n: usize) -> Vec<MisconceptionCount> {
    let mut all: Vec<MisconceptionCount> =
        counts.into_iter().map(|(misconception, count)| MisconceptionCount { misconception, count }).collect();
    all.sort_by(|a, b| b.count.cmp(&a.count).then(a.misconception.cmp(&b.misconception)));
    all.truncate(n);
    all
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::alerts::test_support::*;
    use crate::store::StoreError;

    fn code(s: &str) -> StandardCode {
        StandardCode::parse(s).unwrap()
    }

    /// Seven students in class-1 with mastery spread out on two focus standards, one unassessed.
    fn class_of_seven(c: &Connection) -> Result<(), StoreError> {
        for i in 3..=8 {
            let key = format!("p_s{i}");
            c.execute(
                "INSERT INTO person (pkey, sourced_id, username, given_name, family_name) VALUES (?1, ?2, ?2, 'S', ?2)",
                [&key, &format!("stu-{i}")],
            )?;
            c.execute(
                "INSERT INTO roster_record (kind, sourced_id, rkey, pkey) VALUES ('enrollment', ?1, ?2, ?3)",
                [&format!("e{i}"), &format!("r_e{i}"), &key],
            )?;
            c.execute(
                "INSERT INTO enrollment (rkey, class_sourced_id, school_sourced_id, pkey, role)
                 VALUES (?1, 'class-1', 'school-1', ?2, 'student')",
                [&format!("r_e{i}"), &key],
            )?;
        }
        Ok(())
    }

    fn facts(key: &str) -> FactSheet {
        let (a, b) = (code(FOCUS), code("CCSS.MATH.CONTENT.6.NS.A.1"));
        match key {
            "p_s1" => FactSheet::new().with_mastery(&a, 0.20, 4).with_mastery(&b, 0.30, 4),
            "p_s3" => FactSheet::new().with_mastery(&a, 0.25, 4),
            "p_s4" => FactSheet::new().with_mastery(&a, 0.60, 4).with_mastery(&b, 0.50, 2),
            "p_s5" => FactSheet::new().with_mastery(&a, 0.90, 4).with_mastery(&b, 0.95, 5),
            "p_s6" => FactSheet::new().with_mastery(&a, 0.85, 4).with_mastery(&b, 0.80, 5),
            "p_s7" => FactSheet::new().with_mastery(&a, 0.65, 4).with_mastery(&b, 0.55, 3),
            _ => FactSheet::new(),
        }
    }

    #[test]
    fn sorted_split_is_deterministic_and_balanced() {
        let f = fixture();
        f.store.write_blocking(class_of_seven).unwrap();
        let run = |k| f.store.read_blocking(move |c| regroup(c, &policy(), C1, k, |_, key| Ok(facts(key)))).unwrap();
        let r = run(3);
        assert_eq!(r.standards, ["CCSS.MATH.CONTENT.6.NS.A.1", FOCUS]);
        let sizes: Vec<usize> = r.groups.iter().map(|g| g.students.len()).collect();
        assert_eq!(sizes, [2, 2, 2]);
        let order: Vec<&str> = r.groups.iter().flat_map(|g| &g.students).map(|m| m.student_key.as_str()).collect();
        // s3 has one standard (0.25) and the prior (0.30) on the other: mean 0.275 after s1's 0.25.
        assert_eq!(order, ["p_s1", "p_s3", "p_s4", "p_s7", "p_s6", "p_s5"]);
        assert_eq!(r.unassessed.iter().map(|m| m.student_key.as_str()).collect::<Vec<_>>(), ["p_s8"]);
        assert_eq!(r.groups[0].needs[0].standard, FOCUS, "weakest first");
        assert!(r.groups[2].needs.is_empty(), "the strongest group needs neither standard");
        assert_eq!(run(3), r, "same inputs, same groups");
        assert_eq!(run(4).groups.iter().map(|g| g.students.len()).collect::<Vec<_>>(), [2, 2, 1, 1]);
        assert_eq!(run(20).k, 6, "never more groups than students");
        assert!(groups_wanted(Some(0)).is_err() && groups_wanted(Some(21)).is_err());
        assert_eq!(groups_wanted(None).unwrap(), 4);
    }
}
