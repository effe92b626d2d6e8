//! `rolesmith render`: the roles that manifests describe, as JSON, with no cluster and no AWS.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::SettingsArgs;
use crate::manifest::{Content, read_documents};
use crate::render::render;

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Manifest files or directories (their .yaml, .yml and .json files); `-` reads stdin.
    #[arg(short = 'f', long = "filename", required = true)]
    files: Vec<PathBuf>,

    /// Namespace of manifests that name none, as kubectl would apply them.
    #[arg(short = 'n', long, default_value = "default")]
    namespace: String,

    #[command(flatten)]
    settings: SettingsArgs,
}

pub fn run(args: &RenderArgs) -> ExitCode {
    let settings = args.settings.settings();
    if let Err(error) = settings.check() {
        eprintln!("rolesmith render: {error}");
        return ExitCode::FAILURE;
    }

    let mut rendered = Vec::new();
    let mut failed = false;
    for (source, text) in inputs(&args.files) {
        let text = match text {
            Ok(text) => text,
            Err(message) => {
                eprintln!("{source}: {message}");
                failed = true;
                continue;
            }
        };
        for document in read_documents(&text, &args.namespace) {
            let problems = match &document.content {
                Content::Other => continue,
                Content::Invalid { problems, .. } => problems.clone(),
                Content::ServiceRole(role) => match render(role, &settings) {
                    Ok(role) => {
                        rendered.push(role);
                        continue;
                    }
                    Err(problems) => problems,
                },
            };
            failed = true;
            for problem in &problems.problems {
                eprintln!("{source}: {}: {problem}", document.label());
            }
        }
    }
    if failed {
        return ExitCode::FAILURE;
    }
    let json = serde_json::to_string_pretty(&rendered).expect("rendered roles always serialise");
    println!("{json}");
    ExitCode::SUCCESS
}

/// Every input as (name for messages, text or the reason it could not be read).
fn inputs(files: &[PathBuf]) -> Vec<(String, Result<String, String>)> {
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
