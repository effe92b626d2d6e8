//! Render behaviour, driven through manifests as a user writes them.

use rolesmith::api::ServiceRole;
use rolesmith::catalog::SERVICES;
use rolesmith::manifest::{Content, read_documents};
use rolesmith::render::{DesiredRole, Limits, Problems, Settings, render};
use serde_json::{Value, json};

const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/rolesmith-boundary";

fn settings() -> Settings {
    Settings {
        account_id: Some("123456789012".into()),
        cluster_name: "prod-eu".into(),
        permissions_boundary: Some(BOUNDARY.into()),
        ..Settings::default()
    }
}

fn service_role(spec: &str) -> ServiceRole {
    let text = format!(
        "apiVersion: rolesmith.dev/v1alpha1\nkind: ServiceRole\n\
         metadata: {{name: reader, namespace: data}}\nspec:\n{spec}"
    );
    let mut documents = read_documents(&text, "default");
    match documents.remove(0).content {
        Content::ServiceRole(role) => *role,
        other => panic!("manifest did not parse: {other:?}"),
    }
}

fn rendered(spec: &str) -> DesiredRole {
    render(&service_role(spec), &settings()).unwrap_or_else(|problems| panic!("{problems}"))
}

fn problems(spec: &str) -> Problems {
    render(&service_role(spec), &settings()).expect_err("render should refuse this spec")
}

fn fields(problems: &Problems) -> Vec<&str> {
    problems
        .problems
        .iter()
        .map(|problem| problem.field.as_str())
        .collect()
}

fn inline(role: &DesiredRole) -> Value {
    serde_json::to_value(
        &role
            .inline_policy
            .as_ref()
            .expect("an inline policy")
            .document,
    )
    .unwrap()
}

const DATA_LAKE_READER: &str = "  service: lambda
  defaultPolicies: [basic-execution]
  statements:
  - sid: ReadRaw
    actions: [s3:GetObject, s3:ListBucket]
    resources: [arn:aws:s3:::data-lake]
    prefix: raw/
";

#[test]
fn a_lambda_reading_a_prefix_gets_the_bucket_object_split_trust_and_boundary() {
    let role = rendered(DATA_LAKE_READER);
    assert_eq!(
        serde_json::to_value(&role.trust_policy).unwrap(),
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": ["sts:AssumeRole"]
        }]})
    );
    assert_eq!(
        inline(&role),
        json!({"Version": "2012-10-17", "Statement": [
            {
                "Sid": "ReadRawList",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": ["arn:aws:s3:::data-lake"],
                "Condition": {"StringLike": {"s3:prefix": ["raw/", "raw/*"]}}
            },
            {
                "Sid": "ReadRawObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": ["arn:aws:s3:::data-lake/raw/*"]
            }
        ]})
    );
    assert_eq!(role.permissions_boundary.as_deref(), Some(BOUNDARY));
    assert_eq!(
        role.managed_policy_arns,
        ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    );
    assert_eq!(role.role_name, "data.reader");
    assert_eq!(role.path, "/rolesmith/data/");
    assert_eq!(role.max_session_duration, 3600);
    assert!(!role.instance_profile);
    assert_eq!(role.tags["rolesmith.dev/cluster"], "prod-eu");
    assert_eq!(role.tags["rolesmith.dev/namespace"], "data");
    assert_eq!(role.tags["rolesmith.dev/name"], "reader");
}

