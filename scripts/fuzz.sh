#!/usr/bin/env bash
# Build the fuzz targets of fuzz/ and run each for a bounded time (FUZZ_SECONDS, default 20):
#   frame_decode  any bytes as a protocol frame, on the server's side and the client's
#   capi_json     any bytes as the JSON the C API accepts, through the exported functions
# Uses cargo-fuzz (installed from crates.io when missing) with libFuzzer and AddressSanitizer.
# The toolchain here is stable; RUSTC_BOOTSTRAP=1 lets it take the sanitizer flags cargo-fuzz
# passes. A crash (or a build failure) fails the run; a crash leaves its input under
# fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-20}
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install --locked cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/opentim-fuzz-target}"
mkdir -p "$CARGO_TARGET_DIR" # the logs go there before the first build creates it
for target in frame_decode capi_json; do
    echo "fuzz $target for ${SECONDS_EACH}s"
    log="$CARGO_TARGET_DIR/fuzz-$target.log"
    if ! cargo fuzz run "$target" --fuzz-dir fuzz -- -max_total_time="$SECONDS_EACH" \
        -rss_limit_mb=2048 >"$log" 2>&1; then
        tail -40 "$log"
        echo "FAIL: fuzz $target (a crash leaves its input under fuzz/artifacts/$target/)"
        exit 1
    fi
    grep -E "^Done [0-9]+ runs" "$log" || tail -3 "$log"
done
echo "fuzz: no crash"
