//! SQL for people: the `person` identity table, roster accounts, agent (guardian) links, roles,
//! demographics/subgroups, and the record-key map for role and enrollment records.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::records::{Demographics, Identity, Role, RoleType, Stored, User, UserRole};
use super::{
    conversion_error, date_text, instant_text, list_text, new_person_key, new_record_key, optional_date_column,
    optional_instant_column, text_list,
};

/// sourcedId → pkey for every person ever imported (on the roster or not).
pub fn load_person_keys(conn: &Connection) -> rusqlite::Result<HashMap<String, String>> {
    let mut statement = conn.prepare("SELECT sourced_id, pkey FROM person")?;
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    rows.collect()
}

/// Every user currently on the roster, by sourcedId.
pub fn load_users(conn: &Connection) -> rusqlite::Result<HashMap<String, Stored<User>>> {
    let mut agents: HashMap<String, Vec<String>> = HashMap::new();
    let mut agent_statement = conn.prepare(
        "SELECT a.pkey, p.sourced_id FROM user_agent a JOIN person p ON p.pkey = a.agent_pkey
          ORDER BY a.pkey, a.position",
    )?;
    let mut agent_rows = agent_statement.query([])?;
    while let Some(row) = agent_rows.next()? {
        agents.entry(row.get(0)?).or_default().push(row.get(1)?);
    }
    let mut statement = conn.prepare(
        "SELECT p.sourced_id, p.pkey, p.username, p.given_name, p.family_name, p.middle_name,
                p.preferred_given_name, p.preferred_middle_name, p.preferred_family_name,
                p.identifier, p.email, p.phone,
                u.enabled, u.grades, u.primary_org_sourced_id, u.date_last_modified
           FROM user_account u JOIN person p ON p.pkey = u.pkey",
    )?;
    let rows = statement.query_map([], |row| {
        let pkey: String = row.get(1)?;
        Ok((
            row.get(0)?,
            Stored {
                record: User {
                    identity: Identity {
                        username: row.get(2)?,
                        given_name: row.get(3)?,
                        family_name: row.get(4)?,
                        middle_name: row.get(5)?,
                        preferred_given_name: row.get(6)?,
                        preferred_middle_name: row.get(7)?,
                        preferred_family_name: row.get(8)?,
                        identifier: row.get(9)?,
                        email: row.get(10)?,
                        phone: row.get(11)?,
                    },
                    enabled: row.get(12)?,
                    grades: text_list(&row.get::<_, String>(13)?),
                    primary_org_sourced_id: row.get(14)?,
                    agent_sourced_ids: agents.get(&pkey).cloned().unwrap_or_default(),
                },
                date_last_modified: optional_instant_column(row, 15)?,
            },
        ))
    })?;
    rows.collect()
}

/// Writes a person's identity and returns their pkey: the stored one if the sourcedId is known
/// (so the key is stable across imports), else a fresh random one (added to `person_keys`).
/// Clears `off_roster_since`: the person is on the roster again.
pub fn upsert_person(
    conn: &Connection,
    person_keys: &mut HashMap<String, String>,
    sourced_id: &str,
    identity: &Identity,
) -> rusqlite::Result<String> {
    let (pkey, sql) = match person_keys.get(sourced_id) {
        Some(pkey) => (
            pkey.clone(),
            "UPDATE person SET sourced_id = ?2, username = ?3, given_name = ?4,
                    family_name = ?5, middle_name = ?6, preferred_given_name = ?7,
                    preferred_middle_name = ?8, preferred_family_name = ?9, identifier = ?10,
                    email = ?11, phone = ?12, off_roster_since = NULL
              WHERE pkey = ?1",
        ),
        None => (
            new_person_key(),
            "INSERT INTO person (pkey, sourced_id, username, given_name, family_name,
                                 middle_name, preferred_given_name, preferred_middle_name,
                                 preferred_family_name, identifier, email, phone)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        ),
    };
    conn.prepare_cached(sql)?.execute(params![
        pkey,
        sourced_id,
        identity.username,
        identity.given_name,
        identity.family_name,
        identity.middle_name,
        identity.preferred_given_name,
        identity.preferred_middle_name,
        identity.preferred_family_name,
        identity.identifier,
        identity.email,
        identity.phone,
    ])?;
    person_keys.insert(sourced_id.to_owned(), pkey.clone());
    Ok(pkey)
}

