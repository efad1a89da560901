#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets/) for SECONDS each, one after another,
# with cargo-fuzz on the nightly toolchain:
#
#   bash scripts/fuzz.sh 60                 # every target, a minute each
#   bash scripts/fuzz.sh 600 share trace    # only these
#   FUZZ_RUNS=10000000 bash scripts/fuzz.sh 3600   # stop at 10 M executions or an hour
#
# The committed seeds (fuzz/seeds/TARGET) start each run; what the fuzzer learns goes
# to fuzz/corpus/TARGET (not committed) and a crashing input to fuzz/artifacts/TARGET.
# Turn a crash into a regression test under engine/tests/it (fuzz_regressions.rs) so a
# plain `cargo test` keeps it fixed. Needs `cargo install cargo-fuzz --locked` and
# `rustup toolchain install nightly`. One in-process job at a time (one core): the
# machine has 2 cores.
#
# No sanitizer by default (FUZZ_SANITIZER=address to add AddressSanitizer): the engine
# is `#![forbid(unsafe_code)]`, so ASan would look for bugs Rust already rules out, at
# a quarter of the speed. Overflow checks and debug assertions stay on (cargo-fuzz's
# default), and a panic, an abort, an out-of-memory and a timeout are all findings.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/fuzz"

seconds="${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}"
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(snapshot intake scenario share trace workload modtrace operations page lesson embed_message)
fi
runs="${FUZZ_RUNS:--1}"
sanitizer="${FUZZ_SANITIZER:-none}"

cargo +nightly fuzz build -s "$sanitizer"
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  # The operations target reads its bytes as a stream of choices (any two bytes are
  # a valid choice), so comparison hints, which help the fuzzer guess keywords and
  # magic numbers in the text formats, buy it nothing and cost it half its speed
  # (the invariant checker's loops are full of comparisons).
  flags=(-s "$sanitizer")
  if [ "$target" = operations ]; then
    flags+=(--no-trace-compares)
  fi
  echo "== fuzz $target: ${seconds}s (runs: $runs, sanitizer: $sanitizer)"
  # -rss_limit_mb: a hostile input must not make the engine take gigabytes.
  # -timeout: nor loop for long (one input, seconds).
  cargo +nightly fuzz run "${flags[@]}" "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -runs="$runs" \
    -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 2>&1 |
    tee "$ROOT/fuzz/$target.log" | grep -E '^(#[0-9]+ +(DONE|INITED)|==|stat::number_of_executed_units|stat::average_exec_per_sec|SUMMARY|Done)' || true
  if ls "artifacts/$target"/crash-* "artifacts/$target"/oom-* "artifacts/$target"/timeout-* >/dev/null 2>&1; then
    echo "!! $target: crashing inputs in fuzz/artifacts/$target"
  fi
done
