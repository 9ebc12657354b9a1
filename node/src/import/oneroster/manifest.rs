//! manifest.csv: which OneRoster version the export follows and, per file, whether it is a
//! bulk file, a delta file or absent.

use std::collections::HashMap;
use std::fmt;

use super::source::SourceFiles;
use crate::import::csv_file::{read_table, required};
use crate::import::error::{ImportError, Problem, Problems};

const MANIFEST: &str = "manifest.csv";

/// The OneRoster CSV version of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OneRosterVersion {
    /// 1.1: roles are the `role` column of users.csv.
    V1_1,
    /// 1.2: roles.csv.
    V1_2,
}

impl fmt::Display for OneRosterVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OneRosterVersion::V1_1 => "1.1",
            OneRosterVersion::V1_2 => "1.2",
        })
    }
}

/// `file.X` in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ManifestMode {
    Bulk,
    Delta,
    Absent,
}

impl ManifestMode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ManifestMode::Bulk => "bulk",
            ManifestMode::Delta => "delta",
            ManifestMode::Absent => "absent",
        }
    }
}

/// The files Lantern reads, by stem, in the order they are applied.
pub(crate) fn used_files(version: OneRosterVersion) -> &'static [&'static str] {
    match version {
        OneRosterVersion::V1_1 => {
            &["orgs", "academicSessions", "courses", "classes", "users", "enrollments", "demographics"]
        }
        OneRosterVersion::V1_2 => {
            &["orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments", "demographics"]
        }
    }
}

#[derive(Debug)]
pub(crate) struct Manifest {
    pub version: OneRosterVersion,
    modes: HashMap<String, ManifestMode>,
    pub warnings: Vec<String>,
}

impl Manifest {
    /// The mode of the file with this stem (`users`); not listed means absent.
    pub(crate) fn mode(&self, stem: &str) -> ManifestMode {
        self.modes.get(stem).copied().unwrap_or(ManifestMode::Absent)
    }
}

/// Parses manifest.csv; every problem found is reported at once.
pub(crate) fn parse(files: &SourceFiles, source_name: &str) -> Result<Manifest, ImportError> {
    let mut problems = Problems::default();
    let Some(bytes) = files.get(MANIFEST) else {
        problems.push(Problem::file(MANIFEST, "missing (a OneRoster export has manifest.csv next to the data files)"));
        return Err(problems.reject(source_name));
    };
    let columns = [required("propertyName"), required("value")];
    let manifest =
        read_table(MANIFEST, bytes, &columns, "not a manifest column; ignored", &mut problems).and_then(|table| {
            let mut version = None;
            let mut modes = HashMap::new();
            let mut seen = HashMap::new();
            for row in table.rows() {
                let property = row.get("propertyName");
                let value = row.get("value");
                if let Some(first) = seen.insert(property.to_owned(), row.line()) {
                    problems.push(
                        row.problem("propertyName", format!("\"{property}\" is listed twice (first on line {first})")),
                    );
                    continue;
                }
                match property {
                    "oneroster.version" => {
                        version = match value {
                            "1.1" => Some(OneRosterVersion::V1_1),
                            "1.2" => Some(OneRosterVersion::V1_2),
                            _ => {
                                problems.push(row.problem(
                                    "value",
                                    format!("unsupported OneRoster version \"{value}\" (expected 1.1 or 1.2)"),
                                ));
                                continue;
                            }
                        }
                    }
                    "manifest.version" if value != "1.0" => problems
                        .push(row.problem("value", format!("unsupported manifest version \"{value}\" (expected 1.0)"))),
                    _ => {
                        if let Some(stem) = property.strip_prefix("file.") {
                            let mode = match value {
                                "bulk" => ManifestMode::Bulk,
                                "delta" => ManifestMode::Delta,
                                "absent" => ManifestMode::Absent,
                                _ => {
                                    problems.push(row.problem(
                                        "value",
                                        format!(
                                            "{property}: unknown mode \"{value}\" (expected bulk, delta or absent)"
                                        ),
                                    ));
                                    continue;
                                }
                            };
                            modes.insert(stem.to_owned(), mode);
                        }
                    }
                }
            }
            if version.is_none() && problems.is_empty() {
                problems.push(Problem::file(MANIFEST, "no oneroster.version property (expected 1.1 or 1.2)"));
            }
            version.map(|version| (version, modes))
        });
    let (version, modes) = match manifest {
        Some(manifest) if problems.is_empty() => manifest,
        _ => return Err(problems.reject(source_name)),
    };
    let mut warnings = Vec::new();
    if version == OneRosterVersion::V1_1 && modes.get("roles").is_some_and(|m| *m != ManifestMode::Absent) {
        warnings.push(
            "manifest.csv lists file.roles, which OneRoster 1.1 does not have; roles are read from users.csv"
                .to_owned(),
        );
    }
    Ok(Manifest { version, modes, warnings })
}
