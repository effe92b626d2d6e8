//! The IAM adapter: the only module that calls AWS.
//!
//! It observes a role completely and applies a plan, call by call. It counts every call it
//! makes, so tests can show that a resync of an unchanged role writes nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

use aws_sdk_iam::Client;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::Tag;
use serde_json::Value;
use tracing::{debug, info};

use crate::diff::{IamCall, ObservedInstanceProfile, ObservedRole, Plan};

/// How a failed call should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The entity does not exist.
    NotFound,
    /// The entity exists already.
    AlreadyExists,
    /// Worth retrying: throttling, 5xx, timeouts, IAM's eventual consistency.
    Transient,
    /// Retrying the same request cannot help: invalid input, limits, permissions.
    Terminal,
}

/// A failed IAM call, with the operation and IAM's own error code.
#[derive(Debug, Clone, thiserror::Error)]
pub struct IamError {
    pub operation: &'static str,
    pub kind: ErrorKind,
    pub code: Option<String>,
    pub message: String,
}

impl fmt::Display for IamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "IAM {} failed: {code}: {}", self.operation, self.message),
            None => write!(f, "IAM {} failed: {}", self.operation, self.message),
        }
    }
}

/// Error codes IAM uses for conditions that pass on their own.
const TRANSIENT_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "ServiceFailure",
    "ServiceUnavailable",
    "InternalFailure",
    "ConcurrentModification",
    "RequestTimeout",
];

fn classify<E>(operation: &'static str, error: SdkError<E>) -> IamError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = error
        .raw_response()
        .map(|response| response.status().as_u16());
    let code = error.code().map(str::to_string);
    let message = match error.message() {
        Some(message) => message.to_string(),
        None => aws_smithy_error_text(&error),
    };
    let kind = match (&error, code.as_deref()) {
        (_, Some("NoSuchEntity")) => ErrorKind::NotFound,
        (_, Some("EntityAlreadyExists")) => ErrorKind::AlreadyExists,
        (_, Some(code)) if TRANSIENT_CODES.contains(&code) => ErrorKind::Transient,
        (SdkError::ServiceError(_), _) if status.is_some_and(|s| s >= 500 || s == 429) => {
            ErrorKind::Transient
        }
        (SdkError::ServiceError(_), _) => ErrorKind::Terminal,
        // Timeouts, connection failures and unreadable responses.
        _ => ErrorKind::Transient,
    };
    IamError {
        operation,
        kind,
        code,
        message,
    }
}

fn aws_smithy_error_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// IAM returns policy documents URL-encoded.
fn decode_policy(operation: &'static str, encoded: &str) -> Result<Value, IamError> {
    let decoded = percent_encoding::percent_decode_str(encoded).decode_utf8_lossy();
    serde_json::from_str(&decoded).map_err(|error| IamError {
        operation,
        kind: ErrorKind::Terminal,
        code: None,
        message: format!("IAM returned a policy that is not JSON: {error}"),
    })
}

fn tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .expect("key and value are set")
        })
        .collect()
}

/// The IAM client, with a record of the calls made through it.
pub struct Iam {
    client: Client,
    sts: aws_sdk_sts::Client,
    calls: Mutex<Vec<(&'static str, bool)>>,
}

impl Iam {
    /// A client configured the standard AWS way (environment, profile, IRSA, Pod Identity);
    /// `AWS_ENDPOINT_URL_IAM` and `AWS_ENDPOINT_URL_STS` redirect it. IAM is global, so a
    /// missing region defaults to us-east-1.
    pub async fn from_environment() -> Iam {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(
                aws_config::meta::region::RegionProviderChain::default_provider()
                    .or_else("us-east-1"),
            )
            .load()
            .await;
        Iam::new(&config)
    }

    /// A client from an explicit SDK configuration.
    pub fn new(config: &aws_config::SdkConfig) -> Iam {
        Iam {
            client: Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
            calls: Mutex::new(Vec::new()),
        }
    }

    fn record(&self, operation: &'static str, write: bool) {
        self.calls
            .lock()
            .expect("call log lock")
            .push((operation, write));
    }

    /// How many write calls this client has made.
    pub fn write_count(&self) -> usize {
        self.calls
            .lock()
            .expect("call log lock")
            .iter()
            .filter(|(_, write)| *write)
            .count()
    }

    /// How many calls, reads and writes, this client has made.
    pub fn call_count(&self) -> usize {
        self.calls.lock().expect("call log lock").len()
    }

