#!/usr/bin/env bash
# bench/peers.sh: run `opentim-bench` against ejabberd and prosody (Debian's packages), then
# against opentim and the bench's baseline relay, and write docs/benchmarks-table.md.
#
# Run as root, from anywhere:   OPENTIM=/path/to/release/opentim bench/peers.sh
#
# What it does, in order:
#   1. installs ejabberd, prosody and jq with apt-get if they are missing, without letting the
#      packages start their services, then stops and disables any packaged instance that runs;
#   2. raises the open-file limit of this shell (`ulimit -n`), which every server started below
#      inherits;
#   3. for each system in $SYSTEMS, writes its own config into a temporary directory, starts the
#      server by hand on 127.0.0.1:5222 (plain XMPP, no TLS, SASL ANONYMOUS on the host
#      bench.local), runs the one2one, rate, login and idle scenarios with
#      `--driver xmpp --server-pid PID` (so CPU and memory are read from /proc/PID), and stops
#      the server by its pid;
#   4. runs the same scenarios against opentim (`opentim-bench ... --baseline`, which starts its
#      own server and the baseline relay);
#   5. writes the JSON outputs to $RESULTS and the tables to $TABLE.
#
# Every bench run is bounded (`timeout`), every wait loop is bounded in count, and nothing but
# 127.0.0.1 is ever contacted. Sizes are environment variables (defaults below finish the whole
# run in a few minutes on 2 cores). Examples:
#   PAIRS=5 MESSAGES=200 RATE=500 RATE_SECONDS=3 LOGINS=100 IDLE=200 bench/peers.sh   # smoke
#   SYSTEMS="prosody opentim" bench/peers.sh                                         # subset

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OPENTIM=${OPENTIM:-$ROOT/target/release/opentim}
OPENTIM_BENCH=${OPENTIM_BENCH:-$(dirname "$OPENTIM")/opentim-bench}

# Size knobs.
PAIRS=${PAIRS:-20}               # one2one: sender/receiver pairs
MESSAGES=${MESSAGES:-1000}       # one2one: messages per pair
WINDOW=${WINDOW:-64}             # one2one: messages in flight per pair
RATE_PAIRS=${RATE_PAIRS:-20}     # rate: pairs
RATE=${RATE:-2000}               # rate: total messages per second
RATE_SECONDS=${RATE_SECONDS:-10} # rate: duration
LOGINS=${LOGINS:-1000}           # login: logins
IDLE=${IDLE:-2000}               # idle: sessions held open
IN_FLIGHT=${IN_FLIGHT:-32}       # login, idle: connects in flight
DRAIN=${DRAIN:-20}               # seconds to wait for stragglers before counting them lost
STEP_TIMEOUT=${STEP_TIMEOUT:-300} # hard limit in seconds of one bench run

SYSTEMS=${SYSTEMS:-"ejabberd ejabberd-mam prosody prosody-mam opentim"}
RESULTS=${RESULTS:-$ROOT/target/bench-peers}
TABLE=${TABLE:-$ROOT/docs/benchmarks-table.md}
NOFILE=${NOFILE:-65536}          # wanted open-file limit for the servers (capped by the hard limit)
SOMAXCONN=${SOMAXCONN:-}         # if set, net.core.somaxconn is raised to it for the run and restored
KEEP_WORK=${KEEP_WORK:-}         # if set, keep the servers' config/data/log directory
TABLE_ONLY=${TABLE_ONLY:-}       # if set, only rewrite $TABLE from the results already in $RESULTS

XMPP_PORT=5222
DOMAIN=bench.local
EJABBERD_DIST_PORT=${EJABBERD_DIST_PORT:-25270} # Erlang distribution port of the ejabberd node
SCENARIOS="one2one rate login idle"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (installs packages and starts servers as their users)"
[ -x "$OPENTIM" ] || die "no opentim binary at $OPENTIM: build it with 'cargo build --release -p opentim -p opentim-bench' and set OPENTIM"
for n in PAIRS MESSAGES WINDOW RATE_PAIRS RATE_SECONDS LOGINS IDLE IN_FLIGHT DRAIN STEP_TIMEOUT; do
    [[ ${!n} =~ ^[0-9]+$ ]] || die "$n must be a whole number (got '${!n}')"
