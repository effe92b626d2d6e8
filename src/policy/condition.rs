//! IAM condition blocks: operator names, key names and value types.

use std::collections::BTreeMap;

use serde_json::Value;

use super::document::{ConditionBlock, ConditionValue};

/// IAM's condition operators, without the `IfExists` suffix and set-operator prefixes.
const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

/// Check one operator name, allowing `ForAllValues:`/`ForAnyValue:` and `IfExists`.
pub fn validate_operator(operator: &str) -> Result<(), String> {
    let base = operator
        .strip_prefix("ForAllValues:")
        .or_else(|| operator.strip_prefix("ForAnyValue:"))
        .unwrap_or(operator);
    let (base, if_exists) = match base.strip_suffix("IfExists") {
        Some(stripped) => (stripped, true),
        None => (base, false),
    };
    if !OPERATORS.contains(&base) {
        let suggestion = crate::catalog::closest(base, OPERATORS)
            .map(|name| format!(" (did you mean {name}?)"))
            .unwrap_or_default();
        return Err(format!(
            "'{operator}' is not an IAM condition operator{suggestion}"
        ));
    }
    if if_exists && base == "Null" {
        return Err(
            "'NullIfExists' is not an IAM condition operator: Null already tests \
                    whether the key exists"
                .to_string(),
        );
    }
    Ok(())
}

/// Condition keys are `prefix:name`, e.g. `aws:SourceIp`, `s3:prefix`,
/// `aws:RequestTag/team`.
pub fn validate_key(key: &str) -> Result<(), String> {
    match key.split_once(':') {
        Some((prefix, name))
            if !prefix.is_empty()
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !name.is_empty()
                && !name.chars().any(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "'{key}' is not a condition key; keys look like aws:SourceIp or s3:prefix"
        )),
    }
}

/// A condition value as IAM takes it: strings, with numbers and booleans written as text.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Turn the user's condition block into canonical form, reporting each problem with the path
/// below `field` where it was found.
pub fn normalize_conditions(
    conditions: &BTreeMap<String, BTreeMap<String, Value>>,
    field: &str,
    problems: &mut Vec<(String, String)>,
) -> ConditionBlock {
    let mut block = ConditionBlock::new();
    for (operator, keys) in conditions {
        let operator_field = format!("{field}.{operator}");
        if let Err(message) = validate_operator(operator) {
            problems.push((operator_field.clone(), message));
        }
        if keys.is_empty() {
            problems.push((operator_field.clone(), "names no condition key".to_string()));
        }
        for (key, value) in keys {
            let key_field = format!("{operator_field}.{key}");
            if let Err(message) = validate_key(key) {
                problems.push((key_field.clone(), message));
            }
            let values: Option<Vec<String>> = match value {
                Value::Array(items) => items.iter().map(scalar).collect(),
                other => scalar(other).map(|text| vec![text]),
            };
            match values {
                Some(values) if !values.is_empty() => {
                    block
                        .entry(operator.clone())
                        .or_default()
                        .insert(key.clone(), ConditionValue::from_values(values));
                }
                Some(_) => problems.push((key_field, "has an empty list of values".to_string())),
                None => problems.push((
                    key_field,
                    "must be a string, number, boolean or a list of them".to_string(),
                )),
            }
        }
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operators_take_set_prefixes_and_if_exists() {
        for operator in [
            "StringEquals",
            "ForAnyValue:StringLike",
            "ForAllValues:StringEquals",
            "ArnLikeIfExists",
            "Null",
        ] {
            assert_eq!(validate_operator(operator), Ok(()), "{operator}");
        }
        assert!(
            validate_operator("StringEqual")
                .unwrap_err()
                .contains("did you mean StringEquals")
        );
        assert!(validate_operator("NullIfExists").is_err());
    }

    #[test]
    fn keys_need_a_prefix() {
        assert!(validate_key("aws:SourceIp").is_ok());
        assert!(validate_key("aws:RequestTag/team").is_ok());
        assert!(validate_key("SourceIp").is_err());
        assert!(validate_key("aws:").is_err());
    }

    #[test]
    fn values_become_strings_and_bad_ones_are_named() {
        let input: BTreeMap<String, BTreeMap<String, Value>> = serde_json::from_value(json!({
            "Bool": {"aws:SecureTransport": true},
            "NumericLessThan": {"s3:max-keys": 10},
            "StringEquals": {"aws:RequestTag/team": ["a", "b"], "aws:x": {"nested": 1}},
            "StringLike": {"s3:prefix": []}
        }))
        .unwrap();
        let mut problems = Vec::new();
        let block = normalize_conditions(&input, "spec.statements[0].conditions", &mut problems);
        assert_eq!(
            block["Bool"]["aws:SecureTransport"],
            ConditionValue::One("true".into())
        );
        assert_eq!(
            block["NumericLessThan"]["s3:max-keys"],
            ConditionValue::One("10".into())
        );
        assert_eq!(
            block["StringEquals"]["aws:RequestTag/team"],
            ConditionValue::Many(vec!["a".into(), "b".into()])
        );
        let fields: Vec<&str> = problems.iter().map(|(field, _)| field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "spec.statements[0].conditions.StringEquals.aws:x",
                "spec.statements[0].conditions.StringLike.s3:prefix"
            ]
        );
    }
}
