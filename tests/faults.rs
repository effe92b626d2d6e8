//! How IAM failures are classified, against a fake IAM endpoint on loopback that answers every
//! request with one AWS-shaped error. Transient failures are retried with backoff by the
//! controller; terminal ones stall the object.

use std::time::Duration;

use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use rolesmith::iam::{ErrorKind, Iam};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serve `status` with an IAM error body of `code` to every request, until the test ends.
async fn failing_iam(status: u16, code: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let body = format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{code} from the fake endpoint</Message></Error>\
         <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    );
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = vec![0u8; 64 * 1024];
                let _ =
                    tokio::time::timeout(Duration::from_secs(2), socket.read(&mut request)).await;
                let response = format!(
                    "HTTP/1.1 {status} Error\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{address}")
}

async fn iam_at(endpoint: &str) -> Iam {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("a", "b", None, None, "test"))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    Iam::new(&config)
}

#[tokio::test]
async fn throttling_and_server_errors_are_transient() {
    for (status, code) in [
        (400, "Throttling"),
        (500, "ServiceFailure"),
        (503, "ServiceUnavailable"),
        (409, "ConcurrentModification"),
    ] {
        let iam = iam_at(&failing_iam(status, code).await).await;
        let error = iam.observe("any-role").await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Transient, "{status} {code}: {error}");
        assert_eq!(error.code.as_deref(), Some(code));
        assert_eq!(error.operation, "GetRole");
    }
}

#[tokio::test]
async fn refusals_are_terminal_and_absence_is_not_an_error() {
    for (status, code) in [
        (403, "AccessDenied"),
        (400, "MalformedPolicyDocument"),
        (409, "LimitExceeded"),
    ] {
        let iam = iam_at(&failing_iam(status, code).await).await;
        let error = iam.observe("any-role").await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Terminal, "{status} {code}: {error}");
        assert!(error.to_string().contains(code), "{error}");
    }
    let iam = iam_at(&failing_iam(404, "NoSuchEntity").await).await;
    assert_eq!(
        iam.observe("any-role").await.unwrap(),
        None,
        "a missing role is simply absent"
    );
}
