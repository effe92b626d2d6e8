//! The reconcile work (render → observe → diff → apply) against a real IAM API: the moto server
//! through the real AWS SDK.

mod support;

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;
use rolesmith::api::ServiceRole;
use rolesmith::catalog::SERVICES;
use rolesmith::controller::sync::{ADOPT_ANNOTATION, Cleaned, SyncError, cleanup_role, sync_role};
use rolesmith::diff::{ObservedRole, Reason, TAG_RETAINED};
use rolesmith::iam::{ErrorKind, Iam};
use rolesmith::render::Settings;
use serde_json::json;
use support::{admin, iam, service_role, unique};

const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/rolesmith-boundary";

fn settings() -> Settings {
    Settings {
        account_id: Some("123456789012".into()),
        cluster_name: "test-cluster".into(),
        permissions_boundary: Some(BOUNDARY.into()),
        ..Settings::default()
    }
}

async fn observe(iam: &Iam, name: &str) -> ObservedRole {
    iam.observe(name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("role {name} should exist"))
}

/// Sync and return the writes it made.
async fn sync_writes(iam: &Iam, role: &ServiceRole) -> Vec<&'static str> {
    let before = iam.writes().len();
    sync_role(role, &settings(), iam)
        .await
        .unwrap_or_else(|error| panic!("sync failed: {error}"));
    iam.writes()[before..].to_vec()
}

fn role_name(role: &ServiceRole) -> String {
    format!(
        "{}.{}",
        role.metadata.namespace.as_deref().unwrap(),
        role.metadata.name.as_deref().unwrap()
    )
}

#[tokio::test]
async fn every_seed_service_gets_a_role_trusting_only_it_with_the_boundary() {
    let iam = iam().await;
    let namespace = unique("svc");
    for service in SERVICES {
        let presets = service
            .presets
            .first()
            .map(|p| format!("  defaultPolicies: [{}]\n", p.name));
        let spec = format!(
            "  service: {}\n{}",
            service.name,
            presets.clone().unwrap_or_default()
        );
        let role = service_role(&namespace, service.name, &spec);
        let synced = sync_role(&role, &settings(), &iam).await.unwrap();
        assert!(synced.created, "{}", service.name);

        let observed = observe(&iam, &role_name(&role)).await;
        let statement = &observed.trust_policy["Statement"][0];
        assert_eq!(
            statement["Principal"]["Service"],
            json!(service.principal),
            "{}: trust must name exactly its principal",
            service.name
        );
        assert_eq!(observed.permissions_boundary.as_deref(), Some(BOUNDARY));
        assert_eq!(observed.path, format!("/rolesmith/{namespace}/"));
        assert_eq!(
            observed.tags["rolesmith.dev/uid"],
            format!("uid-{}", service.name)
        );
        let expected_managed: Vec<String> = service
            .presets
            .first()
            .map(|p| p.arn("aws"))
            .into_iter()
            .collect();
        assert_eq!(
            observed.managed_policy_arns, expected_managed,
            "{}",
            service.name
        );
        assert_eq!(
            observed.instance_profile.is_some(),
            service.instance_profile,
            "{}",
            service.name
        );
        if let Some(profile) = &observed.instance_profile {
            assert_eq!(profile.role_names, [role_name(&role)]);
        }
        if service.name == "eks-pod-identity" {
            assert_eq!(
                statement["Action"],
                json!(["sts:AssumeRole", "sts:TagSession"])
            );
        }
        assert_eq!(synced.role.arn, observed.arn);
    }
}

#[tokio::test]
async fn a_resync_of_an_unchanged_role_makes_no_write_call() {
    let iam = iam().await;
    let role = service_role(
        &unique("resync"),
        "reader",
        "  service: ec2
  defaultPolicies: [ssm-managed-instance, cloudwatch-agent]
  tags: {team: data}
  statements:
  - actions: [s3:GetObject, s3:ListBucket]
    resources: [arn:aws:s3:::lake]
    prefix: raw/
    conditions:
      Bool: {aws:SecureTransport: true}
  - actions: [sqs:SendMessage]
    resources: ['arn:aws:sqs:eu-west-1:123456789012:q']
",
    );
    let created = sync_writes(&iam, &role).await;
    assert_eq!(
        created,
        [
            "CreateRole",
            "PutRolePolicy",
            "AttachRolePolicy",
            "AttachRolePolicy",
            "CreateInstanceProfile",
            "AddRoleToInstanceProfile"
        ]
    );
    for _ in 0..3 {
        assert_eq!(sync_writes(&iam, &role).await, Vec::<&str>::new());
    }
}

