//! The service catalog: which AWS services may assume a rolesmith role, and what each needs.
//!
//! Every entry is data, written from the AWS documentation of the service's execution or
//! service role (principal, trust actions, confused-deputy keys) and from the AWS managed
//! policy list (preset ARNs and their paths). Nothing here talks to AWS.
//!
//! [`reference`] holds the other half of the catalog: every AWS action, resource type and
//! condition key, from the Service Authorization Reference.

pub mod reference;

/// A named default policy of a service: an AWS managed policy, addressed by its path and name
/// so the ARN can be built for any partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// The name users write in `spec.defaultPolicies`.
    pub name: &'static str,
    /// IAM path of the AWS managed policy: `/` or `/service-role/` (they differ per policy).
    pub path: &'static str,
    /// The AWS managed policy's name.
    pub policy_name: &'static str,
    /// One line for `kubectl explain` and error messages.
    pub summary: &'static str,
}

impl Preset {
    /// The policy ARN in the given partition, e.g.
    /// `arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`.
    pub fn arn(&self, partition: &str) -> String {
        format!(
            "arn:{partition}:iam::aws:policy{}{}",
            self.path, self.policy_name
        )
    }
}

/// Which confused-deputy condition keys a service sends when it assumes a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfusedDeputy {
    /// The service sets `aws:SourceAccount`.
    pub source_account: bool,
    /// The service sets `aws:SourceArn`; the value names the service's own resource ARN prefix
    /// (`arn:<partition>:<arn_service>:...`) so a wrong-service ARN can be refused.
    pub source_arn_service: Option<&'static str>,
}

impl ConfusedDeputy {
    const NONE: ConfusedDeputy = ConfusedDeputy {
        source_account: false,
        source_arn_service: None,
    };

    const fn both(arn_service: &'static str) -> ConfusedDeputy {
        ConfusedDeputy {
            source_account: true,
            source_arn_service: Some(arn_service),
        }
    }
}

/// One service that can assume a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The short name users write in `spec.service`.
    pub name: &'static str,
    /// The trusted service principal, exactly as IAM expects it in `Principal.Service`.
    pub principal: &'static str,
    /// Trust actions the service needs besides `sts:AssumeRole`.
    pub extra_trust_actions: &'static [&'static str],
    /// EC2 reaches a role only through an instance profile of the same name.
    pub instance_profile: bool,
    /// Named AWS managed policies that fit the service.
    pub presets: &'static [Preset],
    /// Confused-deputy keys the service is documented to send.
    pub confused_deputy: ConfusedDeputy,
    /// Human name, for descriptions.
    pub title: &'static str,
}

impl Service {
    /// The preset of this service with the given name.
    pub fn preset(&self, name: &str) -> Option<&'static Preset> {
        self.presets.iter().find(|preset| preset.name == name)
    }

    /// The preset names, in catalog order.
    pub fn preset_names(&self) -> Vec<&'static str> {
        self.presets.iter().map(|preset| preset.name).collect()
    }

    /// Whether `spec.trust` may be used with this service at all.
    pub fn supports_confused_deputy_keys(&self) -> bool {
        self.confused_deputy.source_account || self.confused_deputy.source_arn_service.is_some()
    }
}

const fn preset(
    name: &'static str,
    path: &'static str,
    policy_name: &'static str,
    summary: &'static str,
) -> Preset {
    Preset {
        name,
        path,
        policy_name,
        summary,
    }
}

const SERVICE_ROLE: &str = "/service-role/";
const ROOT: &str = "/";

// Presets that several services offer unchanged.
const LAMBDA_INVOKE: Preset = preset(
    "lambda-invoke",
    SERVICE_ROLE,
    "AWSLambdaRole",
    "invoke Lambda functions",
);
const XRAY_DAEMON: Preset = preset(
    "xray",
    ROOT,
    "AWSXRayDaemonWriteAccess",
    "send traces to AWS X-Ray",
);

