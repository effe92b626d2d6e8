//! The controller: watches ServiceRoles and drives [`sync`] for each, behind the
//! `rolesmith.dev/cleanup` finalizer, writing status by server-side apply and one event per
//! transition.

pub mod health;
pub mod status;
pub mod sync;

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::finalizer::{self, Event as Finalize, finalizer};
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt};
use tracing::{Instrument, error, info, info_span, warn};

use crate::api::{ServiceRole, ServiceRoleStatus};
use crate::diff::Reason;
use crate::iam::Iam;
use crate::render::Settings;
use status::{Outcome, STALLED, next_status};
use sync::{Cleaned, SyncError, cleanup_role, sync_role};

/// Finalizer that keeps a ServiceRole until its IAM role is cleaned up.
pub const FINALIZER: &str = "rolesmith.dev/cleanup";

/// Field manager of the status the controller applies.
pub const FIELD_MANAGER: &str = "rolesmith";

/// How the controller runs.
#[derive(Debug, Clone)]
pub struct ControllerConfig {
    pub settings: Settings,
    /// Namespaces to watch; empty means all.
    pub namespaces: Vec<String>,
    /// How often an in-sync role is checked again for drift.
    pub resync: Duration,
    /// How many ServiceRoles are reconciled at once.
    pub concurrency: u16,
}

/// Shared by every reconcile.
pub struct Context {
    pub client: Client,
    pub iam: Iam,
    pub settings: Settings,
    pub recorder: Recorder,
    pub resync: Duration,
    /// Consecutive transient failures per object UID, for backoff.
    failures: Mutex<HashMap<String, u32>>,
    /// Objects stalled on a terminal error, by UID, with the state they stalled in; they are
    /// left alone, with no AWS call, until that state changes.
    stalled: Mutex<HashMap<String, u64>>,
}

