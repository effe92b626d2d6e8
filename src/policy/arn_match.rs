//! Could an ARN pattern from a policy name a resource of a given type?
//!
//! Both sides are patterns: the policy's ARN may hold `*`, `?` and policy variables
//! (`${aws:username}`), and the reference's format holds placeholders
//! (`arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}`). The ARN can name
//! such a resource when some string matches both. A `*` can stand for several ARN parts, so
//! `log-group:NAME:*` also matches the longer log-stream format; a placeholder stands for one
//! part (no `:`), except the last, which may run to the end (`function:NAME:ALIAS`).

use std::collections::HashSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatternToken {
    Char(char),
    AnyChar,
    AnyString,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormatToken {
    Char(char),
    /// `last`: may run to the end, colons included. `slash`: may hold `/`.
    Placeholder {
        last: bool,
        slash: bool,
    },
}

fn pattern_tokens(pattern: &str) -> Vec<PatternToken> {
    let mut tokens = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => tokens.push(PatternToken::AnyString),
            '?' => tokens.push(PatternToken::AnyChar),
            // A policy variable becomes some text at request time.
            '$' if chars.peek() == Some(&'{') => {
                for inner in chars.by_ref() {
                    if inner == '}' {
                        break;
                    }
                }
                tokens.push(PatternToken::AnyString);
            }
            other => tokens.push(PatternToken::Char(other)),
        }
    }
    tokens
}

fn format_tokens(format: &str, slashless: &dyn Fn(&str) -> bool) -> Vec<FormatToken> {
    let mut tokens = Vec::new();
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        tokens.extend(rest[..start].chars().map(FormatToken::Char));
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 2..start + end];
        tokens.push(FormatToken::Placeholder {
            last: false,
            slash: !slashless(name),
        });
        rest = &rest[start + end + 1..];
    }
    tokens.extend(rest.chars().map(FormatToken::Char));
    if let Some(FormatToken::Placeholder { last, .. }) = tokens.last_mut() {
        *last = true;
    }
    tokens
}

/// Placeholders that open a format's resource part and are followed by `/` there
/// (`${BucketName}/${ObjectName}`, `${ApiId}/${Stage}/...`) are the first path segment of the
/// service's ARNs: they hold no `/` in any of its formats. (Names further in are reused with
/// other shapes, so nothing is inferred for them.)
pub fn slashless_placeholders<'a>(formats: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for format in formats {
        let Some(resource) = format.splitn(6, ':').nth(5) else {
            continue;
        };
        let Some(inner) = resource.strip_prefix("${") else {
            continue;
        };
        let Some((name, after)) = inner.split_once('}') else {
            continue;
        };
        if after.starts_with('/') && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names
}

/// Whether some resource ARN matches both `pattern` and the reference `format`.
pub fn arn_matches_format(pattern: &str, format: &str) -> bool {
    arn_matches_format_of(pattern, format, &|_| false)
}

