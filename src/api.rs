//! The `ServiceRole` custom resource (`rolesmith.dev/v1alpha1`).
//!
//! These types define the CRD schema: every doc comment becomes a description that
//! `kubectl explain` shows, and the CEL rules below reject at admission what can be judged from
//! the object alone. Rules that need the catalog (services, presets) are generated from it, so
//! the schema and the renderer never disagree.

use std::collections::BTreeMap;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::core::{Rule, crd::CustomResourceExt};
use kube::{CustomResource, KubeSchema};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::catalog::{self, SERVICES};

/// API group of the rolesmith resources.
pub const GROUP: &str = "rolesmith.dev";

/// Tags rolesmith writes itself; users may not set tags under this prefix.
pub const RESERVED_TAG_PREFIX: &str = "rolesmith.dev/";

/// IAM allows 50 tags on a role; rolesmith's ownership tags take this many of them.
pub const OWNERSHIP_TAG_COUNT: usize = 4;

/// The most tags a user may set in `spec.tags`.
pub const MAX_USER_TAGS: usize = 50 - OWNERSHIP_TAG_COUNT;

/// An AWS IAM role for one AWS service, trusted by that service alone.
///
/// rolesmith renders the spec into a role whose trust policy names exactly the service's
/// principal, whose permissions come from the statements and default policies below, and which
/// always carries the cluster's permissions boundary.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "rolesmith.dev",
    version = "v1alpha1",
    kind = "ServiceRole",
    namespaced,
    shortname = "srole",
    category = "rolesmith",
    status = "ServiceRoleStatus",
    doc = "An AWS IAM role trusted by exactly one AWS service, rendered from reviewed code.",
    printcolumn = r#"{"name":"Service","type":"string","jsonPath":".spec.service"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Role ARN","type":"string","priority":1,"jsonPath":".status.roleArn"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[x_kube(
    validation = role_name_is_immutable(),
    validation = presets_belong_to_service(),
    validation = trust_keys_are_supported()
)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRoleSpec {
    /// The AWS service that assumes the role. The trust policy names exactly this service's
    /// principal (for example `lambda` trusts `lambda.amazonaws.com`, `eks-pod-identity` trusts
    /// `pods.eks.amazonaws.com`), so a role for one service can never be assumed by another.
    #[schemars(schema_with = "service_schema")]
    pub service: String,

    /// Description of the role shown in IAM. At most 1000 characters. Defaults to a line naming
    /// the ServiceRole that manages it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub description: Option<String>,

    /// Longest session, in seconds, that the service may obtain with the role: 3600 (one hour,
    /// the default) to 43200 (twelve hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 3600, max = 43200))]
    pub max_session_duration: Option<i32>,

    /// Tags to put on the role. Keys up to 128 characters, values up to 256; keys starting with
    /// `aws:` or `rolesmith.dev/` are reserved. rolesmith adds its own ownership tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = MAX_USER_TAGS))]
    #[x_kube(validation = Rule::new(
        "self.all(k, size(k) >= 1 && size(k) <= 128 && size(self[k]) <= 256)"
    ).message("tag keys must be 1-128 characters and tag values at most 256"))]
    #[x_kube(validation = Rule::new(
        "self.all(k, !k.startsWith('aws:') && !k.startsWith('rolesmith.dev/'))"
    ).message("tag keys starting with aws: or rolesmith.dev/ are reserved"))]
    pub tags: BTreeMap<String, String>,

    /// Named AWS managed policies for this service, for example `basic-execution` for `lambda`
    /// or `task-execution` for `ecs-tasks`. `rolesmith render` errors list the names each
    /// service offers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10), inner(pattern(r"^[a-z0-9][a-z0-9-]*$")))]
    pub default_policies: Vec<String>,

    /// Managed policies to attach by ARN, AWS managed (`arn:aws:iam::aws:policy/...`) or your
    /// own (`arn:aws:iam::123456789012:policy/...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(
        length(max = 20),
        inner(
            length(max = 2048),
            pattern(r"^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$")
        )
    )]
    pub managed_policy_arns: Vec<String>,

    /// Permission statements, rendered into the role's one inline policy in this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub statements: Vec<Statement>,

    /// Optional confused-deputy protection: conditions the trust policy puts on the calling
    /// service. Accepted only for services that send these keys when they assume a role;
    /// elsewhere they would make every AssumeRole fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<Trust>,

    /// Explicit IAM role name. Defaults to a name derived from the namespace and the
    /// ServiceRole's name. Cannot be added, changed or removed after creation: a rename would
    /// replace the role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64), pattern(r"^[\w+=,.@-]+$"))]
    pub role_name: Option<String>,

    /// What happens to the IAM role when the ServiceRole is deleted: `Delete` (the default)
    /// removes it; `Retain` leaves it in place, tagged as retained.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// One permission statement built from actions and resource ARNs.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[x_kube(validation = prefix_needs_s3_resources())]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    /// Statement id; letters and digits only. Defaults to `Stmt<index>`; statements that
    /// rolesmith splits by resource type get a suffix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100), pattern(r"^[A-Za-z0-9]+$"))]
    pub sid: Option<String>,

    /// `Allow` (the default) or `Deny`.
    #[serde(default)]
    pub effect: Effect,

    /// Actions as `service:Action`, for example `s3:GetObject`. A wildcard inside the name
    /// (`s3:Get*`) is allowed; a bare `*` is not.
    #[schemars(
        length(min = 1, max = 100),
        inner(length(max = 128), pattern(ACTION_PATTERN))
    )]
    pub actions: Vec<String>,

    /// Resource ARNs the actions apply to. `*` means every resource and must be written out.
    /// `${AccountId}` and `${Partition}` are replaced with the controller's account and
    /// partition. With S3 bucket ARNs, rolesmith puts bucket-level actions on the bucket and
    /// object-level actions on its objects.
    #[schemars(length(min = 1, max = 100), inner(length(min = 1, max = 2048)))]
    #[x_kube(validation = Rule::new("self.all(r, r == '*' || r.startsWith('arn:'))")
        .message("each resource is an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE) or '*'"))]
    pub resources: Vec<String>,

    /// Scope S3 access to keys under this prefix, for example `raw/`. Object-level actions go on
    /// `BUCKET/PREFIX*`, and listing actions on the bucket with an `s3:prefix` condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    #[x_kube(validation = Rule::new("!self.startsWith('/')")
        .message("prefix is an S3 key prefix and does not start with '/'"))]
    pub prefix: Option<String>,

    /// An IAM condition block: operator (for example `StringEquals`) to condition key to a value
    /// or list of values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "conditions_schema")]
    pub conditions: Option<BTreeMap<String, BTreeMap<String, serde_json::Value>>>,
}

