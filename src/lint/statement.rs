//! Checks of one permission statement against the Service Authorization Reference.

use crate::catalog::closest;
use crate::catalog::reference::{Action, Reference, ServiceReference};
use crate::policy::action::{action_name, validate_action};
use crate::policy::arn::Arn;
use crate::policy::condition::{validate_key, validate_operator};

use super::findings::{Code, Finding, Severity};
use super::known::{GLOBAL_CONDITION_KEYS, PRIVILEGE_ESCALATION_ACTIONS, key_matches_template};

/// A statement as the linter sees it, each value with the field path it came from.
#[derive(Debug, Clone, Default)]
pub struct StatementView {
    pub allow: bool,
    pub actions: Vec<(String, String)>,
    /// `NotAction`: names are checked, nothing else is inferred.
    pub not_actions: Vec<(String, String)>,
    pub resources: Vec<(String, String)>,
    /// `NotResource`, or resources that rolesmith's statement builder rewrites (S3 buckets):
    /// resource checks are skipped.
    pub skip_resource_checks: bool,
    /// (field, operator, key)
    pub conditions: Vec<(String, String, String)>,
}

/// An action entry resolved against the reference.
struct Resolved<'a> {
    field: &'a str,
    text: &'a str,
    wildcard: bool,
    service: &'a ServiceReference,
    actions: Vec<&'a Action>,
}

pub fn check_statement(statement: &StatementView, reference: &Reference) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut resolved = Vec::new();

    for (field, text) in &statement.actions {
        if text == "*" {
            if statement.allow {
                findings.push(
                    Finding::new(
                        Code::AllActions,
                        field.clone(),
                        "'*' grants every action of every AWS service",
                        "name the service and actions the role needs",
                    )
                    .with_value(text),
                );
            }
            continue;
        }
        if let Some(entry) = resolve_action(field, text, reference, &mut findings) {
            if statement.allow {
                check_broad_grant(&entry, statement, &mut findings);
            }
            resolved.push(entry);
        }
    }
    for (field, text) in &statement.not_actions {
        if text != "*" {
            // An unknown name in NotAction excludes nothing that exists: stale, not dangerous.
            let mut excluded = Vec::new();
            resolve_action(field, text, reference, &mut excluded);
            findings.extend(excluded.into_iter().map(|mut finding| {
                finding.severity = finding.severity.max(Severity::Warning);
                finding
            }));
        }
    }

    if !statement.skip_resource_checks {
        check_resources(statement, &resolved, reference, &mut findings);
    }
    check_conditions(statement, &resolved, &mut findings);
    findings
}

fn resolve_action<'a>(
    field: &'a str,
    text: &'a str,
    reference: &'a Reference,
    findings: &mut Vec<Finding>,
) -> Option<Resolved<'a>> {
    if let Err(message) = validate_action(text) {
        findings.push(
            Finding::new(
                Code::MalformedAction,
                field,
                message,
                "write service:Action",
            )
            .with_value(text),
        );
        return None;
    }
    let (prefix, name) = text.split_once(':').expect("validated");
    let Some(service) = reference.service(prefix) else {
        let prefixes = reference.prefixes();
        let hint = match closest(prefix, &prefixes) {
            Some(near) => format!("did you mean '{near}'?"),
            None => {
                "check the service prefix in the AWS Service Authorization Reference".to_string()
            }
        };
        findings.push(
            Finding::new(
                Code::UnknownService,
                field,
                format!(
                    "'{text}': no AWS service has the prefix '{prefix}' (reference {})",
                    reference.version
                ),
                hint,
            )
            .with_value(text),
        );
        return None;
    };
    let wildcard = name.contains('*') || name.contains('?');
    let actions: Vec<&Action> = if wildcard {
        service.matching_actions(name)
    } else {
        service.action(name).into_iter().collect()
    };
    if actions.is_empty() {
        let names = service.action_names();
        let near = closest(name, &names);
        if wildcard {
            findings.push(
                Finding::new(
                    Code::WildcardMatchesNothing,
                    field,
                    format!("'{text}' matches no {} action", service.name),
                    near.map(|n| format!("did you mean '{prefix}:{n}'?"))
                        .unwrap_or_default(),
                )
                .with_value(text),
            );
        } else {
            findings.push(
                Finding::new(
                    Code::UnknownAction,
                    field,
                    format!("{} has no action '{name}'", service.name),
                    near.map(|n| format!("did you mean '{}:{n}'?", service.prefix))
                        .unwrap_or_else(|| "check the action name".to_string()),
                )
                .with_value(text),
            );
        }
        return None;
    }
    Some(Resolved {
        field,
        text,
        wildcard,
        service,
        actions,
    })
}

