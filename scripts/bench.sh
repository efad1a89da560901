#!/usr/bin/env bash
# Runs every benchmark and prints one table (docs/performance.md explains it):
#   1. the engine natively beside buddy_system_allocator (fastest samples, and
#      interleaved engine/peer pairs for engine_vs_peer_ratio), scale and growth
#      (bench/src/main.rs) -> target/bench/native.json;
#   2. the same engine workloads compiled to wasm and run in headless Chromium, wasm
#      and native (`buddyscope-bench sample pcp`) samples interleaved for
#      wasm_vs_native_ratio, and the page itself (time to interactive, redraws, step
#      latency, 1 M- and 10 M-operation workloads) -> target/bench/browser.json
#      (scripts/bench.mjs);
#   3. `buddyscope-bench probe` before 1. and after 2. (target/bench/probe-*.txt):
#      whether the machine's speed was steady around the run (the timed runs of both
#      sides move between two speeds with the host's load; docs/performance.md, "Noise");
#   4. issue 18's budget table (budget, holds or misses, min / median / max) and
#      target/bench/summary.json.
# Not part of the test command: benchmarks are measurements, not pass/fail tests.
# `--quick` takes fewer samples.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
setup_test
cd "$ROOT"
mkdir -p target/bench

cargo build --release --locked -p buddyscope-bench --bin buddyscope-bench
./target/release/buddyscope-bench probe 100 | tee target/bench/probe-before.txt
./target/release/buddyscope-bench native "$@"

cargo build --release --locked -p buddyscope-bench --lib --target wasm32-unknown-unknown
wasm-bindgen --target web --out-dir target/bench/wasm \
  target/wasm32-unknown-unknown/release/buddyscope_bench.wasm
# The same optimiser pass Trunk gives the page's wasm (binaryen from npm), at -O3, with
# the page's flag (index.html: the lowest KiB of memory, the stack's bottom, unused).
node_modules/.bin/wasm-opt -O3 --low-memory-unused --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals \
  target/bench/wasm/buddyscope_bench_bg.wasm -o target/bench/wasm/buddyscope_bench_bg.wasm
trunk build --release --locked
node scripts/bench.mjs "$@"

./target/release/buddyscope-bench probe 100 | tee target/bench/probe-after.txt
./target/release/buddyscope-bench summary
