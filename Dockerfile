# The one image of a Moim deployment: every component of scripts/components.ts and the one-shot
# commands, picked by the container's command (`gateway`, `review-worker`, `migrate`, …):
#   docker build -t moim .
#   docker run --rm moim            # usage: every command
#   docker run -e … moim review     # one process
# Processes run from built JavaScript (dist/, by scripts/build.ts), not through a TypeScript
# runner. No Docker engine runs in CI: scripts/test/dockerfile.test.ts lints this file, and
# scripts/test/image.test.ts runs the built processes (`node dist/moim.js …`) as the image does.

# ---- build: every dependency, type checks, dist/ ----------------------------------------------
FROM node:20.19-bookworm-slim AS build
# The npm of package.json's packageManager: it honours package.json's allowScripts.
RUN npm install --global npm@11.19.1 && npm cache clean --force
ENV TURBO_TELEMETRY_DISABLED=1
WORKDIR /app
# The manifests first: the install layer is rebuilt only when dependencies change.
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
COPY services/social/package.json services/social/
COPY gateway/package.json gateway/
COPY scripts/package.json scripts/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY . .
# turbo: type checks, the composed supergraph (gateway/supergraph.graphql), then dist/.
RUN npm run build
# What the bundle reads beside its sources (schema.graphql, json, txt, demo data, fixtures, the
# supergraph; scripts/build.ts keeps each module's import.meta.url its source's): every file of
# the workspaces but TypeScript and tests, at its place in the tree.
RUN mkdir /assets \
    && find gateway packages services scripts \
        \( -name node_modules -o -name test \) -prune -o -type f ! -name '*.ts' \
        -exec cp --parents --target-directory=/assets {} +

# ---- runtime: production dependencies, dist/, the assets ----------------------------------------
FROM node:20.19-bookworm-slim AS runtime
# tini as PID 1: signals reach Node (SIGTERM drains), zombies are reaped.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*
RUN npm install --global npm@11.19.1 && npm cache clean --force
ENV NODE_ENV=production
WORKDIR /app
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
COPY services/social/package.json services/social/
COPY gateway/package.json gateway/
COPY scripts/package.json scripts/
COPY bench/package.json bench/
# The same lockfile, without dev dependencies (native ones — argon2, better-sqlite3, sharp — built
# or fetched for this platform; allowScripts says whose install scripts run).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /assets/ ./
COPY --from=build /app/dist/ ./dist/
# Local media storage (MEDIA_STORAGE=local): a volume mounted here starts owned by the app's user.
RUN mkdir -p /var/lib/moim/media && chown -R node:node /var/lib/moim
# uid/gid 1000; the root filesystem may be read-only (a writable /tmp is all it needs).
USER node
# gateway 4000 (metrics 9464), subgraphs 4001-4005, workers' health and metrics 4101-4105.
EXPOSE 4000 4001-4005 4101-4105 9464
# No HEALTHCHECK: probes are the orchestrator's (docker-compose.yml, Kubernetes) on /health/ready,
# each on its component's port.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--enable-source-maps", "/app/dist/moim.js"]
CMD ["gateway"]
