//! The statement builder: `spec.statements` → the statements of the inline policy.
//!
//! Statements on S3 buckets are split by resource type, because an object action on a bucket
//! ARN (or a listing action on an object ARN) silently grants nothing — the most common mistake
//! in hand-written S3 policies. With a `prefix`, listing goes on the bucket under an `s3:prefix`
//! condition and object actions on `BUCKET/PREFIX*`.

use std::collections::BTreeMap;

use crate::api::Statement;
use crate::policy::action::{action_name, service_prefix, validate_action};
use crate::policy::arn::Arn;
use crate::policy::condition::normalize_conditions;
use crate::policy::s3::{
    self, BUCKET_ACTIONS, PREFIX_LISTING_ACTIONS, PREFIX_SAFE_BUCKET_ACTIONS, S3ActionKind,
};
use crate::policy::{ConditionBlock, ConditionValue, PolicyStatement};

use super::{Problems, Settings};

/// Build the permission statements, reporting every problem with its field path.
pub fn build_statements(
    statements: &[Statement],
    settings: &Settings,
    problems: &mut Problems,
) -> Vec<PolicyStatement> {
    let mut built = Vec::new();
    let mut sid_owner: BTreeMap<String, usize> = BTreeMap::new();

    for (index, statement) in statements.iter().enumerate() {
        let field = format!("spec.statements[{index}]");
        let before = problems.len();
        let parts = check_statement(statement, &field, settings, problems);
        if problems.len() > before {
            continue;
        }

        let base_sid = statement
            .sid
            .clone()
            .unwrap_or_else(|| format!("Stmt{index}"));
        let pieces = match parts.buckets.is_empty() {
            true => vec![plain_statement(statement, &parts)],
            false => split_bucket_statement(statement, &parts, &field, problems),
        };
        let single = pieces.len() == 1;
        for (suffix, mut piece) in pieces {
            let sid = if single {
                base_sid.clone()
            } else {
                format!("{base_sid}{suffix}")
            };
            if let Some(owner) = sid_owner.insert(sid.clone(), index) {
                problems.push(
                    format!("{field}.sid"),
                    format!(
                        "Sid '{sid}' is already used by spec.statements[{owner}]; Sids must be \
                         unique (split statements add Bucket/List/Objects to theirs)"
                    ),
                );
            }
            piece.sid = Some(sid);
            built.push(piece);
        }
    }
    built
}

/// The checked parts of one statement.
struct Parts {
    actions: Vec<String>,
    /// Resources with their variables substituted, without repeats.
    resources: Vec<String>,
    conditions: ConditionBlock,
    /// Bucket ARNs among the resources, when the statement is about S3 buckets.
    buckets: Vec<String>,
}

fn check_statement(
    statement: &Statement,
    field: &str,
    settings: &Settings,
    problems: &mut Problems,
) -> Parts {
    let partition = settings.partition.as_str();
    if statement.actions.is_empty() {
        problems.push(
            format!("{field}.actions"),
            "needs at least one action".to_string(),
        );
    }
    if statement.resources.is_empty() {
        problems.push(
            format!("{field}.resources"),
            "needs at least one resource ARN (write '*' explicitly for every resource)".to_string(),
        );
    }
    if let Some(sid) = &statement.sid
        && (sid.is_empty() || !sid.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        problems.push(
            format!("{field}.sid"),
            format!("'{sid}' may hold only letters and digits"),
        );
    }

    let mut actions: Vec<String> = Vec::new();
    for (index, action) in statement.actions.iter().enumerate() {
        match validate_action(action) {
            Ok(()) if !actions.contains(action) => actions.push(action.clone()),
            Ok(()) => {}
            Err(message) => problems.push(format!("{field}.actions[{index}]"), message),
        }
    }

    let mut resources = Vec::new();
    let mut buckets = Vec::new();
    let mut others = Vec::new();
    for (index, template) in statement.resources.iter().enumerate() {
        // `${AccountId}` and `${Partition}` keep manifests portable between accounts.
        let resource = match settings.substitute(template) {
            Ok(resource) => resource,
            Err(message) => {
                problems.push(format!("{field}.resources[{index}]"), message);
                continue;
            }
        };
        if !resources.contains(&resource) {
            resources.push(resource.clone());
        }
        if resource == "*" {
            others.push((index, resource));
            continue;
        }
        let checked = Arn::parse(&resource).and_then(|arn| arn.validate(partition).map(|()| arn));
        match checked {
            Ok(arn) if arn.s3_bucket().is_some() => buckets.push(resource.clone()),
            Ok(_) => others.push((index, resource.clone())),
            Err(error) => problems.push(format!("{field}.resources[{index}]"), error.0),
        }
    }
    if !buckets.is_empty() {
        for (index, resource) in &others {
            problems.push(
                format!("{field}.resources[{index}]"),
                format!(
                    "'{resource}' is not an S3 bucket ARN, but other resources of this statement \
                     are; rolesmith splits bucket statements by resource type, so put it in a \
                     statement of its own"
                ),
            );
        }
        for (index, action) in statement.actions.iter().enumerate() {
            if validate_action(action).is_ok() && service_prefix(action) != "s3" {
                problems.push(
                    format!("{field}.actions[{index}]"),
                    format!(
                        "'{action}' is not an S3 action, but the resources are S3 buckets; put \
                         it in a statement of its own"
                    ),
                );
            }
        }
    } else if let Some(prefix) = &statement.prefix {
        let found = statement
            .resources
            .first()
            .map(String::as_str)
            .unwrap_or("nothing");
        problems.push(
            format!("{field}.prefix"),
            format!(
                "prefix '{prefix}' scopes S3 access and needs S3 bucket ARNs \
                 (arn:{partition}:s3:::BUCKET) in resources, but found '{found}'"
            ),
        );
    }
    if statement.prefix.as_deref() == Some("") {
        problems.push(
            format!("{field}.prefix"),
            "is empty; leave it out instead".to_string(),
        );
    }

    let mut condition_problems = Vec::new();
    let conditions = statement
        .conditions
        .as_ref()
        .map(|block| {
            normalize_conditions(
                block,
                &format!("{field}.conditions"),
                &mut condition_problems,
            )
        })
        .unwrap_or_default();
    for (path, message) in condition_problems {
        problems.push(path, message);
    }

    Parts {
        actions,
        resources,
        conditions,
        buckets,
    }
}

