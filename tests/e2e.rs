//! End to end: the `rolesmith controller` process against a real kube-apiserver and the moto
//! IAM server, driven the way users drive it (kubectl and the Kubernetes API).
//!
//! These tests need the local stack (`hack/stack-up.sh`), so they are ignored by a plain
//! `cargo test`; `hack/test.sh` starts the stack and runs them. Each test has its own namespace
//! and its own controller process watching only that namespace, so they run in parallel.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_iam::types::Tag;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use rolesmith::api::ServiceRole;
use rolesmith::catalog::SERVICES;
use serde_json::{Value, json};
use support::run_with_input;

const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/rolesmith-boundary";
const WAIT: Duration = Duration::from_secs(60);

fn require_stack() {
    assert!(
        std::env::var("ROLESMITH_STACK").is_ok() && std::env::var("KUBECONFIG").is_ok(),
        "end-to-end tests need the local stack: run hack/test.sh (or hack/stack-up.sh and \
         `source .stack/env`)"
    );
}

/// A test's own namespace, with a controller process watching only it.
struct Scenario {
    namespace: String,
    cluster: String,
    client: Client,
    controller: Option<Child>,
    log: PathBuf,
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{:x}", nanos % 0xffffff)
}

impl Scenario {
    async fn new(prefix: &str) -> Scenario {
        require_stack();
        let client = Client::try_default()
            .await
            .expect("kubeconfig from the stack");
        let namespace = unique(prefix);
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let object: Namespace =
            serde_json::from_value(json!({"metadata": {"name": namespace}})).unwrap();
        namespaces
            .create(&PostParams::default(), &object)
            .await
            .unwrap();
        let log = std::env::temp_dir().join(format!("rolesmith-e2e-{namespace}.log"));
        Scenario {
            cluster: format!("e2e-{namespace}"),
            namespace,
            client,
            controller: None,
            log,
        }
    }

    fn start_controller(&mut self, extra: &[&str], env: &[(&str, &str)]) {
        let mut args = vec!["--permissions-boundary", BOUNDARY];
        args.extend_from_slice(extra);
        self.start_controller_with(&args, env);
    }

