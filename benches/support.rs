//! What the benchmarks share: a webhook server on loopback.

use std::net::SocketAddr;
use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;

/// Starts a webhook on loopback, on its own thread, that answers 200 with
/// `{}` to every request after handing `received` the moment the request
/// arrived and its body.
pub(crate) fn spawn_webhook(received: impl Fn(Instant, Bytes) + Clone + Send + Sync + 'static) -> SocketAddr {
    let (ready, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            ready.send(listener.local_addr().expect("address")).expect("ready");
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let received = received.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                        let received = received.clone();
                        async move {
                            let at = Instant::now();
                            let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                            received(at, body);
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                                b"{}",
                            ))))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    address.recv().expect("server address")
}

/// The sum of `iterations` samples, each timed by `sample` itself: for
/// criterion's `iter_custom` when only part of each sample is timed.
pub(crate) fn sum_samples(iterations: u64, mut sample: impl FnMut() -> std::time::Duration) -> std::time::Duration {
    (0..iterations).map(|_| sample()).sum()
}
