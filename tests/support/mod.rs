//! Test support: a real IAM API (the moto server) and helpers to build ServiceRoles.
//!
//! Tests use the server named by `AWS_ENDPOINT_URL_IAM` (as `hack/test.sh` starts it); when
//! that is unset, the first test starts its own `moto_server` on a free loopback port.

#![allow(dead_code)]

use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use rolesmith::api::ServiceRole;
use rolesmith::iam::Iam;
use rolesmith::manifest::{Content, read_documents};

struct Moto {
    endpoint: String,
    _child: Option<ChildGuard>,
}

struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

static MOTO: OnceLock<Moto> = OnceLock::new();

fn start_moto() -> Moto {
    if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL_IAM") {
        return Moto {
            endpoint,
            _child: None,
        };
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Statics are never dropped, so the server cannot be stopped from here when the test
    // process ends; a small shell watches this process and stops the server after it.
    let script = "moto_server -H 127.0.0.1 -p \"$1\" & server=$!; trap 'kill $server' EXIT; \
                  while kill -0 \"$2\" 2>/dev/null; do sleep 1; done";
    let child = Command::new("sh")
        .args([
            "-c",
            script,
            "moto",
            &port.to_string(),
            &std::process::id().to_string(),
        ])
        .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh runs moto_server (pip install 'moto[server]'), or set AWS_ENDPOINT_URL_IAM");
    let guard = ChildGuard(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        _child: Some(guard),
    }
}

/// The IAM endpoint the tests talk to.
pub fn endpoint() -> &'static str {
    &MOTO.get_or_init(start_moto).endpoint
}

/// An SDK configuration for the test IAM server, with dummy credentials.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .load()
        .await
}

/// rolesmith's IAM adapter, pointed at the test server.
pub async fn iam() -> Iam {
    Iam::new(&sdk_config().await)
}

/// A plain SDK client, for changes made "outside rolesmith" and for checks.
pub async fn admin() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&sdk_config().await)
}

/// A name no other test uses, so tests can share one IAM server.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}-{}-{:x}",
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos % 0xfffff
    )
}

/// A ServiceRole from a spec written as YAML (indented two spaces), with a UID as the
/// apiserver would give it.
pub fn service_role(namespace: &str, name: &str, spec: &str) -> ServiceRole {
    let text = format!(
        "apiVersion: rolesmith.dev/v1alpha1\nkind: ServiceRole\n\
         metadata: {{name: {name}, namespace: {namespace}, uid: uid-{name}, generation: 1}}\n\
         spec:\n{spec}"
    );
    match read_documents(&text, "default").remove(0).content {
        Content::ServiceRole(role) => *role,
        other => panic!("test manifest did not parse: {other:?}"),
    }
}

/// Run a command with `input` on its stdin and collect its output.
pub fn run_with_input(command: &mut Command, input: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The rolesmith binary, with the caller's ROLESMITH_* settings removed from its environment.
pub fn rolesmith_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rolesmith"));
    command.args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("ROLESMITH_") {
            command.env_remove(key);
        }
    }
    command
}
