#!/usr/bin/env bash
# One pair through libImSDK from C++: tests/c/chat.cpp (the jsoncpp program CI runs) sends N
# text messages, each waiting for its TIMCommCallback, to a receiver process; the wall time from
# the first send to the receiver's last delivery gives messages/s. The same shape through the
# Rust SDK (`opentim-bench sdk --pairs 1 --window 1`) and the raw protocol (`bench one2one
# --pairs 1 --window 1`) runs right after, so the C layer's own cost can be read off.
#
#   OPENTIM=target/release/opentim N=2000 bench/c-sdk.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OPENTIM=${OPENTIM:-$ROOT/target/release/opentim}
OPENTIM_BENCH=${OPENTIM_BENCH:-$(dirname "$OPENTIM")/opentim-bench}
N=${N:-2000}
LIBDIR="$(dirname "$OPENTIM")"
[ -x "$OPENTIM" ] && [ -e "$LIBDIR/libImSDK.so" ] || {
  echo "build first: cargo build --release -p opentim -p opentim-capi" >&2; exit 1; }
"$ROOT/scripts/setup.sh"
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

read -r -a JSONCPP <<<"$(pkg-config --cflags --libs jsoncpp)"
g++ -std=c++11 -O2 -I "$ROOT/crates/capi/include" "$ROOT/tests/c/chat.cpp" "${JSONCPP[@]}" \
  -L "$LIBDIR" -lImSDK -Wl,-rpath,"$LIBDIR" -pthread -o "$WORK/chat"

KEY="c-sdk-bench-$$"
export OPENTIM_SDKAPPID=1400000000
"$OPENTIM" serve --listen 127.0.0.1:0 --data-dir "$WORK/data" --secret-key "$KEY" \
  --ready-file "$WORK/ready" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$WORK/ready" ] && break; sleep 0.1; done
SERVER="ws://$(cat "$WORK/ready")"
SIG1=$("$OPENTIM" usersig --user cb1 --secret-key "$KEY")
SIG2=$("$OPENTIM" usersig --user cb2 --secret-key "$KEY")

"$WORK/chat" recv cb2 "$SIG2" "$SERVER" "$WORK/c2" "$N" cb1 >"$WORK/recv.log" 2>&1 &
RECV=$!
for _ in $(seq 100); do grep -q "login ok" "$WORK/recv.log" 2>/dev/null && break; sleep 0.1; done
start=$(date +%s%N)
"$WORK/chat" send cb1 "$SIG1" "$SERVER" "$WORK/c1" cb2 "$N" >"$WORK/send.log" 2>&1
wait "$RECV"
end=$(date +%s%N)
# The receiver waits one extra second at the end to catch late duplicates; take it off.
secs=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", (e - s) / 1e9 - 1.0 }')
rate=$(awk -v n="$N" -v t="$secs" 'BEGIN { printf "%.0f", n / t }')
grep -h "ok" "$WORK/send.log" "$WORK/recv.log" | tail -2
echo "libImSDK from C++: $N messages, one pair, each send waiting for its callback: $secs s, $rate msg/s"
"$OPENTIM_BENCH" sdk --pairs 1 --messages "$N" --window 1 2>/dev/null | grep -E "delivered/s|latency p50"
"$OPENTIM_BENCH" one2one --pairs 1 --messages "$N" --window 1 2>/dev/null | grep -E "delivered/s|latency p50"