fn check_broad_grant(entry: &Resolved, statement: &StatementView, findings: &mut Vec<Finding>) {
    let name = action_name(entry.text);
    if entry.wildcard {
        if name == "*" {
            findings.push(
                Finding::new(
                    Code::ServiceWildcard,
                    entry.field,
                    format!(
                        "'{}' grants all {} actions of {}",
                        entry.text,
                        entry.actions.len(),
                        entry.service.name
                    ),
                    "name the actions the role needs",
                )
                .with_value(entry.text),
            );
        } else {
            let mutating: Vec<&str> = entry
                .actions
                .iter()
                .filter(|a| a.access.mutates())
                .map(|a| a.name.as_str())
                .collect();
            if !mutating.is_empty() {
                findings.push(
                    Finding::new(
                        Code::WildcardOverWrites,
                        entry.field,
                        format!(
                            "'{}' covers {} write or permissions-management actions ({}{})",
                            entry.text,
                            mutating.len(),
                            mutating.iter().take(4).copied().collect::<Vec<_>>().join(", "),
                            if mutating.len() > 4 { ", ..." } else { "" }
                        ),
                        "name the write actions the role needs; AWS adds actions that match wildcards",
                    )
                    .with_value(entry.text),
                );
            } else if entry.actions.len() <= 3 {
                let names: Vec<String> = entry
                    .actions
                    .iter()
                    .map(|a| format!("{}:{}", entry.service.prefix, a.name))
                    .collect();
                findings.push(
                    Finding::new(
                        Code::WildcardCouldBeNamed,
                        entry.field,
                        format!("'{}' matches only {}", entry.text, names.join(", ")),
                        "name them, so actions AWS adds later are not granted silently",
                    )
                    .with_value(entry.text),
                );
            }
        }
    }

    let escalating: Vec<String> = entry
        .actions
        .iter()
        .map(|a| format!("{}:{}", entry.service.prefix, a.name))
        .filter(|qualified| {
            PRIVILEGE_ESCALATION_ACTIONS
                .iter()
                .any(|known| known.eq_ignore_ascii_case(qualified))
        })
        .collect();
    if !escalating.is_empty() {
        findings.push(
            Finding::new(
                Code::PrivilegeEscalation,
                entry.field,
                format!(
                    "'{}' allows {}, which can give a principal more permissions than it has",
                    entry.text,
                    escalating.iter().take(4).cloned().collect::<Vec<_>>().join(", ")
                ),
                "grant these only on specific resources with a permissions boundary condition, or not at all",
            )
            .with_value(entry.text),
        );
    }

    let passes_roles =
        entry.service.prefix == "iam" && entry.actions.iter().any(|a| a.name == "PassRole");
    if passes_roles && statement.resources.iter().any(|(_, r)| r == "*") {
        findings.push(
            Finding::new(
                Code::PassRoleOnStar,
                entry.field,
                format!(
                    "'{}' on '*' lets the role hand any role in the account to a service",
                    entry.text
                ),
                "name the roles it may pass, and limit iam:PassedToService",
            )
            .with_value(entry.text),
        );
    }
}

