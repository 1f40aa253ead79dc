#!/bin/sh
# Entry point of the tapefleet image: starts one service, chosen by the first
# argument or by TAPEFLEET_SERVICE, or runs the one-shot migration.
#
#   entrypoint.sh api-gateway|inventory|catalog|keyvault|scheduler|device-agent
#   entrypoint.sh migrate       every service's database migrations, then exit
#
# Health listener defaults: the gateway serves its API, /healthz and /readyz on
# 8007; the other services serve /healthz and /readyz on 8080. TAPEFLEET_HTTP_PORT
# overrides both. TAPEFLEET_APP_DIR (default /app) is where the sources are.
set -eu

app="${TAPEFLEET_APP_DIR:-/app}"
gateway_port=8007
health_port=8080

usage() {
  echo "usage: entrypoint.sh <service> | migrate" >&2
  echo "  services: api-gateway inventory catalog keyvault scheduler device-agent" >&2
  echo "  (or set TAPEFLEET_SERVICE)" >&2
}

if [ "$#" -gt 0 ]; then
  service="$1"
  shift
else
  service="${TAPEFLEET_SERVICE:-}"
fi

case "$service" in
  api-gateway)
    TAPEFLEET_HTTP_PORT="${TAPEFLEET_HTTP_PORT:-$gateway_port}"
    ;;
  inventory|catalog|keyvault|scheduler|device-agent)
    TAPEFLEET_HTTP_PORT="${TAPEFLEET_HTTP_PORT:-$health_port}"
    ;;
  migrate)
    export TAPEFLEET_SERVICE=migrate
    cd "$app"
    exec node --import tsx "$app/deploy/bin/migrate.ts" "$@"
    ;;
  "")
    echo "entrypoint.sh: no service given" >&2
    usage
    exit 64
    ;;
  *)
    echo "entrypoint.sh: unknown service '$service'" >&2
    usage
    exit 64
    ;;
esac

export TAPEFLEET_SERVICE="$service" TAPEFLEET_HTTP_PORT
cd "$app"
exec node --import tsx "$app/services/$service/src/main.ts" "$@"
