//! Reading the command line's input files: files, directories and stdin.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Every input as (name for messages, text or the reason it could not be read).
pub fn inputs(files: &[PathBuf]) -> Vec<(String, Result<String, String>)> {
    let mut inputs = Vec::new();
    for file in files {
        if file.as_os_str() == "-" {
            let mut text = String::new();
            let read = std::io::stdin().read_to_string(&mut text).map(|_| text);
            inputs.push(("<stdin>".to_string(), read.map_err(|e| e.to_string())));
        } else if file.is_dir() {
            match manifest_files(file) {
                Ok(found) => inputs.extend(found.into_iter().map(|path| read_file(&path))),
                Err(error) => inputs.push((file.display().to_string(), Err(error.to_string()))),
            }
        } else {
            inputs.push(read_file(file));
        }
    }
    inputs
}

fn read_file(path: &Path) -> (String, Result<String, String>) {
    (
        path.display().to_string(),
        std::fs::read_to_string(path).map_err(|e| e.to_string()),
    )
}

/// Manifest files under a directory, recursively, in a stable order.
fn manifest_files(directory: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(directory)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            found.extend(manifest_files(&path)?);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            found.push(path);
        }
    }
    Ok(found)
}