/// Writes the non-identifying part of a user and replaces their agent links
/// (`agent_pkeys` in file order).
pub fn upsert_user_account(
    conn: &Connection,
    pkey: &str,
    user: &Stored<User>,
    agent_pkeys: &[&str],
) -> rusqlite::Result<()> {
    let record = &user.record;
    conn.prepare_cached(
        "INSERT INTO user_account (pkey, enabled, grades, primary_org_sourced_id,
                                   date_last_modified)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (pkey) DO UPDATE SET
            enabled = excluded.enabled, grades = excluded.grades,
            primary_org_sourced_id = excluded.primary_org_sourced_id,
            date_last_modified = excluded.date_last_modified",
    )?
    .execute(params![
        pkey,
        record.enabled,
        list_text(&record.grades),
        record.primary_org_sourced_id,
        user.date_last_modified.map(instant_text),
    ])?;
    conn.prepare_cached("DELETE FROM user_agent WHERE pkey = ?1")?.execute([pkey])?;
    let mut insert_agent =
        conn.prepare_cached("INSERT OR IGNORE INTO user_agent (pkey, agent_pkey, position) VALUES (?1, ?2, ?3)")?;
    for (position, agent_pkey) in agent_pkeys.iter().enumerate() {
        insert_agent.execute(params![pkey, agent_pkey, position as i64])?;
    }
    Ok(())
}

/// Takes a person off the roster: removes their account, roles, enrollments, agent list and
/// demographics, and stamps `off_roster_since`. The identity row and pkey stay until the
/// retention policy purges them, so events keyed by pkey stay attributable meanwhile.
/// Links *to* this person from other users are left for the integrity check to report.
pub fn remove_user(conn: &Connection, pkey: &str, now: DateTime<Utc>) -> rusqlite::Result<()> {
    for sql in [
        "DELETE FROM enrollment WHERE pkey = ?1",
        "DELETE FROM person_role WHERE pkey = ?1",
        "DELETE FROM roster_record WHERE pkey = ?1",
        "DELETE FROM user_agent WHERE pkey = ?1",
        "DELETE FROM subgroup WHERE pkey = ?1",
        "DELETE FROM student_demographics WHERE pkey = ?1",
        "DELETE FROM user_account WHERE pkey = ?1",
    ] {
        conn.prepare_cached(sql)?.execute([pkey])?;
    }
    conn.prepare_cached("UPDATE person SET off_roster_since = ?2 WHERE pkey = ?1")?
        .execute(params![pkey, instant_text(now)])?;
    Ok(())
}