done
[[ $RATE =~ ^[0-9]+([.][0-9]+)?$ ]] || die "RATE must be a number"

WORK=$(mktemp -d /tmp/opentim-peers.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$RESULTS" "$(dirname "$TABLE")"

SERVER_PID=""          # the server this script is running now
CREATED_POLICY=""      # set if this script created /usr/sbin/policy-rc.d
OLD_SOMAXCONN=""

cleanup() {
    set +e
    [ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID"
    [ -n "$CREATED_POLICY" ] && rm -f /usr/sbin/policy-rc.d
    [ -n "$OLD_SOMAXCONN" ] && echo "$OLD_SOMAXCONN" >/proc/sys/net/core/somaxconn
    if [ -n "$KEEP_WORK" ]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Processes

# Stop one process by pid: SIGTERM (ejabberd's VM and prosody both shut down cleanly on it),
# then SIGKILL after 30 s.
stop_pid() {
    local pid=$1
    [ -e "/proc/$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 60); do
        [ -e "/proc/$pid" ] || break
        # A zombie child of this shell is gone as far as the server is concerned.
        [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
        sleep 0.5
    done
    if [ -e "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
        log "pid $pid did not stop within 30 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# Wait (at most 30 s) until no client connection to the XMPP port is left, so that a server is
# not stopped while it is still tearing down the sessions the bench just closed (prosody 0.12.3
# can fail its shutdown then: "mod_c2s.lua:469: attempt to call a nil value (method 'close')",
# and never exits).
wait_connections_closed() {
    local hex
    hex=$(printf '%04X' "$XMPP_PORT")
    for _ in $(seq 1 60); do
        awk -v p=":$hex" 'NR > 1 && substr($2, length($2) - 4) == p && $4 != "0A" { n++ } END { exit n > 0 }' \
            /proc/net/tcp /proc/net/tcp6 2>/dev/null && return 0
        sleep 0.5
    done
    log "connections to port $XMPP_PORT still open after 30 s"
}

# Pids whose command name matches the regex $1 and whose command line contains $2.
pids_of() {
    local d comm cmd
    for d in /proc/[0-9]*; do
        comm=$(cat "$d/comm" 2>/dev/null) || continue
        [[ $comm =~ $1 ]] || continue
        cmd=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) || continue
        [[ $cmd == *"$2"* ]] && echo "${d#/proc/}"
    done
    return 0
}

# Whether something listens on TCP port $1 (any address, IPv4 or IPv6).
listening() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" 'NR > 1 && substr($2, length($2) - 4) == p && $4 == "0A" { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# ---------------------------------------------------------------------------------------------
# Packages: install if missing, never leave them running as system services.

install_packages() {
    local missing=() p
    for p in ejabberd prosody jq; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} = 0 ] && return 0
    log "installing ${missing[*]}"
    # policy-rc.d exit 101 tells the packages' maintainer scripts not to start their services.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        CREATED_POLICY=1
    fi
    timeout 600 apt-get update -q >/dev/null || log "apt-get update failed; trying the install anyway"
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    if [ -n "$CREATED_POLICY" ]; then
        rm -f /usr/sbin/policy-rc.d
        CREATED_POLICY=""
    fi
}

stop_packaged_services() {
    local svc pid
    for svc in ejabberd prosody; do
        [ -x "/etc/init.d/$svc" ] || continue
        if [ -d /run/systemd/system ]; then
            timeout 60 systemctl stop "$svc" >/dev/null 2>&1 || true
            timeout 60 systemctl disable "$svc" >/dev/null 2>&1 || true
        else
            timeout 60 service "$svc" stop >/dev/null 2>&1 || true
            update-rc.d "$svc" disable >/dev/null 2>&1 || true
        fi
    done
    # Whatever still runs (started by hand or by an earlier boot): stop it by pid. The match is
    # narrow on purpose: other Erlang VMs (RabbitMQ, ...) and Lua programs are left alone.
    for pid in $(pids_of '^beam' '-s ejabberd') $(pids_of '^lua' '/usr/bin/prosody'); do
        log "stopping a running XMPP server, pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-100)"
        stop_pid "$pid"
    done
}

# ---------------------------------------------------------------------------------------------
# Servers. Each start_* leaves the pid of the server process itself in SERVER_PID.

wait_ready() {
    local name=$1
    for _ in $(seq 1 120); do
        [ -e "/proc/$SERVER_PID" ] || { log "$name exited during start-up"; return 1; }
        listening "$XMPP_PORT" && break
        sleep 0.5
    done
    listening "$XMPP_PORT" || { log "$name does not listen on $XMPP_PORT after 60 s"; return 1; }
    # Listening is not serving yet (ejabberd opens its listeners before every module is up):
    # wait for one complete anonymous login.
    for _ in $(seq 1 30); do
        if timeout 20 "$OPENTIM_BENCH" login --driver xmpp --xmpp "127.0.0.1:$XMPP_PORT" \
            --xmpp-domain "$DOMAIN" --connections 1 --json >/dev/null 2>&1; then
            return 0
        fi
        sleep 1
    done
    log "$name accepts connections but no anonymous login succeeded in 30 tries"
    return 1
}

# ejabberd, with or without mod_mam ($1 = 1: on, Mnesia storage, archive every message).
start_ejabberd() {
    local mam=$1 dir="$WORK/$2"
    mkdir -p "$dir/spool" "$dir/log"
    cat >"$dir/ejabberd.yml" <<EOF
# Written by bench/peers.sh.
hosts:
  - $DOMAIN
loglevel: warning
log_rotate_count: 0
hide_sensitive_log_data: true
# SASL ANONYMOUS only; every login is a new user, so no session limit applies.
auth_method: anonymous
anonymous_protocol: sasl_anon
allow_multiple_connections: true
listen:
  -
    port: $XMPP_PORT
    ip: "127.0.0.1"
    module: ejabberd_c2s
    # Plain XMPP: no certificate, no STARTTLS.
    starttls: false
    starttls_required: false
    max_stanza_size: 1048576
    # Accept queue (the kernel caps it at net.core.somaxconn).
    backlog: 65535
    access: c2s
    # No 'shaper:' here: client traffic is not rate-limited.
access_rules:
  c2s:
    allow: all
shaper_rules:
  c2s_shaper: none
  max_user_sessions: 1000
modules:
  mod_disco: {}
  mod_ping: {}
  mod_version: {}
EOF
    if [ "$mam" = 1 ]; then
        cat >>"$dir/ejabberd.yml" <<EOF
  # Message archive in ejabberd's built-in Mnesia database; every message is archived.
  mod_mam:
    db_type: mnesia
    default: always
EOF
    fi
    chown -R ejabberd:ejabberd "$dir"
    listening "$EJABBERD_DIST_PORT" && die "port $EJABBERD_DIST_PORT (EJABBERD_DIST_PORT) is taken"
    # How the open-file limit survives: ejabberdctl, when run as root, re-executes itself with
    # `su ejabberd`, and su goes through PAM, whose pam_limits may reset `ulimit -n` from
    # /etc/security/limits.conf; ejabberdctl also caps Erlang ports at ERL_MAX_PORTS=32000.
    # So ejabberdctl is not used: setpriv switches to the ejabberd user with a plain
    # setuid/setgid (no PAM, no login session, limits untouched) and execs the same `erl`
    # command line that `ejabberdctl foreground` builds, with +Q raising the VM's port (socket)
    # limit to match. setpriv, env, erl and erlexec all exec, so $! is the beam.smp pid.
    # The Erlang node needs no epmd: it listens for distribution on 127.0.0.1 only, at a fixed
    # port (-start_epmd false -erl_epmd_port), so nothing is left running after it stops.
    (
        cd "$dir"
        exec setpriv --reuid=ejabberd --regid=ejabberd --init-groups -- \
            env -i HOME="$dir" PATH=/usr/bin:/bin LANG=C.UTF-8 \
            EJABBERD_CONFIG_PATH="$dir/ejabberd.yml" \
            EJABBERD_LOG_PATH="$dir/log/ejabberd.log" \
            CONTRIB_MODULES_PATH="$dir/contrib" \
            ERL_LIBS=/usr/lib/x86_64-linux-gnu ERL_MAX_ETS_TABLES=1400 ERL_CRASH_DUMP_BYTES=0 \
            ERL_EPMD_ADDRESS=127.0.0.1 \
            /usr/bin/erl -sname "benchejabberd@localhost" -noinput -noshell \
            +K true +P 1000000 +Q "$NOFILE_EFFECTIVE" \
            -start_epmd false -erl_epmd_port "$EJABBERD_DIST_PORT" \
            -kernel inet_dist_use_interface '{127,0,0,1}' \
            -mnesia dir "\"$dir/spool\"" -s ejabberd
    ) >"$dir/log/stdout.log" 2>&1 &
    SERVER_PID=$!
    wait_ready ejabberd
}

# prosody, with or without mod_mam ($1 = 1: on, internal file storage, archive every message).
start_prosody() {
    local mam=$1 dir="$WORK/$2" modules='"roster"; "saslauth"; "disco"; "ping"; "version";'
    mkdir -p "$dir/data" "$dir/certs"
    [ "$mam" = 1 ] && modules="$modules \"mam\";"
    cat >"$dir/prosody.cfg.lua" <<EOF
-- Written by bench/peers.sh.
data_path = "$dir/data"
certificates = "$dir/certs"
log = { { levels = { min = "warn" }, to = "file", filename = "$dir/prosody.log" } }
interfaces = { "127.0.0.1" }
c2s_ports = { $XMPP_PORT }
-- Accept queue (the kernel caps it at net.core.somaxconn).
network_settings = { tcp_backlog = 65535 }
-- mod_tls and mod_limits are not loaded: plain XMPP, client traffic not rate-limited.
modules_enabled = { $modules }
modules_disabled = { "s2s"; "offline" }
c2s_require_encryption = false
s2s_require_encryption = false
c2s_stanza_size_limit = 1048576
authentication = "anonymous"
EOF
    if [ "$mam" = 1 ]; then
        cat >>"$dir/prosody.cfg.lua" <<EOF
-- Archive every message, in the default internal (file) storage. Anonymous users get no
-- storage unless allow_anonymous_storage is set: without it the archive writes are dropped.
default_archive_policy = true
archive_expires_after = "1d"
allow_anonymous_storage = true
storage = "internal"
EOF
    fi
    printf 'VirtualHost "%s"\n' "$DOMAIN" >>"$dir/prosody.cfg.lua"
    chown -R prosody:prosody "$dir"
    # setpriv: a plain setuid to the prosody user, limits untouched (see start_ejabberd);
    # -F keeps prosody in the foreground, so $! is the lua process serving.
    (
        cd "$dir"
        exec setpriv --reuid=prosody --regid=prosody --init-groups -- \
            env -i HOME="$dir" PATH=/usr/bin:/bin LANG=C.UTF-8 \
            /usr/bin/prosody --config "$dir/prosody.cfg.lua" -F
    ) >"$dir/stdout.log" 2>&1 &
    SERVER_PID=$!
    wait_ready prosody
}

# ---------------------------------------------------------------------------------------------
# Bench runs

scenario_args() {
    case $1 in
        one2one) echo "--pairs $PAIRS --messages $MESSAGES --window $WINDOW" ;;
        rate) echo "--pairs $RATE_PAIRS --rate $RATE --seconds $RATE_SECONDS" ;;
        login) echo "--connections $LOGINS --in-flight $IN_FLIGHT" ;;
        idle) echo "--connections $IDLE --in-flight $IN_FLIGHT" ;;
    esac
}

