//! The work of one reconcile, without Kubernetes: render → observe → judge ownership → diff →
//! apply. The controller wraps it with finalizers, status and events; tests drive it directly
//! against a real IAM API.

use tracing::{info, warn};

use crate::api::{DeletionPolicy, ServiceRole};
use crate::diff::{self, ObservedRole, Owner, Ownership, Plan, Reason};
use crate::iam::{ErrorKind, Iam, IamError};
use crate::lint::{Finding, Severity, check_service_role};
use crate::render::{DesiredRole, Problems, Settings, default_role_name, render};

/// Annotation with which a ServiceRole asks to take over an existing role that has no
/// rolesmith owner (or was retained by an earlier object of the same name).
pub const ADOPT_ANNOTATION: &str = "rolesmith.dev/adopt";

/// What a successful sync did.
#[derive(Debug)]
pub struct Synced {
    /// The role as IAM has it now.
    pub role: ObservedRole,
    /// The calls made; empty when IAM already matched.
    pub plan: Plan,
    /// Whether the role was created in this sync.
    pub created: bool,
    /// Lint warnings and suggestions: reported, not blocking.
    pub warnings: Vec<Finding>,
    /// Differences rolesmith cannot or will not change, for the status.
    pub notices: Vec<String>,
}

/// IAM cannot move a role to another path; a changed `--role-path-prefix` leaves existing roles
/// where they are, and the status says so rather than hiding it.
fn path_notice(observed: &ObservedRole, desired: &DesiredRole) -> Option<String> {
    (observed.path != desired.path).then(|| {
        format!(
            "the role's path is {} but the settings give {}; IAM cannot move a role, so it keeps \
             its path (delete and re-create the ServiceRole to move it)",
            observed.path, desired.path
        )
    })
}

/// Why a sync failed, and whether waiting can help.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("invalid spec: {0}")]
    InvalidSpec(Problems),
    #[error("{0}")]
    NameConflict(String),
    #[error(transparent)]
    Iam(#[from] IamError),
}

impl SyncError {
    /// Terminal errors need a change to the object (or to IAM outside rolesmith); repeating the
    /// same request cannot succeed.
    pub fn is_terminal(&self) -> bool {
        match self {
            SyncError::InvalidSpec(_) | SyncError::NameConflict(_) => true,
            SyncError::Iam(error) => error.kind == ErrorKind::Terminal,
        }
    }

    /// Stable, low-cardinality reason for conditions, events and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            SyncError::InvalidSpec(_) => "InvalidSpec",
            SyncError::NameConflict(_) => "NameConflict",
            SyncError::Iam(error) if error.kind == ErrorKind::Terminal => "IAMRejected",
            SyncError::Iam(_) => "IAMUnavailable",
        }
    }
}

/// The owner that this object's roles are tagged with.
pub fn owner_of(role: &ServiceRole, settings: &Settings) -> Owner {
    Owner {
        cluster: settings.cluster_name.clone(),
        namespace: role.metadata.namespace.clone().unwrap_or_default(),
        name: role.metadata.name.clone().unwrap_or_default(),
        uid: role.metadata.uid.clone().unwrap_or_default(),
    }
}

fn wants_adoption(role: &ServiceRole) -> bool {
    role.metadata
        .annotations
        .as_ref()
        .and_then(|annotations| annotations.get(ADOPT_ANNOTATION))
        .is_some_and(|value| value == "true")
}

/// May this object write to an existing role with these tags?
fn check_ownership(
    role: &ServiceRole,
    settings: &Settings,
    observed: &ObservedRole,
) -> Result<(), SyncError> {
    let owner = owner_of(role, settings);
    match owner.judge(&observed.tags) {
        Ownership::Ours => Ok(()),
        Ownership::Unmanaged | Ownership::EarlierIncarnation if wants_adoption(role) => {
            info!(role = %observed.role_name, "adopting existing role as asked");
            Ok(())
        }
        Ownership::Unmanaged => Err(SyncError::NameConflict(format!(
            "IAM role {} exists and is not managed by rolesmith; annotate the ServiceRole with \
             {ADOPT_ANNOTATION}=\"true\" to take it over, or choose another roleName",
            observed.role_name
        ))),
        Ownership::EarlierIncarnation => Err(SyncError::NameConflict(format!(
            "IAM role {} belongs to an earlier ServiceRole of the same name (another UID); \
             annotate with {ADOPT_ANNOTATION}=\"true\" to take it over",
            observed.role_name
        ))),
        Ownership::Foreign { owner } => Err(SyncError::NameConflict(format!(
            "IAM role {} belongs to ServiceRole {owner}; choose another roleName",
            observed.role_name
        ))),
    }
}

