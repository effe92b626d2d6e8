//! Render: a `ServiceRole` plus the controller's settings → the desired IAM role.
//!
//! Everything IAM would refuse, and everything that would silently grant nothing, is caught
//! here, before any AWS call, and reported as a list of problems that each name the field.
//! The controller and `rolesmith render` call the same [`render`].

mod naming;
mod statements;
mod trust;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::api::{MAX_USER_TAGS, RESERVED_TAG_PREFIX, ServiceRole};
use crate::catalog;
use crate::policy::PolicyDocument;
use crate::policy::arn::{Arn, PARTITIONS};

pub use naming::{default_role_name, role_path, validate_path, validate_role_name};

/// Name of the one inline policy rolesmith puts on a role.
pub const INLINE_POLICY_NAME: &str = "rolesmith";

/// Ownership tags: which cluster and object a role belongs to.
pub const TAG_CLUSTER: &str = "rolesmith.dev/cluster";
pub const TAG_NAMESPACE: &str = "rolesmith.dev/namespace";
pub const TAG_NAME: &str = "rolesmith.dev/name";
pub const TAG_UID: &str = "rolesmith.dev/uid";

/// The default and bounds of a role's maximum session, in seconds.
pub const DEFAULT_MAX_SESSION: i32 = 3600;
const MAX_SESSION_RANGE: std::ops::RangeInclusive<i32> = 3600..=43200;

/// IAM quotas that an account can raise, so they are settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Trust policy size, in characters other than white space (IAM default 2,048).
    pub trust_policy_size: usize,
    /// Inline policy size per role, in characters other than white space (IAM: 10,240).
    pub inline_policy_size: usize,
    /// Managed policies attached to one role (IAM default 10).
    pub managed_policies: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            trust_policy_size: 2048,
            inline_policy_size: 10240,
            managed_policies: 10,
        }
    }
}

/// What the renderer needs to know about the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The AWS account the roles live in; needed only where `${AccountId}` is used.
    pub account_id: Option<String>,
    /// AWS partition: `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: String,
    /// Name of this cluster, written into every role's ownership tags.
    pub cluster_name: String,
    /// Permissions boundary policy ARN; `${AccountId}` and `${Partition}` are substituted.
    pub permissions_boundary: Option<String>,
    /// Allow roles without a boundary (only when no boundary is given).
    pub allow_unbounded_roles: bool,
    /// Path prefix of every role; the namespace and a `/` follow it.
    pub role_path_prefix: String,
    /// Prefix of default role names (not of explicit `roleName`s), so that clusters sharing
    /// an account do not want the same names.
    pub role_name_prefix: String,
    pub limits: Limits,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            account_id: None,
            partition: "aws".to_string(),
            cluster_name: "default".to_string(),
            permissions_boundary: None,
            allow_unbounded_roles: false,
            role_path_prefix: "/rolesmith/".to_string(),
            role_name_prefix: String::new(),
            limits: Limits::default(),
        }
    }
}

/// Settings that cannot be used; each message names the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid settings:\n  {}", .0.join("\n  "))]
pub struct SettingsError(pub Vec<String>);

impl Settings {
    /// Replace `${AccountId}` and `${Partition}` in a template.
    pub fn substitute(&self, template: &str) -> Result<String, String> {
        let mut text = template.replace("${Partition}", &self.partition);
        if text.contains("${AccountId}") {
            let Some(account) = &self.account_id else {
                return Err(format!(
                    "'{template}' uses ${{AccountId}}, but no account id is known (set \
                     --account-id or ROLESMITH_ACCOUNT_ID)"
                ));
            };
            text = text.replace("${AccountId}", account);
        }
        Ok(text)
    }

    /// The boundary ARN with its variables substituted.
    pub fn boundary_arn(&self) -> Result<Option<String>, String> {
        self.permissions_boundary
            .as_deref()
            .map(|template| self.substitute(template))
            .transpose()
    }

