//! Need-to-know scoping: which students and classes a principal may read. A capability says what
//! kind of thing a person may do; the scope says to whom. Routes call these before every
//! student-level or class-level read.

use std::collections::BTreeSet;

use rusqlite::Connection;

use super::{AuthError, Principal, Role};
use crate::store::scope as sql;
use crate::store::StoreError;

/// The students a principal may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StudentScope {
    /// Every student of the school (MTSS coordinators).
    School,
    /// Exactly these pseudonymous keys.
    Students(BTreeSet<String>),
}

impl StudentScope {
    pub fn contains(&self, student_key: &str) -> bool {
        match self {
            StudentScope::School => true,
            StudentScope::Students(s) => s.contains(student_key),
        }
    }
}

/// The classes a principal may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassScope {
    School,
    Classes(BTreeSet<String>),
}

impl ClassScope {
    pub fn contains(&self, class_id: &str) -> bool {
        match self {
            ClassScope::School => true,
            ClassScope::Classes(s) => s.contains(class_id),
        }
    }
}

/// A rostered person's pseudonymous key, by OneRoster sourcedId.
pub fn person_key(c: &Connection, sourced_id: &str) -> Result<Option<String>, StoreError> {
    sql::person_key(c, sourced_id)
}

pub fn class_exists(c: &Connection, sourced_id: &str) -> Result<bool, StoreError> {
    sql::class_exists(c, sourced_id)
}

/// Classes a teacher teaches: explicit links plus roster teacher enrollments.
pub fn class_scope(c: &Connection, p: &Principal) -> Result<ClassScope, StoreError> {
    Ok(match p.role {
        Role::Mtss => ClassScope::School,
        Role::Teacher => ClassScope::Classes(sql::teacher_classes(c, p.account_id, p.person_key.as_deref())?),
        _ => ClassScope::Classes(BTreeSet::new()),
    })
}

pub fn student_scope(c: &Connection, p: &Principal) -> Result<StudentScope, StoreError> {
    Ok(match p.role {
        Role::Mtss => StudentScope::School,
        Role::Teacher => {
            let classes = sql::teacher_classes(c, p.account_id, p.person_key.as_deref())?;
            StudentScope::Students(sql::students_in_classes(c, &classes)?)
        }
        Role::Guardian => StudentScope::Students(sql::guardian_students(c, p.account_id, p.person_key.as_deref())?),
        Role::Student => {
            let mut own = sql::linked_students(c, p.account_id)?;
            if let Some(k) = &p.person_key {
                own.insert(k.clone());
            }
            StudentScope::Students(own)
        }
        Role::Admin | Role::PrivacyOfficer => StudentScope::Students(BTreeSet::new()),
    })
}

/// Refuses with `OutOfScope` unless the principal may see this student.
pub fn require_student(c: &Connection, p: &Principal, student_key: &str) -> Result<(), AuthError> {
    if student_scope(c, p)?.contains(student_key) {
        Ok(())
    } else {
        Err(AuthError::OutOfScope)
    }
}

/// Refuses with `OutOfScope` unless the principal may see this class.
pub fn require_class(c: &Connection, p: &Principal, class_id: &str) -> Result<(), AuthError> {
    if class_scope(c, p)?.contains(class_id) {
        Ok(())
    } else {
        Err(AuthError::OutOfScope)
    }
}