/// The record key for a role or enrollment record, created on first sight; follows the
/// record to a new person if the record now names another user.
pub(super) fn record_key(conn: &Connection, kind: &str, sourced_id: &str, pkey: &str) -> rusqlite::Result<String> {
    let existing: Option<(String, String)> = conn
        .prepare_cached("SELECT rkey, pkey FROM roster_record WHERE kind = ?1 AND sourced_id = ?2")?
        .query_row([kind, sourced_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    match existing {
        Some((rkey, stored_pkey)) => {
            if stored_pkey != pkey {
                conn.prepare_cached("UPDATE roster_record SET pkey = ?2 WHERE rkey = ?1")?.execute([&rkey, pkey])?;
            }
            Ok(rkey)
        }
        None => {
            let rkey = new_record_key();
            conn.prepare_cached("INSERT INTO roster_record (kind, sourced_id, rkey, pkey) VALUES (?1, ?2, ?3, ?4)")?
                .execute([kind, sourced_id, &rkey, pkey])?;
            Ok(rkey)
        }
    }
}

pub(super) fn delete_record(conn: &Connection, rkey: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM roster_record WHERE rkey = ?1")?.execute([rkey])?;
    Ok(())
}

/// Every stored role by its record sourcedId.
pub fn load_roles(conn: &Connection) -> rusqlite::Result<HashMap<String, Stored<Role>>> {
    let mut statement = conn.prepare(
        "SELECT r.sourced_id, p.sourced_id, x.role, x.role_type, x.org_sourced_id,
                x.begin_date, x.end_date, x.date_last_modified
           FROM person_role x
           JOIN roster_record r ON r.rkey = x.rkey AND r.kind = 'role'
           JOIN person p ON p.pkey = x.pkey",
    )?;
    let rows = statement.query_map([], |row| {
        let role_text: String = row.get(2)?;
        let role = UserRole::from_spelling(&role_text).ok_or_else(|| conversion_error(2, &role_text, "role"))?;
        let type_text: String = row.get(3)?;
        let role_type =
            RoleType::from_spelling(&type_text).ok_or_else(|| conversion_error(3, &type_text, "role type"))?;
        Ok((
            row.get(0)?,
            Stored {
                record: Role {
                    user_sourced_id: row.get(1)?,
                    role,
                    role_type,
                    org_sourced_id: row.get(4)?,
                    begin_date: optional_date_column(row, 5)?,
                    end_date: optional_date_column(row, 6)?,
                },
                date_last_modified: optional_instant_column(row, 7)?,
            },
        ))
    })?;
    rows.collect()
}

/// Inserts or replaces one role record; `pkey` is the user's person key.
pub fn upsert_role(conn: &Connection, sourced_id: &str, pkey: &str, role: &Stored<Role>) -> rusqlite::Result<()> {
    let rkey = record_key(conn, "role", sourced_id, pkey)?;
    let record = &role.record;
    conn.prepare_cached(
        "INSERT INTO person_role (rkey, pkey, role, role_type, org_sourced_id, begin_date,
                                  end_date, date_last_modified)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (rkey) DO UPDATE SET
            pkey = excluded.pkey, role = excluded.role, role_type = excluded.role_type,
            org_sourced_id = excluded.org_sourced_id, begin_date = excluded.begin_date,
            end_date = excluded.end_date, date_last_modified = excluded.date_last_modified",
    )?
    .execute(params![
        rkey,
        pkey,
        record.role.as_str(),
        record.role_type.as_str(),
        record.org_sourced_id,
        record.begin_date.map(date_text),
        record.end_date.map(date_text),
        role.date_last_modified.map(instant_text),
    ])?;
    Ok(())
}

pub fn delete_role(conn: &Connection, sourced_id: &str) -> rusqlite::Result<()> {
    let rkey: Option<String> = conn
        .prepare_cached("SELECT rkey FROM roster_record WHERE kind = 'role' AND sourced_id = ?1")?
        .query_row([sourced_id], |row| row.get(0))
        .optional()?;
    if let Some(rkey) = rkey {
        conn.prepare_cached("DELETE FROM person_role WHERE rkey = ?1")?.execute([&rkey])?;
        delete_record(conn, &rkey)?;
    }
    Ok(())
}

/// Every stored demographics record, by the user's sourcedId.
pub fn load_demographics(conn: &Connection) -> rusqlite::Result<HashMap<String, Stored<Demographics>>> {
    let mut subgroups: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut subgroup_statement = conn.prepare("SELECT pkey, attribute, value FROM subgroup")?;
    let mut subgroup_rows = subgroup_statement.query([])?;
    while let Some(row) = subgroup_rows.next()? {
        subgroups.entry(row.get(0)?).or_default().push((row.get(1)?, row.get(2)?));
    }
    let mut statement = conn.prepare(
        "SELECT p.sourced_id, d.pkey, d.birth_year, d.date_last_modified
           FROM student_demographics d JOIN person p ON p.pkey = d.pkey",
    )?;
    let rows = statement.query_map([], |row| {
        let pkey: String = row.get(1)?;
        Ok((
            row.get(0)?,
            Stored {
                record: Demographics {
                    birth_year: row.get(2)?,
                    subgroups: subgroups.remove(&pkey).unwrap_or_default().into_iter().collect(),
                },
                date_last_modified: optional_instant_column(row, 3)?,
            },
        ))
    })?;
    rows.collect()
}

/// Inserts or replaces one person's demographics and subgroup rows.
pub fn upsert_demographics(conn: &Connection, pkey: &str, demographics: &Stored<Demographics>) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO student_demographics (pkey, birth_year, date_last_modified)
         VALUES (?1, ?2, ?3)
         ON CONFLICT (pkey) DO UPDATE SET
            birth_year = excluded.birth_year, date_last_modified = excluded.date_last_modified",
    )?
    .execute(params![pkey, demographics.record.birth_year, demographics.date_last_modified.map(instant_text),])?;
    conn.prepare_cached("DELETE FROM subgroup WHERE pkey = ?1")?.execute([pkey])?;
    let mut insert = conn.prepare_cached("INSERT INTO subgroup (pkey, attribute, value) VALUES (?1, ?2, ?3)")?;
    for (attribute, value) in &demographics.record.subgroups {
        insert.execute(params![pkey, attribute, value])?;
    }
    Ok(())
}

pub fn delete_demographics(conn: &Connection, pkey: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM subgroup WHERE pkey = ?1")?.execute([pkey])?;
    conn.prepare_cached("DELETE FROM student_demographics WHERE pkey = ?1")?.execute([pkey])?;
    Ok(())
}