    /// Check every setting, so that a controller refuses to start and a render refuses to run
    /// with settings that would produce unusable roles.
    pub fn check(&self) -> Result<(), SettingsError> {
        let mut errors = Vec::new();
        if !PARTITIONS.contains(&self.partition.as_str()) {
            errors.push(format!(
                "--partition: '{}' is not an AWS partition ({})",
                self.partition,
                PARTITIONS.join(", ")
            ));
        }
        if let Some(account) = &self.account_id
            && !(account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()))
        {
            errors.push(format!(
                "--account-id: '{account}' is not a 12-digit account id"
            ));
        }
        if self.cluster_name.is_empty()
            || self.cluster_name.len() > 256
            || !self.cluster_name.chars().all(is_tag_char)
        {
            errors.push(format!(
                "--cluster-name: '{}' must be 1-256 letters, digits, spaces or _.:/=+-@ (it \
                 becomes a tag value)",
                self.cluster_name
            ));
        }
        if let Err(message) = validate_path(&self.role_path_prefix) {
            errors.push(format!("--role-path-prefix: {message}"));
        }
        if self.role_name_prefix.len() > 32
            || (!self.role_name_prefix.is_empty()
                && validate_role_name(&self.role_name_prefix).is_err())
        {
            errors.push(format!(
                "--role-name-prefix: '{}' must be at most 32 letters, digits and +=,.@_-",
                self.role_name_prefix
            ));
        }
        match self.boundary_arn() {
            Err(message) => errors.push(format!("--permissions-boundary: {message}")),
            Ok(None) if !self.allow_unbounded_roles => errors.push(
                "--permissions-boundary: every role gets a permissions boundary; give its ARN, \
                 or pass --allow-unbounded-roles to create roles without one"
                    .to_string(),
            ),
            Ok(None) => {}
            Ok(Some(arn)) => {
                if let Err(message) = check_policy_arn(&arn, &self.partition) {
                    errors.push(format!("--permissions-boundary: {message}"));
                }
            }
        }
        for (flag, value) in [
            ("--max-trust-policy-size", self.limits.trust_policy_size),
            ("--max-inline-policy-size", self.limits.inline_policy_size),
            ("--max-managed-policies", self.limits.managed_policies),
        ] {
            if value == 0 {
                errors.push(format!("{flag}: must be greater than zero"));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(SettingsError(errors))
        }
    }
}

/// The role a ServiceRole asks for, ready to compare with IAM. Serialised as the output of
/// `rolesmith render`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DesiredRole {
    pub role_name: String,
    pub path: String,
    pub trust_policy: PolicyDocument,
    pub inline_policy: Option<InlinePolicy>,
    pub managed_policy_arns: Vec<String>,
    pub permissions_boundary: Option<String>,
    pub max_session_duration: i32,
    pub description: String,
    pub tags: BTreeMap<String, String>,
    pub instance_profile: bool,
}

/// The role's one inline policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InlinePolicy {
    pub name: String,
    pub document: PolicyDocument,
}

/// One thing wrong with a ServiceRole: the field path (`spec.statements[0].actions[1]`) and
/// what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Everything wrong with a ServiceRole, in the order found.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.iter().map(Problem::to_string).collect::<Vec<_>>().join("; "))]
pub struct Problems {
    pub problems: Vec<Problem>,
}

impl Problems {
    pub fn push(&mut self, field: impl Into<String>, message: String) {
        self.problems.push(Problem {
            field: field.into(),
            message,
        });
    }

