#!/bin/sh
# Writes the secrets a tapefleet deployment reads, with fresh random values.
#
#   make-secrets.sh compose [DIR]               DIR/.env (PostgreSQL password) and
#                                               DIR/secrets/master-key; DIR defaults
#                                               to the folder of compose.yaml
#   make-secrets.sh k8s DIR [--placeholders]    the files the overlay's secretGenerator
#                                               reads (database.env, redis.env, nats.env,
#                                               master-key, api-token.env, tls.crt, tls.key)
#
# Existing files are left alone (delete them to regenerate: a new master key makes
# every wrapped tape key unreadable). With --placeholders the k8s files hold obvious
# non-secret placeholders instead (what deploy/k8s/overlays/example/secrets holds):
# the keyvault refuses that master key and the services cannot log in with them.
#
# Environment: TAPEFLEET_DB_HOST (default tapefleet-db-rw.tapefleet-infra.svc, the
# CloudNativePG read/write service of ../k8s/external), TAPEFLEET_REDIS_HOST (default
# redis-master.tapefleet-infra.svc), TAPEFLEET_TLS_NAME (default tapefleet.example.com).
set -eu

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
    printf 'TAPEFLEET_POSTGRES_PASSWORD=%s\n' "$(random_password)" | write "$dir/.env" 0600
    random_master_key | write "$dir/secrets/master-key" 0400
    # The keyvault runs as uid 10001 and reads the file through a bind mount.
    if [ "$(id -u)" = 0 ]; then
      chown 10001:10001 "$dir/secrets/master-key"
    else
      echo "note     run as root, or: sudo chown 10001:10001 $dir/secrets/master-key" >&2
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
    if [ "$placeholders" = yes ]; then
      db_password="$PLACEHOLDER"
      redis_password="$PLACEHOLDER"
      nats_password="$PLACEHOLDER"
      master_key="$PLACEHOLDER"
      api_token="$PLACEHOLDER"
    else
      db_password="$(random_password)"
      redis_password="$(random_password)"
      nats_password="$(random_password)"
      master_key="$(random_master_key)"
      # Replaced by a real token after the first start (deploy/README.md).
      api_token="$PLACEHOLDER"
    fi
    printf 'url=postgres://tapefleet:%s@%s:5432/tapefleet\n' "$db_password" "$db_host" | write "$dir/database.env" 0600
    printf 'url=redis://:%s@%s:6379\n' "$redis_password" "$redis_host" | write "$dir/redis.env" 0600
    printf 'user=tapefleet\npassword=%s\n' "$nats_password" | write "$dir/nats.env" 0600
    printf '%s\n' "$master_key" | write "$dir/master-key" 0600
    printf 'token=%s\n' "$api_token" | write "$dir/api-token.env" 0600
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
