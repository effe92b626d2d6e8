//! ARN parsing and shape checks.
//!
//! Whether an ARN needs a region and an account comes from the ARN formats of the Service
//! Authorization Reference: S3 buckets and objects have neither, IAM ARNs have no region, most
//! regional resources have both. Parts holding wildcards or policy variables are not judged.

use std::fmt;

use crate::catalog::reference::{ResourceType, reference};

/// The partitions AWS has; an ARN in any other is a typo.
pub const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The parts of an ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    /// Everything after the fifth colon; it may hold more colons.
    pub resource: &'a str,
}

/// Why an ARN was refused; the message names the part that is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnError(pub String);

impl fmt::Display for ArnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether an ARN part (region or account) is present in every, no, or some of the formats
/// an ARN could be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Required,
    Forbidden,
    Optional,
}

/// Region and account rules for this ARN, from the ARN formats of the resource types its
/// resource part can be (S3 buckets have neither; access points have both). `None` when the
/// service or the resource type is unknown: only the generic checks apply then.
fn shape(arn: &Arn) -> Option<(Part, Part, String)> {
    let service = reference().service(arn.service)?;
    let mut candidates = Vec::new();
    for resource_type in service.resource_types() {
        let mut parts = resource_type.arn_format.splitn(6, ':');
        let (Some(_), Some(_), Some(_), Some(region), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            continue;
        };
        let resource_format = ResourceType {
            name: String::new(),
            arn_format: resource.to_string(),
        };
        if service.arn_matches(arn.resource, &resource_format) {
            candidates.push((
                region.is_empty(),
                account.is_empty(),
                resource_type.name.clone(),
            ));
        }
    }
    if candidates.is_empty() {
        return None;
    }
    let judge = |empty: &dyn Fn(&(bool, bool, String)) -> bool| {
        if candidates.iter().all(empty) {
            Part::Forbidden
        } else if candidates.iter().all(|c| !empty(c)) {
            Part::Required
        } else {
            Part::Optional
        }
    };
    let names: Vec<&str> = candidates
        .iter()
        .map(|(_, _, name)| name.as_str())
        .collect();
    Some((judge(&|c| c.0), judge(&|c| c.1), names.join("/")))
}

/// S3 resources other than buckets and objects start with a type word and a slash.
fn is_s3_bucket_or_object(resource: &str) -> bool {
    const TYPED: &[&str] = &[
        "accesspoint/",
        "job/",
        "storage-lens/",
        "storage-lens-group/",
        "access-grants/",
        "async-request/",
        "multi-region-access-point/",
    ];
    !TYPED.iter().any(|prefix| resource.starts_with(prefix))
}

/// Byte offsets of the first five colons that separate ARN parts; a colon inside a policy
/// variable such as `${aws:RequestedRegion}` separates nothing.
fn separator_colons(text: &str) -> Vec<usize> {
    let mut colons = Vec::new();
    let mut in_variable = false;
    let mut previous = '\0';
    for (offset, c) in text.char_indices() {
        match c {
            '{' if previous == '$' => in_variable = true,
            '}' => in_variable = false,
            ':' if !in_variable && colons.len() < 5 => colons.push(offset),
            _ => {}
        }
        previous = c;
    }
    colons
}

/// A part holding a wildcard or a policy variable is not checked further: IAM matches it at
/// request time.
fn is_pattern(part: &str) -> bool {
    part.contains('*') || part.contains('?') || part.contains("${")
}

fn is_region(part: &str) -> bool {
    // Region names: two letters, optional qualifiers, a direction word and a number.
    let pieces: Vec<&str> = part.split('-').collect();
    pieces.len() >= 3
        && pieces[0].len() == 2
        && pieces.iter().all(|piece| !piece.is_empty())
        && pieces[..pieces.len() - 1]
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_lowercase()))
        && pieces[pieces.len() - 1].chars().all(|c| c.is_ascii_digit())
}

fn is_account(part: &str) -> bool {
    part.len() == 12 && part.chars().all(|c| c.is_ascii_digit())
}

