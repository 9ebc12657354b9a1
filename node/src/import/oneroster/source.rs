//! Where a OneRoster export comes from: a directory of CSV files or a .zip of them (at the
//! archive root or in one folder, next to manifest.csv). Loads the CSV files into memory.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::import::error::{ImportError, Problem, Problems};

/// A file larger than this is refused (a roster of a large district is far smaller).
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// The CSV files of an export, by bare file name (`users.csv`).
#[derive(Debug, Default)]
pub(crate) struct SourceFiles {
    files: BTreeMap<String, Vec<u8>>,
}

impl SourceFiles {
    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }

    /// Removes and returns a file, so what is left at the end is what was not used.
    pub(crate) fn take(&mut self, name: &str) -> Option<Vec<u8>> {
        self.files.remove(name)
    }

    /// CSV files not taken (other than the manifest).
    pub(crate) fn leftover_csv_names(&self) -> Vec<String> {
        self.files.keys().filter(|name| name.as_str() != "manifest.csv").cloned().collect()
    }
}

/// Loads the CSV files at `path` (a directory, or any other file read as a zip archive).
pub(crate) fn load(path: &Path, source_name: &str) -> Result<SourceFiles, ImportError> {
    let metadata = std::fs::metadata(path).map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
    if metadata.is_dir() {
        load_directory(path)
    } else {
        load_zip(path, source_name)
    }
}

fn load_directory(path: &Path) -> Result<SourceFiles, ImportError> {
    let io_error = |source| ImportError::Io { path: path.to_owned(), source };
    let mut files = SourceFiles::default();
    for entry in std::fs::read_dir(path).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !name.ends_with(".csv") || !entry.file_type().map_err(io_error)?.is_file() {
            continue;
        }
        let file_path = entry.path();
        let mut bytes = Vec::new();
        File::open(&file_path)
            .and_then(|file| file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|source| ImportError::Io { path: file_path.clone(), source })?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            let mut problems = Problems::default();
            problems.push(Problem::file(&name, "larger than 512 MiB; refused"));
            return Err(problems.reject(&path.display().to_string()));
        }
        files.files.insert(name, bytes);
    }
    Ok(files)
}

fn load_zip(path: &Path, source_name: &str) -> Result<SourceFiles, ImportError> {
    let archive_name =
        path.file_name().map_or_else(|| source_name.to_owned(), |name| name.to_string_lossy().into_owned());
    let file = File::open(path).map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
    let mut problems = Problems::default();
    let mut archive = match zip::ZipArchive::new(file) {
        Ok(archive) => archive,
        Err(_) => {
            problems.push(Problem::file(&archive_name, "not a readable zip archive (is it truncated?)"));
            return Err(problems.reject(source_name));
        }
    };
    // The folder holding manifest.csv is the export's root; ignore macOS resource forks.
    let names: Vec<String> =
        archive.file_names().filter(|name| !name.starts_with("__MACOSX/")).map(str::to_owned).collect();
    let root = names
        .iter()
        .filter(|name| *name == "manifest.csv" || name.ends_with("/manifest.csv"))
        .min_by_key(|name| name.len())
        .map_or(String::new(), |name| name[..name.len() - "manifest.csv".len()].to_owned());
    let mut files = SourceFiles::default();
    for name in names {
        let Some(bare) = name.strip_prefix(&root) else {
            continue;
        };
        if bare.contains('/') || !bare.ends_with(".csv") {
            continue;
        }
        let mut bytes = Vec::new();
        let read = archive.by_name(&name).map_err(|_| ()).and_then(|entry| {
            if entry.size() > MAX_FILE_BYTES {
                return Err(());
            }
            entry.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|_| ())
        });
        if read.is_err() || bytes.len() as u64 > MAX_FILE_BYTES {
            problems.push(Problem::file(
                &format!("{archive_name}: {bare}"),
                "cannot be read from the zip archive (is it truncated or over 512 MiB?)",
            ));
            continue;
        }
        files.files.insert(bare.to_owned(), bytes);
    }
    problems.into_result(source_name)?;
    Ok(files)
}
