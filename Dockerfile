# syntax=docker/dockerfile:1
# The Chartside gateway: `chartside serve` on Node 20, as a non-root user.
#   docker build -t chartside .
#   docker run -e PUBLIC_URL=… -e DATABASE_URL=postgres://… -e CHARTSIDE_MASTER_KEY=… -p 3000:3000 chartside
# compose.yaml runs two of them behind Caddy on one PostgreSQL (README, "Container").
ARG NODE_IMAGE=node:20-bookworm-slim

# Production dependencies only. better-sqlite3 compiles from source when no prebuilt binary
# matches, so the toolchain is here and not in the image that runs.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    CHARTSIDE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    CHARTSIDE_DATA_DIR=/app/data
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json ./
COPY --chown=root:root bin ./bin
COPY --chown=root:root src ./src
# The code belongs to root and is read-only to the process; only the data folder is writable
# (SQLite, when no DATABASE_URL is given: one process on one machine).
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
# /readyz: 200 while the database answers and holds every migration, 503 while shutting down.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains and shuts down gracefully (README, "Graceful shutdown"); node is PID 1's child
# of no shell, so the signal reaches it.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/chartside.js"]
CMD ["serve"]
