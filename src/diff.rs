//! Diff: the desired role against the role IAM has → the plan, the ordered IAM calls that make
//! them the same.
//!
//! Pure: the IAM adapter observes and applies, this module only decides. Policies are compared
//! by meaning ([`crate::policy::normalize`]), so a resync of an unchanged role plans no call.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::policy::normalize::same_policy;
use crate::render::{DesiredRole, TAG_CLUSTER, TAG_NAME, TAG_NAMESPACE, TAG_UID};

/// Tag put on a role that rolesmith leaves in place when its ServiceRole is deleted.
pub const TAG_RETAINED: &str = "rolesmith.dev/retained";

/// An IAM role as observed, with its policies decoded from IAM's URL encoding.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedRole {
    pub role_name: String,
    pub path: String,
    pub arn: String,
    pub role_id: String,
    pub trust_policy: Value,
    pub description: Option<String>,
    pub max_session_duration: i32,
    pub permissions_boundary: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Inline policy name → document.
    pub inline_policies: BTreeMap<String, Value>,
    pub managed_policy_arns: Vec<String>,
    /// The instance profile named like the role, if one exists.
    pub instance_profile: Option<ObservedInstanceProfile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedInstanceProfile {
    pub name: String,
    pub arn: String,
    pub role_names: Vec<String>,
}

/// One IAM write call. The plan is a list of these, in the order they must run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IamCall {
    CreateRole {
        role_name: String,
        path: String,
        trust_policy: String,
        description: String,
        max_session_duration: i32,
        permissions_boundary: Option<String>,
        tags: BTreeMap<String, String>,
    },
    UpdateAssumeRolePolicy {
        role_name: String,
        policy: String,
    },
    PutRolePermissionsBoundary {
        role_name: String,
        arn: String,
    },
    DeleteRolePermissionsBoundary {
        role_name: String,
    },
    /// Description and maximum session together: some IAM implementations reset the one left out.
    UpdateRole {
        role_name: String,
        description: String,
        max_session_duration: i32,
    },
    PutRolePolicy {
        role_name: String,
        policy_name: String,
        document: String,
    },
    DeleteRolePolicy {
        role_name: String,
        policy_name: String,
    },
    AttachRolePolicy {
        role_name: String,
        arn: String,
    },
    DetachRolePolicy {
        role_name: String,
        arn: String,
    },
    TagRole {
        role_name: String,
        tags: BTreeMap<String, String>,
    },
    UntagRole {
        role_name: String,
        keys: Vec<String>,
    },
    CreateInstanceProfile {
        name: String,
        path: String,
        tags: BTreeMap<String, String>,
    },
    AddRoleToInstanceProfile {
        profile: String,
        role_name: String,
    },
    RemoveRoleFromInstanceProfile {
        profile: String,
        role_name: String,
    },
    DeleteInstanceProfile {
        name: String,
    },
    DeleteRole {
        role_name: String,
    },
}

impl IamCall {
    /// The IAM operation name, for logs, events and metrics.
    pub fn operation(&self) -> &'static str {
        match self {
            IamCall::CreateRole { .. } => "CreateRole",
            IamCall::UpdateAssumeRolePolicy { .. } => "UpdateAssumeRolePolicy",
            IamCall::PutRolePermissionsBoundary { .. } => "PutRolePermissionsBoundary",
            IamCall::DeleteRolePermissionsBoundary { .. } => "DeleteRolePermissionsBoundary",
            IamCall::UpdateRole { .. } => "UpdateRole",
            IamCall::PutRolePolicy { .. } => "PutRolePolicy",
            IamCall::DeleteRolePolicy { .. } => "DeleteRolePolicy",
            IamCall::AttachRolePolicy { .. } => "AttachRolePolicy",
            IamCall::DetachRolePolicy { .. } => "DetachRolePolicy",
            IamCall::TagRole { .. } => "TagRole",
            IamCall::UntagRole { .. } => "UntagRole",
            IamCall::CreateInstanceProfile { .. } => "CreateInstanceProfile",
            IamCall::AddRoleToInstanceProfile { .. } => "AddRoleToInstanceProfile",
            IamCall::RemoveRoleFromInstanceProfile { .. } => "RemoveRoleFromInstanceProfile",
            IamCall::DeleteInstanceProfile { .. } => "DeleteInstanceProfile",
            IamCall::DeleteRole { .. } => "DeleteRole",
        }
    }
}