impl Context {
    pub fn new(client: Client, iam: Iam, settings: Settings, resync: Duration) -> Context {
        let reporter = Reporter {
            controller: "rolesmith".to_string(),
            instance: std::env::var("POD_NAME").ok(),
        };
        Context {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            iam,
            settings,
            resync,
            failures: Mutex::new(HashMap::new()),
            stalled: Mutex::new(HashMap::new()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    #[error("{0}")]
    Finalizer(#[source] Box<finalizer::Error<Error>>),
}

/// Run the controller until SIGTERM or Ctrl-C; `readiness` is set once the watches start.
pub async fn run(
    config: ControllerConfig,
    client: Client,
    iam: Iam,
    readiness: health::Readiness,
) -> anyhow::Result<()> {
    let context = Arc::new(Context::new(
        client.clone(),
        iam,
        config.settings,
        config.resync,
    ));
    // The watch is on untyped objects: one object that does not decode as a ServiceRole
    // (stored under an older schema, say) fails its own reconcile, not the whole list.
    let resource = ApiResource::erase::<ServiceRole>(&());
    let apis: Vec<Api<DynamicObject>> = if config.namespaces.is_empty() {
        vec![Api::all_with(client, &resource)]
    } else {
        config
            .namespaces
            .iter()
            .map(|ns| Api::namespaced_with(client.clone(), ns, &resource))
            .collect()
    };
    let controllers = apis.into_iter().map(|api| {
        Controller::new_with(
            api,
            watcher::Config::default().any_semantic(),
            resource.clone(),
        )
        .with_config(kube::runtime::controller::Config::default().concurrency(config.concurrency))
        .shutdown_on_signal()
        .run(reconcile, error_policy, context.clone())
        .for_each(|result| async move {
            // Reconcile errors are logged where they happen; what reaches here are watch
            // problems, which the watcher retries on its own.
            if let Err(error) = result {
                match error {
                    kube::runtime::controller::Error::ReconcilerFailed(..) => {}
                    other => warn!(error = %other, "watch"),
                }
            }
        })
    });
    readiness.set_ready();
    futures::future::join_all(controllers).await;
    info!("controller stopped");
    Ok(())
}

/// One reconcile of one object.
pub async fn reconcile(object: Arc<DynamicObject>, context: Arc<Context>) -> Result<Action, Error> {
    let namespace = object.namespace().unwrap_or_default();
    let name = object.name_any();
    let span = info_span!("reconcile", namespace = %namespace, name = %name);
    async move {
        let role = match decode(&object) {
            Ok(role) => Arc::new(role),
            Err(problem) => return undecodable(&object, &problem, &context).await,
        };
        let api: Api<ServiceRole> = Api::namespaced(context.client.clone(), &namespace);
        finalizer(&api, FINALIZER, role, |event| async {
            match event {
                Finalize::Apply(role) => apply(role, &api, &context).await,
                Finalize::Cleanup(role) => cleanup(role, &context).await,
            }
        })
        .await
        .map_err(|error| Error::Finalizer(Box::new(error)))
    }
    .instrument(span)
    .await
}

/// The typed ServiceRole of a watched object, or the field that stops it from being one.
pub fn decode(object: &DynamicObject) -> Result<ServiceRole, String> {
    let value = serde_json::to_value(object).map_err(|error| error.to_string())?;
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        format!("{path}: {}", error.inner())
    })
}

/// An object that is not a readable ServiceRole: say so on it, and let it go if it is being
/// deleted (without a readable spec its role cannot be judged, so it is left in IAM).
async fn undecodable(
    object: &DynamicObject,
    problem: &str,
    context: &Context,
) -> Result<Action, Error> {
    warn!(%problem, "object is not a readable ServiceRole");
    let resource = ApiResource::erase::<ServiceRole>(&());
    let namespace = object.namespace().unwrap_or_default();
    let api: Api<DynamicObject> =
        Api::namespaced_with(context.client.clone(), &namespace, &resource);
    let reference = object.object_ref(&resource);
    let message = format!("the object cannot be read as a ServiceRole: {problem}");
    if object.metadata.deletion_timestamp.is_some() {
        let finalizers: Vec<&String> = object
            .finalizers()
            .iter()
            .filter(|f| f.as_str() != FINALIZER)
            .collect();
        let patch = serde_json::json!({"metadata": {"finalizers": finalizers}});
        api.patch(
            &object.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await?;
        publish_to(
            context,
            &reference,
            EventType::Warning,
            "NotDeleted",
            format!("{message}; its IAM role was left in place"),
        )
        .await;
        return Ok(Action::await_change());
    }
    let current: Option<ServiceRoleStatus> = object
        .data
        .get("status")
        .and_then(|status| serde_json::from_value(status.clone()).ok());
    let outcome = Outcome::Stalled {
        reason: "InvalidSpec".to_string(),
        message: message.clone(),
    };
    let status = next_status(
        current.as_ref(),
        object.metadata.generation,
        None,
        &outcome,
        Time(jiff::Timestamp::now()),
    );
    if current.as_ref() != Some(&status) {
        if stall_changed(current.as_ref(), &status) {
            publish_to(
                context,
                &reference,
                EventType::Warning,
                "InvalidSpec",
                message,
            )
            .await;
        }
        let patch = serde_json::json!({"apiVersion": "rolesmith.dev/v1alpha1", "kind": "ServiceRole", "status": status});
        api.patch_status(
            &object.name_any(),
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await?;
    }
    Ok(Action::await_change())
}

/// A fingerprint of what a stalled object could change to get unstuck: its spec (generation)
/// and its annotations (adoption).
fn stall_key(role: &ServiceRole) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    role.metadata.generation.hash(&mut hasher);
    role.metadata.annotations.hash(&mut hasher);
    hasher.finish()
}

async fn apply(
    role: Arc<ServiceRole>,
    api: &Api<ServiceRole>,
    context: &Context,
) -> Result<Action, Error> {
    let uid = role.uid().unwrap_or_default();
    if context.stalled.lock().expect("stalled lock").get(&uid) == Some(&stall_key(&role)) {
        return Ok(Action::await_change());
    }

    let result = sync_role(&role, &context.settings, &context.iam).await;
    let current = role.status.as_ref();
    let now = Time(jiff::Timestamp::now());
    let generation = role.metadata.generation;
    match result {
        Ok(synced) => {
            context.failures.lock().expect("failures lock").remove(&uid);
            context.stalled.lock().expect("stalled lock").remove(&uid);
            let outcome = Outcome::Ready {
                message: format!("IAM role {} is in sync", synced.role.arn),
            };
            let mut status = next_status(current, generation, Some(&synced.role), &outcome, now);
            status.warnings = synced
                .warnings
                .iter()
                .map(|warning| format!("{} {}: {}", warning.code, warning.field, warning.message))
                .chain(synced.notices.iter().cloned())
                .collect();
            // One event when the warnings change, not one per resync.
            if current.map(|s| &s.warnings) != Some(&status.warnings) && !status.warnings.is_empty()
            {
                let note = status.warnings.join("; ");
                publish(context, &role, EventType::Warning, "PolicyWarnings", note).await;
            }
            publish_sync_events(&role, &synced, context).await;
            write_status(api, &role, status).await?;
            Ok(Action::requeue(context.resync))
        }
        Err(error) if error.is_terminal() => {
            warn!(reason = error.reason(), error = %error, "stalled until the object changes");
            context
                .stalled
                .lock()
                .expect("stalled lock")
                .insert(uid, stall_key(&role));
            let outcome = Outcome::Stalled {
                reason: error.reason().to_string(),
                message: error.to_string(),
            };
            let status = next_status(current, generation, None, &outcome, now);
            if stall_changed(current, &status) {
                publish(
                    context,
                    &role,
                    EventType::Warning,
                    error.reason(),
                    error.to_string(),
                )
                .await;
            }
            write_status(api, &role, status).await?;
            Ok(Action::await_change())
        }
        Err(error) => {
            let outcome = Outcome::Progressing {
                reason: error.reason().to_string(),
                message: error.to_string(),
            };
            let status = next_status(current, generation, None, &outcome, now);
            write_status(api, &role, status).await?;
            Err(error.into())
        }
    }
}

fn stall_changed(current: Option<&ServiceRoleStatus>, next: &ServiceRoleStatus) -> bool {
    let stalled = |status: Option<&ServiceRoleStatus>| {
        status
            .and_then(|s| s.conditions.iter().find(|c| c.type_ == STALLED))
            .map(|c| (c.reason.clone(), c.message.clone()))
    };
    stalled(current) != stalled(Some(next))
}

async fn publish_sync_events(role: &ServiceRole, synced: &sync::Synced, context: &Context) {
    if synced.plan.is_empty() {
        return;
    }
    if synced.created {
        let note = format!("created IAM role {}", synced.role.arn);
        publish(context, role, EventType::Normal, "Created", note).await;
        return;
    }
    let drift: Vec<String> = synced
        .plan
        .drift()
        .map(|step| format!("{}: {}", step.call, step.detail))
        .collect();
    if !drift.is_empty() {
        publish(
            context,
            role,
            EventType::Warning,
            "DriftCorrected",
            drift.join("; "),
        )
        .await;
    }
    let updates: Vec<String> = synced
        .plan
        .steps
        .iter()
        .filter(|step| step.reason != Reason::Drift)
        .map(|step| step.call.to_string())
        .collect();
    if !updates.is_empty() {
        publish(
            context,
            role,
            EventType::Normal,
            "Updated",
            updates.join(", "),
        )
        .await;
    }
}

async fn cleanup(role: Arc<ServiceRole>, context: &Context) -> Result<Action, Error> {
    match cleanup_role(&role, &context.settings, &context.iam).await {
        Ok(Cleaned::Deleted(name)) => {
            publish(
                context,
                &role,
                EventType::Normal,
                "Deleted",
                format!("deleted IAM role {name}"),
            )
            .await;
        }
        Ok(Cleaned::Retained(name)) => {
            publish(
                context,
                &role,
                EventType::Normal,
                "Retained",
                format!("left IAM role {name} in place"),
            )
            .await;
        }
        Ok(Cleaned::AlreadyGone) => info!("no IAM role to clean up"),
        Ok(Cleaned::NotOurs(name)) => {
            let note = format!("IAM role {name} is not owned by this ServiceRole; left untouched");
            publish(context, &role, EventType::Warning, "NotDeleted", note).await;
        }
        Err(error) if error.is_terminal() => {
            // Holding the finalizer forever would block namespace deletion; say so loudly.
            error!(error = %error, "cleanup failed terminally; releasing the finalizer");
            publish(
                context,
                &role,
                EventType::Warning,
                "CleanupFailed",
                error.to_string(),
            )
            .await;
        }
        Err(error) => return Err(error.into()),
    }
    Ok(Action::await_change())
}

async fn write_status(
    api: &Api<ServiceRole>,
    role: &ServiceRole,
    status: ServiceRoleStatus,
) -> Result<(), Error> {
    if role.status.as_ref() == Some(&status) {
        return Ok(());
    }
    let patch = serde_json::json!({
        "apiVersion": "rolesmith.dev/v1alpha1",
        "kind": "ServiceRole",
        "status": status,
    });
    let params = PatchParams::apply(FIELD_MANAGER).force();
    api.patch_status(&role.name_any(), &params, &Patch::Apply(&patch))
        .await?;
    Ok(())
}

async fn publish(
    context: &Context,
    role: &ServiceRole,
    kind: EventType,
    reason: &str,
    note: String,
) {
    publish_to(context, &role.object_ref(&()), kind, reason, note).await;
}

async fn publish_to(
    context: &Context,
    reference: &ObjectReference,
    kind: EventType,
    reason: &str,
    note: String,
) {
    let event = Event {
        type_: kind,
        reason: reason.to_string(),
        note: Some(note),
        action: "Reconcile".to_string(),
        secondary: None,
    };
    // A lost event must not fail the reconcile; the status carries the outcome.
    if let Err(error) = context.recorder.publish(&event, reference).await {
        warn!(error = %error, reason, "could not publish event");
    }
}

/// Exponential backoff per object, 5 s doubling to 5 min, with ±25 % jitter so that objects
/// failing together do not retry together.
pub fn error_policy(role: Arc<DynamicObject>, error: &Error, context: Arc<Context>) -> Action {
    let uid = role.uid().unwrap_or_default();
    let attempts = {
        let mut failures = context.failures.lock().expect("failures lock");
        let count = failures.entry(uid.clone()).or_insert(0);
        *count += 1;
        *count
    };
    let delay = backoff(attempts, &uid);
    warn!(
        namespace = %role.namespace().unwrap_or_default(),
        name = %role.name_any(),
        attempts,
        retry_in = ?delay,
        error = %error,
        "reconcile failed; retrying"
    );
    Action::requeue(delay)
}

/// The delay before retry number `attempts` (1-based).
pub fn backoff(attempts: u32, seed: &str) -> Duration {
    let base = Duration::from_secs(5).saturating_mul(1 << attempts.saturating_sub(1).min(10));
    let capped = base.min(Duration::from_secs(300));
    // RandomState is seeded randomly per instance: a cheap source of jitter.
    let random = RandomState::new().hash_one((seed, attempts));
    // A factor in [0.75, 1.25).
    let factor = 0.75 + (random % 1000) as f64 / 2000.0;
    capped.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(spec: serde_json::Value) -> DynamicObject {
        DynamicObject::new("fn", &ApiResource::erase::<ServiceRole>(&()))
            .within("apps")
            .data(serde_json::json!({ "spec": spec }))
    }

    #[test]
    fn watched_objects_decode_or_name_the_field_that_stops_them() {
        let role = decode(&object(serde_json::json!({"service": "lambda"}))).unwrap();
        assert_eq!(role.spec.service, "lambda");
        assert_eq!(role.metadata.namespace.as_deref(), Some("apps"));

        let problem = decode(&object(serde_json::json!({"service": 5}))).unwrap_err();
        assert!(
            problem.starts_with("spec.service: invalid type"),
            "{problem}"
        );
        let problem = decode(&object(
            serde_json::json!({"service": "ec2", "statements": [{"actions": "s3:GetObject"}]}),
        ))
        .unwrap_err();
        assert!(
            problem.starts_with("spec.statements[0].actions"),
            "{problem}"
        );
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        for attempts in 1..=20 {
            let delay = backoff(attempts, "uid");
            let nominal = (5.0 * 2f64.powi(attempts as i32 - 1)).min(300.0);
            let seconds = delay.as_secs_f64();
            assert!(
                seconds >= nominal * 0.75 && seconds < nominal * 1.25,
                "{attempts}: {seconds}"
            );
        }
        let spread: std::collections::BTreeSet<u128> =
            (0..20).map(|_| backoff(3, "uid").as_millis()).collect();
        assert!(spread.len() > 1, "jitter varies between retries");
    }
}
