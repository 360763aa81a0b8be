#!/usr/bin/env bash
# The test command: everything CI (.ci/run) checks, in one go.
#   format, generated code (tools/gen_tim_tables.py output up to date), lints, Rust unit +
#   integration tests (real server on 127.0.0.1:0, real SQLite), the header check, and the C/C++
#   programs of tests/c against a real `opentim serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# The fault tests run a PostgreSQL of their own (initdb, pg_ctl) that they restart; its
# programs come from the machine's PostgreSQL installation when there is one.
if [ -z "${OPENTIM_TEST_PG_BINDIR:-}" ]; then
    OPENTIM_TEST_PG_BINDIR="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
fi
export OPENTIM_TEST_PG_BINDIR
# ... and a NATS server of their own that they kill and start again.
if [ -z "${OPENTIM_TEST_NATS_SERVER:-}" ]; then
    OPENTIM_TEST_NATS_SERVER="$(command -v nats-server || ls /usr/sbin/nats-server 2>/dev/null || true)"
fi
export OPENTIM_TEST_NATS_SERVER
# ... and, as root, a small tmpfs that they fill up.
if [ -z "${OPENTIM_TEST_SMALL_FS:-}" ] && [ "$(id -u)" -eq 0 ]; then
    OPENTIM_TEST_SMALL_FS=1
fi
export OPENTIM_TEST_SMALL_FS="${OPENTIM_TEST_SMALL_FS:-}"

step() { printf '\n==> %s\n' "$*"; }

step "system packages"
scripts/setup.sh

step "format"
cargo fmt --all -- --check

step "generated code"
# TIMCloudDef.h, tables.rs and codes.rs are generated from spec/tim-data.json and checked in.
generated=(crates/capi/include/TIMCloudDef.h crates/model/src/tables.rs crates/model/src/codes.rs)
PYTHONDONTWRITEBYTECODE=1 python3 tools/gen_tim_tables.py >/dev/null
if ! git --no-pager diff --exit-code -- "${generated[@]}"; then
    echo "error: the generated files above differ from what is committed (or staged);" \
        "run 'python3 tools/gen_tim_tables.py' and commit the result" >&2
    exit 1
fi

step "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build"
cargo build --workspace --locked

step "Rust tests"
cargo test --workspace --locked

step "C and C++ programs against a real server"
tests/c/run.sh

step "fuzz targets (bounded time each)"
scripts/fuzz.sh