    pub fn len(&self) -> usize {
        self.problems.len()
    }

    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Render a ServiceRole into the role it asks for, or every problem that prevents it.
///
/// `settings` should have passed [`Settings::check`]; a boundary that cannot be resolved is
/// reported as a problem rather than trusted.
pub fn render(role: &ServiceRole, settings: &Settings) -> Result<DesiredRole, Problems> {
    let mut problems = Problems::default();
    let spec = &role.spec;
    let name = role.metadata.name.clone().unwrap_or_default();
    let namespace = role.metadata.namespace.clone().unwrap_or_default();
    if name.is_empty() {
        problems.push("metadata.name", "is required".to_string());
    }
    if namespace.is_empty() {
        problems.push("metadata.namespace", "is required".to_string());
    }

    let service = catalog::service(&spec.service);
    if service.is_none() {
        let names = catalog::service_names();
        let hint = catalog::closest(&spec.service, &names)
            .map(|name| format!("did you mean '{name}'? "))
            .unwrap_or_default();
        problems.push(
            "spec.service",
            format!(
                "unknown service '{}'; {hint}valid services: {}",
                spec.service,
                names.join(", ")
            ),
        );
    }

    let role_name = match &spec.role_name {
        Some(explicit) => {
            if let Err(message) = validate_role_name(explicit) {
                problems.push("spec.roleName", message);
            }
            explicit.clone()
        }
        None => default_role_name(&settings.role_name_prefix, &namespace, &name),
    };
    let path = role_path(&settings.role_path_prefix, &namespace);
    if let Err(message) = validate_path(&path) {
        problems.push("metadata.namespace", format!("gives role path {message}"));
    }

    let trust_policy = service
        .map(|service| {
            trust::build_trust_policy(service, spec.trust.as_ref(), settings, &mut problems)
        })
        .unwrap_or_else(|| PolicyDocument::new(Vec::new()));
    let managed_policy_arns = managed_policies(role, service, settings, &mut problems);
    let statements = statements::build_statements(&spec.statements, settings, &mut problems);
    let inline_policy = (!statements.is_empty()).then(|| InlinePolicy {
        name: INLINE_POLICY_NAME.to_string(),
        document: PolicyDocument::new(statements),
    });

    let max_session_duration = spec.max_session_duration.unwrap_or(DEFAULT_MAX_SESSION);
    if !MAX_SESSION_RANGE.contains(&max_session_duration) {
        problems.push(
            "spec.maxSessionDuration",
            format!("{max_session_duration} is outside 3600-43200 seconds (1 to 12 hours)"),
        );
    }
    let description = spec.description.clone().unwrap_or_else(|| {
        format!(
            "Managed by rolesmith for ServiceRole {namespace}/{name} in cluster {}",
            settings.cluster_name
        )
    });
    check_description(&description, &mut problems);
    let tags = tags(role, settings, &mut problems);

    let permissions_boundary = match settings.boundary_arn() {
        Ok(arn) => arn,
        Err(message) => {
            problems.push("settings.permissionsBoundary", message);
            None
        }
    };
    if permissions_boundary.is_none() && !settings.allow_unbounded_roles {
        problems.push(
            "settings.permissionsBoundary",
            "no permissions boundary is configured and unbounded roles are not allowed".to_string(),
        );
    }

    check_sizes(
        &trust_policy,
        inline_policy.as_ref(),
        &settings.limits,
        &mut problems,
    );

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(DesiredRole {
        role_name,
        path,
        trust_policy,
        inline_policy,
        managed_policy_arns,
        permissions_boundary,
        max_session_duration,
        description,
        tags,
        instance_profile: service.is_some_and(|service| service.instance_profile),
    })
}

fn check_policy_arn(arn: &str, partition: &str) -> Result<(), String> {
    let parsed = Arn::parse(arn).map_err(|error| error.0)?;
    parsed.validate(partition).map_err(|error| error.0)?;
    if parsed.service != "iam" || !parsed.resource.starts_with("policy/") {
        return Err(format!(
            "'{arn}' is not a managed policy ARN (arn:{partition}:iam::ACCOUNT:policy/NAME)"
        ));
    }
    Ok(())
}

/// Presets first, then explicit ARNs, without repeats.
fn managed_policies(
    role: &ServiceRole,
    service: Option<&catalog::Service>,
    settings: &Settings,
    problems: &mut Problems,
) -> Vec<String> {
    let spec = &role.spec;
    let mut arns: Vec<String> = Vec::new();
    if let Some(service) = service {
        for (index, name) in spec.default_policies.iter().enumerate() {
            match service.preset(name) {
                Some(preset) => arns.push(preset.arn(&settings.partition)),
                None => {
                    let names = service.preset_names();
                    let offered = if names.is_empty() {
                        format!("{} has no default policies; use statements", service.name)
                    } else {
                        let hint = catalog::closest(name, &names)
                            .map(|name| format!("did you mean '{name}'? "))
                            .unwrap_or_default();
                        format!("{hint}{} offers: {}", service.name, names.join(", "))
                    };
                    problems.push(
                        format!("spec.defaultPolicies[{index}]"),
                        format!("unknown default policy '{name}'; {offered}"),
                    );
                }
            }
        }
    }
    for (index, arn) in spec.managed_policy_arns.iter().enumerate() {
        match check_policy_arn(arn, &settings.partition) {
            Ok(()) => arns.push(arn.clone()),
            Err(message) => problems.push(format!("spec.managedPolicyArns[{index}]"), message),
        }
    }
    let mut unique: Vec<String> = Vec::new();
    for arn in arns {
        if !unique.contains(&arn) {
            unique.push(arn);
        }
    }
    if unique.len() > settings.limits.managed_policies {
        problems.push(
            "spec.managedPolicyArns",
            format!(
                "{} managed policies (defaultPolicies and managedPolicyArns together), but a \
                 role takes at most {} (--max-managed-policies)",
                unique.len(),
                settings.limits.managed_policies
            ),
        );
    }
    unique
}

/// Characters IAM allows in tag keys and values: letters, digits, spaces and `_.:/=+-@`.
fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

fn tags(
    role: &ServiceRole,
    settings: &Settings,
    problems: &mut Problems,
) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    let user_tags = &role.spec.tags;
    if user_tags.len() > MAX_USER_TAGS {
        problems.push(
            "spec.tags",
            format!(
                "{} tags, but a role takes 50 and rolesmith uses {} for ownership: at most {}",
                user_tags.len(),
                50 - MAX_USER_TAGS,
                MAX_USER_TAGS
            ),
        );
    }
    for (key, value) in user_tags {
        let field = format!("spec.tags.{key}");
        if key.starts_with(RESERVED_TAG_PREFIX) || key.to_ascii_lowercase().starts_with("aws:") {
            problems.push(
                field,
                format!("'{key}' is reserved (aws: and {RESERVED_TAG_PREFIX})"),
            );
            continue;
        }
        if key.is_empty() || key.chars().count() > 128 || !key.chars().all(is_tag_char) {
            problems.push(
                field,
                format!("key '{key}' must be 1-128 letters, digits, spaces or _.:/=+-@"),
            );
            continue;
        }
        if value.chars().count() > 256 || !value.chars().all(is_tag_char) {
            problems.push(
                field,
                format!("value '{value}' must be at most 256 letters, digits, spaces or _.:/=+-@"),
            );
            continue;
        }
        tags.insert(key.clone(), value.clone());
    }
    tags.insert(TAG_CLUSTER.to_string(), settings.cluster_name.clone());
    tags.insert(
        TAG_NAMESPACE.to_string(),
        role.metadata.namespace.clone().unwrap_or_default(),
    );
    tags.insert(
        TAG_NAME.to_string(),
        role.metadata.name.clone().unwrap_or_default(),
    );
    // Offline renders have no UID; the controller always does.
    if let Some(uid) = &role.metadata.uid {
        tags.insert(TAG_UID.to_string(), uid.clone());
    }
    tags
}

