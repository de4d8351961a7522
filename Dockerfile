# The one image of a Moim deployment: every component of scripts/components.ts and the one-shot
# commands, picked by the container's command (`gateway`, `review-worker`, `migrate`, …):
#   docker build -t moim .
#   docker run --rm moim            # usage: every command
#   docker run -e … moim review     # one process
# Processes run from built JavaScript (dist/, by scripts/build.ts), not through a TypeScript
# runner. No Docker engine runs in CI: scripts/test/dockerfile.test.ts lints this file, and
# scripts/test/image.test.ts runs the built processes (`node dist/moim.js …`) as the image does.
#
# Stages: base (Node + npm) → toolchain (+ python3, make, g++, the manifests) → build (every
# dependency, dist/, assets) and prod-deps (production dependencies); runtime (base + tini) takes
# prod-deps' node_modules and build's dist/ and assets, and no compiler. runtime is the last stage:
# what `docker build .` builds.
#
# The admin console (clients/admin) is a second image, a static build served by nginx:
#   docker build --target admin -t moim-admin .
# admin-build (toolchain + every dependency + the clients' sources) runs its Vite build; admin
# (nginx, unprivileged) serves it under /admin/ and proxies /graphql to the gateway
# (deploy/admin/; MOIM_GATEWAY_URL, default http://gateway:4000).

# ---- base: Node and npm, shared by every stage (native addons are built for this Node's ABI) ----
FROM node:20.19-bookworm-slim AS base
# The npm of package.json's packageManager: it honours package.json's allowScripts.
RUN npm install --global npm@11.19.1 && npm cache clean --force
WORKDIR /app

# ---- toolchain: what builds native addons, and the manifests ------------------------------------
FROM base AS toolchain
# Native addons are compiled at install (docs/decisions/0002-argon2-built-at-install.md): argon2's
# Linux prebuilds declare Node-API 10 while Node 20 has Node-API 9, so its install script
# (node-gyp-build) rejects them and runs `node-gyp rebuild`; better-sqlite3 does the same when its
# prebuilt download fails. node-gyp needs python3, make and g++, which the slim image lacks.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
# node-gyp compiles against this Node's own headers (shipped in the image), not a download.
ENV npm_config_nodedir=/usr/local
# The manifests first, once for both installs: an install layer is rebuilt only when dependencies
# change. npm ci needs every workspace's manifest the lockfile names.
COPY package.json package-lock.json ./
COPY packages/demo/package.json packages/demo/
COPY packages/events/package.json packages/events/
COPY packages/kit/package.json packages/kit/
COPY packages/media-refs/package.json packages/media-refs/
COPY packages/testing/package.json packages/testing/
COPY services/chat/package.json services/chat/
COPY services/course-catalog/package.json services/course-catalog/
COPY services/media/package.json services/media/
COPY services/review/package.json services/review/
COPY services/search/package.json services/search/
COPY services/social/package.json services/social/
COPY gateway/package.json gateway/
COPY scripts/package.json scripts/
COPY clients/admin/package.json clients/admin/
COPY clients/sdk/package.json clients/sdk/
COPY bench/package.json bench/

# ---- build: every dependency, type checks, dist/ ----------------------------------------------
FROM toolchain AS build
ENV TURBO_TELEMETRY_DISABLED=1
RUN npm ci --no-audit --no-fund
COPY . .
# turbo: type checks, the composed supergraph (gateway/supergraph.graphql), then dist/. Not the
# clients: the admin console is built in its own stage, for its own image.
RUN npm run build -- --filter='!./clients/*'
# What the bundle reads beside its sources (schema.graphql, json, txt, demo data, fixtures, the
# supergraph; scripts/build.ts keeps each module's import.meta.url its source's): every file of
# the workspaces but TypeScript and tests, at its place in the tree.
RUN mkdir /assets \
    && find gateway packages services scripts \
        \( -name node_modules -o -name test \) -prune -o -type f ! -name '*.ts' \
        -exec cp --parents --target-directory=/assets {} +

# ---- prod-deps: the same lockfile, without dev dependencies -----------------------------------
FROM toolchain AS prod-deps
# Native ones — argon2, better-sqlite3, sharp — compiled or fetched for base's Node and platform
# (the runtime's: same base image, same ABI); allowScripts says whose install scripts run.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- admin-build: the admin console's static build (clients/admin/dist) ------------------------
FROM toolchain AS admin-build
# The same install as build's (one cached layer for both): the console's build tools are dev
# dependencies of the workspaces.
ENV TURBO_TELEMETRY_DISABLED=1
RUN npm ci --no-audit --no-fund
# The console and the SDK it is built on (its generated client is committed, checked against the
# supergraph by the SDK's tests): a change to a service does not rebuild the console.
COPY tsconfig.base.json ./
COPY clients/ clients/
RUN npm run build -w @moim/admin

# ---- admin: the console's image, nginx serving dist/ under /admin/ -----------------------------
FROM nginxinc/nginx-unprivileged:1.28-alpine AS admin
# The image's entrypoint renders /etc/nginx/templates/*.template into /tmp (the one writable
# place: the root filesystem may be read-only), substituting MOIM_* variables only.
ENV MOIM_GATEWAY_URL=http://gateway:4000 \
    NGINX_ENVSUBST_OUTPUT_DIR=/tmp \
    NGINX_ENVSUBST_FILTER=^MOIM_
COPY deploy/admin/nginx.conf /etc/nginx/nginx.conf
COPY deploy/admin/moim-admin.conf.template /etc/nginx/templates/moim-admin.conf.template
COPY --from=admin-build /app/clients/admin/dist/ /usr/share/nginx/html/admin/
# uid/gid 1000, numeric, as the Node image: one pod securityContext for every Moim container.
# nginx writes only under /tmp (pid, temp files, the rendered server), so any uid runs it.
USER 1000:1000
EXPOSE 8080
# No HEALTHCHECK: the orchestrator probes GET /healthz on 8080 (docker-compose.yml, Kubernetes).
# ENTRYPOINT, CMD and STOPSIGNAL (SIGQUIT: a graceful stop) are nginx's image's.

# ---- runtime: production dependencies, dist/, the assets; no toolchain -------------------------
FROM base AS runtime
# tini as PID 1: signals reach Node (SIGTERM drains), zombies are reaped.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
# The manifests and node_modules (workspace symlinks included) of prod-deps.
COPY --from=prod-deps /app/ ./
COPY --from=build /assets/ ./
COPY --from=build /app/dist/ ./dist/
# Local media storage (MEDIA_STORAGE=local): a volume mounted here starts owned by the app's user.
RUN mkdir -p /var/lib/moim/media && chown -R 1000:1000 /var/lib/moim
# uid/gid 1000 (user node), numeric: kubelet's runAsNonRoot check and Pod Security "restricted"
# can only verify a numeric user. The root filesystem may be read-only (a writable /tmp is all
# it needs).
USER 1000:1000
# gateway 4000 (metrics 9464), subgraphs 4001-4006, workers' health and metrics 4101-4106.
EXPOSE 4000 4001-4006 4101-4105 4106 9464
# No HEALTHCHECK: probes are the orchestrator's (docker-compose.yml, Kubernetes) on /health/ready,
# each on its component's port.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--enable-source-maps", "/app/dist/moim.js"]
CMD ["gateway"]