#[tokio::test]
async fn each_changed_part_is_updated_with_only_its_own_calls() {
    let iam = iam().await;
    let namespace = unique("update");
    let base = "  service: lambda
  defaultPolicies: [basic-execution]
  tags: {team: data}
  statements:
  - actions: [sqs:SendMessage]
    resources: ['*']
";
    sync_writes(&iam, &service_role(&namespace, "fn", base)).await;
    let name = format!("{namespace}.fn");

    let changes: [(&str, &[&str]); 6] = [
        ("  description: new words\n", &["UpdateRole"]),
        ("  maxSessionDuration: 7200\n", &["UpdateRole"]),
        (
            "  defaultPolicies: [basic-execution, xray]\n",
            &["AttachRolePolicy"],
        ),
        ("  tags: {team: data, app: orders}\n", &["TagRole"]),
        ("  tags: {}\n", &["UntagRole"]),
        ("  statements: []\n", &["DeleteRolePolicy"]),
    ];
    for (change, expected) in changes {
        // Replace the field the change names, keep the rest of the base spec.
        let field = change.trim_start().split(':').next().unwrap();
        let mut spec: Vec<&str> = base.lines().collect();
        if let Some(start) = spec
            .iter()
            .position(|line| line.trim_start().starts_with(&format!("{field}:")))
        {
            let end = spec[start + 1..]
                .iter()
                .position(|line| !line.starts_with("  -") && !line.starts_with("    "))
                .map_or(spec.len(), |offset| start + 1 + offset);
            spec.drain(start..end);
        }
        let spec = format!("{}\n{change}", spec.join("\n"));
        let writes = sync_writes(&iam, &service_role(&namespace, "fn", &spec)).await;
        assert_eq!(writes, expected, "change: {change}");
        // And back, so each change is measured from the base.
        sync_writes(&iam, &service_role(&namespace, "fn", base)).await;
    }

    let observed = observe(&iam, &name).await;
    assert_eq!(observed.tags["team"], "data");
    assert_eq!(observed.max_session_duration, 3600);
    assert!(observed.inline_policies.contains_key("rolesmith"));

    let service_change = service_role(
        &namespace,
        "fn",
        &base
            .replace("lambda", "states")
            .replace("  defaultPolicies: [basic-execution]\n", ""),
    );
    assert_eq!(
        sync_writes(&iam, &service_change).await,
        ["UpdateAssumeRolePolicy", "DetachRolePolicy"]
    );
    let observed = observe(&iam, &name).await;
    assert_eq!(
        observed.trust_policy["Statement"][0]["Principal"]["Service"],
        "states.amazonaws.com"
    );
}

