#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432), Redis (6379) and NATS with JetStream (4222)
# answer on this machine, starting the Debian packages' servers when one does not
# (installing the package first when it is missing). Needs root to start or install;
# otherwise it says what is missing. Used by .ci/run and by `npm test`.
set -euo pipefail

answers() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

wait_for() { # name host port
  for _ in $(seq 1 60); do
    if answers "$2" "$3"; then return 0; fi
    sleep 1
  done
  echo "backing services: $1 does not answer on $2:$3" >&2
  exit 1
}

missing=()
answers 127.0.0.1 5432 || missing+=(postgresql)
answers 127.0.0.1 6379 || missing+=(redis)
answers 127.0.0.1 4222 || missing+=(nats)
if [ "${#missing[@]}" = 0 ]; then exit 0; fi

if [ "$(id -u)" != 0 ]; then
  echo "backing services: not answering: ${missing[*]}." >&2
  echo "  Start them (as root: bash scripts/backing-services.sh), or install them:" >&2
  echo "  sudo apt-get install postgresql redis-server nats-server" >&2
  echo "  (the tests connect as postgres@127.0.0.1:5432 without a password unless TAPEFLEET_TEST_DATABASE_URL says otherwise)" >&2
  exit 1
fi

apt_updated=0
need() { # command debian-package
  if ! command -v "$1" >/dev/null 2>&1; then
    if [ "$apt_updated" = 0 ]; then apt-get update -q; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2"
  fi
}

if ! answers 127.0.0.1 5432; then
  need pg_ctlcluster postgresql
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
if ! answers 127.0.0.1 6379; then
  need redis-server redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
if ! answers 127.0.0.1 4222; then
  need nats-server nats-server
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi
wait_for PostgreSQL 127.0.0.1 5432
wait_for Redis 127.0.0.1 6379
wait_for NATS 127.0.0.1 4222