/// All services rolesmith knows, sorted by name.
///
/// Confused-deputy support is marked only where the service's AWS documentation shows
/// `aws:SourceAccount`/`aws:SourceArn` in the role's trust policy (ECS tasks, SageMaker AI,
/// EventBridge rules and Scheduler, Step Functions, Batch). Pipes and CodeBuild may send them
/// too, but without a documented example they stay off: a condition on a key the service does
/// not send makes every AssumeRole fail.
pub static SERVICES: &[Service] = &[
    Service {
        name: "apigateway",
        title: "Amazon API Gateway",
        principal: "apigateway.amazonaws.com",
        extra_trust_actions: &[],
        instance_profile: false,
        presets: &[
            preset(
                "cloudwatch-logs",
                SERVICE_ROLE,
                "AmazonAPIGatewayPushToCloudWatchLogs",
                "push access and execution logs to CloudWatch Logs",
            ),
            LAMBDA_INVOKE,
        ],
        confused_deputy: ConfusedDeputy::NONE,
    },
    Service {
        name: "batch",
        title: "AWS Batch",
        principal: "batch.amazonaws.com",
        extra_trust_actions: &[],
        instance_profile: false,
        presets: &[preset(
            "service-role",
            SERVICE_ROLE,
            "AWSBatchServiceRole",
            "let AWS Batch manage compute environments on your behalf",
        )],
        confused_deputy: ConfusedDeputy::both("batch"),
    },
    Service {
        name: "codebuild",
        title: "AWS CodeBuild",
        principal: "codebuild.amazonaws.com",
        extra_trust_actions: &[],
        instance_profile: false,
        presets: &[
            preset(
                "ecr-read-only",
                ROOT,
                "AmazonEC2ContainerRegistryReadOnly",
                "pull build images from ECR",
            ),
            preset(
                "codeartifact-read-only",
                ROOT,
                "AWSCodeArtifactReadOnlyAccess",
                "read packages from CodeArtifact",
            ),
        ],
        confused_deputy: ConfusedDeputy::NONE,
    },
    Service {
        name: "ec2",
        title: "Amazon EC2",
        principal: "ec2.amazonaws.com",
        extra_trust_actions: &[],
        instance_profile: true,
        presets: &[
            preset(
                "ssm-managed-instance",
                ROOT,
                "AmazonSSMManagedInstanceCore",
                "let Systems Manager manage the instance (Session Manager, Run Command)",
            ),
            preset(
                "cloudwatch-agent",
                ROOT,
                "CloudWatchAgentServerPolicy",
                "let the CloudWatch agent publish metrics and logs",
            ),
            preset(
                "ecr-read-only",
                ROOT,
                "AmazonEC2ContainerRegistryReadOnly",
                "pull container images from ECR",
            ),
        ],
        confused_deputy: ConfusedDeputy::NONE,
    },
    Service {
        name: "ecs-tasks",
        title: "Amazon ECS tasks",
        principal: "ecs-tasks.amazonaws.com",
        extra_trust_actions: &[],
        instance_profile: false,
        presets: &[
            preset(
                "task-execution",
                SERVICE_ROLE,
                "AmazonECSTaskExecutionRolePolicy",
                "pull images from ECR and write container logs (the task execution role)",
            ),
            XRAY_DAEMON,
            preset(
                "cloudwatch-agent",
                ROOT,
                "CloudWatchAgentServerPolicy",
                "let a CloudWatch agent sidecar publish metrics and logs",
            ),
        ],
        confused_deputy: ConfusedDeputy::both("ecs"),
    },
    Service {
        name: "eks-pod-identity",
        title: "Amazon EKS Pod Identity",
        principal: "pods.eks.amazonaws.com",
        extra_trust_actions: &["sts:TagSession"],
        instance_profile: false,
        presets: &[
            preset(
                "vpc-cni",
                ROOT,
                "AmazonEKS_CNI_Policy",
                "run the Amazon VPC CNI plugin",
            ),
            preset(
                "ebs-csi-driver",
                SERVICE_ROLE,
                "AmazonEBSCSIDriverPolicy",
                "run the Amazon EBS CSI driver",
            ),
            preset(
                "cloudwatch-agent",
                ROOT,
                "CloudWatchAgentServerPolicy",
                "let the CloudWatch agent publish metrics and logs",
            ),
        ],
        confused_deputy: ConfusedDeputy::NONE,
    },
    Service {
        name: "events",
        title: "Amazon EventBridge rules",
        principal: "events.amazonaws.com",
        extra_trust_actions: &[],
        instance_profile: false,
        presets: &[
            preset(
                "ecs-run-task",
                SERVICE_ROLE,
                "AmazonEC2ContainerServiceEventsRole",
                "run ECS tasks as rule targets",
            ),
            preset(
                "batch-submit-job",
                SERVICE_ROLE,
                "AWSBatchServiceEventTargetRole",
                "submit AWS Batch jobs as rule targets",
            ),
            preset(
                "kinesis-put-record",
                SERVICE_ROLE,
                "CloudWatchEventsInvocationAccess",
                "put records to Kinesis streams as rule targets",
            ),
            preset(
                "ec2-builtin-actions",
                SERVICE_ROLE,
                "CloudWatchEventsBuiltInTargetExecutionAccess",
                "run the built-in EC2 targets (stop, reboot, terminate, snapshot)",
            ),
        ],
        confused_deputy: ConfusedDeputy::both("events"),
    },
    Service {
        name: "firehose",
        title: "Amazon Data Firehose",
        principal: "firehose.amazonaws.com",
        extra_trust_actions: &[],
        instance_profile: false,
        presets: &[],
        // Firehose documents sts:ExternalId (the account id), not the aws:Source* keys.
        confused_deputy: ConfusedDeputy::NONE,
    },
    Service {
        name: "glue",
        title: "AWS Glue",
        principal: "glue.amazonaws.com",
        extra_trust_actions: &[],
        instance_profile: false,
        presets: &[preset(
            "glue-service",
            SERVICE_ROLE,
            "AWSGlueServiceRole",
            "what Glue crawlers and jobs need to run (covers only aws-glue-* buckets)",
        )],
        confused_deputy: ConfusedDeputy::NONE,
    },
    Service {
        name: "lambda",
        title: "AWS Lambda",
        principal: "lambda.amazonaws.com",
        extra_trust_actions: &[],
        instance_profile: false,
        presets: &[
            preset(
                "basic-execution",
                SERVICE_ROLE,
                "AWSLambdaBasicExecutionRole",
                "write function logs to CloudWatch Logs",
            ),
            preset(
                "vpc-access",
                SERVICE_ROLE,
                "AWSLambdaVPCAccessExecutionRole",
                "attach the function to a VPC (network interfaces) and write logs",
            ),
            preset(
                "sqs-execution",
                SERVICE_ROLE,
                "AWSLambdaSQSQueueExecutionRole",
                "read an SQS event source and write logs",
            ),
            preset(
                "kinesis-execution",
                SERVICE_ROLE,
                "AWSLambdaKinesisExecutionRole",
                "read a Kinesis event source and write logs",
            ),
            preset(
                "dynamodb-execution",
                SERVICE_ROLE,
                "AWSLambdaDynamoDBExecutionRole",
                "read a DynamoDB stream event source and write logs",
            ),
            XRAY_DAEMON,
        ],
        confused_deputy: ConfusedDeputy::NONE,
    },
    Service {
        name: "pipes",
        title: "Amazon EventBridge Pipes",
        principal: "pipes.amazonaws.com",
        extra_trust_actions: &[],
        instance_profile: false,
        presets: &[
            preset(
                "sqs-source",
                SERVICE_ROLE,
                "AWSLambdaSQSQueueExecutionRole",
                "read an SQS queue as the pipe source",
            ),
            preset(
                "kinesis-source",
                SERVICE_ROLE,
                "AWSLambdaKinesisExecutionRole",
                "read a Kinesis stream as the pipe source",
            ),
            preset(
                "dynamodb-stream-source",
                SERVICE_ROLE,
                "AWSLambdaDynamoDBExecutionRole",
                "read a DynamoDB stream as the pipe source",
            ),
        ],
        confused_deputy: ConfusedDeputy::NONE,
    },
    Service {
        name: "sagemaker",
        title: "Amazon SageMaker AI",
        principal: "sagemaker.amazonaws.com",
        extra_trust_actions: &[],
        instance_profile: false,
        presets: &[preset(
            "full-access",
            ROOT,
            "AmazonSageMakerFullAccess",
            "the console's default for execution roles; broad, prefer statements",
        )],
        confused_deputy: ConfusedDeputy::both("sagemaker"),
    },
    Service {
        name: "scheduler",
        title: "Amazon EventBridge Scheduler",
        principal: "scheduler.amazonaws.com",
        extra_trust_actions: &[],
        instance_profile: false,
        presets: &[
            LAMBDA_INVOKE,
            preset(
                "ecs-run-task",
                SERVICE_ROLE,
                "AmazonEC2ContainerServiceEventsRole",
                "run ECS tasks as schedule targets",
            ),
            preset(
                "batch-submit-job",
                SERVICE_ROLE,
                "AWSBatchServiceEventTargetRole",
                "submit AWS Batch jobs as schedule targets",
            ),
        ],
        confused_deputy: ConfusedDeputy::both("scheduler"),
    },
    Service {
        name: "states",
        title: "AWS Step Functions",
        principal: "states.amazonaws.com",
        extra_trust_actions: &[],
        instance_profile: false,
        presets: &[
            LAMBDA_INVOKE,
            preset(
                "xray",
                ROOT,
                "AWSXrayWriteOnlyAccess",
                "send traces to AWS X-Ray",
            ),
        ],
        confused_deputy: ConfusedDeputy::both("states"),
    },
];