    fn start_controller_with(&mut self, extra: &[&str], env: &[(&str, &str)]) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_rolesmith"));
        command
            .args([
                "controller",
                "--namespace",
                &self.namespace,
                "--cluster-name",
                &self.cluster,
            ])
            .args(["--log-format", "json"])
            .args(extra)
            .envs(env.iter().copied())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null());
        self.controller = Some(command.spawn().expect("start rolesmith controller"));
    }

    fn stop_controller(&mut self) {
        if let Some(mut child) = self.controller.take() {
            // SIGTERM, as a Deployment rollout would send, then wait.
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn roles(&self) -> Api<ServiceRole> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    fn manifest(&self, name: &str, spec: &str) -> String {
        format!(
            "apiVersion: rolesmith.dev/v1alpha1\nkind: ServiceRole\n\
             metadata:\n  name: {name}\n  namespace: {}\nspec:\n{spec}",
            self.namespace
        )
    }

    async fn create(&self, name: &str, spec: &str) -> ServiceRole {
        let role: ServiceRole = serde_yaml_ng::from_str(&self.manifest(name, spec)).unwrap();
        self.roles()
            .create(&PostParams::default(), &role)
            .await
            .unwrap()
    }

    /// `kubectl apply` of a manifest; returns (success, combined output).
    fn kubectl_apply(&self, manifest: &str) -> (bool, String) {
        let output = run_with_input(Command::new("kubectl").args(["apply", "-f", "-"]), manifest);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    }

    /// Poll the object until `check` holds.
    async fn wait_for(
        &self,
        name: &str,
        what: &str,
        check: impl Fn(&ServiceRole) -> bool,
    ) -> ServiceRole {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(role) = self.roles().get_opt(name).await.unwrap()
                && check(&role)
            {
                return role;
            }
            if Instant::now() > deadline {
                let state = self
                    .roles()
                    .get_opt(name)
                    .await
                    .unwrap()
                    .map(|r| serde_json::to_string_pretty(&r.status).unwrap());
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(30).collect();
                panic!(
                    "timed out waiting for {name}: {what}\nstatus: {state:?}\ncontroller log (newest first):\n{}",
                    tail.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn wait_ready(&self, name: &str) -> ServiceRole {
        self.wait_for(name, "Ready=True for the current generation", |role| {
            condition(role, "Ready").is_some_and(|(status, _)| status == "True")
                && role.status.as_ref().and_then(|s| s.observed_generation)
                    == role.metadata.generation
        })
        .await
    }

    async fn wait_gone(&self, name: &str) {
        let deadline = Instant::now() + WAIT;
        while self.roles().get_opt(name).await.unwrap().is_some() {
            assert!(
                Instant::now() < deadline,
                "{name} was not released by the finalizer"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn events(&self, reason: &str) -> Vec<Event> {
        let events: Api<Event> = Api::namespaced(self.client.clone(), &self.namespace);
        let list = events.list(&ListParams::default()).await.unwrap();
        list.items
            .into_iter()
            .filter(|event| event.reason.as_deref() == Some(reason))
            .collect()
    }

    async fn wait_event(&self, reason: &str) -> Event {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(event) = self.events(reason).await.into_iter().next() {
                return event;
            }
            assert!(
                Instant::now() < deadline,
                "no {reason} event in {}",
                self.namespace
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl Scenario {
    /// Delete the test's ServiceRoles while its controller still runs, so their IAM roles and
    /// finalizers go too, then the namespace. Objects a controller cannot clean up (its IAM is
    /// unreachable) lose their finalizer by force.
    async fn finish(mut self) {
        let roles = self.roles();
        roles
            .delete_collection(&DeleteParams::default(), &ListParams::default())
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !roles
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        self.stop_controller();
        for role in roles.list(&ListParams::default()).await.unwrap().items {
            let release = json!({"metadata": {"finalizers": null}});
            let _ = roles
                .patch(
                    &role.name_any(),
                    &PatchParams::default(),
                    &Patch::Merge(&release),
                )
                .await;
        }
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        let _ = namespaces
            .delete(&self.namespace, &DeleteParams::default())
            .await;
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        self.stop_controller();
    }
}

fn condition(role: &ServiceRole, kind: &str) -> Option<(String, String)> {
    role.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == kind)
        .map(|c| (c.status.clone(), c.reason.clone()))
}

async fn iam() -> aws_sdk_iam::Client {
    // The stack's env file sets the endpoint, dummy credentials and region.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_iam::Client::new(&config)
}

/// The kstatus verdict (`Current`, `InProgress`, `Failed`) for a ServiceRole, from the Go
/// package that Flux, Argo CD and kpt use.
fn kstatus(role: &ServiceRole) -> String {
    static BINARY: OnceLock<String> = OnceLock::new();
    let binary = BINARY.get_or_init(|| {
        let output = Command::new("hack/build-kstatus.sh")
            .output()
            .expect("build the kstatus checker");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    });
    let mut object = serde_json::to_value(role).unwrap();
    object["apiVersion"] = json!("rolesmith.dev/v1alpha1");
    object["kind"] = json!("ServiceRole");
    let output = run_with_input(&mut Command::new(binary), &object.to_string());
    assert!(output.status.success());
    let line = String::from_utf8(output.stdout).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

/// IAM requests recorded by the stack's moto server: (operation, role name) per request.
fn recorded_requests() -> Vec<(String, String)> {
    use base64::Engine;
    let path = std::env::var("ROLESMITH_MOTO_RECORDING").expect("the stack records IAM requests");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|entry| {
            let body = entry["body"].as_str().unwrap_or_default();
            let body = if entry["body_encoded"] == json!(true) {
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(body)
                        .unwrap_or_default(),
                )
                .unwrap_or_default()
            } else {
                body.to_string()
            };
            let form: BTreeMap<String, String> = form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect();
            (
                form.get("Action").cloned().unwrap_or_default(),
                form.get("RoleName")
                    .or_else(|| form.get("InstanceProfileName"))
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn is_write(operation: &str) -> bool {
    !(operation.starts_with("Get") || operation.starts_with("List") || operation.is_empty())
}

#[tokio::test]
#[ignore = "needs the local stack; run hack/test.sh"]
async fn every_seed_service_becomes_ready_with_its_trust_and_boundary() {
    let mut scenario = Scenario::new("seed").await;
    scenario.start_controller(&[], &[]);
    for service in SERVICES {
        scenario
            .create(service.name, &format!("  service: {}\n", service.name))
            .await;
    }
    let iam = iam().await;
    for service in SERVICES {
        let role = scenario.wait_ready(service.name).await;
        let status = role.status.as_ref().unwrap();
        let name = status.role_name.clone().unwrap();
        let found = iam
            .get_role()
            .role_name(&name)
            .send()
            .await
            .unwrap()
            .role
            .unwrap();
        assert_eq!(status.role_arn.as_deref(), Some(found.arn()));
        assert_eq!(status.role_id.as_deref(), Some(found.role_id()));
        assert_eq!(status.permissions_boundary_arn.as_deref(), Some(BOUNDARY));
        assert_eq!(
            found
                .permissions_boundary()
                .unwrap()
                .permissions_boundary_arn(),
            Some(BOUNDARY)
        );
        let trust = percent_decode(found.assume_role_policy_document().unwrap());
        assert_eq!(
            trust["Statement"][0]["Principal"]["Service"],
            json!(service.principal),
            "{}",
            service.name
        );
        assert_eq!(
            status.instance_profile_arn.is_some(),
            service.instance_profile
        );
        assert_eq!(kstatus(&role), "Current", "{}", service.name);
    }
    assert_eq!(scenario.events("Created").await.len(), SERVICES.len());
    scenario.finish().await;
}

fn percent_decode(text: &str) -> Value {
    let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
    serde_json::from_str(&decoded).unwrap()
}

#[tokio::test]
#[ignore = "needs the local stack; run hack/test.sh"]
async fn a_spec_change_updates_iam_and_out_of_band_drift_is_reverted() {
    let mut scenario = Scenario::new("update").await;
    scenario.start_controller(&["--resync-seconds", "3"], &[]);
    scenario
        .create(
            "fn",
            "  service: lambda\n  defaultPolicies: [basic-execution]\n",
        )
        .await;
    let role = scenario.wait_ready("fn").await;
    let name = role.status.unwrap().role_name.unwrap();
    let iam = iam().await;

    let patch =
        json!({"spec": {"statements": [{"actions": ["sqs:SendMessage"], "resources": ["*"]}]}});
    scenario
        .roles()
        .patch("fn", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    let role = scenario
        .wait_for("fn", "observedGeneration 2 and Ready", |role| {
            role.status.as_ref().and_then(|s| s.observed_generation) == Some(2)
                && condition(role, "Ready").is_some_and(|(status, _)| status == "True")
        })
        .await;
    assert_eq!(role.metadata.generation, Some(2));
    let policy = iam
        .get_role_policy()
        .role_name(&name)
        .policy_name("rolesmith")
        .send()
        .await
        .unwrap();
    let document = percent_decode(policy.policy_document());
    assert_eq!(
        document["Statement"][0]["Action"],
        json!(["sqs:SendMessage"])
    );
    scenario.wait_event("Updated").await;

    iam.attach_role_policy()
        .role_name(&name)
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    let event = scenario.wait_event("DriftCorrected").await;
    assert!(
        event
            .note
            .unwrap_or_default()
            .contains("AdministratorAccess")
    );
    let attached = iam
        .list_attached_role_policies()
        .role_name(&name)
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    assert_eq!(
        arns,
        ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    );
    scenario.finish().await;
}

#[tokio::test]
#[ignore = "needs the local stack; run hack/test.sh"]
async fn delete_removes_the_role_retain_keeps_it_and_both_release_the_finalizer() {
    let mut scenario = Scenario::new("delete").await;
    scenario.start_controller(&[], &[]);
    scenario.create("gone", "  service: ec2\n").await;
    scenario
        .create("kept", "  service: lambda\n  deletionPolicy: Retain\n")
        .await;
    let gone = scenario
        .wait_ready("gone")
        .await
        .status
        .unwrap()
        .role_name
        .unwrap();
    let kept = scenario
        .wait_ready("kept")
        .await
        .status
        .unwrap()
        .role_name
        .unwrap();
    let role = scenario.roles().get("gone").await.unwrap();
    assert_eq!(role.finalizers(), ["rolesmith.dev/cleanup"]);

    scenario
        .roles()
        .delete("gone", &DeleteParams::default())
        .await
        .unwrap();
    scenario
        .roles()
        .delete("kept", &DeleteParams::default())
        .await
        .unwrap();
    scenario.wait_gone("gone").await;
    scenario.wait_gone("kept").await;

    let iam = iam().await;
    assert!(
        iam.get_role().role_name(&gone).send().await.is_err(),
        "Delete removes the role"
    );
    assert!(
        iam.get_instance_profile()
            .instance_profile_name(&gone)
            .send()
            .await
            .is_err()
    );
    let tags = iam.list_role_tags().role_name(&kept).send().await.unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "rolesmith.dev/retained" && t.value() == "true")
    );
    scenario.finish().await;
}

#[tokio::test]
#[ignore = "needs the local stack; run hack/test.sh"]
async fn invalid_manifests_are_refused_at_admission_naming_the_field() {
    let mut scenario = Scenario::new("admission").await;
    scenario.start_controller(&[], &[]);
    let refused: [(&str, &str); 8] = [
        ("  service: lamda\n", "spec.service"),
        (
            "  service: lambda\n  maxSessionDuration: 60\n",
            "spec.maxSessionDuration",
        ),
        (
            "  service: lambda\n  statements:\n  - actions: [s3GetObject]\n    resources: ['*']\n",
            "spec.statements[0].actions[0]",
        ),
        (
            "  service: lambda\n  statements:\n  - actions: [s3:GetObject]\n    resources: [bucket]\n",
            "each resource is an ARN",
        ),
        (
            "  service: lambda\n  defaultPolicies: [task-execution]\n",
            "defaultPolicies names a preset",
        ),
        (
            "  service: lambda\n  trust:\n    sourceAccount: '123456789012'\n",
            "trust conditions are only accepted",
        ),
        ("  service: lambda\n  tags: {'aws:owner': me}\n", "reserved"),
        (
            "  service: lambda\n  statements:\n  - actions: [sqs:SendMessage]\n    resources: ['arn:aws:sqs:us-east-1:123456789012:q']\n    prefix: raw/\n",
            "prefix needs S3 bucket ARNs",
        ),
    ];
    for (index, (spec, expected)) in refused.iter().enumerate() {
        let (ok, output) =
            scenario.kubectl_apply(&scenario.manifest(&format!("bad-{index}"), spec));
        assert!(!ok, "admission accepted:\n{spec}");
        assert!(
            output.contains(expected),
            "expected '{expected}' in:\n{output}"
        );
    }

    // roleName is immutable once set (a CEL transition rule).
    let (ok, output) = scenario.kubectl_apply(
        &scenario.manifest("named", "  service: lambda\n  roleName: e2e-named-role\n"),
    );
    assert!(ok, "{output}");
    let (ok, output) = scenario
        .kubectl_apply(&scenario.manifest("named", "  service: lambda\n  roleName: e2e-renamed\n"));
    assert!(
        !ok && output.contains("roleName cannot be added, changed or removed"),
        "{output}"
    );

    // Passes admission, fails render: Stalled, kstatus Failed, an InvalidSpec event.
    let (ok, output) = scenario.kubectl_apply(&scenario.manifest(
        "stalled",
        "  service: lambda\n  statements:\n  - actions: [s3:GetObject]\n    resources: ['arn:aws:s3:us-east-1::bucket']\n",
    ));
    assert!(ok, "{output}");
    let role = scenario
        .wait_for("stalled", "Stalled=True", |role| {
            condition(role, "Stalled").is_some_and(|(s, _)| s == "True")
        })
        .await;
    assert_eq!(condition(&role, "Stalled").unwrap().1, "InvalidSpec");
    assert_eq!(
        condition(&role, "Ready").unwrap(),
        ("False".to_string(), "InvalidSpec".to_string())
    );
    assert!(condition(&role, "Reconciling").is_none());
    let message = &role.status.as_ref().unwrap().conditions[0].message;
    assert!(
        message.contains("spec.statements[0].resources[0]"),
        "{message}"
    );
    assert_eq!(kstatus(&role), "Failed");
    scenario.wait_event("InvalidSpec").await;

    // Lint errors stall too, naming the code and field; warnings go to status and an event.
    scenario
        .create("misspelt", "  service: lambda\n  statements:\n  - actions: [sqs:SendMesage]\n    resources: ['arn:aws:sqs:us-east-1:123456789012:q']\n")
        .await;
    let role = scenario
        .wait_for("misspelt", "Stalled=True", |role| {
            condition(role, "Stalled").is_some_and(|(s, _)| s == "True")
        })
        .await;
    let message = &role.status.as_ref().unwrap().conditions[0].message;
    assert!(
        message.contains("RS102") && message.contains("spec.statements[0].actions[0]"),
        "{message}"
    );
    scenario.create("warned", "  service: lambda\n  statements:\n  - actions: [dynamodb:PutItem]\n    resources: ['*']\n").await;
    let role = scenario.wait_ready("warned").await;
    let warnings = &role.status.as_ref().unwrap().warnings;
    assert!(
        warnings.len() == 1 && warnings[0].starts_with("RS203 spec.statements[0].actions[0]"),
        "{warnings:?}"
    );
    scenario.wait_event("PolicyWarnings").await;

    // Fixing the spec un-stalls it.
    let fix = json!({"spec": {"statements": [{"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::bucket"]}]}});
    scenario
        .roles()
        .patch("stalled", &PatchParams::default(), &Patch::Merge(&fix))
        .await
        .unwrap();
    let role = scenario.wait_ready("stalled").await;
    assert!(condition(&role, "Stalled").is_none());
    scenario.finish().await;
}

#[tokio::test]
#[ignore = "needs the local stack; run hack/test.sh"]
async fn a_name_conflict_stalls_and_writes_nothing_to_the_foreign_role() {
    let mut scenario = Scenario::new("conflict").await;
    let iam = iam().await;
    let foreign = unique("foreign-role");
    iam.create_role()
        .role_name(&foreign)
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
        .tags(Tag::builder().key("rolesmith.dev/cluster").value("another-cluster").build().unwrap())
        .tags(Tag::builder().key("rolesmith.dev/namespace").value("team-x").build().unwrap())
        .tags(Tag::builder().key("rolesmith.dev/name").value("theirs").build().unwrap())
        .send()
        .await
        .unwrap();
    let before = iam
        .get_role()
        .role_name(&foreign)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();

    scenario.start_controller(&[], &[]);
    scenario
        .create(
            "mine",
            &format!("  service: lambda\n  roleName: {foreign}\n"),
        )
        .await;
    let role = scenario
        .wait_for("mine", "Stalled=True", |role| {
            condition(role, "Stalled").is_some_and(|(s, _)| s == "True")
        })
        .await;
    assert_eq!(condition(&role, "Stalled").unwrap().1, "NameConflict");
    assert_eq!(kstatus(&role), "Failed");
    scenario.wait_event("NameConflict").await;

    let writes: Vec<String> = recorded_requests()
        .into_iter()
        .filter(|(operation, role_name)| role_name == &foreign && is_write(operation))
        .map(|(operation, _)| operation)
        .collect();
    assert_eq!(
        writes,
        ["CreateRole"],
        "only the test's own CreateRole touched the foreign role"
    );
    let after = iam
        .get_role()
        .role_name(&foreign)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(
        before.assume_role_policy_document(),
        after.assume_role_policy_document()
    );
    assert_eq!(before.tags(), after.tags());

    // Deleting the ServiceRole leaves the foreign role alone and releases the finalizer.
    scenario
        .roles()
        .delete("mine", &DeleteParams::default())
        .await
        .unwrap();
    scenario.wait_gone("mine").await;
    assert!(iam.get_role().role_name(&foreign).send().await.is_ok());
    scenario.finish().await;
}

#[tokio::test]
#[ignore = "needs the local stack; run hack/test.sh"]
async fn a_restarted_controller_makes_no_write_call_for_roles_in_sync() {
    let mut scenario = Scenario::new("restart").await;
    scenario.start_controller(&[], &[]);
    let names = ["a", "b", "c"];
    for name in names {
        scenario
            .create(
                name,
                "  service: ecs-tasks\n  defaultPolicies: [task-execution]\n",
            )
            .await;
    }
    let mut role_names = Vec::new();
    for name in names {
        role_names.push(
            scenario
                .wait_ready(name)
                .await
                .status
                .unwrap()
                .role_name
                .unwrap(),
        );
    }
    scenario.stop_controller();
    let offset = recorded_requests().len();

    scenario.start_controller(&[], &[]);
    // Wait until the new process has read every role back from IAM.
    let deadline = Instant::now() + WAIT;
    loop {
        let seen: Vec<(String, String)> = recorded_requests()[offset..].to_vec();
        let observed = role_names.iter().all(|role| {
            seen.iter()
                .any(|(operation, name)| operation == "GetInstanceProfile" && name == role)
        });
        if observed {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the restarted controller did not observe the roles"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let writes: Vec<(String, String)> = recorded_requests()[offset..]
        .iter()
        .filter(|(operation, name)| role_names.contains(name) && is_write(operation))
        .cloned()
        .collect();
    assert!(writes.is_empty(), "writes after restart: {writes:?}");
    scenario.finish().await;
}

#[tokio::test]
#[ignore = "needs the local stack; run hack/test.sh"]
async fn kstatus_sees_a_retrying_role_as_in_progress() {
    let mut scenario = Scenario::new("progress").await;
    // An IAM endpoint that refuses connections: every reconcile fails transiently.
    scenario.start_controller(
        &["--account-id", "123456789012"],
        &[
            ("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:9"),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
    );
    scenario.create("fn", "  service: lambda\n").await;
    let role = scenario
        .wait_for("fn", "Reconciling=True", |role| {
            condition(role, "Reconciling").is_some_and(|(s, _)| s == "True")
        })
        .await;
    assert_eq!(condition(&role, "Reconciling").unwrap().1, "IAMUnavailable");
    assert_eq!(condition(&role, "Ready").unwrap().0, "False");
    assert!(condition(&role, "Stalled").is_none());
    assert_eq!(kstatus(&role), "InProgress");
    // Its controller cannot reach IAM to clean up; stop it so finishing does not wait.
    scenario.stop_controller();
    scenario.finish().await;
}

#[tokio::test]
#[ignore = "needs the local stack; run hack/test.sh"]
async fn unbounded_roles_need_the_flag_and_are_announced() {
    let mut scenario = Scenario::new("unbounded").await;
    scenario.start_controller_with(&["--allow-unbounded-roles"], &[]);
    scenario.create("fn", "  service: lambda\n").await;
    let role = scenario.wait_ready("fn").await;
    let status = role.status.unwrap();
    assert_eq!(status.permissions_boundary_arn, None);
    let found = iam()
        .await
        .get_role()
        .role_name(status.role_name.unwrap())
        .send()
        .await
        .unwrap();
    assert!(found.role.unwrap().permissions_boundary().is_none());
    let log = std::fs::read_to_string(&scenario.log).unwrap();
    assert!(
        log.contains("NO PERMISSIONS BOUNDARY"),
        "the controller says so loudly"
    );
    scenario.finish().await;
}

/// The status code of a plain HTTP GET on loopback, or None while nothing listens.
fn http_status(port: u16, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test]
#[ignore = "needs the local stack; run hack/test.sh"]
async fn the_health_endpoint_answers_the_probes() {
    let mut scenario = Scenario::new("health").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    scenario.start_controller(&["--health-address", &address], &[]);
    let deadline = Instant::now() + WAIT;
    while http_status(port, "/readyz") != Some(200) {
        assert!(
            Instant::now() < deadline,
            "the controller never became ready"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(http_status(port, "/healthz"), Some(200));
    assert_eq!(http_status(port, "/nothing"), Some(404));
    scenario.finish().await;
}
