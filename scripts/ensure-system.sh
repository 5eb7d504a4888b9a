#!/usr/bin/env bash
# What the test targets need from the machine, set up before any test starts. One script for
# `make test`, `make test-dates` and CI (.ci/run), so CI does nothing the README's command
# does not.
#
#   scripts/ensure-system.sh test        chromium (browser tests) and fonts-liberation (Arial
#                                        metrics for the pages chromium draws)
#   scripts/ensure-system.sh test-dates  faketime (libfaketime, the clock the date runs fake)
#
# Debian packages that are missing are installed when this runs as root; otherwise it stops
# with the exact command to run. PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) are
# started when they do not answer and this is root; otherwise it says how. It prints nothing
# when everything is already in place.
set -euo pipefail

purpose="${1:-test}"
case "$purpose" in
  test) packages=(chromium fonts-liberation) ;;
  test-dates) packages=(faketime) ;;
  *) echo "usage: $0 [test|test-dates]" >&2; exit 2 ;;
esac

PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_HOST=127.0.0.1 REDIS_PORT=6379
is_root() { [ "$(id -u)" -eq 0 ]; }
say() { echo "ensure-system: $*" >&2; }
stop() { echo >&2; echo "make $purpose cannot start: $*" >&2; exit 1; }

installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = "installed" ] || return 1
  case "$1" in
    chromium) [ -x /usr/bin/chromium ] ;;  # the path tests/browser/conftest.py launches
  esac
}

missing_packages() {
  local package
  for package in "${packages[@]}"; do installed "$package" || echo "$package"; done
}

# Two runs starting at once (two clones, CI) must not both run apt or start a server. Only
# root installs or starts anything, so only root waits for the other.
if is_root; then
  exec 9>/var/lock/resettle-ensure-system.lock
  flock 9
fi

# ---- Debian packages --------------------------------------------------------------------
if ! command -v dpkg-query >/dev/null 2>&1; then
  for package in "${packages[@]}"; do
    case "$package" in
      chromium) command -v chromium >/dev/null 2>&1 || stop "no chromium at /usr/bin/chromium. This project's tests expect Debian 12's chromium package." ;;
      faketime) command -v faketime >/dev/null 2>&1 || stop "no faketime (libfaketime). Install it with your package manager." ;;
    esac
  done
else
  mapfile -t missing < <(missing_packages)
  if [ "${#missing[@]}" -gt 0 ]; then
    install_command="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
    if ! is_root; then
      stop "these Debian packages are missing: ${missing[*]}. Install them (as root) with:

    sudo sh -c '$install_command'

then run make $purpose again."
    fi
    say "installing ${missing[*]} (apt-get, about a minute)"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq \
        && apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 \
          "${missing[@]}" >/dev/null; }; then
      stop "installing ${missing[*]} failed (see apt-get's message above). The command was:

    $install_command"
    fi
    mapfile -t missing < <(missing_packages)
    [ "${#missing[@]}" -eq 0 ] || stop "still missing after apt-get install: ${missing[*]}"
  fi
fi

# ---- PostgreSQL -------------------------------------------------------------------------
postgres_answers() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -h "$PG_HOST" -p "$PG_PORT" -q
  else
    (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null
  fi
}

wait_for() {  # wait_for SECONDS CHECK
  local deadline=$((SECONDS + $1))
  until "$2"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

if ! postgres_answers; then
  versions=$(ls /etc/postgresql 2>/dev/null || true)
  if [ -n "$versions" ] && [ "$(wc -w <<<"$versions")" -eq 1 ]; then
    start_postgres="pg_ctlcluster --skip-systemctl-redirect $versions main start"
  else
    start_postgres="pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"
  fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$versions" ]; then
    stop "PostgreSQL does not answer on $PG_HOST:$PG_PORT and is not installed here. The tests
need a PostgreSQL server there that lets the user postgres in without a password (see the
README, \"Needs\")."
  fi
  is_root || stop "PostgreSQL does not answer on $PG_HOST:$PG_PORT. Start it with:

    sudo $start_postgres"
  say "starting PostgreSQL: $start_postgres"
  $start_postgres
  wait_for 30 postgres_answers || stop "PostgreSQL was started but does not answer on $PG_HOST:$PG_PORT after 30 s"
fi

if command -v psql >/dev/null 2>&1; then
  if ! login=$(psql "postgresql://postgres@$PG_HOST:$PG_PORT/postgres?connect_timeout=5" \
      -w -Atqc 'select 1' 2>&1); then
    stop "PostgreSQL answers on $PG_HOST:$PG_PORT, but the tests cannot sign in to it as the
user postgres without a password:

    $login

The tests connect as postgres@$PG_HOST with no password (trust for 127.0.0.1 in pg_hba.conf)."
  fi
fi

# ---- Redis ------------------------------------------------------------------------------
redis_answers() {
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
  else
    (exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" && printf 'PING\r\n' >&3 \
      && read -r -t 2 answer <&3 && [ "${answer%$'\r'}" = "+PONG" ]) 2>/dev/null
  fi
}

if ! redis_answers; then
  start_redis='redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log'
  command -v redis-server >/dev/null 2>&1 || stop "Redis does not answer on $REDIS_HOST:$REDIS_PORT and redis-server is not installed. Install it with:

    sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends redis-server'

and run make $purpose again (it starts Redis itself when run as root)."
  is_root || stop "Redis does not answer on $REDIS_HOST:$REDIS_PORT. Start it with:

    sudo mkdir -p /var/lib/redis /var/log/redis
    sudo $start_redis"
  say "starting Redis: $start_redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for 10 redis_answers || stop "Redis was started but does not answer on $REDIS_HOST:$REDIS_PORT after 10 s (log: /var/log/redis/ci.log)"
fi