    /// Every write operation made so far, in order.
    pub fn writes(&self) -> Vec<&'static str> {
        let calls = self.calls.lock().expect("call log lock");
        calls
            .iter()
            .filter(|(_, write)| *write)
            .map(|(operation, _)| *operation)
            .collect()
    }

    /// The account the credentials belong to.
    pub async fn account_id(&self) -> Result<String, IamError> {
        self.record("GetCallerIdentity", false);
        let identity = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|error| classify("GetCallerIdentity", error))?;
        identity
            .account()
            .map(str::to_string)
            .ok_or_else(|| IamError {
                operation: "GetCallerIdentity",
                kind: ErrorKind::Terminal,
                code: None,
                message: "STS returned no account id".to_string(),
            })
    }

    /// Everything about a role that rolesmith manages, or `None` when it does not exist.
    pub async fn observe(&self, role_name: &str) -> Result<Option<ObservedRole>, IamError> {
        self.record("GetRole", false);
        let role = match self.client.get_role().role_name(role_name).send().await {
            Ok(output) => output.role.ok_or_else(|| IamError {
                operation: "GetRole",
                kind: ErrorKind::Transient,
                code: None,
                message: "IAM returned no role".to_string(),
            })?,
            Err(error) => {
                let error = classify("GetRole", error);
                return match error.kind {
                    ErrorKind::NotFound => Ok(None),
                    _ => Err(error),
                };
            }
        };
        let trust_policy = decode_policy(
            "GetRole",
            role.assume_role_policy_document().unwrap_or("{}"),
        )?;

        self.record("ListRoleTags", false);
        let tag_list: Vec<Tag> = self
            .client
            .list_role_tags()
            .role_name(role_name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| classify("ListRoleTags", error))?;
        let tags = tag_list
            .into_iter()
            .map(|tag| (tag.key, tag.value))
            .collect();

        self.record("ListRolePolicies", false);
        let policy_names: Vec<String> = self
            .client
            .list_role_policies()
            .role_name(role_name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| classify("ListRolePolicies", error))?;
        let mut inline_policies = BTreeMap::new();
        for policy_name in policy_names {
            self.record("GetRolePolicy", false);
            let output = self
                .client
                .get_role_policy()
                .role_name(role_name)
                .policy_name(&policy_name)
                .send()
                .await
                .map_err(|error| classify("GetRolePolicy", error))?;
            let document = decode_policy("GetRolePolicy", &output.policy_document)?;
            inline_policies.insert(policy_name, document);
        }

        self.record("ListAttachedRolePolicies", false);
        let attached: Vec<_> = self
            .client
            .list_attached_role_policies()
            .role_name(role_name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| classify("ListAttachedRolePolicies", error))?;
        let mut managed_policy_arns: Vec<String> = attached
            .into_iter()
            .filter_map(|policy| policy.policy_arn)
            .collect();
        managed_policy_arns.sort();

        Ok(Some(ObservedRole {
            role_name: role.role_name.clone(),
            path: role.path.clone(),
            arn: role.arn.clone(),
            role_id: role.role_id.clone(),
            trust_policy,
            description: role.description.clone().filter(|d| !d.is_empty()),
            max_session_duration: role.max_session_duration.unwrap_or(3600),
            permissions_boundary: role
                .permissions_boundary
                .and_then(|boundary| boundary.permissions_boundary_arn),
            tags,
            inline_policies,
            managed_policy_arns,
            instance_profile: self.observe_instance_profile(role_name).await?,
        }))
    }

    async fn observe_instance_profile(
        &self,
        name: &str,
    ) -> Result<Option<ObservedInstanceProfile>, IamError> {
        self.record("GetInstanceProfile", false);
        match self
            .client
            .get_instance_profile()
            .instance_profile_name(name)
            .send()
            .await
        {
            Ok(output) => Ok(output
                .instance_profile
                .map(|profile| ObservedInstanceProfile {
                    name: profile.instance_profile_name,
                    arn: profile.arn,
                    role_names: profile
                        .roles
                        .into_iter()
                        .map(|role| role.role_name)
                        .collect(),
                })),
            Err(error) => {
                let error = classify("GetInstanceProfile", error);
                match error.kind {
                    ErrorKind::NotFound => Ok(None),
                    _ => Err(error),
                }
            }
        }
    }

    /// Make every call of the plan in order, stopping at the first failure. Removing something
    /// that is already gone counts as done, so a plan can be repeated after a crash.
    pub async fn apply(&self, plan: &Plan) -> Result<(), IamError> {
        for step in &plan.steps {
            let operation = step.call.operation();
            self.record(operation, true);
            debug!(operation, detail = %step.detail, "IAM call");
            match self.call(&step.call).await {
                Ok(()) => {}
                Err(error) if error.kind == ErrorKind::NotFound && is_removal(&step.call) => {
                    info!(operation, "already gone");
                }
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    async fn call(&self, call: &IamCall) -> Result<(), IamError> {
        let client = &self.client;
        let operation = call.operation();
        match call {
            IamCall::CreateRole {
                role_name,
                path,
                trust_policy,
                description,
                max_session_duration,
                permissions_boundary,
                tags: role_tags,
            } => {
                client
                    .create_role()
                    .role_name(role_name)
                    .path(path)
                    .assume_role_policy_document(trust_policy)
                    .description(description)
                    .max_session_duration(*max_session_duration)
                    .set_permissions_boundary(permissions_boundary.clone())
                    .set_tags(Some(tags(role_tags)))
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::UpdateAssumeRolePolicy { role_name, policy } => {
                client
                    .update_assume_role_policy()
                    .role_name(role_name)
                    .policy_document(policy)
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::PutRolePermissionsBoundary { role_name, arn } => {
                client
                    .put_role_permissions_boundary()
                    .role_name(role_name)
                    .permissions_boundary(arn)
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::DeleteRolePermissionsBoundary { role_name } => {
                client
                    .delete_role_permissions_boundary()
                    .role_name(role_name)
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::UpdateRole {
                role_name,
                description,
                max_session_duration,
            } => {
                client
                    .update_role()
                    .role_name(role_name)
                    .description(description)
                    .max_session_duration(*max_session_duration)
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::PutRolePolicy {
                role_name,
                policy_name,
                document,
            } => {
                client
                    .put_role_policy()
                    .role_name(role_name)
                    .policy_name(policy_name)
                    .policy_document(document)
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::DeleteRolePolicy {
                role_name,
                policy_name,
            } => {
                client
                    .delete_role_policy()
                    .role_name(role_name)
                    .policy_name(policy_name)
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::AttachRolePolicy { role_name, arn } => {
                client
                    .attach_role_policy()
                    .role_name(role_name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::DetachRolePolicy { role_name, arn } => {
                client
                    .detach_role_policy()
                    .role_name(role_name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::TagRole {
                role_name,
                tags: role_tags,
            } => {
                client
                    .tag_role()
                    .role_name(role_name)
                    .set_tags(Some(tags(role_tags)))
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::UntagRole { role_name, keys } => {
                client
                    .untag_role()
                    .role_name(role_name)
                    .set_tag_keys(Some(keys.clone()))
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::CreateInstanceProfile {
                name,
                path,
                tags: profile_tags,
            } => {
                client
                    .create_instance_profile()
                    .instance_profile_name(name)
                    .path(path)
                    .set_tags(Some(tags(profile_tags)))
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::AddRoleToInstanceProfile { profile, role_name } => {
                client
                    .add_role_to_instance_profile()
                    .instance_profile_name(profile)
                    .role_name(role_name)
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::RemoveRoleFromInstanceProfile { profile, role_name } => {
                client
                    .remove_role_from_instance_profile()
                    .instance_profile_name(profile)
                    .role_name(role_name)
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::DeleteInstanceProfile { name } => {
                client
                    .delete_instance_profile()
                    .instance_profile_name(name)
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
            IamCall::DeleteRole { role_name } => {
                client
                    .delete_role()
                    .role_name(role_name)
                    .send()
                    .await
                    .map_err(|error| classify(operation, error))?;
            }
        }
        Ok(())
    }
}

/// Calls whose goal is that something is gone: "not found" means the goal is met.
fn is_removal(call: &IamCall) -> bool {
    matches!(
        call,
        IamCall::DeleteRolePermissionsBoundary { .. }
            | IamCall::DeleteRolePolicy { .. }
            | IamCall::DetachRolePolicy { .. }
            | IamCall::UntagRole { .. }
            | IamCall::RemoveRoleFromInstanceProfile { .. }
            | IamCall::DeleteInstanceProfile { .. }
            | IamCall::DeleteRole { .. }
    )
}
