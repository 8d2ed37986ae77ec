# pacs-ai-gateway container image (docs/install.md#docker).
#   docker build -t pacs-ai-gateway .
#   docker run -d --name pag -p 11112:11112 -p 2575:2575 \
#     -v pag-config:/etc/pacs-ai-gateway -v pag-data:/var/lib/pacs-ai-gateway pacs-ai-gateway

# --- build: dependencies (with dev), tsc, then drop the dev dependencies -------------------------------------
FROM node:22-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: our own `prepare` (tsc) cannot run before the sources are here; `npm rebuild` then runs
# the dependencies' install scripts (better-sqlite3's native module; .npmrc skips onnxruntime-node's download).
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild --no-audit --no-fund
COPY tsconfig.json ./
COPY types ./types
COPY src ./src
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --no-audit --no-fund

# --- runtime --------------------------------------------------------------------------------------------------
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PACS_AI_GATEWAY_CONFIG=/etc/pacs-ai-gateway/config.yaml
RUN groupadd --system pacs-ai-gateway \
 && useradd --system --gid pacs-ai-gateway --home-dir /var/lib/pacs-ai-gateway --no-create-home \
      --shell /usr/sbin/nologin pacs-ai-gateway \
 && install -d -m 0750 -o pacs-ai-gateway -g pacs-ai-gateway /var/lib/pacs-ai-gateway \
 && install -d -m 0755 /etc/pacs-ai-gateway
WORKDIR /app
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
# The demo models (src/pipeline/model-entries.ts and src/nlp/ner-model.ts find them beside dist/) and the
# sample studies of the quick start.
COPY models ./models
COPY sample-dicom ./sample-dicom
COPY docker/entrypoint.sh ./docker/entrypoint.sh
COPY docker/config.yaml /etc/pacs-ai-gateway/config.yaml
USER pacs-ai-gateway
# A named volume on /etc/pacs-ai-gateway starts as a copy of the config above; edit it there, or bind-mount
# your own file. Spool and SQLite database live in /var/lib/pacs-ai-gateway.
VOLUME ["/etc/pacs-ai-gateway", "/var/lib/pacs-ai-gateway"]
# DICOM, MLLP, HTTP (the HTTP server stays on loopback inside the container unless the config says otherwise).
EXPOSE 11112 2575 8080 2762 2576
# The slim image has no curl: Node's fetch. Port 8080 is http.port in docker/config.yaml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Validates the config (exit 2 with every problem printed), then execs the daemon, which gets SIGTERM on
# `docker stop` and drains open associations. Arguments replace `start`: `docker run … pacs-ai-gateway check-config`.
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["start"]
