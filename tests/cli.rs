//! The real `rolesmith` binary: render and crd, as a user or a pipeline runs them.

mod support;

use std::process::Output;

use serde_json::Value;
use support::{rolesmith_command, run_with_input};

const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/rolesmith-boundary";

fn rolesmith(args: &[&str], stdin: Option<&str>) -> Output {
    run_with_input(&mut rolesmith_command(args), stdin.unwrap_or_default())
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn render_prints_the_example_role_as_json() {
    let output = rolesmith(
        &[
            "render",
            "-f",
            "examples/lambda-data-lake-reader.yaml",
            "--permissions-boundary",
            BOUNDARY,
        ],
        None,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let roles: Value = serde_json::from_slice(&output.stdout).unwrap();
    let role = &roles[0];
    let mut keys: Vec<&str> = role
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected = [
        "roleName",
        "path",
        "trustPolicy",
        "inlinePolicy",
        "managedPolicyArns",
        "permissionsBoundary",
        "maxSessionDuration",
        "description",
        "tags",
        "instanceProfile",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(
        role["trustPolicy"]["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );
    assert_eq!(role["permissionsBoundary"], BOUNDARY);
    assert_eq!(role["inlinePolicy"]["name"], "rolesmith");
    let statements = &role["inlinePolicy"]["document"]["Statement"];
    assert_eq!(
        statements[0]["Resource"][0],
        "arn:aws:s3:::example-data-lake"
    );
    assert_eq!(
        statements[0]["Condition"]["StringLike"]["s3:prefix"][0],
        "raw/"
    );
    assert_eq!(
        statements[1]["Resource"][0],
        "arn:aws:s3:::example-data-lake/raw/*"
    );
    assert_eq!(role["instanceProfile"], false);
}

#[test]
fn render_reads_stdin_and_settings_from_the_environment() {
    let manifest = "apiVersion: rolesmith.dev/v1alpha1\nkind: ServiceRole\nmetadata: {name: web}\n\
                    spec: {service: ec2}\n---\napiVersion: rolesmith.dev/v1alpha1\n\
                    kind: ServiceRole\nmetadata: {name: pods, namespace: kube-system}\n\
                    spec: {service: eks-pod-identity}\n";
    let mut command = rolesmith_command(&["render", "-f", "-"]);
    command
        .env(
            "ROLESMITH_PERMISSIONS_BOUNDARY",
            "arn:${Partition}:iam::${AccountId}:policy/b",
        )
        .env("ROLESMITH_ACCOUNT_ID", "210987654321")
        .env("ROLESMITH_PARTITION", "aws-us-gov")
        .env("ROLESMITH_ROLE_PATH_PREFIX", "/platform/")
        .env("ROLESMITH_ROLE_NAME_PREFIX", "eu1-");
    let output = run_with_input(&mut command, manifest);
    assert!(output.status.success(), "{}", stderr(&output));
    let roles: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(roles[0]["roleName"], "eu1-default.web");
    assert_eq!(roles[0]["path"], "/platform/default/");
    assert_eq!(roles[0]["instanceProfile"], true);
    assert_eq!(
        roles[0]["permissionsBoundary"],
        "arn:aws-us-gov:iam::210987654321:policy/b"
    );
    let actions = &roles[1]["trustPolicy"]["Statement"][0]["Action"];
    assert_eq!(
        actions,
        &serde_json::json!(["sts:AssumeRole", "sts:TagSession"])
    );
}

#[test]
fn invalid_documents_fail_with_one_line_per_problem_naming_document_and_field() {
    let manifest = "apiVersion: rolesmith.dev/v1alpha1\nkind: ServiceRole\nmetadata: {name: ok}\n\
                    spec: {service: lambda}\n---\napiVersion: rolesmith.dev/v1alpha1\n\
                    kind: ServiceRole\nmetadata: {name: broken, namespace: apps}\nspec:\n  \
                    service: lambda\n  statements:\n  - actions: [s3GetObject]\n    \
                    resources: ['arn:aws:s3:us-east-1::b']\n---\napiVersion: rolesmith.dev/v1alpha1\n\
                    kind: ServiceRole\nmetadata: {name: typo}\nspec: {service: lamda}\n";
    let output = rolesmith(
        &["render", "-f", "-", "--permissions-boundary", BOUNDARY],
        Some(manifest),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "no partial output on failure");
    let text = stderr(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("<stdin>: document 2 (apps/broken): spec.statements[0].actions[0]: ")
    );
    assert!(
        lines[1]
            .starts_with("<stdin>: document 2 (apps/broken): spec.statements[0].resources[0]: ")
    );
    assert!(
        lines[2].starts_with(
            "<stdin>: document 3 (default/typo): spec.service: unknown service 'lamda'"
        )
    );
}

#[test]
fn render_refuses_to_run_without_a_boundary_unless_told() {
    let output = rolesmith(
        &["render", "-f", "examples/lambda-data-lake-reader.yaml"],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("--permissions-boundary"));
    let output = rolesmith(
        &[
            "render",
            "-f",
            "examples/lambda-data-lake-reader.yaml",
            "--allow-unbounded-roles",
        ],
        None,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let roles: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(roles[0]["permissionsBoundary"], Value::Null);
}

#[test]
fn render_reads_directories_and_reports_missing_files() {
    let output = rolesmith(
        &[
            "render",
            "-f",
            "examples",
            "--permissions-boundary",
            BOUNDARY,
            "--account-id",
            "123456789012",
        ],
        None,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let roles: Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = roles
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["roleName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "ci.build-host",
            "orders.order-worker",
            "analytics.ingest-reader",
            "orders.order-flow"
        ]
    );

    let output = rolesmith(
        &[
            "render",
            "-f",
            "no/such/file.yaml",
            "--allow-unbounded-roles",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).starts_with("no/such/file.yaml: "));
}

#[test]
fn crd_prints_the_committed_definition() {
    let output = rolesmith(&["crd"], None);
    assert!(output.status.success());
    let committed = std::fs::read_to_string("crds/servicerole.yaml").unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), committed);
}

#[test]
fn the_controller_refuses_to_start_without_a_boundary() {
    let output = rolesmith(&["controller", "--cluster-name", "test"], None);
    assert_eq!(output.status.code(), Some(1));
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    assert!(log.contains("--permissions-boundary is required"), "{log}");
    assert!(log.contains("--allow-unbounded-roles"), "{log}");
}
