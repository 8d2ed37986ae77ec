#!/bin/sh
# Container entrypoint: check the configuration, then become the daemon (exec, so it is PID 1 and gets SIGTERM).
# Exit 2 when the config is invalid, with every problem printed (key path: reason).
# Also runs outside a container: the app folder is the one above this script unless PACS_AI_GATEWAY_HOME says.
set -eu

APP_DIR=${PACS_AI_GATEWAY_HOME:-$(cd "$(dirname "$0")/.." && pwd)}
MAIN=$APP_DIR/dist/src/main.js
PACS_AI_GATEWAY_CONFIG=${PACS_AI_GATEWAY_CONFIG:-/etc/pacs-ai-gateway/config.yaml}
export PACS_AI_GATEWAY_CONFIG

if [ "$#" -eq 0 ]; then
  set -- start
fi

if [ "$1" = start ]; then
  if [ ! -r "$PACS_AI_GATEWAY_CONFIG" ]; then
    echo "entrypoint: cannot read the config file $PACS_AI_GATEWAY_CONFIG: mount one there (or set PACS_AI_GATEWAY_CONFIG)" >&2
    exit 2
  fi
  if ! problems=$(node "$MAIN" check-config 2>&1); then
    printf '%s\n' "$problems" >&2
    echo "entrypoint: fix $PACS_AI_GATEWAY_CONFIG and start the container again" >&2
    exit 2
  fi
fi

exec node "$MAIN" "$@"
