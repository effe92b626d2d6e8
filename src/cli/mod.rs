//! The `rolesmith` command line.

mod controller;
mod describe;
mod input;
mod lint;
mod render;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::render::{Limits, Settings};

#[derive(Debug, Parser)]
#[command(
    name = "rolesmith",
    version,
    about = "ServiceRole resources to AWS IAM roles"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render ServiceRole manifests into the IAM roles they describe, without a cluster or AWS.
    Render(render::RenderArgs),
    /// Print the ServiceRole CustomResourceDefinition as YAML.
    Crd,
    /// Run the controller: reconcile ServiceRoles into IAM roles.
    Controller(controller::ControllerArgs),
    /// Show roles as IAM has them (trust and inline policies decoded), as JSON.
    DescribeRole(describe::DescribeArgs),
    /// Check ServiceRole manifests and IAM policies against the AWS Service Authorization
    /// Reference, for pull-request pipelines.
    Lint(lint::LintArgs),
}

/// Settings shared by every command that renders roles; each has an environment variable.
#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// AWS account id of the roles; fills `${AccountId}` in the boundary and trust conditions.
    #[arg(long, env = "ROLESMITH_ACCOUNT_ID")]
    pub account_id: Option<String>,

    /// AWS partition of the account.
    #[arg(long, env = "ROLESMITH_PARTITION", default_value = "aws")]
    pub partition: String,

    /// Name of this cluster, written into every role's ownership tags.
    #[arg(long, env = "ROLESMITH_CLUSTER_NAME", default_value = "default")]
    pub cluster_name: String,

    /// Permissions boundary policy ARN applied to every role; may use `${AccountId}` and
    /// `${Partition}`.
    #[arg(long, env = "ROLESMITH_PERMISSIONS_BOUNDARY")]
    pub permissions_boundary: Option<String>,

    /// Allow roles without a permissions boundary when none is given.
    #[arg(long, env = "ROLESMITH_ALLOW_UNBOUNDED_ROLES")]
    pub allow_unbounded_roles: bool,

    /// Path prefix of every role; the role path is PREFIX + namespace + `/`.
    #[arg(
        long,
        env = "ROLESMITH_ROLE_PATH_PREFIX",
        default_value = "/rolesmith/"
    )]
    pub role_path_prefix: String,

    /// Prefix of default role names (explicit roleNames are kept as written); give each
    /// cluster that shares an AWS account its own.
    #[arg(long, env = "ROLESMITH_ROLE_NAME_PREFIX", default_value = "")]
    pub role_name_prefix: String,

    /// Largest trust policy, in characters other than white space.
    #[arg(long, env = "ROLESMITH_MAX_TRUST_POLICY_SIZE", default_value_t = Limits::default().trust_policy_size)]
    pub max_trust_policy_size: usize,

    /// Largest inline policy, in characters other than white space.
    #[arg(long, env = "ROLESMITH_MAX_INLINE_POLICY_SIZE", default_value_t = Limits::default().inline_policy_size)]
    pub max_inline_policy_size: usize,

    /// Most managed policies attached to one role.
    #[arg(long, env = "ROLESMITH_MAX_MANAGED_POLICIES", default_value_t = Limits::default().managed_policies)]
    pub max_managed_policies: usize,
}

impl SettingsArgs {
    pub fn settings(&self) -> Settings {
        Settings {
            account_id: self.account_id.clone(),
            partition: self.partition.clone(),
            cluster_name: self.cluster_name.clone(),
            permissions_boundary: self.permissions_boundary.clone(),
            allow_unbounded_roles: self.allow_unbounded_roles,
            role_path_prefix: self.role_path_prefix.clone(),
            role_name_prefix: self.role_name_prefix.clone(),
            limits: Limits {
                trust_policy_size: self.max_trust_policy_size,
                inline_policy_size: self.max_inline_policy_size,
                managed_policies: self.max_managed_policies,
            },
        }
    }
}

/// Parse the command line and run the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Render(args) => render::run(&args),
        Command::Controller(args) => controller::run(&args),
        Command::DescribeRole(args) => describe::run(&args),
        Command::Lint(args) => lint::run(&args),
        Command::Crd => {
            print!("{}", crate::api::crd_yaml());
            ExitCode::SUCCESS
        }
    }
}