impl<'a> Arn<'a> {
    /// Split an ARN into its parts, refusing anything that is not `arn:` plus five fields.
    pub fn parse(text: &'a str) -> Result<Arn<'a>, ArnError> {
        let colons = separator_colons(text);
        if colons.len() < 5 {
            return Err(ArnError(format!(
                "'{text}' is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)"
            )));
        }
        let part = |index: usize| {
            let start = if index == 0 { 0 } else { colons[index - 1] + 1 };
            &text[start..colons[index]]
        };
        if part(0) != "arn" {
            return Err(ArnError(format!(
                "'{text}' is not an ARN: it must start with 'arn:'"
            )));
        }
        Ok(Arn {
            partition: part(1),
            service: part(2),
            region: part(3),
            account: part(4),
            resource: &text[colons[4] + 1..],
        })
    }

    /// Check each part against the service's shape and the expected partition.
    pub fn validate(&self, expected_partition: &str) -> Result<(), ArnError> {
        self.validate_form(Some(expected_partition))?;
        self.validate_present_parts()
    }

    /// Everything but a missing region or account: the parts that are there are well formed,
    /// and none is there that the resource type does not have. `expected_partition: None`
    /// accepts any partition (a standalone policy does not say where it will be used).
    pub fn validate_form(&self, expected_partition: Option<&str>) -> Result<(), ArnError> {
        let text = self.to_string();
        if self.partition == "*" && expected_partition.is_none() {
            // `arn:*:...` is a valid wildcard over partitions in a policy.
        } else if !PARTITIONS.contains(&self.partition) {
            return Err(ArnError(format!(
                "'{text}' has partition '{}', which is not an AWS partition ({})",
                self.partition,
                PARTITIONS.join(", ")
            )));
        }
        if let Some(expected_partition) = expected_partition
            && self.partition != expected_partition
        {
            return Err(ArnError(format!(
                "'{text}' is in partition '{}' but the role lives in '{expected_partition}'",
                self.partition
            )));
        }
        if self.service.is_empty()
            || !self
                .service
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(ArnError(format!(
                "'{text}' has service '{}', which is not an AWS service prefix",
                self.service
            )));
        }
        if self.resource.is_empty() {
            return Err(ArnError(format!("'{text}' has an empty resource part")));
        }
        if !self.region.is_empty() && !is_pattern(self.region) && !is_region(self.region) {
            return Err(ArnError(format!(
                "'{text}' has region '{}', which is not a region name like us-east-1",
                self.region
            )));
        }
        // `aws` owns AWS managed policies, public hubs and other AWS-owned resources.
        let account_ok =
            is_account(self.account) || is_pattern(self.account) || self.account == "aws";
        if !self.account.is_empty() && !account_ok {
            return Err(ArnError(format!(
                "'{text}' has account '{}', which is not a 12-digit account id",
                self.account
            )));
        }
        self.check_shape(Part::Forbidden)
    }

    /// A region and an account where the resource type has them. AWS-owned resources
    /// sometimes leave them out, so standalone policies get this only as a warning.
    pub fn validate_present_parts(&self) -> Result<(), ArnError> {
        self.check_shape(Part::Required)
    }

    /// Apply the resource type's region and account rules of kind `only`.
    fn check_shape(&self, only: Part) -> Result<(), ArnError> {
        let text = self.to_string();
        if let Some((region, account, kind)) = shape(self) {
            check_part(&text, &kind, "region", self.region, region, only)?;
            check_part(&text, &kind, "account", self.account, account, only)?;
        }
        Ok(())
    }

    /// For S3 ARNs: the bucket name when the ARN names a bucket (no `/` in the resource).
    pub fn s3_bucket(&self) -> Option<&'a str> {
        (self.service == "s3"
            && self.region.is_empty()
            && self.account.is_empty()
            && is_s3_bucket_or_object(self.resource)
            && !self.resource.contains('/'))
        .then_some(self.resource)
    }
}

