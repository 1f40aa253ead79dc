#!/bin/sh
# Writes the secrets a tapefleet deployment reads, with fresh random values.
#
#   make-secrets.sh compose [DIR]               DIR/.env (PostgreSQL and Redis
#                                               passwords), DIR/secrets/master-key, and
#                                               DIR/secrets/{ca,device-agent,scheduler}.*
#                                               (mutual TLS of the agent's gRPC); DIR
#                                               defaults to the folder of compose.yaml
#   make-secrets.sh k8s DIR [--placeholders]    the files the overlay's secretGenerator
#                                               reads (database.env: a PostgreSQL role and
#                                               URL per service; redis.env; nats.env: a NATS
#                                               password per service; master-key;
#                                               api-token.env; tls.crt, tls.key: the
#                                               Ingress; ca.crt, ca.key: the private CA
#                                               of the services' TLS (ca.key stays out
#                                               of the cluster); scheduler.crt/.key:
#                                               the scheduler's client certificate;
#                                               device-agent.crt/.key: the agents'
#                                               server certificate; nats-server.crt/.key:
#                                               for the NATS chart)
#
# Existing files are left alone (delete them to regenerate: a new master key makes
# every wrapped tape key unreadable). With --placeholders the k8s files hold obvious
# non-secret placeholders instead (what deploy/k8s/overlays/example/secrets holds):
# the keyvault refuses that master key and the services cannot log in with them.
#
# Environment: TAPEFLEET_DB_HOST (default tapefleet-db-rw.tapefleet-infra.svc, the
# CloudNativePG read/write service of ../k8s/external), TAPEFLEET_REDIS_HOST (default
# redis-master.tapefleet-infra.svc), TAPEFLEET_NATS_HOST (default nats.tapefleet-infra.svc),
# TAPEFLEET_TLS_NAME (the Ingress; default tapefleet.example.com), TAPEFLEET_AGENT_TLS_NAME
# (the name in the device agents' certificate; default device-agent.tapefleet.svc).
set -eu

# The services that log in to NATS and PostgreSQL with a user of their own
# (PostgreSQL: the services that own tables; role tf_<name>, '-' as '_').
NATS_USERS="api-gateway inventory catalog keyvault scheduler device-agent"
DB_SERVICES="api-gateway inventory catalog keyvault scheduler"

PLACEHOLDER=REPLACE-ME-run-deploy-bin-make-secrets-sh

usage() {
  echo "usage: make-secrets.sh compose [DIR] | k8s DIR [--placeholders]" >&2
  exit 64
}

