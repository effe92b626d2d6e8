//! Which S3 actions act on a bucket and which on objects.
//!
//! The lists follow the resource types of the S3 actions in the AWS Service Authorization
//! Reference ("bucket" or "object"). They decide where the statement builder puts each action;
//! an action that is in neither list is treated as unknown.

use super::action::wildcard_match;

/// Actions whose resource is an object (`arn:aws:s3:::BUCKET/KEY`).
pub const OBJECT_ACTIONS: &[&str] = &[
    "AbortMultipartUpload",
    "BypassGovernanceRetention",
    "DeleteObject",
    "DeleteObjectTagging",
    "DeleteObjectVersion",
    "DeleteObjectVersionTagging",
    "GetObject",
    "GetObjectAcl",
    "GetObjectAttributes",
    "GetObjectLegalHold",
    "GetObjectRetention",
    "GetObjectTagging",
    "GetObjectTorrent",
    "GetObjectVersion",
    "GetObjectVersionAcl",
    "GetObjectVersionAttributes",
    "GetObjectVersionForReplication",
    "GetObjectVersionTagging",
    "GetObjectVersionTorrent",
    "InitiateReplication",
    "ListMultipartUploadParts",
    "ObjectOwnerOverrideToBucketOwner",
    "PutObject",
    "PutObjectAcl",
    "PutObjectLegalHold",
    "PutObjectRetention",
    "PutObjectTagging",
    "PutObjectVersionAcl",
    "PutObjectVersionTagging",
    "ReplicateDelete",
    "ReplicateObject",
    "ReplicateTags",
    "RestoreObject",
];

/// Actions whose resource is a bucket (`arn:aws:s3:::BUCKET`).
pub const BUCKET_ACTIONS: &[&str] = &[
    "CreateBucket",
    "DeleteBucket",
    "DeleteBucketOwnershipControls",
    "DeleteBucketPolicy",
    "DeleteBucketWebsite",
    "GetAccelerateConfiguration",
    "GetAnalyticsConfiguration",
    "GetBucketAcl",
    "GetBucketCORS",
    "GetBucketLocation",
    "GetBucketLogging",
    "GetBucketNotification",
    "GetBucketObjectLockConfiguration",
    "GetBucketOwnershipControls",
    "GetBucketPolicy",
    "GetBucketPolicyStatus",
    "GetBucketPublicAccessBlock",
    "GetBucketRequestPayment",
    "GetBucketTagging",
    "GetBucketVersioning",
    "GetBucketWebsite",
    "GetEncryptionConfiguration",
    "GetIntelligentTieringConfiguration",
    "GetInventoryConfiguration",
    "GetLifecycleConfiguration",
    "GetMetricsConfiguration",
    "GetReplicationConfiguration",
    "ListBucket",
    "ListBucketMultipartUploads",
    "ListBucketVersions",
    "PutAccelerateConfiguration",
    "PutAnalyticsConfiguration",
    "PutBucketAcl",
    "PutBucketCORS",
    "PutBucketLogging",
    "PutBucketNotification",
    "PutBucketObjectLockConfiguration",
    "PutBucketOwnershipControls",
    "PutBucketPolicy",
    "PutBucketPublicAccessBlock",
    "PutBucketRequestPayment",
    "PutBucketTagging",
    "PutBucketVersioning",
    "PutBucketWebsite",
    "PutEncryptionConfiguration",
    "PutIntelligentTieringConfiguration",
    "PutInventoryConfiguration",
    "PutLifecycleConfiguration",
    "PutMetricsConfiguration",
    "PutReplicationConfiguration",
];

/// Bucket actions that take the `s3:prefix` condition key, so a key prefix can scope them.
pub const PREFIX_LISTING_ACTIONS: &[&str] = &["ListBucket", "ListBucketVersions"];

/// Bucket actions that reveal nothing about keys and that SDKs call before object access, so
/// they may go with a prefix-scoped statement unconditioned.
pub const PREFIX_SAFE_BUCKET_ACTIONS: &[&str] = &["GetBucketLocation"];

/// What kind of resource an S3 action (possibly a wildcard) applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum S3ActionKind {
    Bucket,
    Object,
    /// A wildcard that matches both bucket and object actions.
    Both,
    /// Matches no action in either list.
    Unknown,
}

/// The known actions in `list` that `name` (an action name without `s3:`) matches.
pub fn matching<'a>(name: &str, list: &[&'a str]) -> Vec<&'a str> {
    list.iter()
        .copied()
        .filter(|known| wildcard_match(name, known))
        .collect()
}

/// Classify an action name (without the `s3:` prefix).
pub fn classify(name: &str) -> S3ActionKind {
    let bucket = !matching(name, BUCKET_ACTIONS).is_empty();
    let object = !matching(name, OBJECT_ACTIONS).is_empty();
    match (bucket, object) {
        (true, true) => S3ActionKind::Both,
        (true, false) => S3ActionKind::Bucket,
        (false, true) => S3ActionKind::Object,
        (false, false) => S3ActionKind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_names_and_wildcards() {
        assert_eq!(classify("GetObject"), S3ActionKind::Object);
        assert_eq!(classify("getobject"), S3ActionKind::Object);
        assert_eq!(classify("ListBucket"), S3ActionKind::Bucket);
        assert_eq!(classify("*Object"), S3ActionKind::Object);
        assert_eq!(classify("GetBucket*"), S3ActionKind::Bucket);
        assert_eq!(classify("Get*"), S3ActionKind::Both);
        assert_eq!(classify("*"), S3ActionKind::Both);
        assert_eq!(classify("ListAllMyBuckets"), S3ActionKind::Unknown);
    }

    #[test]
    fn the_lists_do_not_overlap() {
        for name in OBJECT_ACTIONS {
            assert!(!BUCKET_ACTIONS.contains(name), "{name}");
        }
        for name in PREFIX_LISTING_ACTIONS
            .iter()
            .chain(PREFIX_SAFE_BUCKET_ACTIONS)
        {
            assert!(BUCKET_ACTIONS.contains(name), "{name}");
        }
    }
}
