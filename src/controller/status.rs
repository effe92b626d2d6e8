//! Status and kstatus conditions.
//!
//! `Ready` is always present; `Reconciling` and `Stalled` appear only while true, as kstatus
//! reads them. A condition keeps its `lastTransitionTime` unless its status flips, so an
//! unchanged outcome yields an identical status and no write.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use crate::api::ServiceRoleStatus;
use crate::diff::ObservedRole;

pub const READY: &str = "Ready";
pub const RECONCILING: &str = "Reconciling";
pub const STALLED: &str = "Stalled";

/// How the last reconcile ended, as far as status is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// IAM matches the spec.
    Ready { message: String },
    /// Not there yet; the controller retries by itself.
    Progressing { reason: String, message: String },
    /// The controller cannot go on until the object (or IAM) changes.
    Stalled { reason: String, message: String },
}

/// The status after a reconcile: role fields from `role` (or kept from `current` when IAM was
/// not read), conditions for `outcome`.
pub fn next_status(
    current: Option<&ServiceRoleStatus>,
    generation: Option<i64>,
    role: Option<&ObservedRole>,
    outcome: &Outcome,
    now: Time,
) -> ServiceRoleStatus {
    let mut status = current.cloned().unwrap_or_default();
    // Warnings describe the spec that was last applied; a spec that did not apply has none.
    if !matches!(outcome, Outcome::Ready { .. }) {
        status.warnings.clear();
    }
    if let Some(role) = role {
        status.role_arn = Some(role.arn.clone());
        status.role_name = Some(role.role_name.clone());
        status.role_id = Some(role.role_id.clone());
        status.instance_profile_arn = role.instance_profile.as_ref().map(|p| p.arn.clone());
        status.permissions_boundary_arn = role.permissions_boundary.clone();
    }
    status.observed_generation = generation;

    let wanted: Vec<(&str, &str, String, String)> = match outcome {
        Outcome::Ready { message } => {
            vec![(READY, "True", "Reconciled".to_string(), message.clone())]
        }
        Outcome::Progressing { reason, message } => vec![
            (READY, "False", reason.clone(), message.clone()),
            (RECONCILING, "True", reason.clone(), message.clone()),
        ],
        Outcome::Stalled { reason, message } => vec![
            (READY, "False", reason.clone(), message.clone()),
            (STALLED, "True", reason.clone(), message.clone()),
        ],
    };
    status.conditions = wanted
        .into_iter()
        .map(|(kind, state, reason, message)| {
            let previous =
                current.and_then(|status| status.conditions.iter().find(|c| c.type_ == kind));
            let last_transition_time = match previous {
                Some(previous) if previous.status == state => previous.last_transition_time.clone(),
                _ => now.clone(),
            };
            Condition {
                type_: kind.to_string(),
                status: state.to_string(),
                reason,
                message,
                observed_generation: generation,
                last_transition_time,
            }
        })
        .collect();
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(seconds: i64) -> Time {
        Time(jiff::Timestamp::from_second(seconds).unwrap())
    }

    fn kinds(status: &ServiceRoleStatus) -> Vec<(&str, &str)> {
        status
            .conditions
            .iter()
            .map(|c| (c.type_.as_str(), c.status.as_str()))
            .collect()
    }

    #[test]
    fn ready_carries_only_the_ready_condition() {
        let ready = Outcome::Ready {
            message: "ok".into(),
        };
        let status = next_status(None, Some(3), None, &ready, time(10));
        assert_eq!(kinds(&status), [("Ready", "True")]);
        assert_eq!(status.observed_generation, Some(3));
    }

    #[test]
    fn progressing_and_stalled_add_their_condition_while_true() {
        let progressing = Outcome::Progressing {
            reason: "IAMUnavailable".into(),
            message: "throttled".into(),
        };
        let status = next_status(None, Some(1), None, &progressing, time(10));
        assert_eq!(
            kinds(&status),
            [("Ready", "False"), ("Reconciling", "True")]
        );
        let stalled = Outcome::Stalled {
            reason: "NameConflict".into(),
            message: "taken".into(),
        };
        let status = next_status(Some(&status), Some(1), None, &stalled, time(20));
        assert_eq!(kinds(&status), [("Ready", "False"), ("Stalled", "True")]);
        assert_eq!(status.conditions[1].reason, "NameConflict");
    }

    #[test]
    fn transition_time_moves_only_when_the_status_flips() {
        let ready = Outcome::Ready {
            message: "ok".into(),
        };
        let first = next_status(None, Some(1), None, &ready, time(10));
        let again = next_status(Some(&first), Some(1), None, &ready, time(99));
        assert_eq!(
            first, again,
            "an unchanged outcome gives an identical status"
        );

        let stalled = Outcome::Stalled {
            reason: "InvalidSpec".into(),
            message: "bad".into(),
        };
        let broken = next_status(Some(&first), Some(2), None, &stalled, time(100));
        assert_eq!(broken.conditions[0].last_transition_time, time(100));
        let still = next_status(Some(&broken), Some(2), None, &stalled, time(200));
        assert_eq!(still.conditions[0].last_transition_time, time(100));
        assert_eq!(still.conditions[1].last_transition_time, time(100));
    }
}