# 24 random bytes as URL-safe text (no '/', '+' or '=': fits in URLs unescaped).
random_password() {
  head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

# The keyvault master key: base64 of 32 random bytes.
random_master_key() {
  head -c 32 /dev/urandom | base64 | tr -d '\n'
}

# write FILE MODE: stdin to FILE unless it exists.
write() {
  if [ -e "$1" ]; then
    echo "kept     $1 (exists)"
    cat > /dev/null
    return 0
  fi
  umask 077
  cat > "$1"
  chmod "$2" "$1"
  echo "wrote    $1"
}

[ "$#" -ge 1 ] || usage
mode="$1"
shift

case "$mode" in
  compose)
    dir="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
    mkdir -p "$dir/secrets"
    printf 'TAPEFLEET_POSTGRES_PASSWORD=%s\nTAPEFLEET_REDIS_PASSWORD=%s\n' "$(random_password)" "$(random_password)" | write "$dir/.env" 0600
    # An .env of an earlier version: add the Redis password it lacks.
    if ! grep -q '^TAPEFLEET_REDIS_PASSWORD=' "$dir/.env"; then
      printf 'TAPEFLEET_REDIS_PASSWORD=%s\n' "$(random_password)" >> "$dir/.env"
      echo "added    TAPEFLEET_REDIS_PASSWORD to $dir/.env"
    fi
    random_master_key | write "$dir/secrets/master-key" 0400
    # Mutual TLS between the scheduler and the device agent: a private CA, the agent's
    # server certificate for its compose name, the scheduler's client certificate.
    command -v openssl > /dev/null || { echo "make-secrets.sh: openssl is needed for the certificates (apt-get install openssl)" >&2; exit 1; }
    if [ ! -e "$dir/secrets/ca.crt" ] || [ ! -e "$dir/secrets/ca.key" ]; then
      (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
        -subj "/CN=tapefleet CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$dir/secrets/ca.key" -out "$dir/secrets/ca.crt" 2> /dev/null)
      chmod 0644 "$dir/secrets/ca.crt"
      echo "wrote    $dir/secrets/ca.crt, $dir/secrets/ca.key (the private CA of the services)"
    fi
    for spec in "device-agent serverAuth DNS:device-agent" "scheduler clientAuth DNS:scheduler"; do
      set -- $spec
      if [ -e "$dir/secrets/$1.crt" ] && [ -e "$dir/secrets/$1.key" ]; then
        echo "kept     $dir/secrets/$1.crt, $dir/secrets/$1.key (exist)"
        continue
      fi
      ext="$(mktemp)"
      printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=%s\n' "$2" "$3" > "$ext"
      (umask 077 && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" -keyout "$dir/secrets/$1.key" 2> /dev/null |
        openssl x509 -req -CA "$dir/secrets/ca.crt" -CAkey "$dir/secrets/ca.key" -CAcreateserial -days 365 -extfile "$ext" -out "$dir/secrets/$1.crt" 2> /dev/null)
      rm -f "$ext" "$dir/secrets/ca.srl"
      chmod 0644 "$dir/secrets/$1.crt"
      echo "wrote    $dir/secrets/$1.crt, $dir/secrets/$1.key ($3)"
    done
    # The services run as uid 10001 and read the files through bind mounts.
    if [ "$(id -u)" = 0 ]; then
      chown 10001:10001 "$dir/secrets/master-key" "$dir/secrets/device-agent.key" "$dir/secrets/scheduler.key"
    else
      echo "note     run as root, or: sudo chown 10001:10001 $dir/secrets/master-key $dir/secrets/device-agent.key $dir/secrets/scheduler.key" >&2
    fi
    ;;
  k8s)
    [ "$#" -ge 1 ] || usage
    dir="$1"
    placeholders=no
    if [ "${2:-}" = --placeholders ]; then placeholders=yes; elif [ "$#" -gt 1 ]; then usage; fi
    mkdir -p "$dir"
    db_host="${TAPEFLEET_DB_HOST:-tapefleet-db-rw.tapefleet-infra.svc}"
    redis_host="${TAPEFLEET_REDIS_HOST:-redis-master.tapefleet-infra.svc}"
    tls_name="${TAPEFLEET_TLS_NAME:-tapefleet.example.com}"
    nats_host="${TAPEFLEET_NATS_HOST:-nats.tapefleet-infra.svc}"
    agent_name="${TAPEFLEET_AGENT_TLS_NAME:-device-agent.tapefleet.svc}"
    secret() {
      if [ "$placeholders" = yes ]; then echo "$PLACEHOLDER"; else random_password; fi
    }
    if [ "$placeholders" = yes ]; then
      master_key="$PLACEHOLDER"
    else
      master_key="$(random_master_key)"
    fi
    # Replaced by a real token after the first start (deploy/README.md).
    api_token="$PLACEHOLDER"
    # One role per service, owner of its own schemas; TLS to the server (sslmode=require).
    for svc in $DB_SERVICES; do
      printf '%s=postgres://tf_%s:%s@%s:5432/tapefleet?sslmode=require\n' "$svc" "$(echo "$svc" | tr '-' '_')" "$(secret)" "$db_host"
    done | write "$dir/database.env" 0600
    printf 'url=redis://:%s@%s:6379\n' "$(secret)" "$redis_host" | write "$dir/redis.env" 0600
    # One NATS user per service: the key is the user name, the value its password.
    for svc in $NATS_USERS; do printf '%s=%s\n' "$svc" "$(secret)"; done | write "$dir/nats.env" 0600
    printf '%s\n' "$master_key" | write "$dir/master-key" 0600
    printf 'token=%s\n' "$api_token" | write "$dir/api-token.env" 0600
    # The private CA of the services' TLS (NATS server, the agents' per-pod certificates
    # issued by cert-manager, the scheduler's client certificate).
    if [ "$placeholders" = yes ]; then
      printf '%s\n' "$PLACEHOLDER: the PEM certificate of the tapefleet CA" | write "$dir/ca.crt" 0644
      printf '%s\n' "$PLACEHOLDER: its PEM private key" | write "$dir/ca.key" 0600
      printf '%s\n' "$PLACEHOLDER: the scheduler's PEM client certificate, signed by the CA" | write "$dir/scheduler.crt" 0644
      printf '%s\n' "$PLACEHOLDER: its PEM private key" | write "$dir/scheduler.key" 0600
      printf '%s\n' "$PLACEHOLDER: the device agents' PEM server certificate for $agent_name, signed by the CA" | write "$dir/device-agent.crt" 0644
      printf '%s\n' "$PLACEHOLDER: its PEM private key" | write "$dir/device-agent.key" 0600
      printf '%s\n' "$PLACEHOLDER: the NATS server's PEM certificate for $nats_host, signed by the CA" | write "$dir/nats-server.crt" 0644
      printf '%s\n' "$PLACEHOLDER: its PEM private key" | write "$dir/nats-server.key" 0600
    else
      command -v openssl > /dev/null || { echo "make-secrets.sh: openssl is needed for the certificates (apt-get install openssl)" >&2; exit 1; }
      if [ ! -e "$dir/ca.crt" ] || [ ! -e "$dir/ca.key" ]; then
        (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
          -subj "/CN=tapefleet CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
          -keyout "$dir/ca.key" -out "$dir/ca.crt" 2> /dev/null)
        chmod 0644 "$dir/ca.crt"
        echo "wrote    $dir/ca.crt, $dir/ca.key (the private CA of the services)"
      else
        echo "kept     $dir/ca.crt, $dir/ca.key (exist)"
      fi
      # issue NAME USAGE SAN: NAME.crt/NAME.key signed by the CA.
      issue() {
        if [ -e "$dir/$1.crt" ] && [ -e "$dir/$1.key" ]; then
          echo "kept     $dir/$1.crt, $dir/$1.key (exist)"
          return 0
        fi
        ext="$(mktemp)"
        printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=%s\n' "$2" "$3" > "$ext"
        (umask 077 && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" -keyout "$dir/$1.key" 2> /dev/null |
          openssl x509 -req -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 365 -extfile "$ext" -out "$dir/$1.crt" 2> /dev/null)
        rm -f "$ext" "$dir/ca.srl"
        chmod 0644 "$dir/$1.crt"
        echo "wrote    $dir/$1.crt, $dir/$1.key ($3)"
      }
      issue scheduler clientAuth DNS:scheduler
      # One server certificate for every agent: the scheduler checks this name
      # (TAPEFLEET_GRPC_TLS_SERVER_NAME), not the pod IP it dials.
      issue device-agent serverAuth "DNS:$agent_name"
      issue nats-server serverAuth "DNS:$nats_host,DNS:*.nats-headless.${nats_host#nats.}"
    fi
    if [ "$placeholders" = yes ]; then
      printf '%s\n' "$PLACEHOLDER: a PEM certificate for $tls_name" | write "$dir/tls.crt" 0644
      printf '%s\n' "$PLACEHOLDER: its PEM private key" | write "$dir/tls.key" 0600
    elif [ ! -e "$dir/tls.crt" ] || [ ! -e "$dir/tls.key" ]; then
      command -v openssl > /dev/null || { echo "make-secrets.sh: openssl is needed for the TLS certificate (apt-get install openssl)" >&2; exit 1; }
      # Self-signed, for a first start: replace with the site's certificate.
      umask 077
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
        -subj "/CN=$tls_name" -addext "subjectAltName=DNS:$tls_name" \
        -keyout "$dir/tls.key" -out "$dir/tls.crt" 2> /dev/null
      chmod 0644 "$dir/tls.crt"
      echo "wrote    $dir/tls.crt, $dir/tls.key (self-signed for $tls_name)"
    else
      echo "kept     $dir/tls.crt, $dir/tls.key (exist)"
    fi
    ;;
  *)
    usage
    ;;
esac