/// Apply `rule` to one part, if it is the rule being checked (`only`).
fn check_part(
    text: &str,
    kind: &str,
    name: &str,
    value: &str,
    rule: Part,
    only: Part,
) -> Result<(), ArnError> {
    if rule != only {
        return Ok(());
    }
    match rule {
        Part::Required if value.is_empty() => Err(ArnError(format!(
            "'{text}' has no {name}, but {kind} ARNs need one (use '*' to match any)"
        ))),
        Part::Forbidden if !value.is_empty() && value != "*" => Err(ArnError(format!(
            "'{text}' has {name} '{value}', but {kind} ARNs have none: leave the {name} empty"
        ))),
        _ => Ok(()),
    }
}

impl fmt::Display for Arn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

/// Parse and validate in one step.
pub fn validate_arn(text: &str, partition: &str) -> Result<(), ArnError> {
    Arn::parse(text)?.validate(partition)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), String> {
        validate_arn(text, "aws").map_err(|error| error.0)
    }

    #[test]
    fn accepts_well_formed_arns_of_each_shape() {
        for arn in [
            "arn:aws:s3:::data-lake",
            "arn:aws:s3:::data-lake/raw/*",
            "arn:aws:s3:us-east-1:123456789012:accesspoint/reports",
            "arn:aws:iam::123456789012:role/app",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:dynamodb:eu-west-1:123456789012:table/orders",
            "arn:aws:logs:*:*:log-group:/aws/lambda/*",
            "arn:aws:sqs:us-gov-west-1:123456789012:queue",
            "arn:aws:ssm:us-east-1::parameter/aws/service/ami",
            "arn:aws:route53:::hostedzone/Z123",
            "arn:aws:lambda:${aws:RequestedRegion}:123456789012:function:f",
            "arn:aws:unknownsvc:ap-southeast-2:123456789012:thing/x",
        ] {
            assert_eq!(check(arn), Ok(()), "{arn}");
        }
    }

    #[test]
    fn refuses_region_or_account_on_s3_buckets() {
        let error = check("arn:aws:s3:us-east-1::bucket").unwrap_err();
        assert!(error.contains("region 'us-east-1'"), "{error}");
        let error = check("arn:aws:s3::123456789012:bucket").unwrap_err();
        assert!(error.contains("account '123456789012'"), "{error}");
    }

    #[test]
    fn refuses_region_on_global_services_and_missing_parts_on_regional_ones() {
        assert!(
            check("arn:aws:iam:us-east-1:123456789012:role/x")
                .unwrap_err()
                .contains("region")
        );
        assert!(
            check("arn:aws:dynamodb::123456789012:table/t")
                .unwrap_err()
                .contains("no region")
        );
        assert!(
            check("arn:aws:sqs:us-east-1::q")
                .unwrap_err()
                .contains("no account")
        );
    }

    #[test]
    fn refuses_bad_partitions_regions_accounts_and_forms() {
        assert!(
            check("arn:amazon:s3:::b")
                .unwrap_err()
                .contains("not an AWS partition")
        );
        assert!(
            check("arn:aws-cn:s3:::b")
                .unwrap_err()
                .contains("role lives in 'aws'")
        );
        assert!(
            check("arn:aws:sqs:useast1:123456789012:q")
                .unwrap_err()
                .contains("region")
        );
        assert!(
            check("arn:aws:sqs:us-east-1:12345:q")
                .unwrap_err()
                .contains("12-digit")
        );
        assert!(check("s3:::bucket").unwrap_err().contains("not an ARN"));
        assert!(
            check("arn:aws:s3:::")
                .unwrap_err()
                .contains("empty resource")
        );
        assert!(
            check("arn:aws:S3:::b")
                .unwrap_err()
                .contains("service prefix")
        );
    }

    #[test]
    fn knows_buckets_from_objects_and_access_points() {
        assert_eq!(
            Arn::parse("arn:aws:s3:::lake").unwrap().s3_bucket(),
            Some("lake")
        );
        assert_eq!(
            Arn::parse("arn:aws:s3:::lake/raw/*").unwrap().s3_bucket(),
            None
        );
        let access_point = "arn:aws:s3:us-east-1:123456789012:accesspoint/x";
        assert_eq!(Arn::parse(access_point).unwrap().s3_bucket(), None);
        assert_eq!(
            Arn::parse("arn:aws:sqs:us-east-1:123456789012:q")
                .unwrap()
                .s3_bucket(),
            None
        );
    }
}
