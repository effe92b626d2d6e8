//! Lists the reference does not carry: global condition keys, privilege-escalation actions and
//! broad AWS managed policies.

/// AWS global condition context keys (IAM User Guide, "AWS global condition context keys").
/// `${...}` parts stand for any text.
pub const GLOBAL_CONDITION_KEYS: &[&str] = &[
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:FederatedProvider",
    "aws:Ec2InstanceSourcePrivateIPv4",
    "aws:Ec2InstanceSourceVpc",
    "aws:MultiFactorAuthAge",
    "aws:MultiFactorAuthPresent",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:PrincipalTag/${TagKey}",
    "aws:PrincipalType",
    "aws:Referer",
    "aws:RequestedRegion",
    "aws:RequestTag/${TagKey}",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:ResourceTag/${TagKey}",
    "aws:SecureTransport",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceIdentity",
    "aws:SourceIp",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceOwner",
    "aws:SourceVpc",
    "aws:SourceVpcArn",
    "aws:SourceVpce",
    "aws:TagKeys",
    "aws:TokenIssueTime",
    "aws:UserAgent",
    "aws:userid",
    "aws:username",
    "aws:ViaAWSService",
    "aws:VpcSourceIp",
    "aws:VpceAccount",
    "aws:VpceOrgID",
    "aws:VpceOrgPaths",
    "aws:AssumedRoot",
    "aws:ChatbotSourceArn",
    "aws:IsMcpServiceAction",
];

/// Actions that let a principal give itself, or another principal, more permissions than it
/// has: the IAM privilege-escalation paths documented by security researchers (policy versions,
/// attaching and putting policies, trust and boundary changes, credentials for other users).
pub const PRIVILEGE_ESCALATION_ACTIONS: &[&str] = &[
    "iam:AddUserToGroup",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreatePolicyVersion",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:PutGroupPolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:PutUserPolicy",
    "iam:SetDefaultPolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateLoginProfile",
    "sts:AssumeRole",
];

/// AWS managed policies that grant far more than a single workload needs: administrator and
/// power-user access, and full access to a service.
pub fn is_broad_managed_policy(arn: &str) -> bool {
    let Some(name) = arn
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":iam::aws:policy/"))
    else {
        return false;
    };
    let name = name.1.rsplit('/').next().unwrap_or_default();
    matches!(
        name,
        "AdministratorAccess" | "PowerUserAccess" | "IAMFullAccess"
    ) || name.ends_with("FullAccess")
        || name.ends_with("PowerUser")
        || name.ends_with("ReadWrite")
}

/// Whether a condition key matches a key template from the reference, case-blind, where
/// `${...}` stands for any non-empty text (`aws:RequestTag/${TagKey}` matches
/// `aws:RequestTag/team`).
pub fn key_matches_template(key: &str, template: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let template = template.to_ascii_lowercase();
    let mut pattern = String::new();
    let mut rest = template.as_str();
    while let Some(start) = rest.find("${") {
        pattern.push_str(&rest[..start]);
        pattern.push('*');
        rest = rest[start..]
            .find('}')
            .map_or("", |end| &rest[start + end + 1..]);
    }
    pattern.push_str(rest);
    if !pattern.contains('*') {
        return key == pattern;
    }
    crate::policy::action::wildcard_match(&pattern, &key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_templates_match_their_instances() {
        assert!(key_matches_template(
            "aws:RequestTag/team",
            "aws:RequestTag/${TagKey}"
        ));
        assert!(key_matches_template("S3:Prefix", "s3:prefix"));
        assert!(!key_matches_template("s3:prefixes", "s3:prefix"));
        assert!(!key_matches_template(
            "aws:RequestTag",
            "aws:RequestTag/${TagKey}"
        ));
    }

    #[test]
    fn broad_policies_are_recognised_by_name() {
        assert!(is_broad_managed_policy(
            "arn:aws:iam::aws:policy/AdministratorAccess"
        ));
        assert!(is_broad_managed_policy(
            "arn:aws:iam::aws:policy/AmazonS3FullAccess"
        ));
        assert!(is_broad_managed_policy(
            "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"
        ));
        assert!(!is_broad_managed_policy(
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        ));
        assert!(!is_broad_managed_policy(
            "arn:aws:iam::123456789012:policy/MyFullAccess"
        ));
    }
}
