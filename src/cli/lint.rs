//! `rolesmith lint`: check ServiceRole manifests and IAM policy documents in a pipeline.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::json;

use super::SettingsArgs;
use super::input::inputs;
use crate::catalog::reference::reference;
use crate::lint::locate::{line_of, split_documents};
use crate::lint::sarif::{Located, report};
use crate::lint::{
    Code, Finding, Severity, fails, lint_policy_document, lint_service_role, lint_settings,
};
use crate::manifest::{Content, read_documents};

#[derive(Debug, Args)]
pub struct LintArgs {
    /// ServiceRole manifests: files or directories (their .yaml, .yml and .json files); `-`
    /// reads stdin.
    #[arg(short = 'f', long = "filename", required_unless_present = "policies")]
    files: Vec<PathBuf>,

    /// IAM identity policy documents (JSON) to lint as they are.
    #[arg(long = "policy")]
    policies: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// Fail on warnings as well as errors.
    #[arg(long)]
    strict: bool,

    /// Namespace of manifests that name none.
    #[arg(short = 'n', long, default_value = "default")]
    namespace: String,

    #[command(flatten)]
    settings: SettingsArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    Sarif,
}

/// A finding with the file, line and object it belongs to.
struct Placed {
    finding: Finding,
    uri: String,
    line: usize,
    subject: String,
}

pub fn run(args: &LintArgs) -> ExitCode {
    let settings = lint_settings(args.settings.settings());
    if let Err(error) = settings.check() {
        eprintln!("rolesmith lint: {error}");
        return ExitCode::FAILURE;
    }

    let mut placed: Vec<Placed> = Vec::new();
    let mut unreadable = false;
    for (source, text) in inputs(&args.files) {
        match text {
            Ok(text) => placed.extend(lint_manifests(&source, &text, &args.namespace, &settings)),
            Err(message) => {
                eprintln!("{source}: {message}");
                unreadable = true;
            }
        }
    }
    for (source, text) in inputs(&args.policies) {
        match text {
            Ok(text) => placed.extend(lint_policy(&source, &text)),
            Err(message) => {
                eprintln!("{source}: {message}");
                unreadable = true;
            }
        }
    }

    placed.sort_by(|a, b| (&a.uri, a.line).cmp(&(&b.uri, b.line)));
    let findings: Vec<Finding> = placed.iter().map(|p| p.finding.clone()).collect();
    match args.format {
        Format::Human => print_human(&placed),
        Format::Json => {
            let items: Vec<_> = placed
                .iter()
                .map(|p| {
                    let mut value = serde_json::to_value(&p.finding).expect("findings serialise");
                    value["file"] = json!(p.uri);
                    value["line"] = json!(p.line);
                    value["subject"] = json!(p.subject);
                    value
                })
                .collect();
            let output = json!({"reference": reference().version, "findings": items});
            println!("{}", serde_json::to_string_pretty(&output).expect("JSON"));
        }
        Format::Sarif => {
            let located: Vec<Located> = placed
                .iter()
                .map(|p| Located {
                    finding: &p.finding,
                    uri: p.uri.clone(),
                    line: p.line,
                    subject: p.subject.clone(),
                })
                .collect();
            let log = report(&located, &reference().version);
            println!(
                "{}",
                serde_json::to_string_pretty(&log).expect("SARIF is JSON")
            );
        }
    }
    if unreadable || fails(&findings, args.strict) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn lint_manifests(
    source: &str,
    text: &str,
    namespace: &str,
    settings: &crate::render::Settings,
) -> Vec<Placed> {
    let texts = split_documents(text);
    let mut placed = Vec::new();
    for document in read_documents(text, namespace) {
        let (findings, subject) = match &document.content {
            Content::Other => continue,
            Content::Invalid { name, problems } => (
                problems
                    .problems
                    .iter()
                    .map(|p| {
                        Finding::new(Code::InvalidSpec, p.field.clone(), p.message.clone(), "")
                    })
                    .collect(),
                name.clone()
                    .unwrap_or_else(|| format!("document {}", document.index)),
            ),
            Content::ServiceRole(role) => (
                lint_service_role(role, settings),
                format!(
                    "{}/{}",
                    role.metadata.namespace.as_deref().unwrap_or_default(),
                    role.metadata.name.as_deref().unwrap_or_default()
                ),
            ),
        };
        // Documents count the same way in both readers; a mismatch only loses line precision.
        let (start, document_text) = texts
            .get(document.index - 1)
            .cloned()
            .unwrap_or((1, text.to_string()));
        for finding in findings {
            let line =
                start + line_of(&document_text, &finding.field, finding.value.as_deref()) - 1;
            placed.push(Placed {
                finding,
                uri: source.to_string(),
                line,
                subject: subject.clone(),
            });
        }
    }
    placed
}

fn lint_policy(source: &str, text: &str) -> Vec<Placed> {
    let findings = match serde_json::from_str(text) {
        Ok(document) => lint_policy_document(&document),
        Err(error) => vec![Finding::new(
            Code::InvalidSpec,
            "document",
            format!("not a JSON policy document: {error}"),
            "",
        )],
    };
    findings
        .into_iter()
        .map(|finding| {
            let line = line_of(text, &finding.field, finding.value.as_deref());
            Placed {
                finding,
                uri: source.to_string(),
                line,
                subject: source.to_string(),
            }
        })
        .collect()
}

fn print_human(placed: &[Placed]) {
    for p in placed {
        let f = &p.finding;
        println!(
            "{}:{}: {} {} [{}] {}: {}",
            p.uri, p.line, f.severity, f.code, p.subject, f.field, f.message
        );
        if !f.hint.is_empty() {
            println!("    hint: {}", f.hint);
        }
    }
    let count = |severity| {
        placed
            .iter()
            .filter(|p| p.finding.severity == severity)
            .count()
    };
    println!(
        "{} errors, {} warnings, {} suggestions (AWS Service Authorization Reference {})",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Suggestion),
        reference().version
    );
}
