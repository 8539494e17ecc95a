#!/usr/bin/env bash
# Usage: fuzz/run-all.sh SECONDS — builds once, then runs every target for SECONDS each.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:?usage: run-all.sh SECONDS}"
"$here/run.sh" decode_v2 0 -runs=0 >/dev/null
for t in $(sed -n 's/^name = "\(.*\)"$/\1/p' "$here/Cargo.toml" | grep -v '^subunit-fuzz$'); do
    FUZZ_NO_BUILD=1 "$here/run.sh" "$t" "$seconds"
done
