//! How long linting takes: 10,000 ServiceRoles through render and every lint check.
//! Target: under 10 s on two cores. Prints figures; asserts nothing about time.
//!
//!     cargo bench --bench lint

use std::time::Instant;

use rolesmith::api::ServiceRole;
use rolesmith::catalog::reference::reference;
use rolesmith::lint::{Severity, lint_service_role, lint_settings};
use rolesmith::manifest::{Content, read_documents};
use rolesmith::render::Settings;

const ROLES: usize = 10_000;

fn service_role(index: usize) -> ServiceRole {
    // Shapes that real manifests mix: S3 with a prefix, DynamoDB with an index, SQS, logs, and
    // conditions; some with a mistake, so error paths are measured too.
    let typo = if index.is_multiple_of(10) {
        "sqs:SendMesage"
    } else {
        "sqs:SendMessage"
    };
    let text = format!(
        "apiVersion: rolesmith.dev/v1alpha1
kind: ServiceRole
metadata: {{name: app-{index}, namespace: team-{team}}}
spec:
  service: {service}
  defaultPolicies: [{preset}]
  tags: {{team: team-{team}, app: app-{index}}}
  statements:
  - actions: [s3:GetObject, s3:PutObject, s3:ListBucket]
    resources: [arn:aws:s3:::lake-{team}]
    prefix: apps/app-{index}/
  - actions: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:Query]
    resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/t-{index}', 'arn:aws:dynamodb:eu-west-1:123456789012:table/t-{index}/index/*']
    conditions:
      ForAllValues:StringEquals: {{dynamodb:LeadingKeys: ['${{aws:PrincipalTag/tenant}}']}}
  - actions: [{typo}, sqs:GetQueueUrl]
    resources: ['arn:aws:sqs:eu-west-1:123456789012:q-{index}']
  - actions: [logs:CreateLogStream, logs:PutLogEvents]
    resources: ['arn:aws:logs:eu-west-1:123456789012:log-group:/apps/app-{index}:*']
",
        team = index % 50,
        service = if index.is_multiple_of(2) { "lambda" } else { "ecs-tasks" },
        preset = if index.is_multiple_of(2) { "basic-execution" } else { "task-execution" },
    );
    match read_documents(&text, "default").remove(0).content {
        Content::ServiceRole(role) => *role,
        other => panic!("{other:?}"),
    }
}

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let started = Instant::now();
    let version = &reference().version;
    let load = started.elapsed();

    let roles: Vec<ServiceRole> = (0..ROLES).map(service_role).collect();
    let settings = lint_settings(Settings::default());

    let started = Instant::now();
    let mut errors = 0;
    let mut findings = 0;
    for role in &roles {
        let found = lint_service_role(role, &settings);
        findings += found.len();
        errors += found
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
    }
    let elapsed = started.elapsed();

    println!(
        "service authorization reference {version}: loaded in {:.1} ms",
        load.as_secs_f64() * 1e3
    );
    println!(
        "linted {ROLES} ServiceRoles in {:.2} s ({:.0} µs each, {:.0} per second); {findings} findings, {errors} errors",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / ROLES as f64,
        ROLES as f64 / elapsed.as_secs_f64()
    );
    println!(
        "target: under 10 s -> {}",
        if elapsed.as_secs_f64() < 10.0 {
            "met"
        } else {
            "MISSED"
        }
    );
    if let Some(peak) = peak_memory_kib() {
        println!("peak resident memory: {:.1} MiB", peak as f64 / 1024.0);
    }
}
