//! `rolesmith describe-role`: a role as IAM has it, policies decoded, as JSON.

use std::process::ExitCode;

use clap::Args;

use crate::iam::Iam;

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// IAM role names.
    #[arg(required = true)]
    role_names: Vec<String>,
}

pub fn run(args: &DescribeArgs) -> ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("an async runtime");
    runtime.block_on(async {
        let iam = Iam::from_environment().await;
        let mut roles = Vec::new();
        let mut failed = false;
        for name in &args.role_names {
            match iam.observe(name).await {
                Ok(Some(role)) => roles.push(role),
                Ok(None) => {
                    eprintln!("{name}: no such role");
                    failed = true;
                }
                Err(error) => {
                    eprintln!("{name}: {error}");
                    failed = true;
                }
            }
        }
        let json = serde_json::to_string_pretty(&roles).expect("roles serialise");
        println!("{json}");
        if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    })
}
