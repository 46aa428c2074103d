#!/usr/bin/env bash
# Instructions the ack path costs per delivery: `relman serve --workers 0` under callgrind, a
# closed-loop load, counted between two points after start-up (callgrind_control zeroes the
# counters, then dumps them) and divided by the deliveries relman stored in that window (its own
# `relman_webhook_deliveries_total`). Instruction counts do not move with the machine's load the
# way wall-clock figures do, so builds compare fairly on a shared machine.
#
#   benches/callgrind-ack.sh [SIZE] [DURATION] [CONCURRENCY]      # defaults: 2k 20s 8
#
# Build first: cargo build --release --bin relman --example loadgen. Environment: RELMAN_BIN,
# LOADGEN_BIN, BENCH_DIR (default /var/tmp), PORT (default 3998).
set -euo pipefail
# vgdb (behind callgrind_control) names its pipes after $USER and $HOST: both sides must agree.
export USER=${USER:-$(id -un)}

size=${1:-2k}
duration=${2:-20s}
concurrency=${3:-8}

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
relman=${RELMAN_BIN:-$target/release/relman}
loadgen=${LOADGEN_BIN:-$target/release/examples/loadgen}
port=${PORT:-3998}
secret=bench-secret

dir=$(mktemp -d "${BENCH_DIR:-/var/tmp}/relman-callgrind.XXXXXX")
cleanup() {
    if [[ -n ${server:-} ]] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server" && wait "$server" || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT

install -m 600 "$root/crates/github-sim/keys/test-app-key.pkcs1.pem" "$dir/app-key.pem"

APP_ID=4242 \
    PRIVATE_KEY_PATH="$dir/app-key.pem" \
    WEBHOOK_SECRET=$secret \
    GITHUB_API_URL=http://127.0.0.1:9 \
    DATABASE_URL="sqlite://$dir/relman.db" \
    LOG_LEVEL=warn \
    valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out.%p" \
    "$relman" serve --host 127.0.0.1 --port "$port" --workers 0 2>"$dir/server.log" &
server=$!

for _ in $(seq 600); do
    curl -fsS "http://127.0.0.1:$port/__lbheartbeat__" >/dev/null 2>&1 && break
    sleep 0.1
done

stored() {
    curl -fsS "http://127.0.0.1:$port/metrics" |
        awk '/^relman_webhook_deliveries_total\{.*outcome="accepted"/ {n += $2} END {print n + 0}'
}

before=$(stored)
callgrind_control -z "$server" >/dev/null
"$loadgen" --url "http://127.0.0.1:$port/api/github/webhooks" --secret "$secret" \
    --size "$size" --concurrency "$concurrency" --duration "$duration" --warmup 0s >/dev/null
callgrind_control -d "$server" >/dev/null
after=$(stored)
sleep 1

# The dump is the newest part file; `summary:` holds the instructions counted since the zeroing.
dump=$(ls -t "$dir"/callgrind.out.* | head -1)
ir=$(awk '/^summary:/ {print $2}' "$dump")
n=$((after - before))
echo "# $(uptime)"
echo "deliveries=$n instructions=$ir per_delivery=$((ir / n))"
