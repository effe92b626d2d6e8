//! The linter against a corpus of common mistakes (each must raise its codes) and a corpus of
//! correct policies (none may raise an error), plus the `rolesmith lint` command itself.

mod support;

use std::collections::BTreeSet;

use rolesmith::lint::{Severity, lint_policy_document, lint_service_role, lint_settings};
use rolesmith::manifest::{Content, read_documents};
use rolesmith::render::Settings;
use serde_json::{Value, json};
use support::{rolesmith_command, run_with_input};

fn policy(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn codes(findings: &[rolesmith::lint::Finding]) -> BTreeSet<&'static str> {
    findings.iter().map(|finding| finding.code).collect()
}

/// (what the mistake is, statement, codes that must be raised)
fn mistakes() -> Vec<(&'static str, Value, &'static [&'static str])> {
    vec![
        (
            "misspelt service",
            json!({"Effect": "Allow", "Action": "s3x:GetObject", "Resource": "*"}),
            &["RS101"],
        ),
        (
            "misspelt action",
            json!({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::b/*"}),
            &["RS102"],
        ),
        (
            "wildcard that matches nothing",
            json!({"Effect": "Allow", "Action": "dynamodb:Fetch*", "Resource": "*"}),
            &["RS103"],
        ),
        (
            "object action on a bucket ARN",
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-lake"}),
            &["RS201"],
        ),
        (
            "bucket action on an object ARN",
            json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data-lake/*"}),
            &["RS201"],
        ),
        (
            "log events written to a log group ARN",
            json!({"Effect": "Allow", "Action": ["logs:PutLogEvents"],
                   "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn"}),
            &["RS201"],
        ),
        (
            "SQS ARN with a queue/ segment",
            json!({"Effect": "Allow", "Action": "sqs:SendMessage",
                   "Resource": "arn:aws:sqs:us-east-1:123456789012:queue/orders"}),
            &["RS211"],
        ),
        (
            "SNS ARN with a topic/ segment",
            json!({"Effect": "Allow", "Action": "sns:Publish",
                   "Resource": "arn:aws:sns:us-east-1:123456789012:topic/alerts"}),
            &["RS211"],
        ),
        (
            "DynamoDB table ARN without table/",
            json!({"Effect": "Allow", "Action": "dynamodb:GetItem",
                   "Resource": "arn:aws:dynamodb:us-east-1:123456789012:orders"}),
            &["RS201"],
        ),
        (
            "specific ARN on an action that only takes *",
            json!({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::data-lake"}),
            &["RS202"],
        ),
        (
            "* on an action that could be scoped",
            json!({"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}),
            &["RS203"],
        ),
        (
            "region on an S3 bucket ARN",
            json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:us-east-1::data-lake"}),
            &["RS210"],
        ),
        (
            "account on an S3 object ARN",
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3::123456789012:data-lake/*"}),
            &["RS210"],
        ),
        (
            "region on an IAM ARN",
            json!({"Effect": "Allow", "Action": "iam:GetRole", "Resource": "arn:aws:iam:us-east-1:123456789012:role/app"}),
            &["RS210"],
        ),
        (
            "misspelt partition",
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:amazon:s3:::b/*"}),
            &["RS210"],
        ),
        (
            "DynamoDB ARN without its account",
            json!({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1::table/orders"}),
            &["RS212"],
        ),
        (
            "every action",
            json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            &["RS400"],
        ),
        (
            "service wildcard",
            json!({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}),
            &["RS401"],
        ),
        (
            "wildcard over writes and permission changes",
            json!({"Effect": "Allow", "Action": "iam:Put*", "Resource": "arn:aws:iam::123456789012:role/*"}),
            &["RS402", "RS404"],
        ),
        (
            "privilege escalation",
            json!({"Effect": "Allow", "Action": "iam:CreatePolicyVersion",
                   "Resource": "arn:aws:iam::123456789012:policy/*"}),
            &["RS404"],
        ),
        (
            "PassRole on every role",
            json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
            &["RS405"],
        ),
        (
            "condition key the action does not support",
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
                   "Condition": {"StringLike": {"s3:prefix": "raw/*"}}}),
            &["RS501"],
        ),
        (
            "misspelt condition operator",
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
                   "Condition": {"StringEqual": {"aws:PrincipalTag/team": "data"}}}),
            &["RS502"],
        ),
        (
            "global key that does not exist",
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
                   "Condition": {"IpAddress": {"aws:SourceIpAddress": "10.0.0.0/8"}}}),
            &["RS503"],
        ),
    ]
}

#[test]
fn every_mistake_raises_its_codes() {
    for (what, statement, expected) in mistakes() {
        let found = lint_policy_document(&policy(json!([statement])));
        let found_codes = codes(&found);
        for code in expected {
            assert!(
                found_codes.contains(code),
                "{what}: expected {code}, found {found:#?}"
            );
        }
        for finding in &found {
            assert!(
                !finding.message.is_empty() && !finding.field.is_empty(),
                "{what}: {finding:?}"
            );
        }
    }
}

#[test]
fn correct_policies_raise_no_error() {
    let correct = [
        json!([
            {"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": "arn:aws:logs:eu-west-1:123456789012:*"},
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/ingest:*"}
        ]),
        json!([
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data-lake",
             "Condition": {"StringLike": {"s3:prefix": ["raw/", "raw/*"]}}},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": "arn:aws:s3:::data-lake/raw/*"}
        ]),
        json!([{"Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
                "Resource": ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders",
                             "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/index/*"]}]),
        json!([{"Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": "arn:aws:sqs:eu-west-1:123456789012:orders"}]),
        json!([{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:eu-west-1:123456789012:key/*",
                "Condition": {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}}]),
        json!([
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
             "Resource": "arn:aws:ecr:eu-west-1:123456789012:repository/app"}
        ]),
        json!([{"Effect": "Allow", "Action": ["ec2:DescribeInstances", "ec2:DescribeTags"], "Resource": "*"}]),
        json!([{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-*",
                "Condition": {"StringEquals": {"secretsmanager:VersionStage": "AWSCURRENT"}}}]),
        json!([{"Effect": "Allow", "Action": "sns:Publish", "Resource": "arn:aws:sns:eu-west-1:123456789012:alerts"}]),
        json!([{"Effect": "Allow", "Action": "states:StartExecution",
                "Resource": "arn:aws:states:eu-west-1:123456789012:stateMachine:orders"}]),
        json!([{"Effect": "Allow", "Action": "lambda:InvokeFunction",
                "Resource": ["arn:aws:lambda:eu-west-1:123456789012:function:orders",
                             "arn:aws:lambda:eu-west-1:123456789012:function:orders:*"]}]),
        json!([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::uploads/${aws:username}/*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"},
                              "StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}]),
        json!([{"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}]),
        json!([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/app-*",
                "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}]),
    ];
    for statements in correct {
        let findings = lint_policy_document(&policy(statements.clone()));
        let errors: Vec<_> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        assert!(
            errors.is_empty(),
            "false alarm on {statements}: {errors:#?}"
        );
    }
}

fn service_role(spec: &str) -> rolesmith::api::ServiceRole {
    let text = format!(
        "apiVersion: rolesmith.dev/v1alpha1\nkind: ServiceRole\nmetadata: {{name: fn, namespace: apps}}\nspec:\n{spec}"
    );
    match read_documents(&text, "default").remove(0).content {
        Content::ServiceRole(role) => *role,
        other => panic!("{other:?}"),
    }
}

#[test]
fn service_roles_are_linted_by_manifest_field() {
    let settings = lint_settings(Settings::default());
    let findings = lint_service_role(
        &service_role(
            "  service: sagemaker
  defaultPolicies: [full-access]
  managedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
  statements:
  - actions: [sqs:SendMesage]
    resources: ['arn:aws:sqs:eu-west-1:${AccountId}:orders']
  - actions: [s3:GetObject, s3:ListBucket]
    resources: [arn:aws:s3:::lake]
",
        ),
        &settings,
    );
    let fields: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.code, f.field.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("RS102", "spec.statements[0].actions[0]"),
            ("RS410", "spec.defaultPolicies[0]"),
            ("RS410", "spec.managedPolicyArns[0]")
        ],
        "bucket statements are split by the builder, so they raise no resource finding"
    );
    assert!(findings[0].hint.contains("sqs:SendMessage"));
}

#[test]
fn render_problems_are_findings_and_their_statements_are_not_judged_twice() {
    let settings = lint_settings(Settings::default());
    let findings = lint_service_role(
        &service_role(
            "  service: lambda\n  statements:\n  - actions: [s3GetObject]\n    resources: ['*']\n",
        ),
        &settings,
    );
    let fields: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.code, f.field.as_str()))
        .collect();
    assert_eq!(fields, [("RS001", "spec.statements[0].actions[0]")]);
}

#[test]
fn a_nearly_full_inline_policy_is_reported() {
    let resources: Vec<String> = (0..225)
        .map(|i| format!("'arn:aws:sqs:eu-west-1:123456789012:q-{i:04}'"))
        .collect();
    let spec = format!(
        "  service: lambda\n  statements:\n  - actions: [sqs:SendMessage]\n    resources: [{}]\n",
        resources.join(", ")
    );
    let findings = lint_service_role(&service_role(&spec), &lint_settings(Settings::default()));
    assert!(findings.iter().any(|f| f.code == "RS602"), "{findings:#?}");
}

fn rolesmith(args: &[&str], stdin: &str) -> (i32, String, String) {
    let output = run_with_input(&mut rolesmith_command(args), stdin);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const MANIFEST: &str = "apiVersion: rolesmith.dev/v1alpha1
kind: ServiceRole
metadata:
  name: reader
  namespace: apps
spec:
  service: lambda
  statements:
    - actions:
        - s3:GetObjekt
      resources:
        - arn:aws:s3:::lake/*
    - actions: [dynamodb:PutItem]
      resources: ['*']
";

#[test]
fn lint_command_reports_lines_and_fails_on_errors() {
    let (status, stdout, _) = rolesmith(&["lint", "-f", "-"], MANIFEST);
    assert_eq!(status, 1);
    assert!(
        stdout.contains("<stdin>:10: error RS102 [apps/reader] spec.statements[0].actions[0]"),
        "{stdout}"
    );
    assert!(stdout.contains("<stdin>:13: warning RS203"), "{stdout}");
    assert!(stdout.contains("1 errors, 1 warnings"), "{stdout}");

    let warnings_only = MANIFEST.replace("s3:GetObjekt", "s3:GetObject");
    let (status, _, _) = rolesmith(&["lint", "-f", "-"], &warnings_only);
    assert_eq!(status, 0, "warnings pass");
    let (status, _, _) = rolesmith(&["lint", "-f", "-", "--strict"], &warnings_only);
    assert_eq!(status, 1, "--strict fails on warnings");
}

#[test]
fn lint_command_emits_json_and_valid_sarif() {
    let (_, stdout, _) = rolesmith(&["lint", "-f", "-", "--format", "json"], MANIFEST);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["findings"][0]["code"], "RS102");
    assert_eq!(report["findings"][0]["line"], 10);
    assert_eq!(report["findings"][0]["severity"], "error");

    let (_, stdout, _) = rolesmith(&["lint", "-f", "-", "--format", "sarif"], MANIFEST);
    let sarif: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], result["ruleId"],
            "ruleIndex points at the rule"
        );
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "stdin");
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        10
    );
}

#[test]
fn lint_command_reads_raw_policy_documents() {
    let dir = std::env::temp_dir().join(format!("rolesmith-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("policy.json");
    std::fs::write(
        &path,
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:GetObject\",\n      \"Resource\": \"arn:aws:s3:::lake\"\n    }\n  ]\n}\n",
    )
    .unwrap();
    let (status, stdout, _) = rolesmith(&["lint", "--policy", path.to_str().unwrap()], "");
    assert_eq!(status, 1);
    assert!(stdout.contains("policy.json:6: error RS201"), "{stdout}");
    std::fs::write(&path, "not json").unwrap();
    let (status, stdout, _) = rolesmith(&["lint", "--policy", path.to_str().unwrap()], "");
    assert_eq!(status, 1);
    assert!(stdout.contains("RS001"), "{stdout}");
}

#[test]
fn render_refuses_lint_errors_and_prints_warnings() {
    let (status, stdout, stderr) =
        rolesmith(&["render", "-f", "-", "--allow-unbounded-roles"], MANIFEST);
    assert_eq!(status, 1);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("error RS102 spec.statements[0].actions[0]"),
        "{stderr}"
    );

    let warnings_only = MANIFEST.replace("s3:GetObjekt", "s3:GetObject");
    let (status, stdout, stderr) = rolesmith(
        &["render", "-f", "-", "--allow-unbounded-roles"],
        &warnings_only,
    );
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("roleName"));
    assert!(
        stderr.contains("warning RS203 spec.statements[1].actions[0]"),
        "{stderr}"
    );
}

/// The OASIS SARIF 2.1.0 schema, as shipped in the serde-sarif 0.8.0 crate (MIT).
const SARIF_SCHEMA: &str = include_str!("fixtures/sarif-schema-2.1.0.json");

/// Remove the schema's one malformed `pattern` (on `language`: an unbalanced bracket that
/// draft-07 validators refuse to compile); it constrains a property rolesmith never writes.
fn drop_broken_patterns(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if object
                .get("pattern")
                .and_then(Value::as_str)
                .is_some_and(|p| p.contains("{2}]?"))
            {
                object.remove("pattern");
            }
            object.values_mut().for_each(drop_broken_patterns);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_broken_patterns),
        _ => {}
    }
}

#[test]
fn sarif_output_validates_against_the_sarif_schema() {
    let mut schema: Value = serde_json::from_str(SARIF_SCHEMA).unwrap();
    drop_broken_patterns(&mut schema);
    let validator = jsonschema::draft7::new(&schema).expect("the SARIF schema compiles");

    let (_, stdout, _) = rolesmith(&["lint", "-f", "-", "--format", "sarif"], MANIFEST);
    let sarif: Value = serde_json::from_str(&stdout).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema violations: {errors:#?}");

    // The validator does reject a broken log.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!validator.is_valid(&broken));
}
