# syntax=docker/dockerfile:1
#
# One image for every tapefleet service. The service is chosen at run time:
#   docker run tapefleet inventory            (or TAPEFLEET_SERVICE=inventory)
#   docker run tapefleet migrate              (one-shot: every service's migrations, then exit)
# Services run from their TypeScript sources with tsx (no build step), as uid 10001.
# See deploy/README.md for the device-agent's access to /dev/sg* and /dev/tape/by-id.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- manifests: package.json of every workspace, at its path, plus the lock file.
# Only these reach the dependency stage, so source edits do not invalidate its cache.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /manifests \
 && find . -name package.json -not -path "*/node_modules/*" -exec cp --parents {} /manifests/ \; \
 && cp package-lock.json /manifests/

# --- deps: clean install, then drop what only development needs. tsx stays: the
# services run from TypeScript sources, so it is moved to the runtime dependencies
# of this copy of the root manifest before pruning. The test kit (a workspace, so
# never pruned itself) loses its dependencies: its embedded PostgreSQL binaries
# have no use at run time.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY --from=manifests /manifests/ ./
RUN npm ci \
 && npm pkg set "dependencies.tsx=$(npm pkg get devDependencies.tsx | tr -d '"')" \
 && npm pkg delete devDependencies.tsx \
 && npm pkg delete dependencies --workspace=@tapefleet/testkit \
 && npm prune --omit=dev \
 && test -f node_modules/tsx/package.json \
 && npm cache clean --force

# --- build: the sources beside the pruned dependencies (per-workspace node_modules kept),
# then the workspaces' own build scripts (the web UI's bundle: the image is read-only
# at run time, so nothing may build there).
FROM deps AS build
COPY tsconfig.base.json tsconfig.json ./
COPY proto/ ./proto/
COPY packages/ ./packages/
COPY services/ ./services/
COPY deploy/bin/ ./deploy/bin/
RUN npm run build --workspaces --if-present \
 && chmod 0755 deploy/bin/entrypoint.sh

# --- runtime
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini libzstd1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tapefleet \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/tapefleet --no-create-home --shell /usr/sbin/nologin tapefleet \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/tapefleet /var/lib/tapefleet/vtl
WORKDIR /app
# Code and dependencies belong to root: the service user can read them, not change them.
COPY --from=build --chown=root:root /app /app
ENV NODE_ENV=production \
    TAPEFLEET_HTTP_HOST=0.0.0.0 \
    TAPEFLEET_ADMIN_TOKEN_FILE=/var/lib/tapefleet/admin-token
# 8007: API gateway (API + /healthz + /readyz); 8080: health listener of the other
# services; 8008: device-agent gRPC. The agent announces the address it binds, so
# TAPEFLEET_GRPC_ADDRESS is set per deployment to an address its callers can reach
# (compose: device-agent:8008; Kubernetes: the pod IP), never 0.0.0.0.
EXPOSE 8007 8008 8080
USER 10001:10001
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "/app/deploy/bin/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "/app/deploy/bin/entrypoint.sh"]
CMD []