impl fmt::Display for IamCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IamCall::AttachRolePolicy { arn, .. } | IamCall::DetachRolePolicy { arn, .. } => {
                write!(f, "{} {arn}", self.operation())
            }
            IamCall::PutRolePolicy { policy_name, .. }
            | IamCall::DeleteRolePolicy { policy_name, .. } => {
                write!(f, "{} {policy_name}", self.operation())
            }
            IamCall::UntagRole { keys, .. } => write!(f, "UntagRole {}", keys.join(",")),
            other => f.write_str(other.operation()),
        }
    }
}

/// Why a call is in the plan. Drift corrections are logged and become events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The role or its instance profile does not exist yet.
    Create,
    /// The ServiceRole asks for something else than IAM has.
    Update,
    /// Something was changed in IAM outside rolesmith and is put back.
    Drift,
}

/// A planned call and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub call: IamCall,
    pub reason: Reason,
    /// A person-readable line: what differs.
    pub detail: String,
}

/// The ordered IAM calls that make IAM match the desired role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn calls(&self) -> impl Iterator<Item = &IamCall> {
        self.steps.iter().map(|step| &step.call)
    }

    /// Operation names in order, for tests and logs.
    pub fn operations(&self) -> Vec<&'static str> {
        self.calls().map(IamCall::operation).collect()
    }

    pub fn drift(&self) -> impl Iterator<Item = &Step> {
        self.steps
            .iter()
            .filter(|step| step.reason == Reason::Drift)
    }

    fn push(&mut self, call: IamCall, reason: Reason, detail: impl Into<String>) {
        self.steps.push(Step {
            call,
            reason,
            detail: detail.into(),
        });
    }
}

/// The ServiceRole a role belongs to, as its ownership tags name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub cluster: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

/// Who owns an existing role, judged from its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    /// Tagged for this very object.
    Ours,
    /// Tagged for the same cluster, namespace and name, but another UID: an earlier object of
    /// the same name, for example one deleted with `Retain`.
    EarlierIncarnation,
    /// Tagged for another ServiceRole.
    Foreign { owner: String },
    /// No rolesmith tags at all.
    Unmanaged,
}

impl Owner {
    /// Judge an existing role's tags against this owner.
    pub fn judge(&self, tags: &BTreeMap<String, String>) -> Ownership {
        let tag = |key: &str| tags.get(key).map(String::as_str);
        if tag(TAG_CLUSTER).is_none() && tag(TAG_NAMESPACE).is_none() && tag(TAG_NAME).is_none() {
            return Ownership::Unmanaged;
        }
        let same_object = tag(TAG_CLUSTER) == Some(&self.cluster)
            && tag(TAG_NAMESPACE) == Some(&self.namespace)
            && tag(TAG_NAME) == Some(&self.name);
        match (same_object, tag(TAG_UID) == Some(&self.uid)) {
            (true, true) => Ownership::Ours,
            (true, false) => Ownership::EarlierIncarnation,
            (false, _) => Ownership::Foreign {
                owner: format!(
                    "{}/{}/{}",
                    tag(TAG_CLUSTER).unwrap_or("?"),
                    tag(TAG_NAMESPACE).unwrap_or("?"),
                    tag(TAG_NAME).unwrap_or("?")
                ),
            },
        }
    }
}