fn plain_statement(statement: &Statement, parts: &Parts) -> (&'static str, PolicyStatement) {
    let built = policy_statement(
        statement,
        parts.actions.clone(),
        parts.resources.clone(),
        parts.conditions.clone(),
    );
    ("", built)
}

fn policy_statement(
    statement: &Statement,
    actions: Vec<String>,
    resources: Vec<String>,
    conditions: ConditionBlock,
) -> PolicyStatement {
    PolicyStatement {
        sid: None,
        effect: statement.effect.as_str().to_string(),
        principal: None,
        actions,
        resources,
        conditions,
    }
}

/// Where each action of a bucket statement goes.
#[derive(Default)]
struct Groups {
    bucket: Vec<String>,
    listing: Vec<String>,
    objects: Vec<String>,
    bucket_and_objects: Vec<String>,
}

fn split_bucket_statement(
    statement: &Statement,
    parts: &Parts,
    field: &str,
    problems: &mut Problems,
) -> Vec<(&'static str, PolicyStatement)> {
    let prefix = statement.prefix.as_deref();
    let mut groups = Groups::default();
    for action in &parts.actions {
        let index = statement
            .actions
            .iter()
            .position(|a| a == action)
            .unwrap_or_default();
        let action_field = format!("{field}.actions[{index}]");
        let name = action_name(action);
        match (s3::classify(name), prefix) {
            (S3ActionKind::Object, _) => groups.objects.push(action.clone()),
            (S3ActionKind::Bucket, None) => groups.bucket.push(action.clone()),
            (S3ActionKind::Both | S3ActionKind::Unknown, None) => {
                groups.bucket_and_objects.push(action.clone())
            }
            (S3ActionKind::Bucket, Some(prefix)) => {
                let matched = s3::matching(name, BUCKET_ACTIONS);
                if matched.iter().all(|m| PREFIX_LISTING_ACTIONS.contains(m)) {
                    groups.listing.push(action.clone());
                } else if matched
                    .iter()
                    .all(|m| PREFIX_SAFE_BUCKET_ACTIONS.contains(m))
                {
                    groups.bucket.push(action.clone());
                } else {
                    let unscoped: Vec<&str> = matched
                        .iter()
                        .copied()
                        .filter(|m| {
                            !PREFIX_LISTING_ACTIONS.contains(m)
                                && !PREFIX_SAFE_BUCKET_ACTIONS.contains(m)
                        })
                        .take(3)
                        .collect();
                    problems.push(
                        action_field,
                        format!(
                            "'{action}' covers bucket-level actions ({}) that act on the whole \
                             bucket, so prefix '{prefix}' cannot limit them; move them to a \
                             statement without prefix, or name only s3:ListBucket, \
                             s3:ListBucketVersions and object actions here",
                            unscoped.join(", ")
                        ),
                    );
                }
            }
            (S3ActionKind::Both, Some(prefix)) => problems.push(
                action_field,
                format!(
                    "'{action}' matches both bucket-level and object actions; prefix '{prefix}' \
                     can only limit object actions and listing, so name those explicitly \
                     (e.g. s3:GetObject, s3:ListBucket)"
                ),
            ),
            (S3ActionKind::Unknown, Some(prefix)) => problems.push(
                action_field,
                format!(
                    "'{action}' is not an S3 bucket or object action that prefix '{prefix}' can \
                     limit"
                ),
            ),
        }
    }

    let object_suffix = match prefix {
        Some(prefix) if prefix.ends_with('*') => prefix.to_string(),
        Some(prefix) => format!("{prefix}*"),
        None => "*".to_string(),
    };
    let objects: Vec<String> = parts
        .buckets
        .iter()
        .map(|bucket| format!("{bucket}/{object_suffix}"))
        .collect();

    let mut listing_conditions = parts.conditions.clone();
    if let Some(prefix) = prefix {
        let like = listing_conditions
            .entry("StringLike".to_string())
            .or_default();
        if like.contains_key("s3:prefix") {
            problems.push(
                format!("{field}.conditions.StringLike.s3:prefix"),
                "conflicts with prefix, which sets this condition itself; keep one of them"
                    .to_string(),
            );
        }
        like.insert(
            "s3:prefix".to_string(),
            ConditionValue::from_values(vec![prefix.to_string(), object_suffix.clone()]),
        );
    }

    let buckets = parts.buckets.clone();
    let mut both = buckets.clone();
    both.extend(objects.iter().cloned());
    let candidates = [
        (
            "Bucket",
            groups.bucket,
            buckets.clone(),
            parts.conditions.clone(),
        ),
        ("List", groups.listing, buckets, listing_conditions),
        ("Objects", groups.objects, objects, parts.conditions.clone()),
        (
            "BucketAndObjects",
            groups.bucket_and_objects,
            both,
            parts.conditions.clone(),
        ),
    ];
    candidates
        .into_iter()
        .filter(|(_, actions, _, _)| !actions.is_empty())
        .map(|(suffix, actions, resources, conditions)| {
            (
                suffix,
                policy_statement(statement, actions, resources, conditions),
            )
        })
        .collect()
}