/// Look a service up by its short name.
pub fn service(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|service| service.name == name)
}

/// All service short names, sorted.
pub fn service_names() -> Vec<&'static str> {
    SERVICES.iter().map(|service| service.name).collect()
}

/// The closest of `candidates` to a misspelt `input`, when one is close enough to be a likely
/// typo: a candidate that starts with the input (three letters or more) wins, otherwise the most
/// similar one with a normalised Damerau-Levenshtein similarity of at least 0.5.
pub fn closest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let input = input.to_ascii_lowercase();
    candidates
        .iter()
        .map(|candidate| {
            let similarity = strsim::normalized_damerau_levenshtein(&input, candidate);
            let is_prefix = input.len() >= 3 && candidate.starts_with(&input);
            // A prefix outranks any plain similarity, which is at most 1.0.
            (
                if is_prefix {
                    1.0 + similarity
                } else {
                    similarity
                },
                *candidate,
            )
        })
        .filter(|(score, _)| *score >= 0.5)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_sorted_and_unique() {
        let names = service_names();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn the_seed_services_are_all_present() {
        for name in [
            "lambda",
            "ec2",
            "ecs-tasks",
            "glue",
            "sagemaker",
            "events",
            "states",
            "scheduler",
            "pipes",
            "codebuild",
            "apigateway",
            "firehose",
            "batch",
            "eks-pod-identity",
        ] {
            assert!(service(name).is_some(), "{name} missing from the catalog");
        }
    }

    #[test]
    fn every_principal_is_exact() {
        let expected = [
            ("apigateway", "apigateway.amazonaws.com"),
            ("batch", "batch.amazonaws.com"),
            ("codebuild", "codebuild.amazonaws.com"),
            ("ec2", "ec2.amazonaws.com"),
            ("ecs-tasks", "ecs-tasks.amazonaws.com"),
            ("eks-pod-identity", "pods.eks.amazonaws.com"),
            ("events", "events.amazonaws.com"),
            ("firehose", "firehose.amazonaws.com"),
            ("glue", "glue.amazonaws.com"),
            ("lambda", "lambda.amazonaws.com"),
            ("pipes", "pipes.amazonaws.com"),
            ("sagemaker", "sagemaker.amazonaws.com"),
            ("scheduler", "scheduler.amazonaws.com"),
            ("states", "states.amazonaws.com"),
        ];
        assert_eq!(
            expected.len(),
            SERVICES.len(),
            "a catalog entry has no expected principal"
        );
        for (name, principal) in expected {
            assert_eq!(service(name).unwrap().principal, principal, "{name}");
        }
    }

    #[test]
    fn only_pod_identity_needs_tag_session_and_only_ec2_an_instance_profile() {
        for service in SERVICES {
            let tags = service.extra_trust_actions.contains(&"sts:TagSession");
            assert_eq!(tags, service.name == "eks-pod-identity", "{}", service.name);
            assert_eq!(
                service.instance_profile,
                service.name == "ec2",
                "{}",
                service.name
            );
        }
    }

    #[test]
    fn preset_arns_keep_their_own_paths() {
        let lambda = service("lambda").unwrap();
        assert_eq!(
            lambda.preset("basic-execution").unwrap().arn("aws"),
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        );
        assert_eq!(
            lambda.preset("xray").unwrap().arn("aws-cn"),
            "arn:aws-cn:iam::aws:policy/AWSXRayDaemonWriteAccess"
        );
        let ec2 = service("ec2").unwrap();
        assert_eq!(
            ec2.preset("ssm-managed-instance").unwrap().arn("aws"),
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
        );
    }

    #[test]
    fn preset_names_are_unique_kebab_case_within_a_service() {
        for service in SERVICES {
            let mut names = service.preset_names();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), service.presets.len(), "{}", service.name);
            for preset in service.presets {
                assert!(
                    preset
                        .name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                    "{}",
                    preset.name
                );
                assert!(preset.path == ROOT || preset.path == SERVICE_ROLE);
            }
        }
    }

    #[test]
    fn closest_suggests_typos_and_prefixes_but_not_noise() {
        let names = service_names();
        assert_eq!(closest("lamda", &names), Some("lambda"));
        assert_eq!(closest("ecs", &names), Some("ecs-tasks"));
        assert_eq!(closest("stepfunctions", &names), None);
    }
}
