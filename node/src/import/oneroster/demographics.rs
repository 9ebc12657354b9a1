//! demographics.csv reduced to the audit subgroups the policy names, mapped to a small public
//! vocabulary. Everything else (birth date, birth place, ...) is dropped and reported; at most
//! the birth year is kept, and only when asked.
//!
//! Vocabulary: `sex` ∈ {female, male, other, unknown}; `race_ethnicity` ∈
//! {hispanic_or_latino, american_indian_alaska_native, asian, black_african_american,
//! native_hawaiian_pacific_islander, white, two_or_more, unknown} by the US federal
//! convention: hispanicOrLatinoEthnicity true wins; else exactly one race flag gives that race;
//! two or more flags (or demographicRaceTwoOrMoreRaces) give two_or_more; none gives unknown.

use std::collections::BTreeMap;

use chrono::Datelike;

use super::{read_rows, FileRows, RECORD_COLUMNS};
use crate::import::csv_file::{dropped, optional, ColumnSpec, Keep, Reported, RowRef, Table};
use crate::import::error::{ImportError, Problems};
use crate::import::fields;
use crate::import::report::FileMode;
use crate::store::roster::records::Demographics;

const SEX: &str = "sex";
const TWO_OR_MORE: &str = "demographicRaceTwoOrMoreRaces";
const HISPANIC: &str = "hispanicOrLatinoEthnicity";
/// Race flag column → `race_ethnicity` value.
const RACE_FLAGS: [(&str, &str); 5] = [
    ("americanIndianOrAlaskaNative", "american_indian_alaska_native"),
    ("asian", "asian"),
    ("blackOrAfricanAmerican", "black_african_american"),
    ("nativeHawaiianOrOtherPacificIslander", "native_hawaiian_pacific_islander"),
    ("white", "white"),
];
/// Columns whose values are already codes from a public list, kept as-is when named:
/// column → attribute.
const CODED: [(&str, &str); 3] = [
    ("countryOfBirthCode", "country_of_birth"),
    ("stateOfBirthAbbreviation", "state_of_birth"),
    ("publicSchoolResidenceStatus", "public_school_residence_status"),
];
/// Never kept, whatever the policy says (free text or exact dates).
const NEVER_KEPT: [&str; 2] = ["birthDate", "cityOfBirth"];

/// The subgroup attribute names this module writes.
pub const SEX_ATTRIBUTE: &str = "sex";
pub const RACE_ATTRIBUTE: &str = "race_ethnicity";
pub const UNKNOWN: &str = "unknown";

/// The default audit subgroup columns: sex, the race flags and hispanicOrLatinoEthnicity.
pub fn default_kept_demographics() -> Vec<String> {
    std::iter::once(SEX)
        .chain(RACE_FLAGS.iter().map(|(column, _)| *column))
        .chain([TWO_OR_MORE, HISPANIC])
        .map(str::to_owned)
        .collect()
}

/// Which demographics columns to keep and how.
#[derive(Debug, Clone)]
pub(crate) struct DemographicsPolicy {
    keep_sex: bool,
    /// Race/ethnicity columns named (flags, two-or-more, hispanic).
    race_columns: Vec<&'static str>,
    coded: Vec<(&'static str, &'static str)>,
    keep_birth_year: bool,
}

impl DemographicsPolicy {
    pub(crate) fn from_options(kept: &[String], keep_birth_year: bool) -> Result<Self, ImportError> {
        let mut policy = Self { keep_sex: false, race_columns: Vec::new(), coded: Vec::new(), keep_birth_year };
        for name in kept {
            let name = name.as_str();
            if name == SEX {
                policy.keep_sex = true;
            } else if let Some((column, _)) = RACE_FLAGS.iter().find(|(column, _)| *column == name) {
                policy.race_columns.push(column);
            } else if name == TWO_OR_MORE || name == HISPANIC {
                policy.race_columns.push(if name == HISPANIC { HISPANIC } else { TWO_OR_MORE });
            } else if let Some(coded) = CODED.iter().find(|(column, _)| *column == name) {
                policy.coded.push(*coded);
            } else {
                let reason = if NEVER_KEPT.contains(&name) {
                    format!("\"{name}\" is never kept (only the birth year, with keep_birth_year)")
                } else {
                    format!("\"{name}\" is not a demographics.csv column Lantern can keep")
                };
                return Err(ImportError::InvalidOption { option: "kept_demographics", reason });
            }
        }
        Ok(policy)
    }

    /// The demographics.csv columns, each kept or dropped per the policy.
    pub(crate) fn columns(&self) -> Vec<ColumnSpec> {
        const NOT_NAMED: &str = "not one of the policy's audit subgroups";
        let keep = |named: bool| {
            if named {
                Keep::Kept
            } else {
                Keep::Dropped(NOT_NAMED)
            }
        };
        let mut columns = RECORD_COLUMNS.to_vec();
        columns.push(if self.keep_birth_year {
            dropped("birthDate", "only the birth year is kept")
        } else {
            dropped("birthDate", "birth dates are not kept")
        });
        columns.push(ColumnSpec { keep: keep(self.keep_sex), ..optional(SEX) });
        for column in RACE_FLAGS.iter().map(|(column, _)| *column).chain([TWO_OR_MORE, HISPANIC]) {
            columns.push(ColumnSpec { keep: keep(self.race_columns.contains(&column)), ..optional(column) });
        }
        for (column, _) in CODED {
            columns.push(ColumnSpec {
                keep: keep(self.coded.iter().any(|(named, _)| *named == column)),
                ..optional(column)
            });
        }
        columns.push(dropped("cityOfBirth", "birth places are not kept"));
        columns
    }