fn check_description(description: &str, problems: &mut Problems) {
    if description.chars().count() > 1000 {
        problems.push(
            "spec.description",
            format!(
                "is {} characters long; IAM allows 1000",
                description.chars().count()
            ),
        );
    }
    // IAM's description alphabet: tab, newline, carriage return, printable ASCII, Latin-1.
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{A1}'..='\u{FF}');
    if let Some(bad) = description.chars().find(|c| !allowed(*c)) {
        problems.push(
            "spec.description",
            format!("contains {bad:?}, which IAM does not allow in descriptions"),
        );
    }
}

fn check_sizes(
    trust_policy: &PolicyDocument,
    inline_policy: Option<&InlinePolicy>,
    limits: &Limits,
    problems: &mut Problems,
) {
    let trust_size = trust_policy.size();
    if trust_size > limits.trust_policy_size {
        problems.push(
            "spec.trust",
            format!(
                "the trust policy renders to {trust_size} characters (without white space), \
                 over the limit of {} (--max-trust-policy-size)",
                limits.trust_policy_size
            ),
        );
    }
    if let Some(inline) = inline_policy {
        let size = inline.document.size();
        if size > limits.inline_policy_size {
            problems.push(
                "spec.statements",
                format!(
                    "the inline policy renders to {size} characters (without white space), over \
                     the limit of {} (--max-inline-policy-size); use fewer or wider statements, \
                     or managed policies",
                    limits.inline_policy_size
                ),
            );
        }
    }
}
