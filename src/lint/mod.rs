//! The policy linter: catches "Access Denied, but IAM says allowed" before anything is applied.
//!
//! Every action, ARN and condition key is checked against the AWS Service Authorization
//! Reference ([`crate::catalog::reference`]). The controller refuses a ServiceRole with lint
//! errors; `rolesmith render` and `rolesmith lint` print the findings.

mod findings;
mod known;
pub mod locate;
pub mod sarif;
mod statement;

use serde_json::Value;

pub use findings::{Code, Finding, Severity};
pub use known::is_broad_managed_policy;
use statement::{StatementView, check_statement};

use crate::api::{Effect, ServiceRole, Statement};
use crate::catalog::{self, reference::reference};
use crate::policy::PolicyDocument;
use crate::policy::arn::Arn;
use crate::render::{DesiredRole, Settings, render};

/// Share of a quota from which a policy is reported as near it.
const NEAR_LIMIT: f64 = 0.9;

/// IAM's quota for a customer managed policy; `rolesmith lint --policy` judges documents as
/// such, the strictest place a standalone document can go.
pub const MANAGED_POLICY_SIZE: usize = 6144;

/// Lint a ServiceRole: what render refuses, then every statement, default and managed policy.
pub fn lint_service_role(role: &ServiceRole, settings: &Settings) -> Vec<Finding> {
    match render(role, settings) {
        Ok(desired) => check_service_role(role, settings, Some(&desired)),
        Err(problems) => {
            let mut findings: Vec<Finding> = problems
                .problems
                .iter()
                .map(|p| Finding::new(Code::InvalidSpec, p.field.clone(), p.message.clone(), ""))
                .collect();
            findings.extend(check_service_role(role, settings, None));
            findings
        }
    }
}

/// The lint checks of a ServiceRole, given its rendering (`None` when it does not render:
/// statements with render problems are then skipped, as render already reported them).
pub fn check_service_role(
    role: &ServiceRole,
    settings: &Settings,
    desired: Option<&DesiredRole>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let broken_statements: Vec<usize> = match desired {
        Some(_) => Vec::new(),
        None => match render(role, settings) {
            Err(problems) => problems
                .problems
                .iter()
                .filter_map(|p| statement_index(&p.field))
                .collect(),
            Ok(_) => Vec::new(),
        },
    };

    let reference = reference();
    for (index, statement) in role.spec.statements.iter().enumerate() {
        if broken_statements.contains(&index) {
            continue;
        }
        findings.extend(check_statement(
            &statement_view(index, statement, settings),
            reference,
        ));
    }

    check_managed_policies(role, settings, &mut findings);
    if let Some(desired) = desired {
        check_near_limit(
            "spec.trust",
            &desired.trust_policy,
            settings.limits.trust_policy_size,
            &mut findings,
        );
        if let Some(inline) = &desired.inline_policy {
            check_near_limit(
                "spec.statements",
                &inline.document,
                settings.limits.inline_policy_size,
                &mut findings,
            );
        }
    }
    findings
}

fn statement_view(index: usize, statement: &Statement, settings: &Settings) -> StatementView {
    let base = format!("spec.statements[{index}]");
    let resources: Vec<(String, String)> = statement
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                format!("{base}.resources[{i}]"),
                settings.substitute(r).unwrap_or_else(|_| r.clone()),
            )
        })
        .collect();
    // The statement builder places S3 bucket actions on the right resource type itself.
    let buckets = resources
        .iter()
        .any(|(_, r)| Arn::parse(r).is_ok_and(|arn| arn.s3_bucket().is_some()));
    StatementView {
        allow: statement.effect == Effect::Allow,
        actions: statement
            .actions
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("{base}.actions[{i}]"), a.clone()))
            .collect(),
        not_actions: Vec::new(),
        resources,
        skip_resource_checks: buckets,
        conditions: statement
            .conditions
            .iter()
            .flatten()
            .flat_map(|(operator, keys)| {
                let base = &base;
                keys.keys().map(move |key| {
                    (
                        format!("{base}.conditions.{operator}.{key}"),
                        operator.clone(),
                        key.clone(),
                    )
                })
            })
            .collect(),
    }
}

fn statement_index(field: &str) -> Option<usize> {
    let rest = field.strip_prefix("spec.statements[")?;
    rest.split(']').next()?.parse().ok()
}