#[tokio::test]
async fn drift_made_outside_rolesmith_is_reverted() {
    let iam = iam().await;
    let admin = admin().await;
    let role = service_role(
        &unique("drift"),
        "fn",
        "  service: lambda\n  defaultPolicies: [basic-execution]\n",
    );
    sync_writes(&iam, &role).await;
    let name = role_name(&role);

    admin
        .put_role_policy()
        .role_name(&name)
        .policy_name("added-by-hand")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    admin
        .attach_role_policy()
        .role_name(&name)
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    admin
        .delete_role_permissions_boundary()
        .role_name(&name)
        .send()
        .await
        .unwrap();
    admin
        .update_assume_role_policy()
        .role_name(&name)
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();

    let synced = sync_role(&role, &settings(), &iam).await.unwrap();
    let drift: Vec<&str> = synced
        .plan
        .drift()
        .map(|step| step.call.operation())
        .collect();
    assert_eq!(
        drift,
        [
            "UpdateAssumeRolePolicy",
            "PutRolePermissionsBoundary",
            "DeleteRolePolicy",
            "DetachRolePolicy"
        ]
    );
    assert!(
        synced
            .plan
            .steps
            .iter()
            .all(|step| step.reason == Reason::Drift)
    );

    let observed = observe(&iam, &name).await;
    assert_eq!(observed.permissions_boundary.as_deref(), Some(BOUNDARY));
    assert!(observed.inline_policies.is_empty());
    assert_eq!(
        observed.managed_policy_arns,
        ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    );
    assert_eq!(
        observed.trust_policy["Statement"][0]["Principal"]["Service"],
        json!("lambda.amazonaws.com")
    );

    // A changed (not removed) boundary is put back too.
    admin
        .put_role_permissions_boundary()
        .role_name(&name)
        .permissions_boundary("arn:aws:iam::123456789012:policy/looser")
        .send()
        .await
        .unwrap();
    assert_eq!(
        sync_writes(&iam, &role).await,
        ["PutRolePermissionsBoundary"]
    );
    assert_eq!(sync_writes(&iam, &role).await, Vec::<&str>::new());
}

#[tokio::test]
async fn delete_removes_everything_and_retain_keeps_the_role_tagged() {
    let iam = iam().await;
    let admin = admin().await;
    let namespace = unique("delete");

    let doomed = service_role(
        &namespace,
        "web",
        "  service: ec2\n  defaultPolicies: [ssm-managed-instance]\n  statements:\n  - actions: [sqs:SendMessage]\n    resources: ['*']\n",
    );
    sync_writes(&iam, &doomed).await;
    let name = role_name(&doomed);
    assert_eq!(
        cleanup_role(&doomed, &settings(), &iam).await.unwrap(),
        Cleaned::Deleted(name.clone())
    );
    assert!(iam.observe(&name).await.unwrap().is_none());
    let profile = admin
        .get_instance_profile()
        .instance_profile_name(&name)
        .send()
        .await;
    assert!(profile.is_err(), "the instance profile is deleted too");
    assert_eq!(
        cleanup_role(&doomed, &settings(), &iam).await.unwrap(),
        Cleaned::AlreadyGone
    );

    let kept = service_role(
        &namespace,
        "kept",
        "  service: lambda\n  deletionPolicy: Retain\n",
    );
    sync_writes(&iam, &kept).await;
    let name = role_name(&kept);
    assert_eq!(
        cleanup_role(&kept, &settings(), &iam).await.unwrap(),
        Cleaned::Retained(name.clone())
    );
    let observed = observe(&iam, &name).await;
    assert_eq!(observed.tags[TAG_RETAINED], "true");
}

#[tokio::test]
async fn a_role_owned_by_another_service_role_is_never_written_or_deleted() {
    let iam = iam().await;
    let namespace = unique("conflict");
    let mut first = service_role(&namespace, "a", "  service: lambda\n");
    let shared = unique("shared");
    first.spec.role_name = Some(shared.clone());
    sync_writes(&iam, &first).await;
    let before = observe(&iam, &shared).await;

    let mut second = service_role(&unique("other"), "b", "  service: ecs-tasks\n");
    second.spec.role_name = Some(shared.clone());
    let writes_before = iam.write_count();
    let error = sync_role(&second, &settings(), &iam).await.unwrap_err();
    assert!(matches!(error, SyncError::NameConflict(_)), "{error}");
    assert!(error.is_terminal());
    assert_eq!(error.reason(), "NameConflict");
    assert!(
        error
            .to_string()
            .contains(&format!("test-cluster/{namespace}/a")),
        "{error}"
    );
    assert_eq!(
        iam.write_count(),
        writes_before,
        "no write to the foreign role"
    );
    assert_eq!(observe(&iam, &shared).await, before);

    assert_eq!(
        cleanup_role(&second, &settings(), &iam).await.unwrap(),
        Cleaned::NotOurs(shared.clone())
    );
    assert_eq!(iam.write_count(), writes_before);
    assert_eq!(observe(&iam, &shared).await, before);
}

