//! Semantic policy comparison.
//!
//! IAM stores a policy as written and hands it back URL-encoded, and other tools rewrite
//! policies freely: statement and value order, a string versus a one-element list, white space
//! and the case of action names all change the text without changing the meaning. Comparing
//! text would make every resync rewrite the policy; comparing normal forms does not.

use serde_json::{Map, Value};

/// Keys whose value is a set of strings (order and repeats do not matter).
const SET_KEYS: &[&str] = &["Action", "NotAction", "Resource", "NotResource"];

/// The normal form of a policy document: a value that two documents share exactly when IAM
/// would treat them the same.
pub fn normalize_policy(document: &Value) -> Value {
    let Value::Object(object) = document else {
        return document.clone();
    };
    let mut normal = Map::new();
    for (key, value) in object {
        let value = match key.as_str() {
            "Statement" => {
                let statements = match value {
                    Value::Array(items) => items.iter().map(normalize_statement).collect(),
                    single => vec![normalize_statement(single)],
                };
                // Statement order carries no meaning in IAM.
                let mut keyed: Vec<(String, Value)> =
                    statements.into_iter().map(|s| (s.to_string(), s)).collect();
                keyed.sort_by(|a, b| a.0.cmp(&b.0));
                keyed.dedup_by(|a, b| a.0 == b.0);
                Value::Array(keyed.into_iter().map(|(_, s)| s).collect())
            }
            _ => value.clone(),
        };
        normal.insert(key.clone(), value);
    }
    Value::Object(normal)
}

fn normalize_statement(statement: &Value) -> Value {
    let Value::Object(object) = statement else {
        return statement.clone();
    };
    let mut normal = Map::new();
    for (key, value) in object {
        let value = match key.as_str() {
            "Action" | "NotAction" => string_set(value, true),
            k if SET_KEYS.contains(&k) => string_set(value, false),
            "Principal" | "NotPrincipal" => match value {
                Value::Object(principals) => Value::Object(
                    principals
                        .iter()
                        .map(|(kind, ids)| (kind.clone(), string_set(ids, false)))
                        .collect(),
                ),
                other => other.clone(),
            },
            "Condition" => match value {
                Value::Object(operators) => Value::Object(
                    operators
                        .iter()
                        .map(|(operator, keys)| {
                            let keys = match keys {
                                Value::Object(keys) => Value::Object(
                                    keys.iter()
                                        .map(|(key, values)| {
                                            (key.clone(), string_set(values, false))
                                        })
                                        .collect(),
                                ),
                                other => other.clone(),
                            };
                            (operator.clone(), keys)
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            _ => value.clone(),
        };
        normal.insert(key.clone(), value);
    }
    Value::Object(normal)
}

/// A string, a number, a boolean or a list of them → a sorted list of distinct strings.
fn string_set(value: &Value, case_blind: bool) -> Value {
    let scalar = |item: &Value| match item {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let mut items: Vec<String> = match value {
        Value::Array(items) => items.iter().map(scalar).collect(),
        single => vec![scalar(single)],
    };
    if case_blind {
        items = items
            .into_iter()
            .map(|item| item.to_ascii_lowercase())
            .collect();
    }
    items.sort();
    items.dedup();
    Value::Array(items.into_iter().map(Value::String).collect())
}

/// Whether two policy documents mean the same.
pub fn same_policy(a: &Value, b: &Value) -> bool {
    normalize_policy(a) == normalize_policy(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn order_shape_repeats_and_action_case_do_not_matter() {
        let written = json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                 "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                 "Condition": {"StringLike": {"s3:prefix": ["raw/", "raw/*"]}}},
                {"Sid": "B", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": ["*"]}
            ]
        });
        let returned = json!({
            "Statement": [
                {"Resource": "*", "Effect": "Allow", "Action": "SQS:sendmessage", "Sid": "B"},
                {"Condition": {"StringLike": {"s3:prefix": ["raw/*", "raw/", "raw/"]}},
                 "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b"], "Effect": "Allow",
                 "Action": ["s3:ListBucket", "s3:GetObject", "s3:GetObject"], "Sid": "A"}
            ],
            "Version": "2012-10-17"
        });
        assert!(same_policy(&written, &returned));
    }

    #[test]
    fn a_single_statement_object_equals_a_one_element_list() {
        let listed = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]});
        let single = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}});
        assert!(same_policy(&listed, &single));
    }

    #[test]
    fn condition_values_compare_as_text() {
        let boolean =
            json!({"Statement": [{"Condition": {"Bool": {"aws:SecureTransport": true}}}]});
        let text =
            json!({"Statement": [{"Condition": {"Bool": {"aws:SecureTransport": ["true"]}}}]});
        assert!(same_policy(&boolean, &text));
    }

    #[test]
    fn real_differences_are_seen() {
        let base = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        let widened = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]},
            "Action": "sts:AssumeRole"}]});
        let denied = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        let extra = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]});
        let resource_case = json!({"Statement": [{"Resource": "arn:aws:s3:::Bucket"}]});
        let lower = json!({"Statement": [{"Resource": "arn:aws:s3:::bucket"}]});
        assert!(!same_policy(&base, &widened));
        assert!(!same_policy(&base, &denied));
        assert!(!same_policy(&base, &extra));
        assert!(!same_policy(&resource_case, &lower));
    }
}