# run_bench LABEL SCENARIO EXTRA-ARGS...: one bench run; its JSON goes to $RESULTS/LABEL-SCENARIO.json
run_bench() {
    local label=$1 scen=$2 rc=0
    shift 2
    local out="$RESULTS/$label-$scen.json" err="$RESULTS/$label-$scen.log"
    # shellcheck disable=SC2046
    timeout --kill-after=10 "$STEP_TIMEOUT" "$OPENTIM_BENCH" "$scen" $(scenario_args "$scen") \
        --drain-timeout "$DRAIN" "$@" --json >"$out.tmp" 2>"$err" || rc=$?
    if [ -s "$out.tmp" ] && jq -e .figures "$out.tmp" >/dev/null 2>&1; then
        mv "$out.tmp" "$out"
    else
        rm -f "$out.tmp"
        echo "no result (exit status $rc)" >>"$err"
    fi
    if [ "$rc" = 0 ]; then
        log "  $label $scen: ok"
    else
        log "  $label $scen: exit status $rc: $(tail -n 2 "$err" | tr '\n' ' ' | cut -c1-200)"
    fi
}

# Facts about the running server for the notes under the tables.
server_info() {
    local label=$1 dir=$2 backlog
    backlog=$(ss -Hltn "sport = :$XMPP_PORT" 2>/dev/null | awk '{print $3; exit}')
    {
        echo "pid=$SERVER_PID"
        echo "nofile=$(awk '/Max open files/ {print $4}' "/proc/$SERVER_PID/limits")"
        echo "backlog=${backlog:-?}"
        echo "datadir_kb=$(du -sk "$dir" 2>/dev/null | awk '{print $1}')"
    } >"$RESULTS/$label.info"
}