    pub(crate) fn read(&self, table: &Table, mode: FileMode, problems: &mut Problems) -> FileRows<Demographics> {
        let file = ("demographics.csv", "demographics record");
        read_rows(table, mode, file, problems, |row, problems| self.reduce(row, problems))
    }

    /// One row → the kept subgroups (and birth year).
    fn reduce(&self, row: RowRef<'_>, problems: &mut Problems) -> Result<Demographics, Reported> {
        let mut subgroups = BTreeMap::new();
        let mut failed = false;
        if self.keep_sex {
            match sex(row.get(SEX)) {
                Ok(value) => {
                    subgroups.insert(SEX_ATTRIBUTE.to_owned(), value.to_owned());
                }
                Err(reason) => {
                    problems.push(row.problem(SEX, reason));
                    failed = true;
                }
            }
        }
        if !self.race_columns.is_empty() {
            let mut flag = |column: &str| -> bool {
                if !self.race_columns.contains(&column) {
                    return false;
                }
                match row.parse_optional(column, problems, fields::boolean) {
                    Ok(value) => value.unwrap_or(false),
                    Err(Reported) => {
                        failed = true;
                        false
                    }
                }
            };
            let hispanic = flag(HISPANIC);
            let two_or_more = flag(TWO_OR_MORE);
            let races: Vec<&str> =
                RACE_FLAGS.iter().filter(|(column, _)| flag(column)).map(|(_, value)| *value).collect();
            let value = if hispanic {
                "hispanic_or_latino"
            } else if two_or_more || races.len() > 1 {
                "two_or_more"
            } else {
                races.first().copied().unwrap_or(UNKNOWN)
            };
            subgroups.insert(RACE_ATTRIBUTE.to_owned(), value.to_owned());
        }
        for (column, attribute) in &self.coded {
            let value = row.get(column);
            let value = if value.is_empty() { UNKNOWN } else { value };
            subgroups.insert((*attribute).to_owned(), value.to_owned());
        }
        let birth_year = if self.keep_birth_year {
            row.parse_optional("birthDate", problems, fields::date).map(|date| date.map(|date| date.year()))
        } else {
            Ok(None)
        };
        if failed {
            return Err(Reported);
        }
        Ok(Demographics { birth_year: birth_year?, subgroups })
    }
}

/// OneRoster `sex` → the public vocabulary.
fn sex(text: &str) -> Result<&'static str, String> {
    match text {
        "female" => Ok("female"),
        "male" => Ok("male"),
        "other" => Ok("other"),
        "unspecified" | "" => Ok(UNKNOWN),
        _ => Err(format!("unknown value \"{text}\" (expected female, male, other or unspecified)")),
    }
}

/// Writes subgroups back as demographics.csv values (for the export): column → value.
pub(crate) fn to_columns(demographics: &Demographics) -> BTreeMap<&'static str, String> {
    let mut columns = BTreeMap::new();
    for (attribute, value) in &demographics.subgroups {
        match attribute.as_str() {
            SEX_ATTRIBUTE if value != UNKNOWN => {
                columns.insert(SEX, value.clone());
            }
            RACE_ATTRIBUTE => match value.as_str() {
                "hispanic_or_latino" => {
                    columns.insert(HISPANIC, "true".to_owned());
                }
                "two_or_more" => {
                    columns.insert(TWO_OR_MORE, "true".to_owned());
                }
                race => {
                    if let Some((column, _)) = RACE_FLAGS.iter().find(|(_, v)| *v == race) {
                        columns.insert(column, "true".to_owned());
                    }
                }
            },
            other => {
                if let Some((column, _)) = CODED.iter().find(|(_, a)| *a == other) {
                    if value != UNKNOWN {
                        columns.insert(column, value.clone());
                    }
                }
            }
        }
    }
    columns
}

/// Every demographics.csv column of OneRoster 1.2, in spec order (for the export header).
pub(crate) const ALL_COLUMNS: [&str; 16] = [
    "sourcedId",
    "status",
    "dateLastModified",
    "birthDate",
    "sex",
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
    "countryOfBirthCode",
    "stateOfBirthAbbreviation",
    "cityOfBirth",
    "publicSchoolResidenceStatus",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_or_never_kept_columns_are_refused_as_options() {
        let error = DemographicsPolicy::from_options(&["cityOfBirth".into()], false).expect_err("never kept");
        assert_eq!(
            error.to_string(),
            "import options: kept_demographics: \"cityOfBirth\" is never kept (only the birth year, with keep_birth_year)"
        );
        let error = DemographicsPolicy::from_options(&["gender".into()], false).expect_err("unknown");
        assert_eq!(
            error.to_string(),
            "import options: kept_demographics: \"gender\" is not a demographics.csv column Lantern can keep"
        );
    }

    #[test]
    fn sex_maps_to_the_public_vocabulary() {
        assert_eq!(sex("female"), Ok("female"));
        assert_eq!(sex("unspecified"), Ok("unknown"));
        assert_eq!(sex(""), Ok("unknown"));
        assert!(sex("F").is_err());
    }

    #[test]
    fn export_columns_invert_the_mapping() {
        let demographics = Demographics {
            birth_year: None,
            subgroups: [
                ("sex".to_owned(), "other".to_owned()),
                ("race_ethnicity".to_owned(), "asian".to_owned()),
                ("country_of_birth".to_owned(), "unknown".to_owned()),
            ]
            .into_iter()
            .collect(),
        };
        let columns = to_columns(&demographics);
        assert_eq!(columns.get("sex").map(String::as_str), Some("other"));
        assert_eq!(columns.get("asian").map(String::as_str), Some("true"));
        assert!(!columns.contains_key("countryOfBirthCode"));
    }
}
