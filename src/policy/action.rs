//! IAM action names (`service:Action`) and wildcard matching.

/// Check that an action is `service:Action` with an optional `*`/`?` wildcard in the name.
pub fn validate_action(action: &str) -> Result<(), String> {
    if action == "*" {
        return Err(
            "a bare '*' grants every action of every AWS service; name the service, \
                    for example 's3:GetObject' or 's3:Get*'"
                .to_string(),
        );
    }
    let Some((service, name)) = action.split_once(':') else {
        return Err(format!(
            "'{action}' is not of the form service:Action (e.g. s3:GetObject)"
        ));
    };
    if service.is_empty()
        || !service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(format!(
            "'{action}' has service prefix '{service}'; a prefix is letters, digits and '-' \
             (e.g. s3, dynamodb, ecr)"
        ));
    }
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
    {
        return Err(format!(
            "'{action}' has action name '{name}'; a name is letters and digits, with '*' or '?' \
             as wildcards"
        ));
    }
    Ok(())
}

/// The service prefix of a valid action, lower-cased (IAM compares prefixes case-blind).
pub fn service_prefix(action: &str) -> String {
    action
        .split_once(':')
        .map(|(service, _)| service)
        .unwrap_or(action)
        .to_ascii_lowercase()
}

/// The action name after the colon.
pub fn action_name(action: &str) -> &str {
    action
        .split_once(':')
        .map(|(_, name)| name)
        .unwrap_or(action)
}

/// IAM's wildcard match: `*` any run of characters, `?` one character, case-blind as IAM
/// compares action names.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let text: Vec<char> = text.to_ascii_lowercase().chars().collect();
    // Classic two-pointer glob match with backtracking to the last star.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_names_and_inner_wildcards() {
        for action in [
            "s3:GetObject",
            "s3:Get*",
            "s3:*",
            "ec2:Describe?nstances",
            "sso-oauth:X",
        ] {
            assert_eq!(validate_action(action), Ok(()), "{action}");
        }
    }

    #[test]
    fn refuses_bare_star_and_malformed_actions() {
        assert!(validate_action("*").unwrap_err().contains("bare '*'"));
        assert!(
            validate_action("s3GetObject")
                .unwrap_err()
                .contains("service:Action")
        );
        assert!(
            validate_action(":GetObject")
                .unwrap_err()
                .contains("service prefix")
        );
        assert!(validate_action("s3:").unwrap_err().contains("action name"));
        assert!(
            validate_action("s3:Get Object")
                .unwrap_err()
                .contains("action name")
        );
        assert!(
            validate_action("s*:GetObject")
                .unwrap_err()
                .contains("service prefix")
        );
    }

    #[test]
    fn wildcards_match_like_iam() {
        assert!(wildcard_match("Get*", "GetObject"));
        assert!(wildcard_match("get*", "GetObject"));
        assert!(wildcard_match("*Object", "PutObject"));
        assert!(wildcard_match("*", "ListBucket"));
        assert!(wildcard_match("Get?bject", "GetObject"));
        assert!(wildcard_match("*Object*", "GetObjectTagging"));
        assert!(!wildcard_match("Get*", "PutObject"));
        assert!(!wildcard_match("GetObject", "GetObjectAcl"));
        assert!(!wildcard_match("List*s", "ListBucket"));
    }
}
