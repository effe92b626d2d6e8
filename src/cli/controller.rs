//! `rolesmith controller`: run the controller against the current cluster and AWS account.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use tracing::{error, info, warn};

use super::SettingsArgs;
use crate::controller::health::{self, Readiness};
use crate::controller::{self, ControllerConfig};
use crate::iam::Iam;

#[derive(Debug, Args)]
pub struct ControllerArgs {
    #[command(flatten)]
    settings: SettingsArgs,

    /// Namespaces to watch (repeat, or comma-separate); all namespaces when none is given.
    #[arg(
        long = "namespace",
        env = "ROLESMITH_NAMESPACES",
        value_delimiter = ','
    )]
    namespaces: Vec<String>,

    /// Seconds between drift checks of a role that is in sync.
    #[arg(long, env = "ROLESMITH_RESYNC_SECONDS", default_value_t = 600)]
    resync_seconds: u64,

    /// ServiceRoles reconciled at the same time.
    #[arg(long, env = "ROLESMITH_CONCURRENCY", default_value_t = 4)]
    concurrency: u16,

    /// Address of the health endpoint (`/healthz`, `/readyz`) for probes, e.g. 0.0.0.0:8080;
    /// none when unset.
    #[arg(long, env = "ROLESMITH_HEALTH_ADDRESS")]
    health_address: Option<std::net::SocketAddr>,

    /// Log line format.
    #[arg(long, env = "ROLESMITH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Plain)]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Plain,
    Json,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ROLESMITH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only for a person at a terminal; collected logs stay plain text.
    let ansi = std::io::stdout().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi);
    match format {
        LogFormat::Plain => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

pub fn run(args: &ControllerArgs) -> ExitCode {
    init_logging(args.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            error!(%error, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(start(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn start(args: &ControllerArgs) -> anyhow::Result<()> {
    let mut settings = args.settings.settings();
    // Refuse before touching AWS or Kubernetes: no role may be created without a cap.
    if settings.permissions_boundary.is_none() && !settings.allow_unbounded_roles {
        anyhow::bail!(
            "--permissions-boundary is required: every role gets a permissions boundary. Pass \
             --allow-unbounded-roles to create roles without one"
        );
    }
    let iam = Iam::from_environment().await;
    if settings.account_id.is_none() {
        let account = iam.account_id().await?;
        info!(account = %account, "account id from STS");
        settings.account_id = Some(account);
    }
    settings.check()?;
    if settings.permissions_boundary.is_none() {
        warn!(
            "NO PERMISSIONS BOUNDARY: --allow-unbounded-roles is set, so roles are created \
             without a boundary and nothing caps what their statements grant"
        );
    }
    let readiness = Readiness::default();
    if let Some(address) = args.health_address {
        health::serve(address, readiness.clone()).await?;
    }
    let client = kube::Client::try_default().await?;
    // Readiness means the API server answers, not only that a kubeconfig was found.
    let version = client.apiserver_version().await?;
    info!(kubernetes = %version.git_version, "connected to the Kubernetes API");
    info!(
        cluster = %settings.cluster_name,
        boundary = settings.permissions_boundary.as_deref().unwrap_or("none"),
        namespaces = ?args.namespaces,
        resync_seconds = args.resync_seconds,
        concurrency = args.concurrency,
        "starting controller"
    );
    let config = ControllerConfig {
        settings,
        namespaces: args.namespaces.clone(),
        resync: Duration::from_secs(args.resync_seconds.max(1)),
        concurrency: args.concurrency.max(1),
    };
    controller::run(config, client, iam, readiness).await
}