run_xmpp_system() {
    local label=$1 kind=${1%-mam} mam=0 scen
    [ "$label" != "$kind" ] && mam=1
    log "$label: starting"
    if ! "start_$kind" "$mam" "$label"; then
        log "$label: could not be started; its logs:"
        tail -n 20 "$WORK/$label"/*.log "$WORK/$label"/log/*.log 2>/dev/null >&2 || true
        cp -r "$WORK/$label" "$RESULTS/$label-logs" 2>/dev/null || true
        [ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID"
        SERVER_PID=""
        return 0
    fi
    log "$label: pid $SERVER_PID"
    for scen in $SCENARIOS; do
        [ -e "/proc/$SERVER_PID" ] || { log "$label: the server died"; break; }
        run_bench "$label" "$scen" --driver xmpp --xmpp "127.0.0.1:$XMPP_PORT" --xmpp-domain "$DOMAIN" \
            --server-pid "$SERVER_PID"
    done
    server_info "$label" "$WORK/$label"
    wait_connections_closed
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    # Keep the server's own logs with the results.
    mkdir -p "$RESULTS/$label-logs"
    find "$WORK/$label" -name '*.log' -exec cp {} "$RESULTS/$label-logs/" \; 2>/dev/null || true
    log "$label: stopped"
}

run_opentim() {
    local scen
    log "opentim (and the baseline relay)"
    for scen in $SCENARIOS; do
        run_bench opentim "$scen" --baseline
    done
}

# ---------------------------------------------------------------------------------------------
# The table

# fmt VALUE: a number with 2 decimals (integers as is); '-' for null.
fmt() {
    case $1 in
        null | "") echo "-" ;;
        *) awk -v v="$1" 'BEGIN { if (v == int(v) && v < 1e15) printf "%d", v; else printf "%.2f", v }' ;;
    esac
}

# The report of a column: opentim's file, its .baseline, or an XMPP system's file.
column_json() {
    local col=$1 scen=$2
    case $col in
        baseline) [ -f "$RESULTS/opentim-$scen.json" ] && jq -c '.baseline // empty' "$RESULTS/opentim-$scen.json" ;;
        *) [ -f "$RESULTS/$col-$scen.json" ] && jq -c . "$RESULTS/$col-$scen.json" ;;
    esac
    return 0
}

# info_get FILE KEY: a value written by server_info.
info_get() { sed -n "s/^$2=//p" "$1" | head -n 1; }

column_title() {
    case $1 in
        ejabberd-mam) echo "ejabberd + MAM" ;;
        prosody-mam) echo "prosody + MAM" ;;
        baseline) echo "baseline relay" ;;
        *) echo "$1" ;;
    esac
}

# scenario_table SCENARIO COLUMN...: the markdown table of one scenario, a column per system.
scenario_table() {
    local scen=$1 c j titles=""
    shift
    for c in "$@"; do titles="$titles$(column_title "$c")"$'\t'; done
    for c in "$@"; do
        j=$(column_json "$c" "$scen")
        if [ -z "$j" ]; then
            printf '%s\t\t\t\n' "$c" # no result
            continue
        fi
        jq -r --arg c "$c" '
            def num: if . == null then "null" else tostring end;
            (.figures[] | [$c, .name, (.value | num), .unit]),
            [$c, "server CPU during the run", (.server.cpu_seconds | num), "s"],
            [$c, "server RSS at the end", (if .server.rss_kb_after == null then null
                                           else .server.rss_kb_after / 1024 end | num), "MB"]
            | @tsv' <<<"$j"
    done | awk -F'\t' -v cols="$*" -v titles="$titles" '
        function fmt(v) {
            if (v == "" || v == "null") return "-"
            if (v + 0 == int(v + 0) && v + 0 < 1e15) return sprintf("%d", v)
            return sprintf("%.2f", v)
        }
        {
            if ($2 == "") { failed[$1] = 1; next }
            if (!($2 in unit)) { order[++n] = $2; unit[$2] = $4 }
            val[$1 SUBSEP $2] = $3
        }
        END {
            nc = split(cols, col, " "); split(titles, title, "\t")
            head = "| figure |"; rule = "| --- |"
            for (i = 1; i <= nc; i++) { head = head " " title[i] " |"; rule = rule " ---: |" }
            print head; print rule
            if (n == 0) { print "| (no result) |"; exit }
            for (r = 1; r <= n; r++) {
                line = "| " order[r] " (" unit[order[r]] ") |"
                for (i = 1; i <= nc; i++) {
                    k = col[i] SUBSEP order[r]
                    line = line " " (col[i] in failed ? "failed" : (k in val ? fmt(val[k]) : "-")) " |"
                }
                print line
            }
        }'
}

write_table() {
    local cols=() c scen
    for c in $SYSTEMS; do
        cols+=("$c")
        [ "$c" = opentim ] && cols+=(baseline)
    done
    {
        echo "# opentim-bench: opentim next to ejabberd and prosody"
        echo
        echo "Written by \`bench/peers.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Every figure comes from"
        echo "\`opentim-bench <scenario> --json\`; XMPP servers are driven over plain c2s XMPP with SASL"
        echo "ANONYMOUS (\`--driver xmpp\`), opentim over its WebSocket protocol, the baseline is the"
        echo "bench's own minimal WebSocket relay (no auth, no storage): the ceiling of this machine."
        echo
        echo "## Machine and versions"
        echo
        echo "- CPU: $(nproc) cores, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)"
        echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
        echo "- OS: $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"'), kernel $(uname -r)"
        echo "- $(dpkg-query -W -f='${Package} ${Version}\n' ejabberd 2>/dev/null || echo 'ejabberd: not installed')"
        echo "- $(dpkg-query -W -f='${Package} ${Version}\n' prosody 2>/dev/null || echo 'prosody: not installed')"
        echo "- $("$OPENTIM" --version 2>/dev/null || echo 'opentim: unknown version')"
        echo "- open files (\`ulimit -n\`) of the servers: $NOFILE_EFFECTIVE; net.core.somaxconn: $(cat /proc/sys/net/core/somaxconn)"
        echo
        echo "Sizes: one2one $PAIRS pairs x $MESSAGES messages, window $WINDOW; rate $RATE msg/s over"
        echo "$RATE_PAIRS pairs for $RATE_SECONDS s; login $LOGINS logins, $IN_FLIGHT in flight; idle $IDLE"
        echo "sessions. A message not delivered $DRAIN s after the last send counts as lost. For XMPP, a"
        echo "message counts as acknowledged when it is delivered (XMPP has no per-message ack), and the"
        echo "window counts messages sent and not yet received."
        for scen in $SCENARIOS; do
            echo
            echo "## $scen"
            echo
            scenario_table "$scen" "${cols[@]}"
        done
        echo
        echo "## Notes"
        echo
        echo "- ejabberd: started by hand as its user (setpriv, no PAM) with the \`erl\` command line of"
        echo "  \`ejabberdctl foreground\`; Mnesia spool in a fresh directory; listener on 127.0.0.1 with"
        echo "  \`backlog: 65535\`, no shaper, no STARTTLS; + MAM: \`mod_mam\` with \`db_type: mnesia\`,"
        echo "  \`default: always\`."
        echo "- prosody: \`prosody -F\` as its user; \`authentication = \"anonymous\"\`, no mod_tls, no"
        echo "  mod_limits, \`network_settings = { tcp_backlog = 65535 }\`; + MAM: \`mod_mam\`,"
        echo "  \`default_archive_policy = true\`, \`archive_expires_after = \"1d\"\`, internal storage,"
        echo "  \`allow_anonymous_storage = true\` (without it prosody drops anonymous users' writes)."
        echo "- opentim: \`opentim-bench <scenario> --baseline\` starts its own server (SQLite store in a"
        echo "  temporary directory) and, after it, the baseline relay inside the bench process; the"
        echo "  baseline's CPU and RSS are the bench process's own (client and relay together, so its"
        echo "  idle RSS per session counts both ends of each connection)."
        echo "- The server's CPU and RSS are read from /proc/PID of the server process before and after"
        echo "  each run; idle's 'server RSS per session' is the RSS growth divided by the sessions."
        for c in $SYSTEMS; do
            [ -f "$RESULTS/$c.info" ] || continue
            local info="$RESULTS/$c.info"
            echo "- $(column_title "$c") process: open-file limit $(info_get "$info" nofile), effective" \
                "listen backlog $(info_get "$info" backlog), data directory after the runs" \
                "$(($(info_get "$info" datadir_kb) / 1024)) MB."
        done
        for c in "${cols[@]}"; do
            for scen in $SCENARIOS; do
                [ "$c" = baseline ] && continue
                if [ -z "$(column_json "$c" "$scen")" ]; then
                    echo "- $(column_title "$c") $scen: no result; $(tail -n 1 "$RESULTS/$c-$scen.log" 2>/dev/null || echo 'not run')"
                fi
            done
        done
    } >"$TABLE"
}

# ---------------------------------------------------------------------------------------------

if [ -n "$TABLE_ONLY" ]; then
    NOFILE_EFFECTIVE="$(ulimit -n) (at the time the table was rewritten)"
    write_table
    log "rewrote $TABLE from $RESULTS"
    exit 0
fi

START=$(date +%s)
rm -rf "$RESULTS"/*.json "$RESULTS"/*.log "$RESULTS"/*.info "$RESULTS"/*-logs
install_packages
stop_packaged_services

# Raise the open-file limit of this shell; the servers and the bench inherit it. Without
# CAP_SYS_RESOURCE the hard limit cannot be raised, so the soft one goes as high as it allows.
ulimit -n "$NOFILE" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
NOFILE_EFFECTIVE=$(ulimit -n)
[ "$NOFILE_EFFECTIVE" = "$NOFILE" ] || log "open-file limit: $NOFILE_EFFECTIVE (the hard limit; $NOFILE wanted)"

if [ -n "$SOMAXCONN" ]; then
    OLD_SOMAXCONN=$(cat /proc/sys/net/core/somaxconn)
    echo "$SOMAXCONN" >/proc/sys/net/core/somaxconn || { log "cannot set somaxconn"; OLD_SOMAXCONN=""; }
fi

listening "$XMPP_PORT" && die "something already listens on port $XMPP_PORT"

for system in $SYSTEMS; do
    case $system in
        ejabberd | ejabberd-mam | prosody | prosody-mam)
            run_xmpp_system "$system"
            listening "$XMPP_PORT" && die "port $XMPP_PORT still taken after $system stopped"
            ;;
        opentim) run_opentim ;;
        *) die "unknown system '$system' in SYSTEMS" ;;
    esac
done

write_table
log "done in $(($(date +%s) - START)) s: $TABLE, results in $RESULTS"
