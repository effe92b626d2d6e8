//! Findings: what the linter reports, with stable codes.

use std::fmt;

use serde::Serialize;

/// How bad a finding is. Errors stop the controller; warnings are reported; suggestions are
/// advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Suggestion,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Suggestion => "suggestion",
        })
    }
}

/// Every finding the linter can raise. The code (`RS201`) and the slug never change meaning;
/// new checks get new codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    InvalidSpec,
    MalformedAction,
    UnknownService,
    UnknownAction,
    WildcardMatchesNothing,
    ResourceTypeMismatch,
    SpecificArnOnStarOnlyAction,
    StarCouldBeScoped,
    UnusedResource,
    ArnShape,
    ArnMissingPart,
    ResourceTypeSegment,
    AllActions,
    ServiceWildcard,
    WildcardOverWrites,
    WildcardCouldBeNamed,
    PrivilegeEscalation,
    PassRoleOnStar,
    BroadManagedPolicy,
    UnsupportedConditionKey,
    MalformedCondition,
    UnknownConditionKey,
    PolicyNearLimit,
    OverManagedPolicyQuota,
}

/// Everything about a code that reports and SARIF rules need.
pub struct CodeInfo {
    pub id: &'static str,
    pub slug: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
}

impl Code {
    pub const ALL: [Code; 24] = [
        Code::InvalidSpec,
        Code::MalformedAction,
        Code::UnknownService,
        Code::UnknownAction,
        Code::WildcardMatchesNothing,
        Code::ResourceTypeMismatch,
        Code::SpecificArnOnStarOnlyAction,
        Code::StarCouldBeScoped,
        Code::UnusedResource,
        Code::ArnShape,
        Code::ArnMissingPart,
        Code::ResourceTypeSegment,
        Code::AllActions,
        Code::ServiceWildcard,
        Code::WildcardOverWrites,
        Code::WildcardCouldBeNamed,
        Code::PrivilegeEscalation,
        Code::PassRoleOnStar,
        Code::BroadManagedPolicy,
        Code::UnsupportedConditionKey,
        Code::MalformedCondition,
        Code::UnknownConditionKey,
        Code::PolicyNearLimit,
        Code::OverManagedPolicyQuota,
    ];

    pub fn info(self) -> CodeInfo {
        use Severity::*;
        let (id, slug, severity, summary) = match self {
            Code::InvalidSpec => (
                "RS001",
                "invalid-spec",
                Error,
                "the ServiceRole cannot be rendered",
            ),
            Code::MalformedAction => (
                "RS100",
                "malformed-action",
                Error,
                "an action is not service:Action",
            ),
            Code::UnknownService => (
                "RS101",
                "unknown-service",
                Error,
                "no AWS service has this prefix",
            ),
            Code::UnknownAction => (
                "RS102",
                "unknown-action",
                Error,
                "the service has no such action",
            ),
            Code::WildcardMatchesNothing => (
                "RS103",
                "wildcard-matches-nothing",
                Error,
                "an action wildcard matches no action",
            ),
            Code::ResourceTypeMismatch => (
                "RS201",
                "resource-type-mismatch",
                Error,
                "no resource of the statement is of a type the action acts on",
            ),
            Code::SpecificArnOnStarOnlyAction => (
                "RS202",
                "specific-arn-on-star-only-action",
                Warning,
                "the action only accepts '*' as its resource",
            ),
            Code::StarCouldBeScoped => (
                "RS203",
                "star-could-be-scoped",
                Warning,
                "'*' on an action that supports resource-level permissions",
            ),
            Code::UnusedResource => (
                "RS204",
                "unused-resource",
                Warning,
                "no action of the statement uses this resource",
            ),
            Code::ArnShape => (
                "RS210",
                "arn-shape",
                Error,
                "the ARN is malformed for its service",
            ),
            Code::ArnMissingPart => (
                "RS212",
                "arn-missing-part",
                Warning,
                "the ARN leaves out a region or account its resource type has",
            ),
            Code::ResourceTypeSegment => (
                "RS211",
                "resource-type-segment",
                Error,
                "the ARN names a resource type segment the service's ARNs do not have",
            ),
            Code::AllActions => (
                "RS400",
                "all-actions",
                Warning,
                "'*' grants every action of every service",
            ),
            Code::ServiceWildcard => (
                "RS401",
                "service-wildcard",
                Warning,
                "service:* grants every action of a service",
            ),
            Code::WildcardOverWrites => (
                "RS402",
                "wildcard-over-writes",
                Warning,
                "an action wildcard covers write or permissions-management actions",
            ),
            Code::WildcardCouldBeNamed => (
                "RS403",
                "wildcard-could-be-named",
                Suggestion,
                "an action wildcard could name its few actions",
            ),
            Code::PrivilegeEscalation => (
                "RS404",
                "privilege-escalation",
                Warning,
                "an action that can grant more permissions than the role has",
            ),
            Code::PassRoleOnStar => (
                "RS405",
                "passrole-on-star",
                Warning,
                "iam:PassRole on every role",
            ),
            Code::BroadManagedPolicy => (
                "RS410",
                "broad-managed-policy",
                Warning,
                "a broad AWS managed policy is attached",
            ),
            Code::UnsupportedConditionKey => (
                "RS501",
                "unsupported-condition-key",
                Warning,
                "no action of the statement supports the condition key",
            ),
            Code::MalformedCondition => (
                "RS502",
                "malformed-condition",
                Error,
                "a condition operator or key is malformed",
            ),
            Code::UnknownConditionKey => (
                "RS503",
                "unknown-condition-key",
                Warning,
                "the condition key does not exist",
            ),
            Code::PolicyNearLimit => (
                "RS602",
                "policy-near-limit",
                Warning,
                "the policy is near IAM's size quota",
            ),
            Code::OverManagedPolicyQuota => (
                "RS603",
                "over-managed-policy-quota",
                Warning,
                "the document is larger than a customer managed policy may be",
            ),
        };
        CodeInfo {
            id,
            slug,
            severity,
            summary,
        }
    }
}

/// One finding: what, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable code, e.g. `RS201`.
    pub code: &'static str,
    /// Stable name of the code, e.g. `resource-type-mismatch`.
    pub rule: &'static str,
    pub severity: Severity,
    /// Field path of the problem, e.g. `spec.statements[0].resources[1]`.
    pub field: String,
    /// The offending value, when there is one (helps place the finding in the file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub message: String,
    pub hint: String,
}

impl Finding {
    pub fn new(
        code: Code,
        field: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Finding {
        let info = code.info();
        Finding {
            code: info.id,
            rule: info.slug,
            severity: info.severity,
            field: field.into(),
            value: None,
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn with_value(mut self, value: impl Into<String>) -> Finding {
        self.value = Some(value.into());
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}: {}",
            self.severity, self.code, self.field, self.message
        )?;
        if !self.hint.is_empty() {
            write!(f, " (hint: {})", self.hint)?;
        }
        Ok(())
    }
}