fn check_resources(
    statement: &StatementView,
    resolved: &[Resolved],
    reference: &Reference,
    findings: &mut Vec<Finding>,
) {
    let star = statement
        .resources
        .iter()
        .any(|(_, resource)| resource == "*");
    let arns: Vec<&(String, String)> = statement
        .resources
        .iter()
        .filter(|(_, r)| r != "*")
        .collect();

    for (field, resource) in &arns {
        let parsed = match Arn::parse(resource) {
            Ok(arn) => arn,
            Err(error) => {
                findings.push(
                    Finding::new(
                        Code::ArnShape,
                        field,
                        error.0,
                        "write arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE",
                    )
                    .with_value(resource),
                );
                continue;
            }
        };
        if let Err(error) = parsed.validate_form(None) {
            findings.push(Finding::new(Code::ArnShape, field, error.0, "").with_value(resource));
            continue;
        }
        if let Err(error) = parsed.validate_present_parts() {
            findings.push(
                Finding::new(
                    Code::ArnMissingPart,
                    field,
                    error.0,
                    "use '*' for any region or account",
                )
                .with_value(resource),
            );
        }
        if let Some(service) = reference.service(parsed.service) {
            check_type_segment(field, resource, &parsed, service, findings);
        }
    }

    if star {
        if statement.allow {
            for entry in resolved.iter().filter(|e| !e.wildcard) {
                if entry.actions.iter().all(|a| !a.takes_only_star()) {
                    findings.push(
                        Finding::new(
                            Code::StarCouldBeScoped,
                            entry.field,
                            format!(
                                "'{}' supports resource-level permissions but is granted on '*'",
                                entry.text
                            ),
                            "name the resources it needs",
                        )
                        .with_value(entry.text),
                    );
                }
            }
        }
        return;
    }
    if arns.is_empty() {
        return;
    }

    let mut used = vec![false; arns.len()];
    for entry in resolved {
        let mut any_match = false;
        for action in &entry.actions {
            if action.takes_only_star() {
                continue;
            }
            for (index, (_, resource)) in arns.iter().enumerate() {
                if action_accepts(entry.service, action, resource) {
                    used[index] = true;
                    any_match = true;
                }
            }
        }
        if any_match {
            continue;
        }
        if entry.actions.iter().all(|a| a.takes_only_star()) {
            findings.push(
                Finding::new(
                    Code::SpecificArnOnStarOnlyAction,
                    entry.field,
                    format!(
                        "'{}' only accepts '*' as its resource, so with these ARNs it is never allowed",
                        entry.text
                    ),
                    "move it to a statement with \"Resource\": \"*\"",
                )
                .with_value(entry.text),
            );
        } else {
            let types = expected_types(entry);
            findings.push(
                Finding::new(
                    Code::ResourceTypeMismatch,
                    entry.field,
                    format!(
                        "'{}' acts on {}, but no resource of the statement is one",
                        entry.text, types
                    ),
                    mismatch_hint(entry),
                )
                .with_value(entry.text),
            );
        }
    }

    // A resource no action can use is dead weight, or a typo; only when every action resolved
    // can we say so.
    if resolved.len() == statement.actions.len() && !resolved.is_empty() {
        for (index, (field, resource)) in arns.iter().enumerate() {
            let any_service_known = Arn::parse(resource)
                .ok()
                .and_then(|a| reference.service(a.service))
                .is_some();
            if !used[index] && any_service_known {
                findings.push(
                    Finding::new(
                        Code::UnusedResource,
                        field.clone(),
                        format!("no action of the statement acts on '{resource}'"),
                        "remove it, or fix its resource type",
                    )
                    .with_value(resource.clone()),
                );
            }
        }
    }
}

fn action_accepts(service: &ServiceReference, action: &Action, resource: &str) -> bool {
    action.resource_types.iter().any(|resource_type| {
        service
            .resource_type(&resource_type.name)
            .is_none_or(|known| service.arn_matches(resource, known))
    })
}

fn mismatch_hint(entry: &Resolved) -> String {
    let acts_on = |name: &str| {
        entry
            .actions
            .iter()
            .any(|a| a.resource_types.iter().any(|t| t.name == name))
    };
    match entry.service.prefix.as_str() {
        "s3" if acts_on("object") => {
            "object actions need BUCKET/KEY ARNs, e.g. arn:aws:s3:::BUCKET/*".to_string()
        }
        "s3" if acts_on("bucket") => {
            "bucket actions need the bucket ARN, e.g. arn:aws:s3:::BUCKET".to_string()
        }
        "logs" if acts_on("log-stream") => {
            "log events go to log streams: use log-group:NAME:* (or :log-stream:STREAM)".to_string()
        }
        _ => "use an ARN of one of those resource types".to_string(),
    }
}

