#!/usr/bin/env bash
# Runs a command against a throwaway 3-node Citus cluster on loopback:
#   scripts/citus-cluster.sh COMMAND [ARGS...]
# Builds Citus into the machine's PostgreSQL 15 if needed (../shared/tools/citus/build.sh),
# starts a coordinator and two workers (each its own data directory under a temporary directory
# and its own free port, run as the `postgres` OS user), creates the database `payments` with the
# extension on every node, registers the workers, migrates (which distributes the schema), runs
# COMMAND with DATABASE_URL set to the coordinator and TEST_CITUS=1, and removes the cluster at
# the end, also on failure or Ctrl-C. Without the shared tools (a clone of its own) it says so and
# exits 0. CITUS_SHARD_COUNT (default 4: two per worker, so tenants land on both) sets the shards
# per distributed table.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=../shared/tools/citus
if [ ! -f "$tools/build.sh" ]; then
  echo "citus: $tools/build.sh not found (it comes with the project's shared tools);" \
    "not running the cluster tests"
  exit 0
fi
bash "$tools/build.sh"

pgbin=/usr/lib/postgresql/15/bin
root=$(mktemp -d /tmp/payments-citus-XXXXXX)
as_postgres=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$root"
  as_postgres=(runuser -u postgres --)
fi
nodes=(coordinator worker1 worker2)
declare -A port

stop_cluster() {
  for node in "${nodes[@]}"; do
    if [ -f "$root/$node/postmaster.pid" ]; then
      "${as_postgres[@]}" "$pgbin/pg_ctl" -D "$root/$node" -m immediate -w stop >/dev/null 2>&1 || true
    fi
  done
  rm -rf "$root"
}
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

sql() {  # sql NODE DATABASE STATEMENT
  "${as_postgres[@]}" "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${port[$1]}" \
    -U postgres -d "$2" -c "$3" >/dev/null
}

for node in "${nodes[@]}"; do
  port[$node]=$(free_port)
  "${as_postgres[@]}" "$pgbin/initdb" -D "$root/$node" -U postgres --auth=trust -E UTF8 \
    --locale=C.UTF-8 --no-sync >/dev/null
  # A test cluster: no durability needed (fsync off); logical decoding is what moves shards
  # online. synchronous_commit stays on: a move counts the source as caught up at its WAL *write*
  # position, and an asynchronous commit is acknowledged before its WAL is written, so a payment
  # committed just before the switch was lost with the old placement (tests/test_citus.py).
  cat >>"$root/$node/postgresql.conf" <<EOF
port = ${port[$node]}
listen_addresses = '127.0.0.1'
unix_socket_directories = '$root'
shared_preload_libraries = 'citus'
max_connections = 300
fsync = off
full_page_writes = off
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
citus.node_conninfo = 'sslmode=disable'
citus.shard_count = ${CITUS_SHARD_COUNT:-4}
EOF
  "${as_postgres[@]}" "$pgbin/pg_ctl" -D "$root/$node" -l "$root/$node.log" -w -t 60 start >/dev/null
  sql "$node" postgres "CREATE DATABASE payments"
  sql "$node" payments "CREATE EXTENSION citus"
done
sql coordinator payments "SELECT citus_set_coordinator_host('127.0.0.1', ${port[coordinator]})"
for node in worker1 worker2; do
  sql coordinator payments "SELECT citus_add_node('127.0.0.1', ${port[$node]})"
done

export DATABASE_URL="postgresql://postgres@127.0.0.1:${port[coordinator]}/payments"
export TEST_CITUS=1
echo "citus: coordinator on port ${port[coordinator]}, workers on ${port[worker1]} and ${port[worker2]}"
"${VENV:-.venv}/bin/payments-service" migrate
status=0
"$@" || status=$?
exit "$status"