/// Bring IAM in line with the ServiceRole.
pub async fn sync_role(
    role: &ServiceRole,
    settings: &Settings,
    iam: &Iam,
) -> Result<Synced, SyncError> {
    let desired = render(role, settings).map_err(SyncError::InvalidSpec)?;
    let (errors, warnings): (Vec<Finding>, Vec<Finding>) =
        check_service_role(role, settings, Some(&desired))
            .into_iter()
            .partition(|finding| finding.severity == Severity::Error);
    if !errors.is_empty() {
        let mut problems = Problems::default();
        for error in errors {
            problems.push(error.field, format!("{} {}", error.code, error.message));
        }
        return Err(SyncError::InvalidSpec(problems));
    }

    let observed = iam.observe(&desired.role_name).await?;
    if let Some(observed) = &observed {
        check_ownership(role, settings, observed)?;
    }

    let plan = diff::plan(&desired, observed.as_ref());
    let created = observed.is_none();
    match apply_logged(iam, &desired, &plan).await {
        Ok(()) => {}
        // A create that raced with, or was retried after, an earlier successful one: the role
        // is there, so judge it and finish the job instead of failing.
        Err(SyncError::Iam(error)) if error.kind == ErrorKind::AlreadyExists && created => {
            let Some(existing) = iam.observe(&desired.role_name).await? else {
                return Err(error.into());
            };
            check_ownership(role, settings, &existing)?;
            let plan = diff::plan(&desired, Some(&existing));
            apply_logged(iam, &desired, &plan).await?;
            let role = observe_after(iam, &desired).await?;
            let notices = path_notice(&role, &desired).into_iter().collect();
            return Ok(Synced {
                role,
                plan,
                created: false,
                warnings,
                notices,
            });
        }
        Err(error) => return Err(error),
    }

    let role = match observed {
        Some(observed) if plan.is_empty() => observed,
        _ => observe_after(iam, &desired).await?,
    };
    let notices = path_notice(&role, &desired).into_iter().collect();
    Ok(Synced {
        role,
        plan,
        created,
        warnings,
        notices,
    })
}

async fn apply_logged(iam: &Iam, desired: &DesiredRole, plan: &Plan) -> Result<(), SyncError> {
    for step in &plan.steps {
        let operation = step.call.operation();
        match step.reason {
            Reason::Drift => warn!(
                role = %desired.role_name, operation, detail = %step.detail,
                "correcting drift"
            ),
            _ => info!(role = %desired.role_name, operation, detail = %step.detail, "planned"),
        }
    }
    iam.apply(plan).await.map_err(SyncError::from)
}

async fn observe_after(iam: &Iam, desired: &DesiredRole) -> Result<ObservedRole, SyncError> {
    iam.observe(&desired.role_name).await?.ok_or_else(|| {
        // IAM is eventually consistent: a role just created may not be readable yet.
        SyncError::Iam(IamError {
            operation: "GetRole",
            kind: ErrorKind::Transient,
            code: None,
            message: format!("role {} is not visible yet", desired.role_name),
        })
    })
}

/// What cleanup did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cleaned {
    Deleted(String),
    Retained(String),
    AlreadyGone,
    /// The role under that name is not this object's; it was left alone.
    NotOurs(String),
}

/// Remove (or retain) the role of a ServiceRole being deleted.
///
/// The name comes from the status when the controller recorded one, so that a spec that no
/// longer renders can still be cleaned up.
pub async fn cleanup_role(
    role: &ServiceRole,
    settings: &Settings,
    iam: &Iam,
) -> Result<Cleaned, SyncError> {
    let role_name = role
        .status
        .as_ref()
        .and_then(|status| status.role_name.clone())
        .or_else(|| role.spec.role_name.clone())
        .unwrap_or_else(|| {
            default_role_name(
                &settings.role_name_prefix,
                role.metadata.namespace.as_deref().unwrap_or_default(),
                role.metadata.name.as_deref().unwrap_or_default(),
            )
        });
    let Some(observed) = iam.observe(&role_name).await? else {
        return Ok(Cleaned::AlreadyGone);
    };
    if owner_of(role, settings).judge(&observed.tags) != Ownership::Ours {
        warn!(role = %role_name, "not deleting a role this ServiceRole does not own");
        return Ok(Cleaned::NotOurs(role_name));
    }
    match role.spec.deletion_policy {
        DeletionPolicy::Delete => {
            iam.apply(&diff::plan_delete(&observed)).await?;
            Ok(Cleaned::Deleted(role_name))
        }
        DeletionPolicy::Retain => {
            iam.apply(&diff::plan_retain(&observed)).await?;
            Ok(Cleaned::Retained(role_name))
        }
    }
}
