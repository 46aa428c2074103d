#!/usr/bin/env bash
# Starts `relman serve` on a fresh SQLite database, drives it with the load generator, stops it.
#
#   benches/run-loadgen.sh SIZE [WORKERS] [DURATION] [CONCURRENCY]
#   benches/run-loadgen.sh 2k 0 30s 32
#
# Build first: cargo build --release --bin relman --example loadgen
# Environment: RELMAN_BIN, LOADGEN_BIN (binaries to use), BENCH_DIR (where the database goes; it
# must be a real disk for the figures to include fsync), PORT (default 3999), LOG_LEVEL (default
# warn), KEEP_LOG=1 (copy the server's log to /tmp/bench/server.log before the directory goes),
# DELIVERY_IDS (github, the default: time-based UUIDs as GitHub sends; or random), RATE
# (deliveries per second, an open loop; unset, a closed loop of CONCURRENCY requests).
# Only loopback is used: the server listens on 127.0.0.1, GitHub's API URL points at a closed
# local port (ingress never calls GitHub; workers, when on, fail to reach it and back off).
set -euo pipefail

size=${1:?usage: $0 SIZE [WORKERS] [DURATION] [CONCURRENCY]}
workers=${2:-0}
duration=${3:-30s}
concurrency=${4:-32}

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
relman=${RELMAN_BIN:-$target/release/relman}
loadgen=${LOADGEN_BIN:-$target/release/examples/loadgen}
port=${PORT:-3999}
secret=bench-secret

dir=$(mktemp -d "${BENCH_DIR:-/var/tmp}/relman-bench.XXXXXX")
cleanup() {
    if [[ -n ${server:-} ]] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server" && wait "$server" || true
    fi
    [[ -n ${KEEP_LOG:-} ]] && mkdir -p /tmp/bench && cp "$dir/server.log" /tmp/bench/server.log; rm -rf "$dir"
}
trap cleanup EXIT

# `serve` refuses a private key other users can read; a checkout's files are 0644.
install -m 600 "$root/crates/github-sim/keys/test-app-key.pkcs1.pem" "$dir/app-key.pem"

APP_ID=4242 \
    PRIVATE_KEY_PATH="$dir/app-key.pem" \
    WEBHOOK_SECRET=$secret \
    GITHUB_API_URL=${GITHUB_API_URL:-http://127.0.0.1:9} \
    DATABASE_URL="sqlite://$dir/relman.db" \
    HOST=127.0.0.1 PORT=$port LOG_LEVEL=${LOG_LEVEL:-warn} \
    "$relman" serve --workers "$workers" 2>"$dir/server.log" &
server=$!

for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/__lbheartbeat__" >/dev/null 2>&1 && break
    sleep 0.1
done
# Idle: started, migrated, answered one request.
sleep 1

echo "# $(uptime)"
"$loadgen" --url "http://127.0.0.1:$port/api/github/webhooks" --secret "$secret" \
    --size "$size" --concurrency "$concurrency" --duration "$duration" \
    --delivery-ids "${DELIVERY_IDS:-github}" ${RATE:+--rate "$RATE"} --server-pid "$server" --json || status=$?

# Group commit at work: deliveries per inbox transaction, from relman's own metrics.
curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null |
    awk '/^relman_inbox_commit_batch_size_sum/ {s=$2} /^relman_inbox_commit_batch_size_count/ {c=$2}
         /^relman_inbox_commit_seconds_sum/ {t=$2}
         /^relman_inbox_commit_seconds_count/ {n=$2}
         /^relman_work_total\{/ {w+=$2} /^relman_work_retries_total\{/ {r+=$2}
         END {if (c > 0) printf "# commits: %d, mean batch %.1f deliveries, mean commit %.2f ms\n", n, s / c, 1000 * t / n;
              printf "# workers finished %d items (done or dead) and retried %d\n", w, r}'
stored=$(du -sh "$dir" | cut -f1)
echo "# database directory after the run: $stored; server log lines: $(wc -l <"$dir/server.log")"
exit "${status:-0}"
