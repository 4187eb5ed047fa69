#!/usr/bin/env bash
# Installs (when missing), starts and stops the backing services for tests and
# local runs, all on 127.0.0.1 and with all state under <repo>/.services/.
#
#   scripts/services.sh up     [redis|cluster|postgres|kafka|all]...   (default: all)
#   scripts/services.sh down   [...]
#   scripts/services.sh status [...]     exit 0 only if every named service is up
#   scripts/services.sh env              print the export lines only
#   scripts/services.sh pid SERVICE      the pid of our redis, postgres or kafka (for fault tests)
#
# `up` prints `export VAR=value` lines on stdout (use: eval "$(scripts/services.sh up)");
# all progress goes to stderr.
# A server is this checkout's ("ours") only while the pid file in its directory under
# .services/ names a live process working on that directory: a stale pid file (after a reboot,
# the pid reused) never counts, nor does another checkout's server on the same port. `status`
# calls a service up only when it is ours and answers a real ping; `down` stops only ours (by
# pid); `up` starts nothing while a port it needs is held by a process not ours, and says which.
# Optional: SERVICES_TIMEOUT (seconds per service, default 120), SERVICES_PYTHON
# (a python with confluent_kafka for the Kafka ping; default .venv/bin/python),
# SERVICES_DIR (the state directory, default <repo>/.services), SERVICES_REDIS_PORT (16379),
# SERVICES_CLUSTER_PORTS ("17001 17002 17003"), SERVICES_POSTGRES_PORT (15432),
# SERVICES_KAFKA_PORT (19092), SERVICES_KAFKA_CONTROLLER_PORT (19093).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Absolute: the servers get these paths on their command lines, and ownership is judged by them.
SVC=${SERVICES_DIR:-$ROOT/.services}; [[ $SVC == /* ]] || SVC=$PWD/$SVC
TIMEOUT=${SERVICES_TIMEOUT:-120}        # seconds to wait for each service
REDIS_PORT=${SERVICES_REDIS_PORT:-16379}
read -ra CLUSTER_PORTS <<< "${SERVICES_CLUSTER_PORTS:-17001 17002 17003}"
PG_PORT=${SERVICES_POSTGRES_PORT:-15432}
KAFKA_PORT=${SERVICES_KAFKA_PORT:-19092} KAFKA_CTRL_PORT=${SERVICES_KAFKA_CONTROLLER_PORT:-19093}
ALL=(redis cluster postgres kafka)

log() { echo "services: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# fail_with_log LOGFILE MESSAGE: die, showing the end of the service's log.
fail_with_log() { log "ERROR: $2"; [[ -f $1 ]] && { log "--- last lines of $1:"; tail -n 40 "$1" >&2; }; exit 1; }

env_line() {
  case $1 in
    redis)    echo "export TICKETING_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0" ;;
    cluster)  echo "export TICKETING_TEST_REDIS_CLUSTER_URL=redis://127.0.0.1:${CLUSTER_PORTS[0]}/0" ;;
    postgres) echo "export TICKETING_DATABASE_URL=postgresql://ticketing:ticketing@127.0.0.1:$PG_PORT/ticketing" ;;
    kafka)    echo "export TICKETING_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT" ;;
  esac
}

# ---------------------------------------------------------------- packages
APT_UPDATED=
apt_install() {
  [[ $EUID -eq 0 ]] || die "need root to apt-get install $*"
  # Keep the packages' own system services (redis on 6379, postgres "main" on
  # 5432) from starting: the usual policy-rc.d guard, only if none exists.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  if [[ -z $APT_UPDATED ]]; then log "apt-get update"; apt-get update -qq >&2; APT_UPDATED=1; fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}
# Can we open a TCP connection to 127.0.0.1:$1?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_closed() { ! port_open "$1"; }
# Is PID a live (non-zombie) process? (Daemons here get reparented to an init that reaps lazily.)
alive() { local st; st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) && [[ ${st%% *} != Z ]]; }
dead() { ! alive "$1"; }
# wait_until SECONDS CMD...: poll CMD every 0.25 s until it succeeds; 1 on timeout.
wait_until() {
  local end=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < end)) || return 1; sleep 0.25; done
}

# ---------------------------------------------------------------- ownership
# ours_in PID COMM DIR: print PID if it is a live COMM process working in DIR (redis and
# postgres chdir into their directory, so their cwd says whose they are).
ours_in() {
  local pid=$1 dir cwd
  [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 1
  dir=$(cd "$3" 2>/dev/null && pwd -P) && cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) && [[ $cwd == "$dir" ]] && echo "$pid"
}
# listeners PORT: the pids listening on TCP PORT (any address), as far as this user can see.
# ss (iproute2) when installed, else the same from /proc: the socket's inode, then whose fd it is.
listeners() {
  if command -v ss >/dev/null; then
    ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -un || true
    return 0
  fi
  local inode hex; hex=$(printf ':%04X' "$1")
  awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { print $10 }' \
      /proc/net/tcp /proc/net/tcp6 2>/dev/null | while read -r inode; do
    find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\[$inode\]" 2>/dev/null || true
  done | cut -d/ -f3 | sort -un || true
}
# describe PID: "pid N (COMMAND LINE, cwd DIR)" (long command lines keep their ends, where the
# paths that say whose it is usually are).
describe() {
  local cmd cwd head tail
  cmd=$(tr '\0' ' ' 2>/dev/null < "/proc/$1/cmdline" | tr -s ' ') || true
  cmd=${cmd% }
  if ((${#cmd} > 140)); then head=${cmd:0:60} tail=${cmd: -70}; cmd="${head% *} ... ${tail#* }"; fi
  cwd=$(readlink "/proc/$1/cwd" 2>/dev/null) || true
  [[ $cwd == / ]] && cwd=
  cmd=$cmd${cmd:+${cwd:+, }}${cwd:+cwd $cwd}
  echo "pid $1${cmd:+ ($cmd)}"
}
# foreign PORT [OUR_PID]: succeed if something other than OUR_PID holds PORT, with HOLDER set to
# "pid N (COMMAND LINE, cwd DIR)", or "another process" when this user cannot see whose it is.
foreign() {
  local port=$1 ours=${2:-} pids; pids=$(listeners "$port" | tr '\n' ' ')
  if [[ -n $pids ]]; then
    [[ -n $ours && " $pids" == *" $ours "* ]] && return 1
    HOLDER=$(describe "${pids%% *}")
  else
    port_open "$port" || return 1
    # Someone listens whom ss cannot show (another user's process): our live pid file decides.
    [[ -n $ours ]] && return 1
    HOLDER="another process"
  fi
}
# conflict SERVICE: succeed if one of SERVICE's ports is held by a process not ours, with
# PORT and HOLDER (see foreign) set for the first such port. Each SERVICE has SERVICE_ports
# (its ports) and SERVICE_pid_of PORT (our live pid serving PORT).
conflict() {
  for PORT in $("$1_ports"); do foreign "$PORT" "$("$1_pid_of" "$PORT")" && return 0; done
  return 1
}
# owned SERVICE: our live pids serving SERVICE's ports, as "pid N" or "pids N, M, ...".
owned() {
  local port pids
  pids=$(for port in $("$1_ports"); do "$1_pid_of" "$port" || true; done | sort -un | paste -sd, - | sed 's/,/, /g')
  [[ -z $pids ]] || { [[ $pids == *,* ]] && echo "pids $pids" || echo "pid $pids"; }
}
# port_var SERVICE PORT: the setting that moves SERVICE off PORT.
port_var() {
  case $1 in
    redis) echo SERVICES_REDIS_PORT ;; cluster) echo SERVICES_CLUSTER_PORTS ;;
    postgres) echo SERVICES_POSTGRES_PORT ;;
    kafka) [[ $2 == "$KAFKA_CTRL_PORT" ]] && echo SERVICES_KAFKA_CONTROLLER_PORT || echo SERVICES_KAFKA_PORT ;;
  esac
}

# ---------------------------------------------------------------- redis (standalone + cluster nodes)
ensure_redis() { command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return; apt_install redis-server; }
redis_ping() { [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }

# redis_pid DIR: the pid of our redis-server in DIR, if it runs.
redis_pid() { ours_in "$(cat "$1/redis.pid" 2>/dev/null)" redis-server "$1"; }

# redis_launch PORT DIR [EXTRA CONFIG LINES...]
redis_launch() {
  local port=$1 dir=$2; shift 2
  # Ours and running (redis writes its pid file once it listens): redis_wait checks the PING.
  redis_pid "$dir" >/dev/null && return 0
  mkdir -p "$dir"
  # Every write in the append-only file before Redis replies (appendfsync always): a hold the
  # API answered 202, or a place in a queue, survives a SIGKILL of Redis (ADR 0011). No RDB
  # snapshots: the AOF is the one copy, rewritten in the background as it grows.
  { printf '%s\n' "port $port" "bind 127.0.0.1" "protected-mode yes" "daemonize yes" \
      "pidfile $dir/redis.pid" "logfile $dir/redis.log" "dir $dir" 'save ""' \
      "appendonly yes" "appendfsync always" "$@"
  } > "$dir/redis.conf"
  log "starting redis on 127.0.0.1:$port"
  redis-server "$dir/redis.conf" >&2 9>&- || fail_with_log "$dir/redis.log" "redis on port $port did not start"
}
redis_wait() { wait_until "$TIMEOUT" redis_ping "$1" || fail_with_log "$2/redis.log" "redis on port $1 not answering PING"; }
# By pid, never by SHUTDOWN to the port: whatever answers there need not be ours.
# (SIGTERM is redis's own shutdown: it flushes the append-only file and exits.)
redis_stop() {
  local port=$1 dir=$2 pid
  if pid=$(redis_pid "$dir"); then
    log "stopping redis on 127.0.0.1:$port ($pid)"
    kill -TERM "$pid"
    wait_until 30 dead "$pid" || die "redis on $port ($pid) did not stop"
  fi
  rm -f "$dir/redis.pid"
}

redis_ports()  { echo "$REDIS_PORT"; }
redis_pid_of() { redis_pid "$SVC/redis"; }
redis_up()     { ensure_redis; redis_launch "$REDIS_PORT" "$SVC/redis"; }
redis_ready()  { redis_wait "$REDIS_PORT" "$SVC/redis"; }
redis_down()   { redis_stop "$REDIS_PORT" "$SVC/redis"; }
redis_status() { command -v redis-cli >/dev/null && redis_pid_of >/dev/null && redis_ping "$REDIS_PORT"; }

cluster_ok() { [[ $(redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null | tr -d '\r') == *cluster_state:ok* ]]; }
cluster_all_ok() { local p; for p in "${CLUSTER_PORTS[@]}"; do cluster_ok "$p" || return 1; done; }
cluster_all_ours() { local p; for p in "${CLUSTER_PORTS[@]}"; do cluster_pid_of "$p" >/dev/null || return 1; done; }
# Each node also listens on its cluster bus port, PORT + 10000.
cluster_ports()  { local p; for p in "${CLUSTER_PORTS[@]}"; do echo "$p" $((p + 10000)); done; }
cluster_pid_of() {
  local p=$1; [[ " ${CLUSTER_PORTS[*]} " == *" $p "* ]] || p=$((p - 10000))
  redis_pid "$SVC/redis-cluster/$p"
}
cluster_up() {
  ensure_redis; local p
  for p in "${CLUSTER_PORTS[@]}"; do
    # nodes.conf (the node id and slot map) lives in the node's dir, so after a
    # restart the nodes find each other again and no re-create is needed.
    redis_launch "$p" "$SVC/redis-cluster/$p" "cluster-enabled yes" \
      "cluster-config-file nodes.conf" "cluster-node-timeout 5000"
  done
}
cluster_ready() {
  local p addrs=()
  for p in "${CLUSTER_PORTS[@]}"; do redis_wait "$p" "$SVC/redis-cluster/$p"; addrs+=("127.0.0.1:$p"); done
  local info; info=$(redis-cli -h 127.0.0.1 -p "${CLUSTER_PORTS[0]}" cluster info | tr -d '\r')
  if [[ $info == *cluster_slots_assigned:0* ]]; then
    log "creating redis cluster ${addrs[*]}"
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >&2 \
      || fail_with_log "$SVC/redis-cluster/${CLUSTER_PORTS[0]}/redis.log" "redis-cli --cluster create failed"
  fi
  wait_until "$TIMEOUT" cluster_all_ok || fail_with_log "$SVC/redis-cluster/${CLUSTER_PORTS[0]}/redis.log" \
    "redis cluster not cluster_state:ok (to start over: $0 down cluster && rm -rf $SVC/redis-cluster)"
}
cluster_down() {
  local p; for p in "${CLUSTER_PORTS[@]}"; do redis_stop "$p" "$SVC/redis-cluster/$p"; done
}
cluster_status() { command -v redis-cli >/dev/null && cluster_all_ours && cluster_all_ok; }

# ---------------------------------------------------------------- postgres
PG=$SVC/postgres PGDATA=$SVC/postgres/data PGRUN=$SVC/postgres/run PGBIN=
pg_find_bin() {
  # Binaries matching an existing cluster's major version, else the newest installed.
  if [[ -f $PGDATA/PG_VERSION && -x /usr/lib/postgresql/$(cat "$PGDATA/PG_VERSION")/bin/pg_ctl ]]; then
    PGBIN=/usr/lib/postgresql/$(cat "$PGDATA/PG_VERSION")/bin
  else
    PGBIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  [[ -n $PGBIN && -x $PGBIN/initdb ]]
}
# PostgreSQL refuses to run as root: run its tools as the postgres user then.
as_pg() { if [[ $EUID -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
pg_ping() { [[ -n $PGBIN ]] || pg_find_bin || return 1; "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }
pg_psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGRUN" -p "$PG_PORT" -U postgres "$@"; }

# pg_pid: the pid of our postmaster (it runs in $PGDATA), if it runs.
pg_pid() { ours_in "$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null)" postgres "$PGDATA"; }
# A postmaster.pid left by a crash or reboot whose pid now belongs to another
# process (even another checkout's postgres) would make postgres refuse to start
# (and pg_ctl stop signal that process).
# Likewise the socket's lock file of a postmaster that was killed (SIGKILL leaves it behind).
pg_drop_stale_pid() {
  pg_pid >/dev/null && return 0
  rm -f "$PGDATA/postmaster.pid"
  local lock
  for lock in "$PGRUN"/.s.PGSQL.*.lock; do
    [[ -f $lock ]] || continue
    ours_in "$(head -n 1 "$lock" 2>/dev/null)" postgres "$PGDATA" >/dev/null || rm -f "$lock" "${lock%.lock}"
  done
}
postgres_up() {
  pg_find_bin || { apt_install postgresql; pg_find_bin || die "no initdb under /usr/lib/postgresql/*/bin after install"; }
  # Ours, running or still starting: postgres_ready waits for it.
  pg_pid >/dev/null && return 0
  if [[ $EUID -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    mkdir -p "$PGDATA" "$PGRUN"; chown -R postgres:postgres "$PG"
    # The postgres user must be able to traverse every parent of .services/postgres.
    local d="" part parts; IFS=/ read -ra parts <<< "${PG#/}"
    for part in "${parts[@]}"; do d="$d/$part"; as_pg test -x "$d" || chmod o+x "$d"; done
  fi
  mkdir -p "$PGDATA" "$PGRUN"; chmod 700 "$PGDATA"
  if [[ ! -f $PGDATA/PG_VERSION ]]; then
    log "initdb $PGDATA ($PGBIN)"
    as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256 >"$PG/initdb.log" 2>&1 \
      || fail_with_log "$PG/initdb.log" "initdb failed"
  fi
  pg_drop_stale_pid
  log "starting postgres on 127.0.0.1:$PG_PORT"
  # Settings on the command line, so they always match this script. fsync stays on (durability tests).
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PG/postgres.log" -w -t "$TIMEOUT" start -o "-c port=$PG_PORT \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories='$PGRUN' -c max_connections=200 \
    -c shared_buffers=256MB -c fsync=on" >&2 9>&- || fail_with_log "$PG/postgres.log" "postgres did not start"
}
postgres_ready() {
  wait_until "$TIMEOUT" pg_ping || fail_with_log "$PG/postgres.log" "postgres not accepting connections"
  # Idempotent: role and database are created only when missing.
  pg_psql -d postgres >&2 <<'SQL' || fail_with_log "$PG/postgres.log" "could not create role/database ticketing"
SELECT 'CREATE ROLE ticketing LOGIN CREATEDB PASSWORD ''ticketing'''
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ticketing') \gexec
SELECT 'CREATE DATABASE ticketing OWNER ticketing'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'ticketing') \gexec
SQL
}
# pg_ctl stops the postmaster named in $PGDATA/postmaster.pid, i.e. by pid, once that is ours.
postgres_down() {
  pg_find_bin || return 0
  [[ -f $PGDATA/PG_VERSION ]] || return 0
  pg_drop_stale_pid
  local pid; if pid=$(pg_pid); then
    log "stopping postgres ($pid)"
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >&2
  fi
}
postgres_ports()  { echo "$PG_PORT"; }
postgres_pid_of() { pg_pid; }
postgres_status() { pg_pid >/dev/null && pg_ping; }

# ---------------------------------------------------------------- kafka
KAFKA=$SVC/kafka
POM=$ROOT/scripts/kafka/pom.xml
PY=${SERVICES_PYTHON:-$( [[ -x $ROOT/.venv/bin/python ]] && echo "$ROOT/.venv/bin/python" || echo python3 )}
kafka_pid() {
  # The pid file counts only if it names a live broker of ours (pids get reused after a reboot).
  local pid; pid=$(cat "$KAFKA/kafka.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -qF "kafka.Kafka $KAFKA/server.properties " \
    && echo "$pid"
}
kafka_ping() {
  port_open "$KAFKA_PORT" || return 1
  # A real metadata request (the broker must list itself) when confluent_kafka is
  # importable; else (exit 2) the broker's own "started" line in its log.
  local rc=0
  "$PY" - "$KAFKA_PORT" 2>/dev/null <<'PY' || rc=$?
import sys
try:
    from confluent_kafka.admin import AdminClient
except ImportError:
    sys.exit(2)
md = AdminClient({"bootstrap.servers": f"127.0.0.1:{sys.argv[1]}"}).list_topics(timeout=5)
sys.exit(0 if md.brokers else 1)
PY
  [[ $rc == 2 ]] && { kafka_pid >/dev/null && grep -q 'Kafka Server started' "$KAFKA/kafka.log"; return; }
  return $rc
}
kafka_fetch() {
  # Re-fetch when the pom changes; the stamp marks a complete copy.
  local stamp; stamp=$(sha256sum "$POM" | cut -d' ' -f1)
  [[ -f $KAFKA/lib/.complete && $(cat "$KAFKA/lib/.complete") == "$stamp" ]] && return 0
  command -v mvn >/dev/null || apt_install maven
  log "fetching the Kafka broker from Maven Central into $KAFKA/lib"
  rm -rf "${KAFKA:?}/lib"
  mvn -q -B -Dstyle.color=never -f "$POM" -Dmaven.repo.local="$SVC/m2" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA/lib" >&2 || die "mvn could not fetch the Kafka broker"
  echo "$stamp" > "$KAFKA/lib/.complete"
}
kafka_up() {
  # Ours, up or still starting (or busy): let kafka_ready wait for it rather than start a second one.
  kafka_pid >/dev/null && return 0
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  mkdir -p "$KAFKA/data"
  kafka_fetch
  # Modelled on Kafka 4.x config/server.properties (KRaft, combined broker+controller).
  cat > "$KAFKA/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CTRL_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CTRL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CTRL_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA/data
num.partitions=6
offsets.topic.replication.factor=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
EOF
  # Console logging (to kafka.log via the redirect below); the jars ship no config.
  printf '%s\n' 'status = warn' 'appender.out.type = Console' 'appender.out.name = out' \
    'appender.out.target = SYSTEM_ERR' 'appender.out.layout.type = PatternLayout' \
    'appender.out.layout.pattern = [%d] %p %m (%c)%n' 'rootLogger.level = INFO' \
    'rootLogger.appenderRef.out.ref = out' > "$KAFKA/log4j2.properties"
  # Per-partition/per-topic chatter (tests create many topics) only from WARN up.
  local i=0 name; for name in state.change.logger kafka.cluster org.apache.kafka.controller \
      org.apache.kafka.coordinator org.apache.kafka.storage; do
    printf 'logger.q%d.name = %s\nlogger.q%d.level = WARN\n' $i "$name" $i; i=$((i + 1))
  done >> "$KAFKA/log4j2.properties"
  local java=(java -cp "$KAFKA/lib/*" -Dlog4j2.configurationFile="$KAFKA/log4j2.properties")
  if [[ ! -f $KAFKA/data/meta.properties ]]; then
    [[ -s $KAFKA/cluster.id ]] || head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' > "$KAFKA/cluster.id"
    log "formatting Kafka storage (cluster id $(cat "$KAFKA/cluster.id"))"
    "${java[@]}" kafka.tools.StorageTool format --standalone -t "$(cat "$KAFKA/cluster.id")" \
      -c "$KAFKA/server.properties" >"$KAFKA/format.log" 2>&1 || fail_with_log "$KAFKA/format.log" "kafka storage format failed"
  fi
  rm -f "$KAFKA/kafka.pid"
  if [[ -f $KAFKA/kafka.log ]]; then mv -f "$KAFKA/kafka.log" "$KAFKA/kafka.log.prev"; fi
  log "starting kafka on 127.0.0.1:$KAFKA_PORT"
  # setsid + nohup: detached from this shell; the child writes its own pid before exec'ing java.
  # shellcheck disable=SC2016  # $$, $0 and $@ are the child's
  setsid nohup bash -c 'echo $$ > "$0"; exec "$@"' "$KAFKA/kafka.pid" "${java[0]}" -Xms256m -Xmx768m \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true "${java[@]:1}" \
    kafka.Kafka "$KAFKA/server.properties" >"$KAFKA/kafka.log" 2>&1 </dev/null 9>&- &
}
kafka_ready() {
  local end=$((SECONDS + TIMEOUT))
  until kafka_ping; do
    [[ -s $KAFKA/kafka.pid ]] && ! kafka_pid >/dev/null &&
      fail_with_log "$KAFKA/kafka.log" "kafka exited during startup"
    ((SECONDS < end)) || fail_with_log "$KAFKA/kafka.log" "kafka not ready after ${TIMEOUT}s"
    sleep 0.5
  done
}
kafka_down() {
  local pid; pid=$(kafka_pid) || { rm -f "$KAFKA/kafka.pid"; return 0; }
  log "stopping kafka ($pid)"
  kill -TERM "$pid"
  if ! wait_until 60 dead "$pid"; then log "kafka did not stop in 60s, killing"; kill -9 "$pid" || true; fi
  rm -f "$KAFKA/kafka.pid"
}
kafka_ports()  { echo "$KAFKA_PORT" "$KAFKA_CTRL_PORT"; }
kafka_pid_of() { kafka_pid; }
kafka_status() { kafka_pid >/dev/null && kafka_ping; }

# ---------------------------------------------------------------- main
# Expand the arguments into services, in a fixed order (kafka launches first: it boots slowest).
services() {
  local want=" ${*:-all} " s out=()
  [[ $want == *" all "* ]] && want=" ${ALL[*]} "
  for s in $want; do [[ " ${ALL[*]} " == *" $s "* ]] || die "unknown service '$s' (redis|cluster|postgres|kafka|all)"; done
  for s in kafka postgres redis cluster; do [[ $want == *" $s "* ]] && out+=("$s"); done
  echo "${out[@]}"
}

cmd=${1:-}; shift || true
if [[ $cmd == up || $cmd == down ]]; then
  list=$(services "$@"); read -ra todo <<< "$list"
  # One up/down at a time: concurrent runs would race to start the same things.
  # (Daemons are started with fd 9 closed, or they would hold this lock forever.)
  mkdir -p "$SVC"; exec 9>"$SVC/run.lock"
  flock -w 300 9 || die "another '$0 up/down' still holds $SVC/run.lock after 300s"
elif [[ $cmd == status ]]; then
  list=$(services "$@"); read -ra todo <<< "$list"
fi
case $cmd in
  up)
    # Nothing starts while a port asked for is held by a process not ours (another checkout's
    # server, docker): ours would fail on it, and the settings printed would lead to theirs.
    bad=
    for s in "${todo[@]}"; do
      conflict "$s" || continue
      log "ERROR: $s: port $PORT is held by $HOLDER," \
        "not started by this checkout; stop it, run from that checkout or set $(port_var "$s" "$PORT")"
      bad=1
    done
    [[ -z $bad ]] || exit 1
    for s in "${todo[@]}"; do "${s}_up"; done          # launch everything first...
    for s in "${todo[@]}"; do "${s}_ready"; done       # ...then wait for each
    for s in "${ALL[@]}"; do [[ " ${todo[*]} " == *" $s "* ]] && env_line "$s"; done
    log "up: ${todo[*]}"
    ;;
  down)
    for s in "${todo[@]}"; do
      # Only ours are stopped (by pid); whatever else holds the port is left alone, and said so.
      conflict "$s" && log "$s: port $PORT is held by $HOLDER, not started by this checkout: left running"
      "${s}_down"
    done
    ;;
  status)
    rc=0
    for s in "${ALL[@]}"; do
      [[ " ${todo[*]} " == *" $s "* ]] || continue
      if conflict "$s"; then echo "$s: port $PORT held by $HOLDER, not ours"; rc=3
      elif "${s}_status"; then echo "$s: up (ours, $(owned "$s"))"
      elif pids=$(owned "$s") && [[ -n $pids ]]; then echo "$s: not ready (ours, $pids)"; rc=3
      else echo "$s: down"; rc=3; fi
    done
    exit $rc
    ;;
  env) for s in "${ALL[@]}"; do env_line "$s"; done ;;
  pid)
    # The pid of our server (a fault test signals it); fails if it does not run.
    [[ ${1:-} == @(redis|postgres|kafka) ]] || die "pid: one of redis, postgres, kafka"
    "${1}_pid_of"
    ;;
  *) sed -n '2,/^set /p' "$0" | sed -n 's/^# \{0,1\}//p' >&2; exit 2 ;;
esac