/// What a statement does with the actions it names.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Effect {
    /// Grant the actions.
    #[default]
    Allow,
    /// Refuse the actions, whatever else grants them.
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// Confused-deputy conditions for the trust policy.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[x_kube(validation = Rule::new("has(self.sourceAccount) || has(self.sourceArns)")
    .message("trust needs sourceAccount, sourceArns or both"))]
#[serde(rename_all = "camelCase")]
pub struct Trust {
    /// Only let the service assume the role on behalf of this account (`aws:SourceAccount`):
    /// 12 digits, or `${AccountId}` for the account rolesmith manages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^([0-9]{12}|\$\{AccountId\})$"))]
    pub source_account: Option<String>,

    /// Only let the service assume the role on behalf of these resources (`aws:SourceArn`,
    /// matched with `ArnLike`, so `*` wildcards work), for example
    /// `arn:aws:states:eu-west-1:${AccountId}:stateMachine:orders-*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20), inner(length(max = 2048), pattern(r"^arn:")))]
    pub source_arns: Vec<String>,
}

/// What to do with the IAM role when its ServiceRole is deleted.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DeletionPolicy {
    /// Delete the role, its inline policy, attachments and instance profile.
    #[default]
    Delete,
    /// Keep the role in IAM, tagged as retained.
    Retain,
}

/// What the controller last saw and did. Written only by the controller.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRoleStatus {
    /// ARN of the IAM role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,

    /// Name of the IAM role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,

    /// IAM's unique id of the role (`AROA...`); it changes if the role is ever recreated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,

    /// ARN of the instance profile holding the role, for `ec2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_profile_arn: Option<String>,

    /// ARN of the permissions boundary applied to the role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary_arn: Option<String>,

    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Lint warnings and suggestions about the spec (`CODE field: message`); they do not stop
    /// the role from being applied. Errors make the ServiceRole Stalled instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,

    /// kstatus conditions: `Ready` is always present; `Reconciling` and `Stalled` only while
    /// true.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
}

