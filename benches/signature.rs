//! `X-Hub-Signature-256` verification on real payload sizes.
//!
//! `cargo bench --bench signature`. Verification is HMAC-SHA256 over the whole body, so it is
//! linear in the body size; during a secret rotation a body signed with the newer secret is
//! hashed once per configured secret until one matches.

#[path = "support/payloads.rs"]
mod payloads;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use relman::config::settings::Secret;
use relman::server::signature::{sign, verify};

use payloads::PayloadSize;

const SECRET: &str = "bench-webhook-secret";

fn signature(c: &mut Criterion) {
    let mut group = c.benchmark_group("signature");
    let one = [Secret::new(SECRET)];
    // Rotation in progress: the old secret is tried first and fails.
    let rotating = [Secret::new("the-previous-secret"), Secret::new(SECRET)];
    for size in PayloadSize::ALL {
        let body = payloads::payload(size, 1, 100);
        let header = sign(SECRET.as_bytes(), &body);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("verify", size.label()),
            &body,
            |b, body| b.iter(|| assert!(verify(black_box(&one), black_box(body), &header))),
        );
        group.bench_with_input(
            BenchmarkId::new("verify_second_of_two_secrets", size.label()),
            &body,
            |b, body| b.iter(|| assert!(verify(black_box(&rotating), black_box(body), &header))),
        );
        group.bench_with_input(
            BenchmarkId::new("reject_wrong_signature", size.label()),
            &body,
            |b, body| {
                let forged = sign(b"not-the-secret", body);
                b.iter(|| assert!(!verify(black_box(&one), black_box(body), &forged)))
            },
        );
    }
    group.finish();
}

criterion_group!(benches, signature);
criterion_main!(benches);
