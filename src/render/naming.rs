//! Role names and paths.

use sha2::{Digest, Sha256};

/// IAM's longest role name.
pub const MAX_ROLE_NAME: usize = 64;

/// Hex digits of the hash suffix of a shortened name: 40 bits keep accidental collisions
/// negligible for any realistic number of roles in one account.
const HASH_DIGITS: usize = 10;

/// The default role name of a ServiceRole: `PREFIX` + `NAMESPACE.NAME`.
///
/// A namespace cannot contain a dot, so the first dot always separates the two and distinct
/// objects get distinct names; the prefix (a setting, empty by default) keeps clusters that
/// share an account apart. Names over 64 characters are cut and given a hash of the full name,
/// which keeps them unique and stable.
pub fn default_role_name(prefix: &str, namespace: &str, name: &str) -> String {
    let full = format!("{prefix}{namespace}.{name}");
    if full.len() <= MAX_ROLE_NAME {
        return full;
    }
    let digest = Sha256::digest(format!("{prefix}{namespace}/{name}").as_bytes());
    let hash: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    // Role names and Kubernetes names are ASCII, so cutting at a byte index is safe.
    let keep = MAX_ROLE_NAME - HASH_DIGITS - 1;
    let head = full[..keep].trim_end_matches(['.', '-']);
    format!("{head}-{}", &hash[..HASH_DIGITS])
}

/// IAM role names: 1 to 64 characters of letters, digits and `+=,.@_-`.
pub fn validate_role_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_ROLE_NAME {
        return Err(format!(
            "'{name}' must be 1 to {MAX_ROLE_NAME} characters long"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c)))
    {
        return Err(format!(
            "'{name}' contains '{bad}'; IAM role names allow letters, digits and +=,.@_-"
        ));
    }
    Ok(())
}

/// The role's path: the configured prefix, then the namespace.
pub fn role_path(prefix: &str, namespace: &str) -> String {
    format!("{prefix}{namespace}/")
}

/// IAM paths: `/` alone, or starting and ending with `/`; at most 512 characters from `!` to
/// `~`.
pub fn validate_path(path: &str) -> Result<(), String> {
    if path.is_empty() || path.len() > 512 {
        return Err(format!("'{path}' must be 1 to 512 characters long"));
    }
    if !path.starts_with('/') || !path.ends_with('/') {
        return Err(format!("'{path}' must start and end with '/'"));
    }
    if path.contains("//") {
        return Err(format!("'{path}' has an empty segment ('//')"));
    }
    if let Some(bad) = path.chars().find(|c| !('!'..='~').contains(c)) {
        return Err(format!(
            "'{path}' contains '{bad}', which IAM paths do not allow"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_namespace_dot_name() {
        assert_eq!(default_role_name("", "team-a", "reader"), "team-a.reader");
        assert_eq!(
            default_role_name("eu1-", "team-a", "reader"),
            "eu1-team-a.reader"
        );
    }

    #[test]
    fn names_that_would_collide_when_joined_with_a_dash_stay_distinct() {
        assert_ne!(
            default_role_name("", "a-b", "c"),
            default_role_name("", "a", "b-c")
        );
    }

    #[test]
    fn long_names_are_cut_to_64_with_a_stable_hash() {
        let namespace = "analytics-platform-production";
        let name = "nightly-ingest-of-the-clickstream-events-into-the-lake";
        let first = default_role_name("", namespace, name);
        assert_eq!(first.len(), 64);
        assert_eq!(first, default_role_name("", namespace, name));
        assert!(validate_role_name(&first).is_ok());
        let other = default_role_name("", namespace, &format!("{name}-2"));
        assert_ne!(first, other);
        assert_eq!(first[..40], other[..40]);
        let prefixed = default_role_name("cluster-eu-west-1-", namespace, name);
        assert_eq!(prefixed.len(), 64);
        assert!(prefixed.starts_with("cluster-eu-west-1-analytics"));
        assert_ne!(prefixed, first);
    }

    #[test]
    fn role_names_follow_iam_rules() {
        assert!(validate_role_name("app_Role+=,.@-1").is_ok());
        assert!(validate_role_name("").is_err());
        assert!(
            validate_role_name(&"a".repeat(65))
                .unwrap_err()
                .contains("1 to 64")
        );
        assert!(validate_role_name("has space").unwrap_err().contains("' '"));
        assert!(
            validate_role_name("slash/name")
                .unwrap_err()
                .contains("'/'")
        );
    }

    #[test]
    fn paths_follow_iam_rules() {
        assert_eq!(role_path("/rolesmith/", "team-a"), "/rolesmith/team-a/");
        assert!(validate_path("/").is_ok());
        assert!(validate_path("/rolesmith/team-a/").is_ok());
        assert!(validate_path("rolesmith/").is_err());
        assert!(validate_path("/rolesmith").is_err());
        assert!(validate_path("/a//b/").is_err());
        assert!(validate_path("/a b/").is_err());
        assert!(validate_path(&format!("/{}/", "a".repeat(511))).is_err());
    }
}
