//! The floor for the load generator's figures: an HTTP server that reads each request's body and
//! answers `202`, nothing else (no signature, no store). Issue 2 quotes such a server at about
//! 78,000 requests/s on the machine its targets were measured on; run on another machine, it says
//! how that machine compares, with the same load generator and method as relman's figures.
//!
//! ```text
//! cargo build --release --example bare202 --example loadgen
//! target/release/examples/bare202 127.0.0.1:3996 &
//! target/release/examples/loadgen --url http://127.0.0.1:3996/ --secret x --size 2k \
//!     --server-pid $!
//! ```
//!
//! Two runtime threads, as `relman serve` has on two cores.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

async fn accept(
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the whole body, as any receiver must before it can answer for it.
    let status = match request.into_body().collect().await {
        Ok(_) => StatusCode::ACCEPTED,
        Err(_) => StatusCode::BAD_REQUEST,
    };
    let mut response = Response::new(Full::new(Bytes::from_static(b"{\"status\":\"accepted\"}")));
    *response.status_mut() = status;
    Ok(response)
}

async fn serve(addr: SocketAddr) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            // A connection's error (the client went away) ends that connection only.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(accept))
                .await;
        });
    }
}

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3996".into());
    let addr: SocketAddr = match addr.parse() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("bare202: {addr:?} is not an address such as 127.0.0.1:3996: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bare202: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bare202: {addr}: {e}");
            ExitCode::FAILURE
        }
    }
}