/// The plan that makes IAM hold `desired`, given what IAM has now (`None`: no such role).
pub fn plan(desired: &DesiredRole, observed: Option<&ObservedRole>) -> Plan {
    let mut plan = Plan::default();
    let name = &desired.role_name;
    let trust_json = desired.trust_policy.to_json();

    let Some(observed) = observed else {
        plan.push(
            IamCall::CreateRole {
                role_name: name.clone(),
                path: desired.path.clone(),
                trust_policy: trust_json,
                description: desired.description.clone(),
                max_session_duration: desired.max_session_duration,
                permissions_boundary: desired.permissions_boundary.clone(),
                tags: desired.tags.clone(),
            },
            Reason::Create,
            "role does not exist",
        );
        if let Some(inline) = &desired.inline_policy {
            plan.push(
                IamCall::PutRolePolicy {
                    role_name: name.clone(),
                    policy_name: inline.name.clone(),
                    document: inline.document.to_json(),
                },
                Reason::Create,
                "inline policy",
            );
        }
        for arn in &desired.managed_policy_arns {
            plan.push(
                IamCall::AttachRolePolicy {
                    role_name: name.clone(),
                    arn: arn.clone(),
                },
                Reason::Create,
                "managed policy",
            );
        }
        plan_instance_profile(desired, None, &mut plan);
        return plan;
    };

    let trust_value = serde_json::to_value(&desired.trust_policy).expect("policy is JSON");
    if !same_policy(&trust_value, &observed.trust_policy) {
        plan.push(
            IamCall::UpdateAssumeRolePolicy {
                role_name: name.clone(),
                policy: trust_json,
            },
            Reason::Drift,
            format!("trust policy differs: IAM has {}", observed.trust_policy),
        );
    }

    match (
        &desired.permissions_boundary,
        &observed.permissions_boundary,
    ) {
        (Some(wanted), Some(found)) if wanted == found => {}
        (Some(wanted), found) => plan.push(
            IamCall::PutRolePermissionsBoundary {
                role_name: name.clone(),
                arn: wanted.clone(),
            },
            Reason::Drift,
            match found {
                Some(found) => format!("boundary is {found}, restoring {wanted}"),
                None => format!("boundary was removed, restoring {wanted}"),
            },
        ),
        (None, Some(found)) => plan.push(
            IamCall::DeleteRolePermissionsBoundary {
                role_name: name.clone(),
            },
            Reason::Update,
            format!("unbounded roles are allowed and no boundary is set; removing {found}"),
        ),
        (None, None) => {}
    }

    let description = observed.description.as_deref().unwrap_or_default();
    if description != desired.description
        || observed.max_session_duration != desired.max_session_duration
    {
        plan.push(
            IamCall::UpdateRole {
                role_name: name.clone(),
                description: desired.description.clone(),
                max_session_duration: desired.max_session_duration,
            },
            Reason::Update,
            "description or maximum session duration differs",
        );
    }

    plan_inline_policies(desired, observed, &mut plan);
    plan_managed_policies(desired, observed, &mut plan);
    plan_tags(desired, observed, &mut plan);
    plan_instance_profile(desired, observed.instance_profile.as_ref(), &mut plan);
    plan
}

fn plan_inline_policies(desired: &DesiredRole, observed: &ObservedRole, plan: &mut Plan) {
    let name = &desired.role_name;
    for (policy_name, document) in &observed.inline_policies {
        let wanted = desired
            .inline_policy
            .as_ref()
            .filter(|inline| &inline.name == policy_name);
        if wanted.is_none() {
            plan.push(
                IamCall::DeleteRolePolicy {
                    role_name: name.clone(),
                    policy_name: policy_name.clone(),
                },
                Reason::Drift,
                format!("inline policy {policy_name} is not rolesmith's: {document}"),
            );
        }
    }
    if let Some(inline) = &desired.inline_policy {
        let wanted = serde_json::to_value(&inline.document).expect("policy is JSON");
        let current = observed.inline_policies.get(&inline.name);
        if current.is_none_or(|current| !same_policy(&wanted, current)) {
            plan.push(
                IamCall::PutRolePolicy {
                    role_name: name.clone(),
                    policy_name: inline.name.clone(),
                    document: inline.document.to_json(),
                },
                Reason::Update,
                match current {
                    Some(_) => "inline policy differs",
                    None => "inline policy missing",
                },
            );
        }
    }
}

fn plan_managed_policies(desired: &DesiredRole, observed: &ObservedRole, plan: &mut Plan) {
    let name = &desired.role_name;
    for arn in &observed.managed_policy_arns {
        if !desired.managed_policy_arns.contains(arn) {
            plan.push(
                IamCall::DetachRolePolicy {
                    role_name: name.clone(),
                    arn: arn.clone(),
                },
                Reason::Drift,
                format!("managed policy {arn} is attached but not asked for"),
            );
        }
    }
    for arn in &desired.managed_policy_arns {
        if !observed.managed_policy_arns.contains(arn) {
            plan.push(
                IamCall::AttachRolePolicy {
                    role_name: name.clone(),
                    arn: arn.clone(),
                },
                Reason::Update,
                format!("managed policy {arn} is not attached"),
            );
        }
    }
}

