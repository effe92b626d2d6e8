//! The IAM policy documents rolesmith writes, in one canonical JSON form.
//!
//! Field order, `Version` and list shapes are fixed by these types, so the same input always
//! serialises to the same bytes: `Action` and `Resource` are always lists, a condition with one
//! value is a plain string and one with several is a list.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The only policy language version that supports policy variables; IAM's default is older.
pub const POLICY_VERSION: &str = "2012-10-17";

/// Condition operator → condition key → values.
pub type ConditionBlock = BTreeMap<String, BTreeMap<String, ConditionValue>>;

/// A policy document: the trust policy or the inline permissions policy of a role.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PolicyDocument {
    #[serde(rename = "Version")]
    pub version: String,
    #[serde(rename = "Statement")]
    pub statements: Vec<PolicyStatement>,
}

/// One statement of a policy document.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PolicyStatement {
    #[serde(rename = "Sid", default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(rename = "Effect")]
    pub effect: String,
    /// Principal type (`Service`) → principal; only trust policies have one.
    #[serde(rename = "Principal", default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<BTreeMap<String, String>>,
    #[serde(rename = "Action")]
    pub actions: Vec<String>,
    /// Trust policies name no resource; permission statements always do.
    #[serde(rename = "Resource", default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(
        rename = "Condition",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub conditions: ConditionBlock,
}

/// The value of one condition key: one string, or several.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(untagged)]
pub enum ConditionValue {
    One(String),
    Many(Vec<String>),
}

impl ConditionValue {
    /// One value stays a string; several become a list, in the order given, without repeats.
    pub fn from_values(values: Vec<String>) -> ConditionValue {
        let mut unique: Vec<String> = Vec::with_capacity(values.len());
        for value in values {
            if !unique.contains(&value) {
                unique.push(value);
            }
        }
        if unique.len() == 1 {
            ConditionValue::One(unique.remove(0))
        } else {
            ConditionValue::Many(unique)
        }
    }
}

impl PolicyDocument {
    pub fn new(statements: Vec<PolicyStatement>) -> PolicyDocument {
        PolicyDocument {
            version: POLICY_VERSION.to_string(),
            statements,
        }
    }

    /// Compact JSON, as sent to IAM.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a policy document always serialises")
    }

    /// The size IAM counts against its quotas: characters other than white space.
    pub fn size(&self) -> usize {
        self.to_json()
            .chars()
            .filter(|c| !c.is_whitespace())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement() -> PolicyStatement {
        PolicyStatement {
            sid: Some("Read".into()),
            effect: "Allow".into(),
            principal: None,
            actions: vec!["s3:GetObject".into()],
            resources: vec!["arn:aws:s3:::bucket/*".into()],
            conditions: BTreeMap::new(),
        }
    }

    #[test]
    fn serialises_fields_in_fixed_order_with_lists() {
        let document = PolicyDocument::new(vec![statement()]);
        assert_eq!(
            document.to_json(),
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::bucket/*"]}]}"#
        );
    }

    #[test]
    fn size_ignores_white_space_even_inside_values() {
        let mut with_space = statement();
        with_space.sid = None;
        with_space.resources = vec!["arn:aws:s3:::a b".into()];
        let document = PolicyDocument::new(vec![with_space]);
        let json = document.to_json();
        assert_eq!(document.size(), json.len() - 1);
    }

    #[test]
    fn condition_values_collapse_to_one_string_and_drop_repeats() {
        assert_eq!(
            ConditionValue::from_values(vec!["a".into(), "a".into()]),
            ConditionValue::One("a".into())
        );
        assert_eq!(
            ConditionValue::from_values(vec!["b".into(), "a".into(), "b".into()]),
            ConditionValue::Many(vec!["b".into(), "a".into()])
        );
    }
}
