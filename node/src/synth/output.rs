//! Writes a generated school to disk in the docs/DATA.md layout. Every file is first written beside
//! its final name and renamed into place only when all were written, so a failure leaves `out` as
//! it was. Statements are serialised on this thread and written by another (the two cores overlap).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::model::SyntheticSchool;
use super::{oneroster_csv as oneroster, tables_csv as tables, SynthError, SynthSummary};

/// Bytes of NDJSON handed to the writer thread at a time.
const CHUNK_BYTES: usize = 4 << 20;

/// Files written so far, under temporary names, and the directories this run created.
struct Staging {
    files: Vec<(PathBuf, PathBuf)>,
    created_dirs: Vec<PathBuf>,
    committed: bool,
}

impl Staging {
    fn new(out: &Path) -> Result<Self, SynthError> {
        let mut staging = Staging { files: Vec::new(), created_dirs: Vec::new(), committed: false };
        for dir in [out.to_path_buf(), out.join("oneroster")] {
            if !dir.is_dir() {
                fs::create_dir_all(&dir).map_err(|source| SynthError::Io { path: dir.clone(), source })?;
                staging.created_dirs.push(dir);
            }
        }
        Ok(staging)
    }

    /// Creates the temporary file for `path` and remembers it.
    fn create(&mut self, path: PathBuf) -> Result<(File, PathBuf), SynthError> {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.synth-partial"));
        let file = File::create(&temp).map_err(|source| SynthError::Io { path: temp.clone(), source })?;
        self.files.push((temp, path.clone()));
        Ok((file, path))
    }

    fn csv(
        &mut self,
        path: PathBuf,
        school: &SyntheticSchool,
        write: fn(&SyntheticSchool, &mut csv::Writer<File>) -> csv::Result<usize>,
    ) -> Result<usize, SynthError> {
        let (file, path) = self.create(path)?;
        let mut writer = csv::Writer::from_writer(file);
        let rows = write(school, &mut writer).map_err(|source| SynthError::Csv { path: path.clone(), source })?;
        writer.flush().map_err(|source| SynthError::Io { path, source })?;
        Ok(rows)
    }

    fn commit(mut self) -> Result<(), SynthError> {
        for (temp, path) in &self.files {
            fs::rename(temp, path).map_err(|source| SynthError::Io { path: path.clone(), source })?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        // Best effort: the error that got us here is the one reported.
        for (temp, _) in &self.files {
            let _ = fs::remove_file(temp);
        }
        for dir in self.created_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Writes every file of the layout and returns what was written.
pub(crate) fn write_all(school: &SyntheticSchool, out: &Path) -> Result<SynthSummary, SynthError> {
    if out.exists() && !out.is_dir() {
        let source = io::Error::new(io::ErrorKind::AlreadyExists, "exists and is not a directory");
        return Err(SynthError::Io { path: out.to_path_buf(), source });
    }
    let mut staging = Staging::new(out)?;
    let roster = out.join("oneroster");
    staging.csv(roster.join("manifest.csv"), school, oneroster::manifest)?;
    staging.csv(roster.join("orgs.csv"), school, oneroster::orgs)?;
    staging.csv(roster.join("academicSessions.csv"), school, oneroster::academic_sessions)?;
    staging.csv(roster.join("courses.csv"), school, oneroster::courses)?;
    staging.csv(roster.join("classes.csv"), school, oneroster::classes)?;
    staging.csv(roster.join("users.csv"), school, oneroster::users)?;
    staging.csv(roster.join("roles.csv"), school, oneroster::roles)?;
    staging.csv(roster.join("enrollments.csv"), school, oneroster::enrollments)?;
    staging.csv(roster.join("demographics.csv"), school, oneroster::demographics)?;
    let items = staging.csv(out.join("items.csv"), school, tables::items)?;
    let attendance_rows = staging.csv(out.join("attendance.csv"), school, tables::attendance)?;
    let outcome_rows = staging.csv(out.join("outcomes.csv"), school, tables::outcomes)?;
    let (file, path) = staging.create(out.join("statements.ndjson"))?;
    let statements = write_statements(school, file).map_err(|source| SynthError::Io { path, source })?;
    staging.commit()?;
    Ok(SynthSummary {
        students: school.students.len(),
        teachers: school.teachers.len(),
        guardians: school.guardians.len(),
        classes: school.classes.len(),
        standards: school.standards.len(),
        items,
        school_days: school.school_days.len(),
        statements,
        attendance_rows,
        outcome_rows,
    })
}

/// Streams every statement as one NDJSON line into `file`; returns how many were written.
pub(crate) fn write_statements(school: &SyntheticSchool, file: File) -> io::Result<u64> {
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<u8>>(2);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> io::Result<()> {
            let mut file = file;
            for chunk in full_rx {
                file.write_all(&chunk)?;
                // The generator may have finished; a closed channel only means no reuse.
                let _ = empty_tx.send(chunk);
            }
            file.flush()
        });
        let mut count = 0u64;
        let mut chunk = Vec::with_capacity(CHUNK_BYTES + 4096);
        for statement in school.statements() {
            statement.write_json(&mut chunk);
            chunk.push(b'\n');
            count += 1;
            if chunk.len() >= CHUNK_BYTES {
                let mut next = empty_rx.try_recv().unwrap_or_else(|_| Vec::with_capacity(CHUNK_BYTES + 4096));
                next.clear();
                if full_tx.send(std::mem::replace(&mut chunk, next)).is_err() {
                    break; // the writer failed; its error is returned below
                }
            }
        }
        if !chunk.is_empty() {
            let _ = full_tx.send(chunk);
        }
        drop(full_tx);
        match writer.join() {
            Ok(result) => result.map(|()| count),
            Err(_) => Err(io::Error::other("statement writer thread panicked")),
        }
    })
}
