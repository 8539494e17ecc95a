#!/usr/bin/env bash
# Usage: fuzz/run.sh TARGET SECONDS [libFuzzer options...]
#
# Builds the fuzz targets with libFuzzer's coverage instrumentation on the stable toolchain
# (the flags cargo-fuzz passes, without a sanitizer, so nothing needs nightly) and runs TARGET
# for SECONDS on its kept corpus (fuzz/corpus/TARGET, seeded from the samples) plus a scratch
# corpus for what the run finds. Prints one line: target, seconds, executions, exec/s, and
# the corpus size. A crash leaves its input in fuzz/artifacts/TARGET/ and exits non-zero.
#
# FUZZ_NO_BUILD=1 skips the build (run-all.sh builds once).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${1:?usage: run.sh TARGET SECONDS}"
seconds="${2:?usage: run.sh TARGET SECONDS}"
shift 2
triple="$(rustc -vV | sed -n 's/^host: //p')"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/../target}/fuzz"
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
    # --target keeps RUSTFLAGS off the build scripts and proc macros.
    RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
--cfg fuzzing" \
        cargo build --manifest-path "$here/Cargo.toml" --release --bins --target "$triple" \
        --quiet
fi
bin="$CARGO_TARGET_DIR/$triple/release/$target"
[ -x "$bin" ] || { echo "run.sh: no fuzz target $target" >&2; exit 2; }
corpus="$here/corpus/$target"
found="${FUZZ_FOUND_DIR:-${TMPDIR:-/tmp}/subunit-fuzz-found}/$target"
artifacts="$here/artifacts/$target"
mkdir -p "$corpus" "$found" "$artifacts"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$@" "$found" "$corpus" >"$log" 2>&1
status=$?
set -e
runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
secs="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)"
rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)"
if [ "$status" -ne 0 ]; then
    tail -40 "$log" >&2
    echo "$target: FAILED (exit $status) after ${runs:-?} executions; input in $artifacts/" >&2
    exit 1
fi
printf '%s: %s s, %s executions, %s exec/s, coverage %s, corpus %s + %s found\n' \
    "$target" "${secs:-$seconds}" "${runs:-?}" "${rate:-?}" "${cov:-?}" \
    "$(ls "$corpus" | wc -l)" "$(ls "$found" | wc -l)"
