#!/usr/bin/env bash
# Makes sure the PostgreSQL and NATS that the cluster tests use are up, starting the machine's
# own installations when they are installed but stopped, and drops the schemas that earlier test
# runs left behind. Addresses come from OPENTIM_TEST_POSTGRES_URL / OPENTIM_TEST_NATS_URL;
# without those variables there is nothing to do (the cluster tests then report as ignored).
set -euo pipefail

up() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

hostport() { # URL -> "host port"
  local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"
  echo "${rest%%:*} ${rest##*:}"
}

if [ -n "${OPENTIM_TEST_POSTGRES_URL:-}" ]; then
  read -r host port < <(hostport "$OPENTIM_TEST_POSTGRES_URL")
  if ! up "$host" "$port" && command -v pg_ctlcluster >/dev/null; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 30); do up "$host" "$port" && break; sleep 1; done
  fi
  if ! up "$host" "$port"; then
    echo "services: PostgreSQL is not reachable at $host:$port (OPENTIM_TEST_POSTGRES_URL)" >&2
    exit 1
  fi
  if command -v psql >/dev/null; then
    psql -q "$OPENTIM_TEST_POSTGRES_URL" -v ON_ERROR_STOP=0 >/dev/null 2>&1 <<'SQL' || true
DO $$ DECLARE s text; BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname ~ '^(t|c)_[0-9]+_' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END $$;
SQL
  fi
fi

if [ -n "${OPENTIM_TEST_NATS_URL:-}" ]; then
  read -r host port < <(hostport "$OPENTIM_TEST_NATS_URL")
  if ! up "$host" "$port" && [ -x /usr/sbin/nats-server ]; then
    echo "services: starting NATS"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
      -a "$host" -p "$port" -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
    for _ in $(seq 30); do up "$host" "$port" && break; sleep 1; done
  fi
  if ! up "$host" "$port"; then
    echo "services: NATS is not reachable at $host:$port (OPENTIM_TEST_NATS_URL)" >&2
    exit 1
  fi
fi
