#!/usr/bin/env bash
# `make run-stack`: the API and one consumer worker on the real stack that `make services`
# started (Redis, PostgreSQL, Kafka on loopback). Migrates first, runs the worker in the
# background and the API in the foreground; Ctrl-C stops both.
#
# Settings come from `scripts/services.sh env`, plus TICKETING_ADMIN_KEY and
# TICKETING_TOKEN_SECRET, generated once and kept in .services/run-stack.env (so that tokens
# survive a restart). What the environment sets already wins; anything else TICKETING_*
# (TICKETING_PORT, TICKETING_WORKERS, TICKETING_KAFKA_TOPIC, ...) passes through.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/.venv/bin
SECRETS=$ROOT/.services/run-stack.env

log() { echo "run-stack: $*" >&2; }

# The services' settings, unless set already (to point at other servers, or at a topic,
# group or Redis database of one's own: TICKETING_REDIS_URL=redis://127.0.0.1:16379/3).
while read -r line; do
  assignment=${line#export }
  name=${assignment%%=*}
  [[ -n ${!name:-} ]] || export "$assignment"
done < <("$ROOT/scripts/services.sh" env)

# answers URL DEFAULT_PORT: something accepts connections there (scripts/services.sh or
# docker compose started it; this needs no Redis, PostgreSQL or Kafka tools on the machine).
answers() {
  local rest=${1#*://}
  rest=${rest##*@}
  rest=${rest%%[/?,]*}
  local host=${rest%:*} port=${rest##*:}
  [[ $rest == *:* ]] || { host=$rest; port=$2; }
  (exec 3<>"/dev/tcp/${host:-127.0.0.1}/$port") 2>/dev/null
}
down=()
answers "$TICKETING_REDIS_URL" 6379 || down+=("Redis ($TICKETING_REDIS_URL)")
answers "$TICKETING_DATABASE_URL" 5432 || down+=("PostgreSQL")
answers "$TICKETING_KAFKA_BOOTSTRAP" 9092 || down+=("Kafka ($TICKETING_KAFKA_BOOTSTRAP)")
if ((${#down[@]})); then
  log "nothing answers for: ${down[*]}"
  log "start the services with \`make services\` (or \`docker compose up -d --wait\`) first"
  exit 1
fi

if [[ ! -f $SECRETS ]]; then
  mkdir -p "$(dirname "$SECRETS")"
  ( umask 077
    for name in TICKETING_ADMIN_KEY TICKETING_TOKEN_SECRET; do
      echo "$name=$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))')"
    done > "$SECRETS" )
  log "generated an admin key and a token secret in $SECRETS"
fi
while IFS='=' read -r name value; do
  [[ -n ${!name:-} ]] || export "$name=$value"
done < "$SECRETS"

"$BIN/ticketing" migrate

"$BIN/ticketing" worker &
worker=$!
stop_worker() {
  if kill -0 "$worker" 2>/dev/null; then
    kill -TERM "$worker" 2>/dev/null || true
    wait "$worker" || true
  fi
}
trap stop_worker EXIT

log "worker running (pid $worker); admin key: $TICKETING_ADMIN_KEY"
log "API on http://${TICKETING_HOST:-127.0.0.1}:${TICKETING_PORT:-8000} (Ctrl-C stops API and worker)"
"$BIN/ticketing" serve