fn check_managed_policies(role: &ServiceRole, settings: &Settings, findings: &mut Vec<Finding>) {
    let service = catalog::service(&role.spec.service);
    let presets = role
        .spec
        .default_policies
        .iter()
        .enumerate()
        .filter_map(|(index, name)| {
            let preset = service?.preset(name)?;
            Some((
                format!("spec.defaultPolicies[{index}]"),
                preset.arn(&settings.partition),
            ))
        });
    let explicit = role
        .spec
        .managed_policy_arns
        .iter()
        .enumerate()
        .map(|(index, arn)| (format!("spec.managedPolicyArns[{index}]"), arn.clone()));
    for (field, arn) in presets.chain(explicit) {
        if is_broad_managed_policy(&arn) {
            findings.push(
                Finding::new(
                    Code::BroadManagedPolicy,
                    field,
                    format!("{arn} grants far more than one workload needs"),
                    "grant what the workload uses with statements, or a narrower policy",
                )
                .with_value(arn.rsplit('/').next().unwrap_or_default()),
            );
        }
    }
}

fn check_near_limit(
    field: &str,
    document: &PolicyDocument,
    limit: usize,
    findings: &mut Vec<Finding>,
) {
    let size = document.size();
    if size as f64 > limit as f64 * NEAR_LIMIT && size <= limit {
        findings.push(Finding::new(
            Code::PolicyNearLimit,
            field,
            format!(
                "the policy is {size} characters, {}% of the {limit} IAM allows",
                size * 100 / limit
            ),
            "leave room for growth: merge statements or move grants to managed policies",
        ));
    }
}

/// Lint a raw IAM identity policy document.
pub fn lint_policy_document(document: &Value) -> Vec<Finding> {
    let mut findings = Vec::new();
    let statements: Vec<(String, &Value)> = match document.get("Statement") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("Statement[{i}]"), s))
            .collect(),
        Some(single @ Value::Object(_)) => vec![("Statement".to_string(), single)],
        _ => {
            findings.push(Finding::new(
                Code::MalformedAction,
                "Statement",
                "the document has no Statement",
                "add a Statement list",
            ));
            return findings;
        }
    };
    let reference = reference();
    for (base, statement) in statements {
        let strings = |key: &str| -> Vec<(String, String)> {
            match statement.get(key) {
                Some(Value::String(one)) => vec![(format!("{base}.{key}"), one.clone())],
                Some(Value::Array(items)) => items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| {
                        item.as_str()
                            .map(|text| (format!("{base}.{key}[{i}]"), text.to_string()))
                    })
                    .collect(),
                _ => Vec::new(),
            }
        };
        let conditions = statement
            .get("Condition")
            .and_then(Value::as_object)
            .map(|operators| {
                operators
                    .iter()
                    .flat_map(|(operator, keys)| {
                        let base = &base;
                        keys.as_object()
                            .into_iter()
                            .flat_map(|keys| keys.keys())
                            .map(move |key| {
                                (
                                    format!("{base}.Condition.{operator}.{key}"),
                                    operator.clone(),
                                    key.clone(),
                                )
                            })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let view = StatementView {
            allow: statement.get("Effect").and_then(Value::as_str) != Some("Deny"),
            actions: strings("Action"),
            not_actions: strings("NotAction"),
            resources: strings("Resource"),
            skip_resource_checks: statement.get("NotResource").is_some()
                || statement.get("Resource").is_none()
                || statement.get("NotAction").is_some(),
            conditions,
        };
        findings.extend(check_statement(&view, reference));
    }

    let size = serde_json::to_string(document)
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    // A standalone document may become an inline policy (10,240) rather than a managed one,
    // and AWS's own managed policies are exempt, so size is a warning here.
    if size > MANAGED_POLICY_SIZE {
        findings.push(Finding::new(
            Code::OverManagedPolicyQuota,
            "Statement",
            format!(
                "the policy is {size} characters; a managed policy may have {MANAGED_POLICY_SIZE}"
            ),
            "split it into several policies",
        ));
    } else if size as f64 > MANAGED_POLICY_SIZE as f64 * NEAR_LIMIT {
        findings.push(Finding::new(
            Code::PolicyNearLimit,
            "Statement",
            format!("the policy is {size} characters, near the {MANAGED_POLICY_SIZE} a managed policy may have"),
            "leave room for growth",
        ));
    }
    findings
}

/// Settings for linting without a cluster: what the controller would use, with stand-ins for
/// what only matters when applying (a boundary, an account id).
pub fn lint_settings(mut settings: Settings) -> Settings {
    if settings.permissions_boundary.is_none() {
        settings.allow_unbounded_roles = true;
    }
    if settings.account_id.is_none() {
        settings.account_id = Some("123456789012".to_string());
    }
    settings
}

/// Whether findings should fail a run: any error, or with `strict` any warning.
pub fn fails(findings: &[Finding], strict: bool) -> bool {
    findings
        .iter()
        .any(|f| f.severity == Severity::Error || (strict && f.severity == Severity::Warning))
}