/// As [`arn_matches_format`], knowing which placeholders cannot hold `/`.
pub fn arn_matches_format_of(
    pattern: &str,
    format: &str,
    slashless: &dyn Fn(&str) -> bool,
) -> bool {
    let pattern = pattern_tokens(pattern);
    let format = format_tokens(format, slashless);
    // State: (position in pattern, position in format, whether the placeholder at the format
    // position has taken at least one character).
    let mut seen: HashSet<(usize, usize, bool)> = HashSet::new();
    let mut stack = vec![(0usize, 0usize, false)];
    while let Some(state) = stack.pop() {
        if !seen.insert(state) {
            continue;
        }
        let (i, j, taken) = state;
        if i == pattern.len() && j == format.len() {
            return true;
        }
        let placeholder = matches!(format.get(j), Some(FormatToken::Placeholder { .. }));
        // A placeholder that has taken a character may end here.
        if placeholder && taken {
            stack.push((i, j + 1, false));
        }
        let Some(token) = pattern.get(i) else {
            continue;
        };
        match token {
            PatternToken::AnyString => {
                // The star matches nothing more...
                stack.push((i + 1, j, taken));
                // ...or takes one more character from the format side.
                match format.get(j) {
                    Some(FormatToken::Char(_)) => stack.push((i, j + 1, false)),
                    Some(FormatToken::Placeholder { .. }) => stack.push((i, j, true)),
                    None => {}
                }
            }
            PatternToken::AnyChar | PatternToken::Char(_) => {
                let accepts = |c: Option<char>| match (format.get(j), c) {
                    (Some(FormatToken::Char(expected)), Some(c)) => *expected == c,
                    (Some(FormatToken::Char(_)), None) => true,
                    (Some(FormatToken::Placeholder { last, slash }), Some(c)) => {
                        (*last || c != ':') && (*slash || c != '/')
                    }
                    (Some(FormatToken::Placeholder { .. }), None) => true,
                    (None, _) => false,
                };
                let c = match token {
                    PatternToken::Char(c) => Some(*c),
                    _ => None,
                };
                if accepts(c) {
                    match format.get(j) {
                        Some(FormatToken::Char(_)) => stack.push((i + 1, j + 1, false)),
                        _ => stack.push((i + 1, j, true)),
                    }
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUCKET: &str = "arn:${Partition}:s3:::${BucketName}";
    const OBJECT: &str = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
    const LOG_GROUP: &str = "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}";
    const LOG_STREAM: &str = "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}";
    const QUEUE: &str = "arn:${Partition}:sqs:${Region}:${Account}:${QueueName}";
    const FUNCTION: &str = "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}";

    fn s3(pattern: &str, format: &str) -> bool {
        let slashless = slashless_placeholders([BUCKET, OBJECT].into_iter());
        arn_matches_format_of(pattern, format, &|name| slashless.iter().any(|n| n == name))
    }

    #[test]
    fn a_bucket_name_is_one_path_segment() {
        assert_eq!(
            slashless_placeholders([BUCKET, OBJECT].into_iter()),
            ["BucketName"]
        );
        assert!(s3("arn:aws:s3:::lake", BUCKET));
        assert!(!s3("arn:aws:s3:::lake/*", BUCKET));
        assert!(s3("arn:aws:s3:::lake/raw/*", OBJECT));
        assert!(s3("arn:aws:s3:::*", BUCKET) && s3("arn:aws:s3:::*", OBJECT));
    }

    #[test]
    fn buckets_and_objects_are_told_apart() {
        assert!(arn_matches_format("arn:aws:s3:::lake", BUCKET));
        assert!(!arn_matches_format("arn:aws:s3:::lake", OBJECT));
        assert!(arn_matches_format("arn:aws:s3:::lake/*", OBJECT));
        assert!(arn_matches_format(
            "arn:aws:s3:::lake/raw/${aws:username}/*",
            OBJECT
        ));
        // A trailing star may or may not reach into the key.
        assert!(arn_matches_format("arn:aws:s3:::lake*", OBJECT));
        assert!(arn_matches_format("arn:aws:s3:::lake*", BUCKET));
        assert!(!arn_matches_format("arn:aws:s3:us-east-1::lake", BUCKET));
    }

    #[test]
    fn a_wildcard_can_reach_a_longer_resource_type() {
        let group_star = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:*";
        assert!(arn_matches_format(group_star, LOG_STREAM));
        assert!(arn_matches_format("arn:aws:logs:*:*:*", LOG_STREAM));
        let group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn";
        assert!(arn_matches_format(group, LOG_GROUP));
        assert!(!arn_matches_format(group, LOG_STREAM));
    }

    #[test]
    fn placeholders_do_not_swallow_structure() {
        assert!(arn_matches_format(
            "arn:aws:sqs:us-east-1:123456789012:orders",
            QUEUE
        ));
        assert!(!arn_matches_format("arn:aws:sqs:us-east-1:orders", QUEUE));
        assert!(arn_matches_format(
            "arn:aws:lambda:us-east-1:123456789012:function:fn:live",
            FUNCTION
        ));
        assert!(arn_matches_format(
            "arn:aws:lambda:*:*:function:fn-?",
            FUNCTION
        ));
        assert!(!arn_matches_format(
            "arn:aws:lambda:us-east-1:123456789012:layer:fn",
            FUNCTION
        ));
        assert!(arn_matches_format("*", FUNCTION));
    }
}
