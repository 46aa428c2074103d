#!/usr/bin/env bash
# Checks deploy/ without a Docker engine or a cluster (CI runs it; so can you):
#
# 1. Dockerfile: runs the build stage's RUN commands as written, in the repository root (the
#    stage's WORKDIR with `COPY . .`), then checks that what the runtime stage copies from it
#    exists and runs, and that the builder's Rust is at least the workspace's rust-version.
#    `--no-build` skips the (release) build.
# 2. Kubernetes: every manifest against the Kubernetes OpenAPI schemas with kubernetes-validate
#    (PyPI; it ships the schemas), strictly: unknown fields are errors.
# 3. systemd: `systemd-analyze verify` of the unit; any complaint fails.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
[[ "${1:-}" == "--no-build" ]] && build=0

fail() { echo "deploy/check.sh: $*" >&2; exit 1; }

echo "== Dockerfile: the build stage"
dockerfile=deploy/Dockerfile
# The build stage: from `FROM … AS build` to the next FROM, continuation lines joined.
stage=$(awk '
  /^FROM /  { in_stage = ($0 ~ / AS build$/) ; next }
  in_stage  { print }
' "$dockerfile" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta')
[[ -n "$stage" ]] || fail "$dockerfile has no stage named build"
grep -qx 'WORKDIR /src' <<<"$stage" || fail "the build stage must work in /src (the repository root here)"
grep -qx 'COPY \. \.' <<<"$stage" || fail "the build stage must copy the whole repository (COPY . .)"

builder=$(grep -E '^FROM .* AS build$' "$dockerfile" | awk '{print $2}')
image_rust=$(sed -nE 's/^rust:([0-9]+\.[0-9]+).*/\1/p' <<<"$builder")
[[ -n "$image_rust" ]] || fail "the build stage should start from an official rust:X.Y image, not $builder"
workspace_rust=$(sed -nE 's/^rust-version = "([0-9]+\.[0-9]+).*"/\1/p' Cargo.toml | head -n1)
lowest=$(printf '%s\n%s\n' "$image_rust" "$workspace_rust" | sort -V | head -n1)
[[ "$lowest" == "$workspace_rust" ]] || fail "$builder is older than the workspace's rust-version $workspace_rust"
echo "builder $builder (workspace rust-version $workspace_rust; CI has $(rustc --version))"

copied=$(sed -nE 's#^COPY --from=build /src/([^ ]+) .*#\1#p' "$dockerfile")
[[ -n "$copied" ]] || fail "the runtime stage copies nothing from the build stage"

if [[ $build == 1 ]]; then
  # As in the image: the default target directory, whatever this shell has set.
  while IFS= read -r command; do
    echo "+ $command"
    env -u CARGO_TARGET_DIR bash -euo pipefail -c "$command"
  done < <(sed -nE 's/^RUN (.*)/\1/p' <<<"$stage")
  [[ -x "$copied" ]] || fail "the build stage did not produce $copied, which the image copies"
  "./$copied" --version
  "./$copied" serve --help >/dev/null
else
  echo "(build skipped)"
fi

echo "== Kubernetes manifests"
validator=$(command -v kubernetes-validate || true)
if [[ -z "$validator" ]]; then
  venv="${TMPDIR:-/tmp}/relman-kubernetes-validate"
  if [[ ! -x "$venv/bin/kubernetes-validate" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet kubernetes-validate
  fi
  validator="$venv/bin/kubernetes-validate"
fi
"$validator" --version
manifests=()
for f in deploy/kubernetes/*.yaml; do
  # kustomize's own file is no Kubernetes resource; kubectl reads it.
  [[ "$(basename "$f")" == kustomization.yaml ]] || manifests+=("$f")
done
"$validator" --strict "${manifests[@]}"
for f in "${manifests[@]}"; do
  grep -q "^  - $(basename "$f")$" deploy/kubernetes/kustomization.yaml \
    || fail "deploy/kubernetes/kustomization.yaml does not list $(basename "$f")"
done

echo "== systemd unit"
if command -v systemd-analyze >/dev/null 2>&1; then
  unit_dir=$(mktemp -d)
  trap 'rm -rf "$unit_dir"' EXIT
  # verify wants ExecStart to exist: point it at a binary that does.
  sed "s#^ExecStart=/usr/local/bin/relman #ExecStart=$(command -v true) #" \
    deploy/systemd/relman.service > "$unit_dir/relman.service"
  complaints=$(systemd-analyze verify "$unit_dir/relman.service" 2>&1 || true)
  [[ -z "$complaints" ]] || fail "systemd-analyze verify: $complaints"
  systemd-analyze security --offline=true "$unit_dir/relman.service" 2>/dev/null | tail -n1 || true
else
  echo "systemd-analyze is not installed: the unit was not verified"
fi
echo "deploy/: OK"
