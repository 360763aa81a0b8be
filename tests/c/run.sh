#!/usr/bin/env bash
# tests/c/run.sh - build the C / C++ programs of tests/c against libImSDK and run them against a
# real `opentim serve`.
#
# Needs the Rust artefacts first:
#   cargo build -p opentim-capi -p opentim
# They are taken from $CARGO_TARGET_DIR/debug (default <repo>/target/debug): libImSDK.so and the
# `opentim` binary. Needs gcc, g++, pkg-config and jsoncpp (libjsoncpp-dev, installed here with
# apt-get when running as root). Prints one PASS/FAIL line per check and finally
# "N passed, M failed"; the exit status is 1 when anything failed.
#
# Checks:
#   build: header_smoke.c / header_smoke.cpp (linked into a shared object with --no-undefined, so
#          every API symbol they use must resolve in libImSDK.so), chat.cpp, group.cpp,
#          friend.cpp, media.cpp, badinput.c, and chat / badinput again with
#          -fsanitize=address,undefined;
#   run:   chat recv + chat send online (20 messages + 1 custom), offline delivery (5 messages
#          sent while the receiver is logged out, delivered exactly once at its next login),
#          badinput, then the same under ASan/UBSan with fresh users, the group scenario of
#          group.cpp (an owner and a member process), the friendship scenario of friend.cpp (a
#          target and a requester process), the media scenario of media.cpp (a receiver and a
#          sender process; again on the PostgreSQL-backed server below), 40-byte user ids against a second server started
#          with --max-user-id-bytes 64, 150 messages across a restart
#          of a PostgreSQL of the script's own (OPENTIM_TEST_PG_BINDIR), 150 messages from one
#          node to another across a kill and restart of a nats-server of the script's own
#          (OPENTIM_TEST_NATS_SERVER), and finally a graceful server stop on SIGTERM.
#
# Environment: KEEP_WORK=1 keeps the temporary directory (logs, databases) even on success.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TARGET_ROOT="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET_ROOT" in
    /*) ;;
    *) TARGET_ROOT="$ROOT/$TARGET_ROOT" ;;
esac
TARGET="$TARGET_ROOT/debug"
INCLUDE="$ROOT/crates/capi/include"
SRC="$ROOT/tests/c"
OPENTIM="$TARGET/opentim"
SDKAPPID=1400000042
export OPENTIM_SDKAPPID="$SDKAPPID"   # read by chat and badinput
unset OPENTIM_CONFIG OPENTIM_SERVER_ADDRESS || true

for f in "$TARGET/libImSDK.so" "$OPENTIM"; do
    if [[ ! -e "$f" ]]; then
        echo "missing $f: run 'cargo build -p opentim-capi -p opentim' first (same CARGO_TARGET_DIR)" >&2
        exit 1
    fi
done

# ---- jsoncpp -----------------------------------------------------------------------------
if ! pkg-config --exists jsoncpp 2>/dev/null; then
    if [[ "$(id -u)" -eq 0 ]]; then
        echo "installing libjsoncpp-dev ..."
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjsoncpp-dev pkg-config >/dev/null
    else
        echo "jsoncpp development files are missing: install them, e.g. 'sudo apt-get install libjsoncpp-dev pkg-config'" >&2
        exit 1
    fi
fi
read -r -a JSONCPP_CFLAGS <<<"$(pkg-config --cflags jsoncpp)"
read -r -a JSONCPP_LIBS <<<"$(pkg-config --libs jsoncpp)"

# ---- bookkeeping -----------------------------------------------------------------------------
PASSED=0
FAILED=0
FAILED_NAMES=()
pass() { PASSED=$((PASSED + 1)); echo "PASS: $1"; }
fail() { FAILED=$((FAILED + 1)); FAILED_NAMES+=("$1"); echo "FAIL: $1"; }
# check NAME CMD... : runs CMD, counts it as one check.
check() {
    local name="$1"
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/opentim-ctest.XXXXXX")"
BIN="$WORK/bin"
mkdir -p "$BIN"
SERVER_PID=""
BG_PIDS=()

cleanup() {
    local rc=$?
    local pid
    if declare -F pg_stop >/dev/null; then
        pg_stop
        if [[ "$FAILED" -ne 0 || "${KEEP_WORK:-0}" == 1 ]]; then cp "$PG_ROOT/log" "$WORK/pg.log" 2>/dev/null || true; fi
        rm -rf "$PG_ROOT"
    fi
    for pid in "${BG_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ "$FAILED" -ne 0 || "$rc" -ne 0 || "${KEEP_WORK:-0}" == 1 ]]; then
        echo "logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# ---- build -----------------------------------------------------------------------------------
LINK=(-L "$TARGET" -lImSDK "-Wl,-rpath,$TARGET")
COMMON=(-Wall -Wextra -Werror -I "$INCLUDE")
SAN=(-fsanitize=address,undefined -fno-omit-frame-pointer -g)

build() { # build NAME LOG CMD...
    local name="$1" log="$2"
    shift 2
    if "$@" >"$log" 2>&1; then
        pass "$name"
    else
        fail "$name"
        cat "$log"
    fi
}

build "build header_smoke.c (C99, links)" "$WORK/build-smoke-c.log" \
    gcc -std=c99 "${COMMON[@]}" -fPIC -shared -Wl,--no-undefined "$SRC/header_smoke.c" "${LINK[@]}" -o "$BIN/libsmoke_c.so"
build "build header_smoke.cpp (C++11, links)" "$WORK/build-smoke-cpp.log" \
    g++ -std=c++11 "${COMMON[@]}" -fPIC -shared -Wl,--no-undefined "$SRC/header_smoke.cpp" "${LINK[@]}" -o "$BIN/libsmoke_cpp.so"
build "build chat.cpp" "$WORK/build-chat.log" \
    g++ -std=c++11 "${COMMON[@]}" "${JSONCPP_CFLAGS[@]}" "$SRC/chat.cpp" "${LINK[@]}" "${JSONCPP_LIBS[@]}" -pthread -o "$BIN/chat"
build "build group.cpp" "$WORK/build-group.log" \
    g++ -std=c++11 "${COMMON[@]}" "${JSONCPP_CFLAGS[@]}" "$SRC/group.cpp" "${LINK[@]}" "${JSONCPP_LIBS[@]}" -pthread -o "$BIN/group"
build "build friend.cpp" "$WORK/build-friend.log" \
    g++ -std=c++11 "${COMMON[@]}" "${JSONCPP_CFLAGS[@]}" "$SRC/friend.cpp" "${LINK[@]}" "${JSONCPP_LIBS[@]}" -pthread -o "$BIN/friend"
build "build media.cpp" "$WORK/build-media.log" \
    g++ -std=c++11 "${COMMON[@]}" "${JSONCPP_CFLAGS[@]}" "$SRC/media.cpp" "${LINK[@]}" "${JSONCPP_LIBS[@]}" -pthread -o "$BIN/media"
build "build badinput.c" "$WORK/build-badinput.log" \
    gcc -std=c99 "${COMMON[@]}" "$SRC/badinput.c" "${LINK[@]}" -pthread -o "$BIN/badinput"
# Sanitizer builds: the programs are instrumented, libImSDK.so (Rust) is the same uninstrumented
# library; ASan still intercepts its malloc/free, so heap misuse across the boundary (e.g. a
# callback string used after the library freed it) is caught.
build "build chat.cpp (ASan+UBSan)" "$WORK/build-chat-asan.log" \
    g++ -std=c++11 "${COMMON[@]}" "${SAN[@]}" "${JSONCPP_CFLAGS[@]}" "$SRC/chat.cpp" "${LINK[@]}" "${JSONCPP_LIBS[@]}" -pthread -o "$BIN/chat-asan"
build "build badinput.c (ASan+UBSan)" "$WORK/build-badinput-asan.log" \
    gcc -std=c99 "${COMMON[@]}" "${SAN[@]}" "$SRC/badinput.c" "${LINK[@]}" -pthread -o "$BIN/badinput-asan"

# Leak detection is off: the Rust runtime inside libImSDK.so keeps worker threads and global
# state (tokio runtime, callback thread, logger) alive until process exit by design, which
# LeakSanitizer would report as leaks that are not bugs. Errors stop the program (exit 1).
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87"

# ---- server ----------------------------------------------------------------------------------
SECRET_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
READY="$WORK/ready"
"$OPENTIM" serve --listen 127.0.0.1:0 --data-dir "$WORK/server-data" --sdkappid "$SDKAPPID" \
    --secret-key "$SECRET_KEY" --ready-file "$READY" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

server_ready() { # server_ready READY_FILE PID LOG
    local ready="$1" pid="$2" log="$3" i
    for i in $(seq 1 200); do
        # complete once the line (address + newline) is written
        if [[ -s "$ready" && -z "$(tail -c 1 "$ready")" ]]; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "server exited early:" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "server did not write $ready within 20 s" >&2
    return 1
}
check "server starts and writes the ready file" server_ready "$READY" "$SERVER_PID" "$WORK/server.log"
if [[ ! -s "$READY" ]]; then
    echo "$PASSED passed, $FAILED failed (no server, nothing else can run)"
    exit 1
fi
ADDR="$(head -n 1 "$READY")"
SERVER="ws://$ADDR"
echo "server at $SERVER (pid $SERVER_PID)"

sig() {
    "$OPENTIM" usersig --user "$1" --sdkappid "$SDKAPPID" --secret-key "$SECRET_KEY"
}
declare -A SIG
for u in user1 user2 user3 user4 user5 user6; do
    SIG[$u]="$(sig "$u")"
    if [[ -z "${SIG[$u]}" ]]; then
        echo "opentim usersig printed nothing for $u" >&2
        exit 1
    fi
done

# Waits until FILE contains PATTERN (or the process PID ended / 30 s passed).
wait_for_line() {
    local file="$1" pattern="$2" pid="$3" i
    for i in $(seq 1 300); do
        if grep -q "$pattern" "$file" 2>/dev/null; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
        sleep 0.1
    done
    return 1
}

# run_pair TAG CHAT SENDER RECEIVER COUNT: receiver online first, then the sender (the receiver
# on $RECV_SERVER when that is set).
run_pair() {
    local tag="$1" chat="$2" from="$3" to="$4" count="$5"
    local rlog="$WORK/$tag-recv.log" slog="$WORK/$tag-send.log"
    local rpid rrc=0 src=0
    timeout 90 "$chat" recv "$to" "${SIG[$to]}" "${RECV_SERVER:-$SERVER}" "$WORK/$tag-$to-data" "$count" "$from" >"$rlog" 2>&1 &
    rpid=$!
    BG_PIDS+=("$rpid")
    if ! wait_for_line "$rlog" "^login ok" "$rpid"; then
        echo "--- $tag: receiver did not log in:"; cat "$rlog"
        wait "$rpid" 2>/dev/null || true
        return 1
    fi
    CHAT_EXPECT_RECEIPT=1 timeout 90 "$chat" send "$from" "${SIG[$from]}" "$SERVER" "$WORK/$tag-$from-data" "$to" "$count" >"$slog" 2>&1 || src=$?
    wait "$rpid" || rrc=$?
    if [[ $src -ne 0 || $rrc -ne 0 ]] || ! grep -q "^send ok $count\$" "$slog" || ! grep -q "^recv ok $count\$" "$rlog"; then
        echo "--- $tag: send exit $src:"; cat "$slog"
        echo "--- $tag: recv exit $rrc:"; cat "$rlog"
        return 1
    fi
    echo "    $(grep '^send ok' "$slog") / $(grep '^recv ok' "$rlog")"
}

# run_offline TAG CHAT SENDER RECEIVER COUNT: send while the receiver is logged out, then the
# receiver logs in (with the data directory of its earlier session) and must get each exactly once.
run_offline() {
    local tag="$1" chat="$2" from="$3" to="$4" count="$5" base="$6"
    local slog="$WORK/$tag-send.log" rlog="$WORK/$tag-recv.log" rc=0
    timeout 90 "$chat" send "$from" "${SIG[$from]}" "$SERVER" "$WORK/$base-$from-data" "$to" "$count" >"$slog" 2>&1 || rc=$?
    if [[ $rc -ne 0 ]] || ! grep -q "^send ok $count\$" "$slog"; then
        echo "--- $tag: send exit $rc:"; cat "$slog"
        return 1
    fi
    timeout 90 "$chat" recv "$to" "${SIG[$to]}" "$SERVER" "$WORK/$base-$to-data" "$count" "$from" >"$rlog" 2>&1 || rc=$?
    if [[ $rc -ne 0 ]] || ! grep -q "^recv ok $count\$" "$rlog"; then
        echo "--- $tag: recv exit $rc:"; cat "$rlog"
        return 1
    fi
    echo "    $(grep '^send ok' "$slog") / $(grep '^recv ok' "$rlog")"
}

# run_badinput TAG BINARY USER PEER
run_badinput() {
    local tag="$1" bin="$2" user="$3" peer="$4" rc=0
    local log="$WORK/$tag.log"
    timeout 240 "$bin" "$SERVER" "$WORK/$tag-data" "$user" "${SIG[$user]}" "$peer" >"$log" 2>&1 || rc=$?
    if [[ $rc -ne 0 ]] || ! grep -q "^badinput ok\$" "$log"; then
        echo "--- $tag exit $rc:"; cat "$log"
        return 1
    fi
    grep "TIMInit(invalid UTF-8)" "$log" | sed 's/^/    /'
}

have() { [[ -x "$BIN/$1" ]]; }
skip_fail() { echo "    ($1 was not built)"; return 1; }

if have chat; then
    check "chat: user1 -> user2, 20 messages online" run_pair online "$BIN/chat" user1 user2 20
    check "chat: user1 -> user2, 5 messages offline, delivered exactly once" run_offline offline "$BIN/chat" user1 user2 5 online
else
    check "chat: online" skip_fail chat
    check "chat: offline" skip_fail chat
fi
if have badinput; then
    check "badinput" run_badinput badinput "$BIN/badinput" user5 user1
else
    check "badinput" skip_fail badinput
fi
if have chat-asan; then
    check "chat (ASan+UBSan): user3 -> user4, 20 messages online" run_pair asan-online "$BIN/chat-asan" user3 user4 20
    check "chat (ASan+UBSan): user3 -> user4, 5 messages offline" run_offline asan-offline "$BIN/chat-asan" user3 user4 5 asan-online
else
    check "chat (ASan+UBSan): online" skip_fail chat-asan
    check "chat (ASan+UBSan): offline" skip_fail chat-asan
fi
if have badinput-asan; then
    check "badinput (ASan+UBSan)" run_badinput badinput-asan "$BIN/badinput-asan" user6 user3
else
    check "badinput (ASan+UBSan)" skip_fail badinput-asan
fi

# run_duo TAG PROGRAM READY FIRST_MODE FIRST_USER SECOND_MODE SECOND_USER ARG: two processes of
# PROGRAM ("PROGRAM MODE USER SIG SERVER DATADIR ARG OTHER_USER"); the second starts once the
# first printed a line matching READY, and each must end with "<MODE> ok".
run_duo() {
    local tag="$1" program="$2" ready="$3" m1="$4" u1="$5" m2="$6" u2="$7" arg="$8"
    local log1="$WORK/$tag-$m1.log" log2="$WORK/$tag-$m2.log" pid1 rc1=0 rc2=0
    timeout 120 "$BIN/$program" "$m1" "$u1" "${SIG[$u1]}" "$SERVER" "$WORK/$tag-$u1-data" "$arg" "$u2" >"$log1" 2>&1 &
    pid1=$!
    BG_PIDS+=("$pid1")
    if ! wait_for_line "$log1" "$ready" "$pid1"; then
        echo "--- $tag: the $m1 did not get ready:"; cat "$log1"
        wait "$pid1" 2>/dev/null || true
        return 1
    fi
    timeout 120 "$BIN/$program" "$m2" "$u2" "${SIG[$u2]}" "$SERVER" "$WORK/$tag-$u2-data" "$arg" "$u1" >"$log2" 2>&1 || rc2=$?
    wait "$pid1" || rc1=$?
    if [[ $rc1 -ne 0 || $rc2 -ne 0 ]] || ! grep -q "^$m1 ok\$" "$log1" || ! grep -q "^$m2 ok\$" "$log2"; then
        echo "--- $tag: $m1 exit $rc1:"; cat "$log1"
        echo "--- $tag: $m2 exit $rc2:"; cat "$log2"
        return 1
    fi
    echo "    $(grep -c '^notice\|^tip\|^callback\|with the seed' "$log1") notices, tips, callbacks and key sets checked by the $m1, $(grep -c '^notice\|^tip\|^callback\|with the seed' "$log2") by the $m2"
}
if have group; then
    check "group: join with approval, tips and notices with the seed's key sets, rename, mute, quit" \
        run_duo group group "^group created" owner user5 member user6 opentim-c-group
else
    check "group" skip_fail group
fi
if have friend; then
    for u in friend-a friend-b; do SIG[$u]="$(sig "$u")"; done
    check "friendship: request, agree and add, profiles, remarks, friend groups, delete, blacklist, callbacks; the seed's key sets" \
        run_duo friend friend "^ready" target friend-b requester friend-a friend-stranger
else
    check "friendship" skip_fail friend
fi
if have media; then
    for u in media-a media-b; do SIG[$u]="$(sig "$u")"; done
    mkdir -p "$WORK/media-files"
    check "media: an image and a file sent from local paths with upload progress, downloaded byte for byte" \
        run_duo media media "^ready" receiver media-b sender media-a "$WORK/media-files"
else
    check "media" skip_fail media
fi

# ---- a server configured for longer user ids ------------------------------------------------------
# Its SDK must not refuse what the server accepts: 40-byte user ids, end to end through libImSDK.
LONG_A="opentim-long-user-id-sender-0123456789ab"
LONG_B="opentim-long-user-id-receiver-0123456789"
SIG[$LONG_A]="$(sig "$LONG_A")"
SIG[$LONG_B]="$(sig "$LONG_B")"
LONG_READY="$WORK/ready-long"
"$OPENTIM" serve --listen 127.0.0.1:0 --data-dir "$WORK/server-long-data" --sdkappid "$SDKAPPID" \
    --secret-key "$SECRET_KEY" --max-user-id-bytes 64 --ready-file "$LONG_READY" \
    >"$WORK/server-long.log" 2>&1 &
LONG_PID=$!
BG_PIDS+=("$LONG_PID")
long_ids() {
    server_ready "$LONG_READY" "$LONG_PID" "$WORK/server-long.log" || return 1
    [[ ${#LONG_A} -eq 40 && ${#LONG_B} -eq 40 ]] || { echo "    the test ids are not 40 bytes"; return 1; }
    local default_server="$SERVER" rc=0
    SERVER="ws://$(head -n 1 "$LONG_READY")"
    run_pair long-ids "$BIN/chat" "$LONG_A" "$LONG_B" 5 || rc=$?
    SERVER="$default_server"
    return $rc
}
if have chat; then
    check "chat: 40-byte user ids on a server with max_user_id_bytes = 64, 5 messages" long_ids
else
    check "chat: 40-byte user ids" skip_fail chat
fi

# ---- a PostgreSQL restart under a C++ app ------------------------------------------------------
# A server on a PostgreSQL of this script's own (initdb in $WORK, a free port); while chat sends
# 150 messages one after another, `pg_ctl restart -m fast` cuts every database connection. Every
# send must succeed and every message arrive once. PostgreSQL's programs come from
# OPENTIM_TEST_PG_BINDIR (scripts/test.sh finds them); without them the check is not run and says so.
PG_BIN="${OPENTIM_TEST_PG_BINDIR:-}"
# Its own directory: $WORK is private to this user, and the server runs as postgres when this is root.
PG_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/opentim-pg.XXXXXX")"
PG_DATA="$PG_ROOT/data"
as_pg() { if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_stop() { [[ -f "$PG_DATA/postmaster.pid" ]] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate stop >/dev/null 2>&1 || true; }
pg_restart_mid_stream() {
    if [[ "$(id -u)" -eq 0 ]]; then chown postgres "$PG_ROOT"; fi
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --no-sync >"$WORK/pg-initdb.log" 2>&1 \
        || { cat "$WORK/pg-initdb.log"; return 1; }
    PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    local port="$PG_PORT"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_ROOT/log" -w \
        -o "-p $port -k $PG_ROOT -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
        || { cat "$PG_ROOT/log"; return 1; }
    local ready="$WORK/ready-pg" pid rc=0
    "$OPENTIM" serve --listen 127.0.0.1:0 --data-dir "$WORK/server-pg-data" --sdkappid "$SDKAPPID" \
        --secret-key "$SECRET_KEY" --database-url "postgres://postgres@127.0.0.1:$port/postgres" \
        --ready-file "$ready" >"$WORK/server-pg.log" 2>&1 &
    pid=$!
    BG_PIDS+=("$pid")
    server_ready "$ready" "$pid" "$WORK/server-pg.log" || return 1
    SIG[pgsender]="$(sig pgsender)"
    SIG[pgreceiver]="$(sig pgreceiver)"
    # The restart, once the 40th message is through.
    (
        wait_for_line "$WORK/pg-restart-send.log" 'sent "msg 40"' "$$" \
            && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_ROOT/log" -m fast -w restart >/dev/null \
            && touch "$WORK/pg-restarted"
    ) &
    BG_PIDS+=("$!")
    local default_server="$SERVER"
    SERVER="ws://$(head -n 1 "$ready")"
    run_pair pg-restart "$BIN/chat" pgsender pgreceiver 150 || rc=$?
    SERVER="$default_server"
    if [[ ! -f "$WORK/pg-restarted" ]]; then
        echo "    PostgreSQL was not restarted during the run"; rc=1
    elif ! grep -q "received fast shutdown request" "$PG_ROOT/log"; then
        echo "    the PostgreSQL log shows no restart"; rc=1
    fi
    return $rc
}
if [[ -z "$PG_BIN" || ! -x "$PG_BIN/initdb" ]]; then
    echo "NOT RUN: chat across a PostgreSQL restart (needs PostgreSQL's programs: set OPENTIM_TEST_PG_BINDIR," \
        "e.g. /usr/lib/postgresql/15/bin; scripts/test.sh finds them when PostgreSQL is installed)"
elif have chat; then
    check "chat: 150 messages across a PostgreSQL restart (pg_ctl restart -m fast), none failed, each once" pg_restart_mid_stream
else
    check "chat: across a PostgreSQL restart" skip_fail chat
fi

# The media scenario again on that server, whose media store is its PostgreSQL.
if have media && [[ -s "$WORK/ready-pg" ]]; then
    for u in pgmedia-a pgmedia-b; do SIG[$u]="$(sig "$u")"; done
    mkdir -p "$WORK/pg-media-files"
    MEDIA_DEFAULT_SERVER="$SERVER"
    SERVER="ws://$(head -n 1 "$WORK/ready-pg")"
    check "media on the PostgreSQL media store: an image and a file, uploaded and downloaded byte for byte" \
        run_duo pg-media media "^ready" receiver pgmedia-b sender pgmedia-a "$WORK/pg-media-files"
    SERVER="$MEDIA_DEFAULT_SERVER"
fi

# ---- a NATS restart between two nodes under a C++ app --------------------------------------------
# Two nodes on the PostgreSQL above and a nats-server of this script's own (a free port); the
# sender is on node a, the receiver on node b. While chat sends 150 messages, NATS is killed
# (SIGKILL) and started again a second later: every send must succeed and every message reach
# the other node once (the nodes tell their sessions to resync when the link is back).
NATS_BIN="${OPENTIM_TEST_NATS_SERVER:-}"
nats_restart_mid_stream() {
    local nport rc=0 node ready
    nport="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "$NATS_BIN" -a 127.0.0.1 -p "$nport" >"$WORK/nats.log" 2>&1 &
    echo $! >"$WORK/nats.pid"
    BG_PIDS+=("$(cat "$WORK/nats.pid")")
    for node in a b; do
        ready="$WORK/ready-nats-$node"
        "$OPENTIM" serve --listen 127.0.0.1:0 --data-dir "$WORK/server-nats-$node" --sdkappid "$SDKAPPID" \
            --secret-key "$SECRET_KEY" --database-url "postgres://postgres@127.0.0.1:$PG_PORT/postgres" \
            --database-schema nats_c --nats-url "nats://127.0.0.1:$nport" --node-id "$node" \
            --ready-file "$ready" >"$WORK/server-nats-$node.log" 2>&1 &
        BG_PIDS+=("$!")
        server_ready "$ready" "$!" "$WORK/server-nats-$node.log" || return 1
    done
    SIG[natsender]="$(sig natsender)"
    SIG[natreceiver]="$(sig natreceiver)"
    (
        wait_for_line "$WORK/nats-restart-send.log" 'sent "msg 40"' "$$" \
            && kill -KILL "$(cat "$WORK/nats.pid")" && sleep 1 \
            && { "$NATS_BIN" -a 127.0.0.1 -p "$nport" >>"$WORK/nats.log" 2>&1 & echo $! >"$WORK/nats.pid"; } \
            && touch "$WORK/nats-restarted"
    ) &
    BG_PIDS+=("$!")
    local default_server="$SERVER"
    SERVER="ws://$(head -n 1 "$WORK/ready-nats-a")"
    RECV_SERVER="ws://$(head -n 1 "$WORK/ready-nats-b")"
    run_pair nats-restart "$BIN/chat" natsender natreceiver 150 || rc=$?
    SERVER="$default_server"
    unset RECV_SERVER
    kill "$(cat "$WORK/nats.pid")" 2>/dev/null || true
    if [[ ! -f "$WORK/nats-restarted" ]]; then
        echo "    NATS was not restarted during the run"; rc=1
    fi
    return $rc
}
if [[ -z "$PG_BIN" || ! -x "$PG_BIN/initdb" || -z "$NATS_BIN" || ! -x "$NATS_BIN" ]]; then
    echo "NOT RUN: chat across a NATS restart (needs PostgreSQL's programs and nats-server: set" \
        "OPENTIM_TEST_PG_BINDIR and OPENTIM_TEST_NATS_SERVER; scripts/test.sh finds them when installed)"
elif have chat; then
    check "chat: 150 messages from node a to node b across a NATS restart (SIGKILL), none failed, each once" nats_restart_mid_stream
else
    check "chat: across a NATS restart" skip_fail chat
fi
pg_stop

# ---- graceful stop ------------------------------------------------------------------------------
stop_server() {
    local i rc=0
    kill -TERM "$SERVER_PID"
    for i in $(seq 1 100); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
        sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "    server still running 10 s after SIGTERM" >&2
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
        return 1
    fi
    wait "$SERVER_PID" || rc=$?
    SERVER_PID=""
    if [[ $rc -ne 0 ]]; then
        echo "    server exit status $rc after SIGTERM" >&2
        tail -n 20 "$WORK/server.log" >&2
        return 1
    fi
}
check "server stops gracefully on SIGTERM (exit 0)" stop_server

if [[ "$FAILED" -ne 0 ]]; then
    printf 'failed: %s\n' "${FAILED_NAMES[@]}"
fi
echo "$PASSED passed, $FAILED failed"
[[ "$FAILED" -eq 0 ]]