fn expected_types(entry: &Resolved) -> String {
    let mut types: Vec<String> = Vec::new();
    for action in &entry.actions {
        for resource_type in &action.resource_types {
            let described = match entry.service.resource_type(&resource_type.name) {
                Some(known) => format!("{} ({})", known.name, known.arn_format),
                None => resource_type.name.clone(),
            };
            if !types.contains(&described) {
                types.push(described);
            }
        }
    }
    let shown: Vec<String> = types.iter().take(3).cloned().collect();
    let more = if types.len() > 3 {
        format!(" and {} more", types.len() - 3)
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

/// `arn:aws:sqs:REGION:ACCOUNT:queue/orders`: SQS (like SNS) ARNs end with the bare name, with
/// no resource type segment, so `queue/orders` names a queue that cannot exist.
fn check_type_segment(
    field: &str,
    resource: &str,
    arn: &Arn,
    service: &ServiceReference,
    findings: &mut Vec<Finding>,
) {
    let formats: Vec<&str> = service
        .resource_types()
        .map(|t| t.arn_format.as_str())
        .collect();
    let resource_part = |format: &str| format.splitn(6, ':').nth(5).map(str::to_string);
    for resource_type in service.resource_types() {
        let Some(part) = resource_part(&resource_type.arn_format) else {
            continue;
        };
        let bare = part.starts_with("${") && part.ends_with('}') && part.matches("${").count() == 1;
        if !bare {
            continue;
        }
        let word = resource_type.name.to_ascii_lowercase();
        let written = arn.resource.to_ascii_lowercase();
        let segment = [format!("{word}/"), format!("{word}:")]
            .into_iter()
            .find(|s| written.starts_with(s));
        let Some(segment) = segment else { continue };
        let literal_elsewhere = formats
            .iter()
            .filter_map(|format| resource_part(format))
            .any(|part| part.to_ascii_lowercase().starts_with(&segment));
        if !literal_elsewhere {
            findings.push(
                Finding::new(
                    Code::ResourceTypeSegment,
                    field,
                    format!(
                        "'{resource}': {} ARNs have no '{segment}' segment; the format is {}",
                        service.name, resource_type.arn_format
                    ),
                    format!("drop '{segment}' from the ARN"),
                )
                .with_value(resource),
            );
            return;
        }
    }
}

fn check_conditions(statement: &StatementView, resolved: &[Resolved], findings: &mut Vec<Finding>) {
    for (field, operator, key) in &statement.conditions {
        if let Err(message) = validate_operator(operator) {
            findings.push(
                Finding::new(
                    Code::MalformedCondition,
                    field.clone(),
                    message,
                    "see the IAM condition operators",
                )
                .with_value(operator.clone()),
            );
        }
        if let Err(message) = validate_key(key) {
            findings.push(
                Finding::new(Code::MalformedCondition, field.clone(), message, "")
                    .with_value(key.clone()),
            );
            continue;
        }
        let (prefix, _) = key.split_once(':').expect("validated");
        if prefix.eq_ignore_ascii_case("aws") {
            if !GLOBAL_CONDITION_KEYS
                .iter()
                .any(|known| key_matches_template(key, known))
            {
                findings.push(
                    Finding::new(
                        Code::UnknownConditionKey,
                        field.clone(),
                        format!("'{key}' is not an AWS global condition key"),
                        "check the key's spelling",
                    )
                    .with_value(key.clone()),
                );
            }
            continue;
        }
        // Judge service keys only when every action of the statement is known.
        if resolved.is_empty() || resolved.len() != statement.actions.len() {
            continue;
        }
        let supported = resolved.iter().any(|entry| {
            entry.actions.iter().any(|action| {
                action
                    .condition_keys
                    .iter()
                    .any(|template| key_matches_template(key, template))
            })
        });
        if supported {
            continue;
        }
        let exists = resolved.iter().any(|entry| {
            entry.service.prefix.eq_ignore_ascii_case(prefix)
                && entry
                    .service
                    .condition_keys
                    .iter()
                    .any(|template| key_matches_template(key, template))
        });
        let actions: Vec<&str> = resolved.iter().map(|entry| entry.text).collect();
        let (code, message) = if exists
            || !resolved
                .iter()
                .any(|e| e.service.prefix.eq_ignore_ascii_case(prefix))
        {
            (
                Code::UnsupportedConditionKey,
                format!(
                    "'{key}' is not supported by {}; IAM never sets it for these requests, so the \
                     condition {}",
                    actions.join(", "),
                    if operator.contains("IfExists") || operator == "Null" {
                        "has no effect"
                    } else {
                        "never matches"
                    }
                ),
            )
        } else {
            (
                Code::UnknownConditionKey,
                format!("'{key}' is not a condition key of {prefix}"),
            )
        };
        findings.push(
            Finding::new(
                code,
                field.clone(),
                message,
                "use a key the actions support, or split the statement",
            )
            .with_value(key.clone()),
        );
    }
}
