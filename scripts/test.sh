#!/usr/bin/env bash
# Runs every test: formatting, clippy (native and wasm32), the Rust tests, the browser
# tests of the web crate, a release build of the page, and the end-to-end tests in
# headless Chromium. Every stage runs even after a failure, except the end-to-end tests
# after a failed Trunk build (they would test a stale dist/): they count as one failure
# then. The last line is the total (`N passed, N failed`) and the exit code is non-zero
# if anything failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
set -e
# setup_test also fetches Debian's pinned kernel source for the source-line test
# (ensure_kernel_source: cold about 1-2 minutes, two ~140 MB packages, then ~20 s of
# extraction; never fatal, the test skips with a message without it).
setup_test
set +e
cd "$ROOT"

LOGS="$ROOT/target/test-logs"
mkdir -p "$LOGS"
passed=0
failed=0
summary=()

# count_tests LOG: prints "passed failed" from cargo test or node --test output.
count_tests() {
  awk '
    /^test result: / { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;?$/) p += $i; if ($(i+1) ~ /^failed;?$/) f += $i } }
    /^# pass / { p += $3 }
    /^# fail / { f += $3 }
    END { printf "%d %d\n", p, f }' "$1"
}

# stage NAME KIND COMMAND...: KIND is "check" (counts as one test) or "tests".
# Leaves the command's exit status in $stage_status.
stage() {
  local name="$1" kind="$2" log="$LOGS/$1.log" status p f start
  shift 2
  printf '\n== %s: %s\n' "$name" "$*"
  start=$SECONDS
  "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  if [ "$kind" = check ]; then
    if [ "$status" -eq 0 ]; then p=1 f=0; else p=0 f=1; fi
  else
    read -r p f < <(count_tests "$log")
    # A build failure runs no test: count the stage itself as a failure.
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  summary+=("$(printf '%-14s %s  %4d passed %3d failed  %4ds' "$name" "$([ "$status" -eq 0 ] && echo ok || echo FAIL)" "$p" "$f" $((SECONDS - start)))")
  stage_status=$status
}

# skip NAME REASON: a stage that cannot run; it counts as one failure.
skip() {
  local name="$1" reason="$2"
  printf '\n== %s: not run: %s\n' "$name" "$reason" | tee "$LOGS/$name.log"
  failed=$((failed + 1))
  summary+=("$(printf '%-14s %s  %4d passed %3d failed  %4ds  (%s)' "$name" SKIP 0 1 0 "$reason")")
}

stage fmt check cargo fmt --all -- --check
# Trunk.toml repeats the wasm-bindgen and binaryen versions of Cargo.lock and
# package.json (scripts/setup.sh): they must agree or the Trunk build fails.
stage tool-pins check check_tool_pins
stage clippy check cargo clippy --workspace --all-targets --locked -- -D warnings
stage clippy-wasm check cargo clippy -p buddyscope-core -p buddyscope-engine -p buddyscope-web --target wasm32-unknown-unknown --all-targets --locked -- -D warnings
stage rust-tests tests cargo test --workspace --locked
# The seeded tests' size (engine/tests/it/common/seeded.rs): BUDDYSCOPE_SIZE=K runs K
# times the default work. A failure prints BUDDYSCOPE_SEED=N and the command that
# replays it. Both stages run the release build of the one engine test binary, `it`,
# filtered by module; the second stage reuses the first one's build.
# Over a million allocator operations on random machines (12 seeds of 4 000 × 25),
# every invariant checked after each one (release build: the same code, fast enough
# to do it in seconds).
stage property tests env BUDDYSCOPE_SIZE=25 cargo test --release --locked -p buddyscope-engine --test it -- alloc_random::
# Seeded simulation: 150 random machines (3 × 50; nodes, holes, sections, movablecore,
# CMA) with random runs (hotplug and generators included), invariants after every
# operation.
stage simulation tests env BUDDYSCOPE_SIZE=50 cargo test --release --locked -p buddyscope-engine --test it -- simulation::
# The wasm digest test recomputes every pinned digest (both kernels) in a debug
# build: minutes on a loaded machine, past wasm-bindgen-test-runner's 20 s default.
stage browser-tests tests env WASM_BINDGEN_TEST_TIMEOUT=600 cargo test -p buddyscope-web --target wasm32-unknown-unknown --locked
stage trunk-build check trunk build --release --locked
if [ "$stage_status" -eq 0 ]; then
  stage e2e tests node --test e2e/
else
  skip e2e "trunk-build failed, dist/ is stale"
fi

printf '\n== summary\n'
printf '%s\n' "${summary[@]}"
printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
