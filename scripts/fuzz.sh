#!/usr/bin/env bash
# Runs every cargo-fuzz target (or the ones named) for a time budget each, one after the other, one process each,
# and prints libFuzzer's execution count per target. Not part of the test command (scripts/test.sh).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      default: 60 s, every target in fuzz/Cargo.toml
#
# Environment:
#   FUZZ_SANITIZER   address (default) or none — `none` runs about 2x faster; the core has no unsafe code, so what
#                    the fuzzer finds (panics, stack overflows, timeouts, OOM) it finds either way.
#   FUZZ_MAX_LEN     -max_len for every target (default: per target, below).
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). cargo-fuzz passes nightly-only -Z flags to rustc; on a stable
# toolchain RUSTC_BOOTSTRAP=1 (set here) lets it accept them. The corpus grows in fuzz/corpus/<target>/ (ignored by
# git); fuzz/seeds/<target>/ (committed) is read as an extra corpus directory and never written. A crash leaves its
# input in fuzz/artifacts/<target>/ and stops that target; the script goes on and exits 1 at the end.
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
export PATH="$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1

budget="${1:-60}"
shift || true
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(sed -n 's/^name = "\([a-z_]*\)"$/\1/p' Cargo.toml | grep -v '^timeshard-fuzz$')
fi
sanitizer="${FUZZ_SANITIZER:-address}"

# Longest input per target: enough for a few dozen realistic entries; deeper structure comes from mutation.
max_len_for() {
  case "$1" in
    plan_path) echo 16384 ;;
    store) echo 65536 ;;
    *) echo 32768 ;;
  esac
}

# Extra (read-only) corpus directories per target.
seeds_for() {
  case "$1" in
    report_any) echo seeds/junit seeds/durations_json seeds/cypress_json seeds/parallel_log ;;
    parsed_report) echo seeds/junit seeds/durations_json seeds/parsed_report ;;
    *) [ -d "seeds/$1" ] && echo "seeds/$1" ;;
  esac
}

command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2; exit 2; }
# -a: debug assertions and overflow checks on, so arithmetic overflow on hostile input is a crash, not a wrap.
cargo fuzz build -a --sanitizer "$sanitizer" || exit 2

status=0
summary=()
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  log="$(mktemp)"
  echo "=== $t: ${budget}s, sanitizer $sanitizer, -max_len=${FUZZ_MAX_LEN:-$(max_len_for "$t")}"
  # shellcheck disable=SC2046
  cargo fuzz run -a --sanitizer "$sanitizer" "$t" "corpus/$t" $(seeds_for "$t") -- \
    -max_total_time="$budget" -max_len="${FUZZ_MAX_LEN:-$(max_len_for "$t")}" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  secs="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)"
  corpus="$(find "corpus/$t" -type f | wc -l)"
  if [ "$rc" -ne 0 ]; then
    status=1
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written|artifact_prefix' "$log" | head -20
    summary+=("$t: FAILED (exit $rc) after ${runs:-?} runs; log kept in $log")
  else
    summary+=("$t: ${runs:-?} runs in ${secs:-?} s, corpus $corpus files")
    rm -f "$log"
  fi
done

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
exit "$status"
