//! Liveness and readiness over HTTP, for the kubelet's probes.
//!
//! `/healthz` answers 200 while the process serves requests; `/readyz` answers 200 once the
//! controller has reached the Kubernetes API and AWS and started watching, 503 before.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tracing::{info, warn};

/// Whether the controller is ready; shared between the controller and the endpoint.
#[derive(Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn set_ready(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

fn respond(path: &str, readiness: &Readiness) -> Response<Full<Bytes>> {
    let (status, body) = match path {
        "/healthz" => (StatusCode::OK, "ok\n"),
        "/readyz" if readiness.is_ready() => (StatusCode::OK, "ready\n"),
        "/readyz" => (StatusCode::SERVICE_UNAVAILABLE, "starting\n"),
        _ => (StatusCode::NOT_FOUND, "not found\n"),
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

/// Bind the endpoint (so a taken port fails the start) and serve it in the background.
pub async fn serve(address: SocketAddr, readiness: Readiness) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    info!(address = %bound, "health endpoint listening (/healthz, /readyz)");
    tokio::spawn(async move {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(connection) => connection,
                Err(error) => {
                    warn!(%error, "health endpoint accept failed");
                    continue;
                }
            };
            let readiness = readiness.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let response = respond(request.uri().path(), &readiness);
                    async move { Ok::<_, Infallible>(response) }
                });
                // A probe that hangs up early is not worth a log line.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_flips_once_the_controller_is_ready() {
        let readiness = Readiness::default();
        assert_eq!(respond("/healthz", &readiness).status(), StatusCode::OK);
        assert_eq!(
            respond("/readyz", &readiness).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        readiness.set_ready();
        assert_eq!(respond("/readyz", &readiness).status(), StatusCode::OK);
        assert_eq!(
            respond("/metrics", &readiness).status(),
            StatusCode::NOT_FOUND
        );
    }
}