fn plan_tags(desired: &DesiredRole, observed: &ObservedRole, plan: &mut Plan) {
    let name = &desired.role_name;
    let stale: Vec<String> = observed
        .tags
        .keys()
        .filter(|key| !desired.tags.contains_key(*key))
        .cloned()
        .collect();
    if !stale.is_empty() {
        plan.push(
            IamCall::UntagRole {
                role_name: name.clone(),
                keys: stale.clone(),
            },
            Reason::Update,
            format!("tags not in the spec: {}", stale.join(", ")),
        );
    }
    let changed: BTreeMap<String, String> = desired
        .tags
        .iter()
        .filter(|(key, value)| observed.tags.get(*key) != Some(*value))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    if !changed.is_empty() {
        let keys: Vec<&str> = changed.keys().map(String::as_str).collect();
        let detail = format!("tags to set: {}", keys.join(", "));
        plan.push(
            IamCall::TagRole {
                role_name: name.clone(),
                tags: changed,
            },
            Reason::Update,
            detail,
        );
    }
}

fn plan_instance_profile(
    desired: &DesiredRole,
    observed: Option<&ObservedInstanceProfile>,
    plan: &mut Plan,
) {
    let name = &desired.role_name;
    if !desired.instance_profile {
        if let Some(profile) = observed.filter(|p| p.role_names.contains(name)) {
            plan.push(
                IamCall::RemoveRoleFromInstanceProfile {
                    profile: profile.name.clone(),
                    role_name: name.clone(),
                },
                Reason::Update,
                "the service needs no instance profile",
            );
            if profile.role_names.len() == 1 {
                plan.push(
                    IamCall::DeleteInstanceProfile {
                        name: profile.name.clone(),
                    },
                    Reason::Update,
                    "the service needs no instance profile",
                );
            }
        }
        return;
    }
    match observed {
        None => {
            plan.push(
                IamCall::CreateInstanceProfile {
                    name: name.clone(),
                    path: desired.path.clone(),
                    tags: desired.tags.clone(),
                },
                Reason::Create,
                "instance profile does not exist",
            );
            plan.push(
                IamCall::AddRoleToInstanceProfile {
                    profile: name.clone(),
                    role_name: name.clone(),
                },
                Reason::Create,
                "role not in its instance profile",
            );
        }
        Some(profile) => {
            for other in profile.role_names.iter().filter(|role| *role != name) {
                plan.push(
                    IamCall::RemoveRoleFromInstanceProfile {
                        profile: profile.name.clone(),
                        role_name: other.clone(),
                    },
                    Reason::Drift,
                    format!("role {other} was put in this role's instance profile"),
                );
            }
            if !profile.role_names.contains(name) {
                plan.push(
                    IamCall::AddRoleToInstanceProfile {
                        profile: profile.name.clone(),
                        role_name: name.clone(),
                    },
                    Reason::Drift,
                    "role is missing from its instance profile",
                );
            }
        }
    }
}

/// The plan that removes a role and everything IAM requires gone first.
pub fn plan_delete(observed: &ObservedRole) -> Plan {
    let mut plan = Plan::default();
    let name = &observed.role_name;
    if let Some(profile) = &observed.instance_profile {
        if profile.role_names.contains(name) {
            plan.push(
                IamCall::RemoveRoleFromInstanceProfile {
                    profile: profile.name.clone(),
                    role_name: name.clone(),
                },
                Reason::Update,
                "deleting",
            );
        }
        if profile.role_names.iter().all(|role| role == name) {
            plan.push(
                IamCall::DeleteInstanceProfile {
                    name: profile.name.clone(),
                },
                Reason::Update,
                "deleting",
            );
        }
    }
    for policy_name in observed.inline_policies.keys() {
        plan.push(
            IamCall::DeleteRolePolicy {
                role_name: name.clone(),
                policy_name: policy_name.clone(),
            },
            Reason::Update,
            "deleting",
        );
    }
    for arn in &observed.managed_policy_arns {
        plan.push(
            IamCall::DetachRolePolicy {
                role_name: name.clone(),
                arn: arn.clone(),
            },
            Reason::Update,
            "deleting",
        );
    }
    plan.push(
        IamCall::DeleteRole {
            role_name: name.clone(),
        },
        Reason::Update,
        "deleting",
    );
    plan
}

