//! `rolesmith render`: the roles that manifests describe, as JSON, with no cluster and no AWS.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::SettingsArgs;
use super::input::inputs;
use crate::lint::{check_service_role, fails};
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
                    Ok(desired) => {
                        // The controller refuses lint errors, so render does too; warnings
                        // and suggestions go to stderr beside the output.
                        let findings = check_service_role(role, &settings, Some(&desired));
                        for finding in &findings {
                            eprintln!("{source}: {}: {finding}", document.label());
                        }
                        if fails(&findings, false) {
                            failed = true;
                        } else {
                            rendered.push(desired);
                        }
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