#[test]
fn every_service_renders_a_trust_policy_naming_only_its_principal() {
    for service in SERVICES {
        let role = rendered(&format!("  service: {}\n", service.name));
        let trust = serde_json::to_value(&role.trust_policy).unwrap();
        let statements = trust["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1, "{}", service.name);
        assert_eq!(
            statements[0]["Principal"],
            json!({"Service": service.principal})
        );
        let mut actions = vec!["sts:AssumeRole"];
        actions.extend(service.extra_trust_actions);
        assert_eq!(statements[0]["Action"], json!(actions), "{}", service.name);
        assert_eq!(role.instance_profile, service.name == "ec2");
        assert!(statements[0].get("Condition").is_none());
    }
}

#[test]
fn ec2_needs_an_instance_profile_and_pod_identity_tags_sessions() {
    assert!(rendered("  service: ec2\n").instance_profile);
    let pods = rendered("  service: eks-pod-identity\n");
    assert_eq!(
        pods.trust_policy.statements[0].actions,
        ["sts:AssumeRole", "sts:TagSession"]
    );
    assert_eq!(
        pods.trust_policy.statements[0].principal.as_ref().unwrap()["Service"],
        "pods.eks.amazonaws.com"
    );
}

#[test]
fn bucket_statements_without_prefix_put_each_action_on_its_resource_type() {
    let role = rendered(
        "  service: glue
  statements:
  - actions: [s3:GetObject, s3:ListBucket, s3:GetBucketLocation, s3:Get*]
    resources: [arn:aws:s3:::a, arn:aws:s3:::b]
",
    );
    let policy = inline(&role);
    let statements = policy["Statement"].as_array().unwrap();
    let summary: Vec<(String, Value, Value)> = statements
        .iter()
        .map(|s| {
            (
                s["Sid"].as_str().unwrap().to_string(),
                s["Action"].clone(),
                s["Resource"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "Stmt0Bucket".to_string(),
                json!(["s3:ListBucket", "s3:GetBucketLocation"]),
                json!(["arn:aws:s3:::a", "arn:aws:s3:::b"])
            ),
            (
                "Stmt0Objects".to_string(),
                json!(["s3:GetObject"]),
                json!(["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"])
            ),
            (
                "Stmt0BucketAndObjects".to_string(),
                json!(["s3:Get*"]),
                json!([
                    "arn:aws:s3:::a",
                    "arn:aws:s3:::b",
                    "arn:aws:s3:::a/*",
                    "arn:aws:s3:::b/*"
                ])
            ),
        ]
    );
}

#[test]
fn a_prefix_keeps_user_conditions_and_allows_get_bucket_location() {
    let role = rendered(
        "  service: lambda
  statements:
  - effect: Allow
    actions: [s3:PutObject, s3:GetBucketLocation, s3:ListBucketVersions]
    resources: [arn:aws:s3:::lake]
    prefix: curated/2024/
    conditions:
      Bool: {aws:SecureTransport: true}
",
    );
    let policy = inline(&role);
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 3);
    assert_eq!(statements[0]["Sid"], "Stmt0Bucket");
    assert_eq!(
        statements[0]["Condition"],
        json!({"Bool": {"aws:SecureTransport": "true"}})
    );
    assert_eq!(statements[1]["Sid"], "Stmt0List");
    assert_eq!(
        statements[1]["Condition"],
        json!({
            "Bool": {"aws:SecureTransport": "true"},
            "StringLike": {"s3:prefix": ["curated/2024/", "curated/2024/*"]}
        })
    );
    assert_eq!(
        statements[2]["Resource"],
        json!(["arn:aws:s3:::lake/curated/2024/*"])
    );
}

#[test]
fn a_prefix_refuses_actions_it_cannot_scope() {
    let found = problems(
        "  service: lambda
  statements:
  - actions: [s3:GetObject, s3:PutBucketPolicy, s3:Get*, s3:ListAllMyBuckets]
    resources: [arn:aws:s3:::lake]
    prefix: raw/
",
    );
    assert_eq!(
        fields(&found),
        [
            "spec.statements[0].actions[1]",
            "spec.statements[0].actions[2]",
            "spec.statements[0].actions[3]"
        ]
    );
    assert!(found.problems[0].message.contains("PutBucketPolicy"));
}

#[test]
fn a_prefix_needs_bucket_arns_and_bucket_statements_hold_only_s3() {
    let found = problems(
        "  service: lambda
  statements:
  - actions: [dynamodb:GetItem]
    resources: [arn:aws:dynamodb:eu-west-1:123456789012:table/t]
    prefix: raw/
  - actions: [s3:GetObject, sqs:SendMessage]
    resources: [arn:aws:s3:::lake, arn:aws:sqs:eu-west-1:123456789012:q]
",
    );
    assert_eq!(
        fields(&found),
        [
            "spec.statements[0].prefix",
            "spec.statements[1].resources[1]",
            "spec.statements[1].actions[1]"
        ]
    );
}

#[test]
fn statements_on_other_services_render_as_written() {
    let role = rendered(
        "  service: states
  statements:
  - sid: Invoke
    effect: Deny
    actions: [lambda:InvokeFunction, lambda:InvokeFunction]
    resources: ['arn:aws:lambda:eu-west-1:123456789012:function:orders-*']
",
    );
    assert_eq!(
        inline(&role)["Statement"],
        json!([{
            "Sid": "Invoke",
            "Effect": "Deny",
            "Action": ["lambda:InvokeFunction"],
            "Resource": ["arn:aws:lambda:eu-west-1:123456789012:function:orders-*"]
        }])
    );
}

#[test]
fn no_statements_means_no_inline_policy() {
    assert_eq!(
        rendered("  service: ecs-tasks\n  defaultPolicies: [task-execution]\n").inline_policy,
        None
    );
}

#[test]
fn unknown_services_list_the_valid_ones_and_suggest_the_closest() {
    let found = problems("  service: lamda\n");
    assert_eq!(fields(&found), ["spec.service"]);
    let message = &found.problems[0].message;
    assert!(message.contains("did you mean 'lambda'?"), "{message}");
    assert!(
        message.contains("ecs-tasks") && message.contains("eks-pod-identity"),
        "{message}"
    );
}

#[test]
fn unknown_presets_name_the_service_s_presets() {
    let found = problems("  service: lambda\n  defaultPolicies: [basic-exec, task-execution]\n");
    assert_eq!(
        fields(&found),
        ["spec.defaultPolicies[0]", "spec.defaultPolicies[1]"]
    );
    assert!(
        found.problems[0]
            .message
            .contains("did you mean 'basic-execution'?")
    );
    assert!(
        found.problems[1]
            .message
            .contains("lambda offers: basic-execution")
    );
}

#[test]
fn malformed_actions_and_arns_name_statement_field_and_value() {
    let found = problems(
        "  service: lambda
  statements:
  - actions: ['*', s3GetObject, 's3:Get Object']
    resources: ['arn:aws:s3:us-east-1::lake', 'arn:aws:iam:us-east-1:123456789012:role/x', 'bucket', 'arn:aws-cn:sqs:cn-north-1:123456789012:q']
",
    );
    assert_eq!(
        fields(&found),
        [
            "spec.statements[0].actions[0]",
            "spec.statements[0].actions[1]",
            "spec.statements[0].actions[2]",
            "spec.statements[0].resources[0]",
            "spec.statements[0].resources[1]",
            "spec.statements[0].resources[2]",
            "spec.statements[0].resources[3]"
        ]
    );
    let messages: Vec<&str> = found.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(messages[0].contains("bare '*'"));
    assert!(messages[1].contains("'s3GetObject'"));
    assert!(messages[3].contains("region 'us-east-1'"));
    assert!(messages[4].contains("region"));
    assert!(messages[5].contains("'bucket' is not an ARN"));
    assert!(messages[6].contains("partition 'aws-cn'"));
}

#[test]
fn bad_names_sessions_descriptions_tags_and_conditions_are_named() {
    let found = problems(
        "  service: lambda
  roleName: 'has space'
  maxSessionDuration: 60
  description: \"emoji \u{1F600}\"
  tags: {'rolesmith.dev/owner': me, 'bad#key': v}
  statements:
  - actions: [s3:GetObject]
    resources: ['*']
    conditions:
      StringEqual: {aws:SourceIp: 10.0.0.1}
",
    );
    assert_eq!(
        fields(&found),
        [
            "spec.roleName",
            "spec.statements[0].conditions.StringEqual",
            "spec.maxSessionDuration",
            "spec.description",
            "spec.tags.bad#key",
            "spec.tags.rolesmith.dev/owner"
        ]
    );
}

#[test]
fn duplicate_sids_are_refused_including_generated_ones() {
    let found = problems(
        "  service: lambda
  statements:
  - actions: [sqs:SendMessage]
    resources: ['*']
  - sid: Stmt0
    actions: [sqs:ReceiveMessage]
    resources: ['*']
",
    );
    assert_eq!(fields(&found), ["spec.statements[1].sid"]);
}

#[test]
fn size_and_count_limits_are_checked_and_configurable() {
    let many_resources: Vec<String> = (0..400)
        .map(|i| format!("'arn:aws:sqs:eu-west-1:123456789012:queue-number-{i}'"))
        .collect();
    let spec = format!(
        "  service: lambda\n  statements:\n  - actions: [sqs:SendMessage]\n    resources: [{}]\n",
        many_resources.join(", ")
    );
    let found = problems(&spec);
    assert_eq!(fields(&found), ["spec.statements"]);
    assert!(
        found.problems[0].message.contains("10240"),
        "{}",
        found.problems[0].message
    );

    let mut raised = settings();
    raised.limits = Limits {
        inline_policy_size: 50_000,
        ..Limits::default()
    };
    assert!(render(&service_role(&spec), &raised).is_ok());

    let arns: Vec<String> = (0..11)
        .map(|i| format!("arn:aws:iam::123456789012:policy/p{i}"))
        .collect();
    let found = problems(&format!(
        "  service: lambda\n  managedPolicyArns: [{}]\n",
        arns.join(", ")
    ));
    assert_eq!(fields(&found), ["spec.managedPolicyArns"]);

    let arns: Vec<String> = (0..30)
        .map(|i| format!("'arn:aws:states:eu-west-1:${{AccountId}}:stateMachine:machine-{i}-*'"))
        .collect();
    let found = problems(&format!(
        "  service: states\n  trust:\n    sourceArns: [{}]\n",
        arns.join(", ")
    ));
    assert_eq!(fields(&found), ["spec.trust"]);
    assert!(found.problems[0].message.contains("2048"));
}

#[test]
fn confused_deputy_conditions_only_where_the_service_sends_the_keys() {
    let role = rendered(
        "  service: states
  trust:
    sourceAccount: ${AccountId}
    sourceArns: ['arn:aws:states:eu-west-1:${AccountId}:stateMachine:orders-*']
",
    );
    assert_eq!(
        serde_json::to_value(&role.trust_policy.statements[0].conditions).unwrap(),
        json!({
            "ArnLike": {"aws:SourceArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:orders-*"},
            "StringEquals": {"aws:SourceAccount": "123456789012"}
        })
    );

    let found = problems("  service: lambda\n  trust:\n    sourceAccount: '123456789012'\n");
    assert_eq!(fields(&found), ["spec.trust.sourceAccount"]);
    assert!(
        found.problems[0]
            .message
            .contains("would make every AssumeRole fail")
    );

    let found = problems(
        "  service: ecs-tasks\n  trust:\n    sourceArns: ['arn:aws:states:eu-west-1:123456789012:stateMachine:x']\n",
    );
    assert_eq!(fields(&found), ["spec.trust.sourceArns[0]"]);
    assert!(found.problems[0].message.contains("arn:aws:ecs:"));
}

#[test]
fn the_same_spec_always_renders_the_same_bytes() {
    let spec = "  service: ecs-tasks
  defaultPolicies: [task-execution, xray]
  managedPolicyArns: [arn:aws:iam::123456789012:policy/extra]
  tags: {team: data, cost-center: '42', app: orders}
  statements:
  - actions: [s3:PutObject, s3:ListBucket, s3:GetObject]
    resources: [arn:aws:s3:::out]
    prefix: exports/
    conditions:
      StringEquals: {aws:RequestedRegion: [eu-west-1, eu-central-1]}
      Bool: {aws:SecureTransport: 'true'}
  - actions: [sqs:SendMessage]
    resources: ['arn:aws:sqs:eu-west-1:123456789012:events']
";
    let first = serde_json::to_string(&rendered(spec)).unwrap();
    for _ in 0..20 {
        assert_eq!(serde_json::to_string(&rendered(spec)).unwrap(), first);
    }
    assert!(first.contains(r#""Version":"2012-10-17""#));
}

#[test]
fn boundary_templates_are_substituted_and_required() {
    let mut templated = settings();
    templated.permissions_boundary = Some("arn:${Partition}:iam::${AccountId}:policy/b".into());
    let role = render(&service_role("  service: lambda\n"), &templated).unwrap();
    assert_eq!(
        role.permissions_boundary.as_deref(),
        Some("arn:aws:iam::123456789012:policy/b")
    );

    let mut unbounded = settings();
    unbounded.permissions_boundary = None;
    let error = unbounded.check().unwrap_err().to_string();
    assert!(error.contains("--permissions-boundary"), "{error}");
    assert!(render(&service_role("  service: lambda\n"), &unbounded).is_err());
    unbounded.allow_unbounded_roles = true;
    assert!(unbounded.check().is_ok());
    assert_eq!(
        render(&service_role("  service: lambda\n"), &unbounded)
            .unwrap()
            .permissions_boundary,
        None
    );
}

#[test]
fn settings_are_checked_with_the_flag_named() {
    let bad = Settings {
        role_name_prefix: "bad prefix".into(),
        account_id: Some("12345".into()),
        partition: "amazon".into(),
        cluster_name: "bad#name".into(),
        permissions_boundary: Some("arn:aws:iam::123456789012:role/not-a-policy".into()),
        role_path_prefix: "rolesmith".into(),
        ..Settings::default()
    };
    let error = bad.check().unwrap_err();
    let flags: Vec<&str> = error
        .0
        .iter()
        .map(|line| line.split(':').next().unwrap())
        .collect();
    assert_eq!(
        flags,
        [
            "--partition",
            "--account-id",
            "--cluster-name",
            "--role-path-prefix",
            "--role-name-prefix",
            "--permissions-boundary"
        ]
    );
}

#[test]
fn the_controller_s_uid_becomes_an_ownership_tag() {
    let mut role = service_role("  service: lambda\n");
    role.metadata.uid = Some("0b6c8f9e-1111-2222-3333-444455556666".into());
    let desired = render(&role, &settings()).unwrap();
    assert_eq!(
        desired.tags["rolesmith.dev/uid"],
        "0b6c8f9e-1111-2222-3333-444455556666"
    );
    assert_eq!(desired.tags.len(), 4);
}

#[test]
fn account_and_partition_variables_are_filled_in_resources() {
    let role = rendered(
        "  service: lambda
  statements:
  - actions: [sqs:SendMessage]
    resources: ['arn:${Partition}:sqs:eu-west-1:${AccountId}:orders', 'arn:aws:s3:::home/${aws:username}/*']
",
    );
    assert_eq!(
        inline(&role)["Statement"][0]["Resource"],
        json!([
            "arn:aws:sqs:eu-west-1:123456789012:orders",
            "arn:aws:s3:::home/${aws:username}/*"
        ])
    );
    let mut unknown = settings();
    unknown.account_id = None;
    let spec = "  service: lambda\n  statements:\n  - actions: [sqs:SendMessage]\n    resources: ['arn:aws:sqs:eu-west-1:${AccountId}:q']\n";
    let found = render(&service_role(spec), &unknown).unwrap_err();
    assert_eq!(fields(&found), ["spec.statements[0].resources[0]"]);
    assert!(found.problems[0].message.contains("--account-id"));
}