/// `service:Action`: a service prefix, a colon, and an action name that may hold `*` or `?`.
pub const ACTION_PATTERN: &str = r"^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+$";

fn service_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "enum": catalog::service_names(),
    })
}

// The apiserver needs a structural schema; IAM condition values may be a string, a number, a
// boolean or a list of them, which only `x-kubernetes-preserve-unknown-fields` can express. The
// renderer checks their types and names the field on a bad one.
fn conditions_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "maxProperties": 20,
        "additionalProperties": {
            "type": "object",
            "maxProperties": 20,
            "additionalProperties": {"x-kubernetes-preserve-unknown-fields": true}
        }
    })
}

fn cel_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("'{item}'")).collect();
    format!("[{}]", quoted.join(", "))
}

// Prefix tests, not a regular expression: the apiserver's cost estimate for a regex over up to
// 100 resources of 100 statements exceeds the CRD budget. Bucket versus object ARNs is left to
// the renderer.
fn prefix_needs_s3_resources() -> Rule {
    let prefixes: Vec<String> = crate::policy::arn::PARTITIONS
        .iter()
        .map(|partition| format!("r.startsWith('arn:{partition}:s3:::')"))
        .collect();
    Rule::new(format!(
        "!has(self.prefix) || self.resources.all(r, {})",
        prefixes.join(" || ")
    ))
    .message("prefix needs S3 bucket ARNs (arn:PARTITION:s3:::BUCKET) in resources")
}

fn role_name_is_immutable() -> Rule {
    Rule::new(
        "has(self.roleName) == has(oldSelf.roleName) && \
         (!has(self.roleName) || self.roleName == oldSelf.roleName)",
    )
    .message("roleName cannot be added, changed or removed after creation")
}

// One clause per service with presets; services without presets accept none, and an empty
// list is always fine.
fn presets_belong_to_service() -> Rule {
    let clauses: Vec<String> = SERVICES
        .iter()
        .filter(|service| !service.presets.is_empty())
        .map(|service| {
            format!(
                "(self.service == '{}' && p in {})",
                service.name,
                cel_list(&service.preset_names())
            )
        })
        .collect();
    Rule::new(format!(
        "!has(self.defaultPolicies) || self.defaultPolicies.all(p, {})",
        clauses.join(" || ")
    ))
    .message("defaultPolicies names a preset that this service does not offer")
}

fn trust_keys_are_supported() -> Rule {
    let supporting: Vec<&str> = SERVICES
        .iter()
        .filter(|service| service.supports_confused_deputy_keys())
        .map(|service| service.name)
        .collect();
    let message = format!(
        "trust conditions are only accepted for services that send aws:SourceAccount and \
         aws:SourceArn: {}",
        supporting.join(", ")
    );
    Rule::new(format!(
        "!has(self.trust) || self.service in {}",
        cel_list(&supporting)
    ))
    .message(message.as_str())
}

/// The CRD, with descriptions reflowed: doc comments are wrapped at 100 columns, and
/// `kubectl explain` wraps again, so single line breaks become spaces (blank lines stay).
pub fn crd() -> CustomResourceDefinition {
    let mut value = serde_json::to_value(ServiceRole::crd()).expect("a CRD is JSON");
    reflow_descriptions(&mut value);
    serde_json::from_value(value).expect("reflowing keeps the CRD valid")
}

fn reflow_descriptions(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(object) => {
            for (key, child) in object.iter_mut() {
                match child {
                    serde_json::Value::String(text) if key == "description" => {
                        let paragraphs: Vec<String> = text
                            .split("\n\n")
                            .map(|paragraph| {
                                paragraph.split_whitespace().collect::<Vec<_>>().join(" ")
                            })
                            .collect();
                        *text = paragraphs.join("\n\n");
                    }
                    other => reflow_descriptions(other),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(reflow_descriptions),
        _ => {}
    }
}

/// The CRD as YAML, exactly as committed under `crds/`.
pub fn crd_yaml() -> String {
    serde_yaml_ng::to_string(&crd()).expect("a CRD always serialises to YAML")
}