#[tokio::test]
async fn an_unmanaged_role_is_taken_over_only_when_adoption_is_asked_for() {
    let iam = iam().await;
    let admin = admin().await;
    let name = unique("legacy");
    admin
        .create_role()
        .role_name(&name)
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .tags(Tag::builder().key("owner").value("someone").build().unwrap())
        .send()
        .await
        .unwrap();
    admin
        .attach_role_policy()
        .role_name(&name)
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();

    let mut role = service_role(&unique("adopt"), "legacy", "  service: lambda\n");
    role.spec.role_name = Some(name.clone());
    let writes_before = iam.write_count();
    let error = sync_role(&role, &settings(), &iam).await.unwrap_err();
    assert!(error.to_string().contains(ADOPT_ANNOTATION), "{error}");
    assert_eq!(iam.write_count(), writes_before);

    role.metadata.annotations = Some(BTreeMap::from([(
        ADOPT_ANNOTATION.to_string(),
        "true".to_string(),
    )]));
    let synced = sync_role(&role, &settings(), &iam).await.unwrap();
    assert!(!synced.created);
    let observed = observe(&iam, &name).await;
    assert_eq!(
        observed.trust_policy["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );
    assert!(observed.managed_policy_arns.is_empty());
    assert_eq!(observed.tags["rolesmith.dev/uid"], "uid-legacy");
    assert!(!observed.tags.contains_key("owner"));
    assert_eq!(observed.permissions_boundary.as_deref(), Some(BOUNDARY));
}

#[tokio::test]
async fn a_crash_after_create_role_leaves_no_duplicate_and_finishes_the_job() {
    let iam = iam().await;
    let role = service_role(
        &unique("crash"),
        "fn",
        "  service: ec2\n  defaultPolicies: [ssm-managed-instance]\n  statements:\n  - actions: [sqs:SendMessage]\n    resources: ['*']\n",
    );
    let name = role_name(&role);

    // The first attempt got as far as CreateRole, then the process died: no status written.
    let desired = rolesmith::render::render(&role, &settings()).unwrap();
    let mut plan = rolesmith::diff::plan(&desired, None);
    plan.steps.truncate(1);
    iam.apply(&plan).await.unwrap();
    let role_id = observe(&iam, &name).await.role_id;

    let writes = sync_writes(&iam, &role).await;
    assert!(!writes.contains(&"CreateRole"), "{writes:?}");
    assert_eq!(
        writes,
        [
            "PutRolePolicy",
            "AttachRolePolicy",
            "CreateInstanceProfile",
            "AddRoleToInstanceProfile"
        ]
    );
    assert_eq!(
        observe(&iam, &name).await.role_id,
        role_id,
        "the same role, not a new one"
    );
    assert_eq!(sync_writes(&iam, &role).await, Vec::<&str>::new());
}

#[tokio::test]
async fn two_racing_creates_of_one_role_both_succeed_on_one_role() {
    let iam = iam().await;
    let role = service_role(
        &unique("race"),
        "fn",
        "  service: lambda\n  defaultPolicies: [basic-execution]\n",
    );
    let settings = settings();
    let (first, second) = tokio::join!(
        sync_role(&role, &settings, &iam),
        sync_role(&role, &settings, &iam)
    );
    let first = first.unwrap();
    let second = second.unwrap();
    // Both observed "no role" before either created it (each GetRole is sent before the
    // other's CreateRole), so one CreateRole met EntityAlreadyExists and was recovered from.
    let creates = iam
        .writes()
        .iter()
        .filter(|op| **op == "CreateRole")
        .count();
    assert_eq!(
        creates,
        2,
        "the race path was exercised: {:?}",
        iam.writes()
    );
    assert_eq!(first.role.role_id, second.role.role_id);
    assert_eq!(sync_writes(&iam, &role).await, Vec::<&str>::new());
}

#[tokio::test]
async fn the_instance_profile_follows_the_service() {
    let iam = iam().await;
    let admin = admin().await;
    let namespace = unique("profile");
    let ec2 = service_role(&namespace, "host", "  service: ec2\n");
    let name = role_name(&ec2);
    sync_writes(&iam, &ec2).await;
    let profile = admin
        .get_instance_profile()
        .instance_profile_name(&name)
        .send()
        .await
        .unwrap();
    let roles: Vec<&str> = profile
        .instance_profile()
        .unwrap()
        .roles()
        .iter()
        .map(|r| r.role_name())
        .collect();
    assert_eq!(roles, [name.as_str()]);

    // Someone removes the role from its profile: put back.
    admin
        .remove_role_from_instance_profile()
        .instance_profile_name(&name)
        .role_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(sync_writes(&iam, &ec2).await, ["AddRoleToInstanceProfile"]);

    // The service changes away from EC2: the profile goes.
    let lambda = service_role(&namespace, "host", "  service: lambda\n");
    assert_eq!(
        sync_writes(&iam, &lambda).await,
        [
            "UpdateAssumeRolePolicy",
            "RemoveRoleFromInstanceProfile",
            "DeleteInstanceProfile"
        ]
    );
    assert!(
        admin
            .get_instance_profile()
            .instance_profile_name(&name)
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_invalid_spec_is_refused_before_any_iam_call() {
    let iam = iam().await;
    let role = service_role(
        &unique("invalid"),
        "fn",
        "  service: lambda\n  statements:\n  - actions: ['*']\n    resources: ['*']\n",
    );
    let error = sync_role(&role, &settings(), &iam).await.unwrap_err();
    assert!(
        matches!(&error, SyncError::InvalidSpec(problems) if problems.problems[0].field == "spec.statements[0].actions[0]")
    );
    assert!(error.is_terminal());
    assert_eq!(iam.call_count(), 0, "not even a read");
}

#[tokio::test]
async fn an_unreachable_iam_endpoint_is_a_transient_error() {
    let config = aws_config::defaults(aws_sdk_iam::config::BehaviorVersion::latest())
        .endpoint_url("http://127.0.0.1:9")
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            "a", "b", None, None, "t",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let iam = Iam::new(&config);
    let error = iam.observe("anything").await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Transient, "{error}");
    let role = service_role("ns", "fn", "  service: lambda\n");
    let error = sync_role(&role, &settings(), &iam).await.unwrap_err();
    assert!(!error.is_terminal());
    assert_eq!(error.reason(), "IAMUnavailable");
}

#[tokio::test]
async fn lint_errors_stop_the_sync_and_warnings_do_not() {
    let iam = iam().await;
    let broken = service_role(
        &unique("lint"),
        "fn",
        "  service: lambda\n  statements:\n  - actions: [sqs:SendMesage]\n    resources: ['arn:aws:sqs:eu-west-1:123456789012:q']\n",
    );
    let error = sync_role(&broken, &settings(), &iam).await.unwrap_err();
    assert!(error.is_terminal());
    assert_eq!(error.reason(), "InvalidSpec");
    assert!(error.to_string().contains("RS102"), "{error}");
    assert!(
        error.to_string().contains("spec.statements[0].actions[0]"),
        "{error}"
    );
    assert_eq!(
        iam.call_count(),
        0,
        "lint errors are found before any IAM call"
    );

    let warned = service_role(
        &unique("lint"),
        "fn",
        "  service: lambda\n  statements:\n  - actions: [dynamodb:PutItem]\n    resources: ['*']\n",
    );
    let synced = sync_role(&warned, &settings(), &iam).await.unwrap();
    let codes: Vec<&str> = synced.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, ["RS203"]);
}

#[tokio::test]
async fn a_changed_path_prefix_is_reported_not_silently_ignored() {
    let iam = iam().await;
    let role = service_role(&unique("path"), "fn", "  service: lambda\n");
    let first = sync_role(&role, &settings(), &iam).await.unwrap();
    assert!(first.notices.is_empty());

    let moved = Settings {
        role_path_prefix: "/platform/".into(),
        ..settings()
    };
    let before = iam.write_count();
    let synced = sync_role(&role, &moved, &iam).await.unwrap();
    assert_eq!(
        iam.write_count(),
        before,
        "IAM cannot move a role; nothing is written"
    );
    assert_eq!(synced.notices.len(), 1);
    assert!(
        synced.notices[0].contains("/platform/"),
        "{:?}",
        synced.notices
    );
}
