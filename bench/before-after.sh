#!/usr/bin/env bash
# bench/before-after.sh: the same scenarios against two builds of opentim, alternated in one run
# on one machine, as a table of figures and new/old ratios.
#
#   OLD_BENCH="/path/old/opentim bench" NEW_BENCH=target/release/opentim-bench bench/before-after.sh
#
# OLD_BENCH and NEW_BENCH are commands that take a scenario and its flags (`opentim bench` before
# the bench moved to its own binary, `opentim-bench` after); each starts its own server process.
# Each scenario runs ROUNDS times per build (default 2), old and new in turn, and the best round
# is kept. Figures: one2one delivered/s and server CPU microseconds per message (the bench reads
# the server's CPU time from /proc), rate p99 latency at RATE msg/s (default 10000), the Rust
# SDK scenario (`sdk`, default size): delivered/s, lost, and SDK receive throughput
# (`sdk-receive`: 4 raw senders x 25,000 messages to one SDK client, live and --offline).
# The build before the bench moved has no sdk-receive: apply bench/patches/8d47cd8-sdk-receive.patch
# to that checkout first (it ports the scenario, nothing else).
set -euo pipefail
OLD_BENCH=${OLD_BENCH:?set OLD_BENCH, e.g. "/tmp/old/target/release/opentim bench"}
NEW_BENCH=${NEW_BENCH:-target/release/opentim-bench}
ROUNDS=${ROUNDS:-2}
RATE=${RATE:-10000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

run() { # run NAME BENCH ARGS...: append the JSON report to $WORK/NAME.jsonl
    local name=$1 bench=$2 before after; shift 2
    before=0; [ -f "$WORK/$name.jsonl" ] && before=$(wc -l <"$WORK/$name.jsonl")
    # A run that lost messages exits non-zero after its report: the report still counts.
    # shellcheck disable=SC2086
    $bench "$@" --json >>"$WORK/$name.jsonl" 2>"$WORK/$name.err" || true
    after=$(wc -l <"$WORK/$name.jsonl")
    if [ "$after" -le "$before" ]; then
        echo "failed: $bench $*" >&2; tail -5 "$WORK/$name.err" >&2; exit 1
    fi
}

for round in $(seq "$ROUNDS"); do
    for side in old new; do
        bench=$OLD_BENCH; [ "$side" = new ] && bench=$NEW_BENCH
        echo "round $round: $side" >&2
        run "$side-one2one" "$bench" one2one
        run "$side-rate" "$bench" rate --rate "$RATE"
        run "$side-sdk" "$bench" sdk
        run "$side-recv" "$bench" sdk-receive --pairs 4 --messages 25000
        run "$side-recv-offline" "$bench" sdk-receive --pairs 4 --messages 25000 --offline
    done
done

python3 - "$WORK" <<'PY'
import json, sys, os
work = sys.argv[1]
def reports(name):
    with open(os.path.join(work, name + ".jsonl")) as f:
        return [json.loads(l) for l in f if l.strip()]
def fig(r, name):
    for f in r["figures"]:
        if f["name"] == name:
            return f["value"]
    raise KeyError(name)
def cpu_us_per_msg(r):
    return 1e6 * r["server"]["cpu_seconds"] / max(fig(r, "delivered"), 1)
rows = [
    ("one2one delivered/s", "one2one", lambda r: fig(r, "delivered/s"), max),
    ("one2one server CPU us/msg", "one2one", cpu_us_per_msg, min),
    ("rate p99 ms", "rate", lambda r: fig(r, "latency p99"), min),
    ("sdk delivered/s", "sdk", lambda r: fig(r, "delivered/s"), max),
    ("sdk lost", "sdk", lambda r: fig(r, "lost"), min),
    ("sdk-receive live: stored/s", "recv", lambda r: fig(r, "delivered/s"), max),
    ("sdk-receive live: latency p50 ms", "recv", lambda r: fig(r, "latency p50"), min),
    ("sdk-receive offline sync: stored/s", "recv-offline", lambda r: fig(r, "delivered/s"), max),
]
print("| figure | before | after | after/before |")
print("|---|---:|---:|---:|")
for label, scen, get, best in rows:
    old = best(get(r) for r in reports("old-" + scen))
    new = best(get(r) for r in reports("new-" + scen))
    ratio = (new / old) if old else float("inf") if new else 1.0
    print(f"| {label} | {old:.1f} | {new:.1f} | {ratio:.2f} |")
PY
