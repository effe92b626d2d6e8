//! SARIF 2.1.0 output, so code-scanning views show findings on the manifest's lines.

use serde_json::{Value, json};

use super::findings::{Code, Finding, Severity};

/// A finding placed in a file.
pub struct Located<'a> {
    pub finding: &'a Finding,
    /// Path of the file, relative to the repository root as given on the command line.
    pub uri: String,
    pub line: usize,
    /// `namespace/name` of the ServiceRole, or the policy file.
    pub subject: String,
}

/// Characters a relative URI reference carries as they are; everything else is escaped.
const URI_ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');

/// A file name as a SARIF artifact URI: a relative reference, escaped; stdin becomes `stdin`.
pub fn artifact_uri(file: &str) -> String {
    if file == "<stdin>" {
        return "stdin".to_string();
    }
    percent_encoding::utf8_percent_encode(file, URI_ESCAPED).to_string()
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Suggestion => "note",
    }
}

/// The SARIF log of one lint run.
pub fn report(findings: &[Located], data_version: &str) -> Value {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|code| {
            let info = code.info();
            json!({
                "id": info.id,
                "name": info.slug,
                "shortDescription": {"text": info.summary},
                "defaultConfiguration": {"level": level(info.severity)},
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|located| {
            let finding = located.finding;
            let rule_index = Code::ALL
                .iter()
                .position(|code| code.info().id == finding.code);
            let text = if finding.hint.is_empty() {
                finding.message.clone()
            } else {
                format!("{} Fix: {}", finding.message, finding.hint)
            };
            json!({
                "ruleId": finding.code,
                "ruleIndex": rule_index,
                "level": level(finding.severity),
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(&located.uri)},
                        "region": {"startLine": located.line.max(1)}
                    },
                    "logicalLocations": [{
                        "fullyQualifiedName": format!("{} {}", located.subject, finding.field),
                        "kind": "member"
                    }]
                }]
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "rolesmith",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
                "properties": {"serviceAuthorizationReference": data_version}
            }},
            "results": results
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_become_relative_uri_references() {
        assert_eq!(artifact_uri("deploy/app.yaml"), "deploy/app.yaml");
        assert_eq!(artifact_uri("my roles/a#b.yaml"), "my%20roles/a%23b.yaml");
        assert_eq!(artifact_uri("<stdin>"), "stdin");
    }
}