/// The plan that leaves a role in place, marked as no longer managed.
pub fn plan_retain(observed: &ObservedRole) -> Plan {
    let mut plan = Plan::default();
    if observed.tags.get(TAG_RETAINED).map(String::as_str) != Some("true") {
        plan.push(
            IamCall::TagRole {
                role_name: observed.role_name.clone(),
                tags: BTreeMap::from([(TAG_RETAINED.to_string(), "true".to_string())]),
            },
            Reason::Update,
            "retained",
        );
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicyDocument, PolicyStatement};
    use crate::render::InlinePolicy;
    use serde_json::json;

    fn desired() -> DesiredRole {
        DesiredRole {
            role_name: "apps.fn".into(),
            path: "/rolesmith/apps/".into(),
            trust_policy: PolicyDocument::new(vec![PolicyStatement {
                sid: None,
                effect: "Allow".into(),
                principal: Some(BTreeMap::from([(
                    "Service".into(),
                    "lambda.amazonaws.com".into(),
                )])),
                actions: vec!["sts:AssumeRole".into()],
                resources: vec![],
                conditions: BTreeMap::new(),
            }]),
            inline_policy: Some(InlinePolicy {
                name: "rolesmith".into(),
                document: PolicyDocument::new(vec![PolicyStatement {
                    sid: Some("Read".into()),
                    effect: "Allow".into(),
                    principal: None,
                    actions: vec!["s3:GetObject".into(), "s3:PutObject".into()],
                    resources: vec!["arn:aws:s3:::b/*".into()],
                    conditions: BTreeMap::new(),
                }]),
            }),
            managed_policy_arns: vec!["arn:aws:iam::aws:policy/A".into()],
            permissions_boundary: Some("arn:aws:iam::123456789012:policy/boundary".into()),
            max_session_duration: 3600,
            description: "d".into(),
            tags: BTreeMap::from([
                (TAG_CLUSTER.into(), "c".into()),
                (TAG_NAMESPACE.into(), "apps".into()),
                (TAG_NAME.into(), "fn".into()),
                (TAG_UID.into(), "u1".into()),
            ]),
            instance_profile: false,
        }
    }

    /// What IAM hands back for `desired()`, in IAM's own shapes and orders.
    fn observed() -> ObservedRole {
        let desired = desired();
        ObservedRole {
            role_name: desired.role_name.clone(),
            path: desired.path.clone(),
            arn: "arn:aws:iam::123456789012:role/rolesmith/apps/apps.fn".into(),
            role_id: "AROAEXAMPLE".into(),
            trust_policy: json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}}),
            description: Some("d".into()),
            max_session_duration: 3600,
            permissions_boundary: desired.permissions_boundary.clone(),
            tags: desired.tags.clone(),
            inline_policies: BTreeMap::from([(
                "rolesmith".into(),
                json!({"Version": "2012-10-17", "Statement": [{"Resource": "arn:aws:s3:::b/*",
                    "Action": ["s3:PutObject", "s3:GetObject"], "Effect": "Allow", "Sid": "Read"}]}),
            )]),
            managed_policy_arns: desired.managed_policy_arns.clone(),
            instance_profile: None,
        }
    }

    #[test]
    fn a_role_in_sync_plans_nothing() {
        assert_eq!(
            plan(&desired(), Some(&observed())).operations(),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn a_missing_role_is_created_then_given_its_policies() {
        let mut wanted = desired();
        wanted
            .managed_policy_arns
            .push("arn:aws:iam::aws:policy/B".into());
        assert_eq!(
            plan(&wanted, None).operations(),
            [
                "CreateRole",
                "PutRolePolicy",
                "AttachRolePolicy",
                "AttachRolePolicy"
            ]
        );
        wanted.instance_profile = true;
        assert_eq!(
            plan(&wanted, None).operations()[4..],
            ["CreateInstanceProfile", "AddRoleToInstanceProfile"]
        );
    }

    #[test]
    fn each_changed_part_plans_only_its_own_call() {
        let mut wanted = desired();
        wanted.description = "new".into();
        assert_eq!(
            plan(&wanted, Some(&observed())).operations(),
            ["UpdateRole"]
        );

        let mut wanted = desired();
        wanted.max_session_duration = 7200;
        assert_eq!(
            plan(&wanted, Some(&observed())).operations(),
            ["UpdateRole"]
        );

        let mut wanted = desired();
        wanted.inline_policy.as_mut().unwrap().document.statements[0]
            .actions
            .pop();
        assert_eq!(
            plan(&wanted, Some(&observed())).operations(),
            ["PutRolePolicy"]
        );

        let mut wanted = desired();
        wanted.inline_policy = None;
        assert_eq!(
            plan(&wanted, Some(&observed())).operations(),
            ["DeleteRolePolicy"]
        );

        let mut wanted = desired();
        wanted.managed_policy_arns = vec!["arn:aws:iam::aws:policy/B".into()];
        assert_eq!(
            plan(&wanted, Some(&observed())).operations(),
            ["DetachRolePolicy", "AttachRolePolicy"]
        );

        let mut wanted = desired();
        wanted.tags.insert("team".into(), "data".into());
        let tagged = plan(&wanted, Some(&observed()));
        assert_eq!(tagged.operations(), ["TagRole"]);
        assert!(matches!(&tagged.steps[0].call, IamCall::TagRole { tags, .. } if tags.len() == 1));

        let mut wanted = desired();
        wanted.permissions_boundary = Some("arn:aws:iam::123456789012:policy/other".into());
        assert_eq!(
            plan(&wanted, Some(&observed())).operations(),
            ["PutRolePermissionsBoundary"]
        );
    }

    #[test]
    fn drift_is_reverted_and_labelled() {
        let mut drifted = observed();
        drifted.trust_policy["Statement"]["Principal"]["Service"] =
            json!(["lambda.amazonaws.com", "ec2.amazonaws.com"]);
        drifted.permissions_boundary = None;
        drifted
            .inline_policies
            .insert("added-by-hand".into(), json!({"Statement": []}));
        drifted
            .managed_policy_arns
            .push("arn:aws:iam::aws:policy/AdministratorAccess".into());
        drifted.tags.insert("extra".into(), "x".into());
        let plan = plan(&desired(), Some(&drifted));
        assert_eq!(
            plan.operations(),
            [
                "UpdateAssumeRolePolicy",
                "PutRolePermissionsBoundary",
                "DeleteRolePolicy",
                "DetachRolePolicy",
                "UntagRole"
            ]
        );
        assert_eq!(plan.drift().count(), 4);
    }

    #[test]
    fn instance_profiles_are_created_repaired_and_removed() {
        let mut wanted = desired();
        wanted.instance_profile = true;
        let mut found = observed();
        found.instance_profile = Some(ObservedInstanceProfile {
            name: "apps.fn".into(),
            arn: "arn:aws:iam::123456789012:instance-profile/apps.fn".into(),
            role_names: vec!["intruder".into()],
        });
        assert_eq!(
            plan(&wanted, Some(&found)).operations(),
            ["RemoveRoleFromInstanceProfile", "AddRoleToInstanceProfile"]
        );
        found.instance_profile.as_mut().unwrap().role_names = vec!["apps.fn".into()];
        assert!(plan(&wanted, Some(&found)).is_empty());
        assert_eq!(
            plan(&desired(), Some(&found)).operations(),
            ["RemoveRoleFromInstanceProfile", "DeleteInstanceProfile"]
        );
    }

    #[test]
    fn delete_empties_the_role_before_deleting_it() {
        let mut found = observed();
        found.instance_profile = Some(ObservedInstanceProfile {
            name: "apps.fn".into(),
            arn: "arn".into(),
            role_names: vec!["apps.fn".into()],
        });
        assert_eq!(
            plan_delete(&found).operations(),
            [
                "RemoveRoleFromInstanceProfile",
                "DeleteInstanceProfile",
                "DeleteRolePolicy",
                "DetachRolePolicy",
                "DeleteRole"
            ]
        );
        assert_eq!(plan_retain(&found).operations(), ["TagRole"]);
        found.tags.insert(TAG_RETAINED.into(), "true".into());
        assert!(plan_retain(&found).is_empty());
    }

    #[test]
    fn ownership_is_judged_from_all_four_tags() {
        let owner = Owner {
            cluster: "c".into(),
            namespace: "apps".into(),
            name: "fn".into(),
            uid: "u1".into(),
        };
        let tags = desired().tags;
        assert_eq!(owner.judge(&tags), Ownership::Ours);
        let mut earlier = tags.clone();
        earlier.insert(TAG_UID.into(), "u0".into());
        assert_eq!(owner.judge(&earlier), Ownership::EarlierIncarnation);
        let mut foreign = tags.clone();
        foreign.insert(TAG_NAMESPACE.into(), "other".into());
        assert_eq!(
            owner.judge(&foreign),
            Ownership::Foreign {
                owner: "c/other/fn".into()
            }
        );
        assert_eq!(owner.judge(&BTreeMap::new()), Ownership::Unmanaged);
    }
}
