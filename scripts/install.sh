#!/usr/bin/env bash
# Installs pacs-ai-gateway as a system service from this checkout (docs/install.md). Run as root; safe to run
# again (an upgrade): the user, the config file and the state folder are kept, the application is replaced.
#
#   sudo scripts/install.sh
#
# Creates: user pacs-ai-gateway · /opt/pacs-ai-gateway (application, owned by root) · /etc/pacs-ai-gateway/
# config.yaml (only when absent) · /var/lib/pacs-ai-gateway (spool + SQLite, owned by the service user) ·
# /etc/systemd/system/pacs-ai-gateway.service · /usr/local/bin/pacs-ai-gateway (the CLI with the installed config).
# With systemd as PID 1 it enables and (re)starts the service; otherwise it prints how to start the daemon.
set -euo pipefail

SERVICE=pacs-ai-gateway
APP_DIR=/opt/pacs-ai-gateway
CONF_DIR=/etc/pacs-ai-gateway
CONF_FILE=$CONF_DIR/config.yaml
STATE_DIR=/var/lib/pacs-ai-gateway
UNIT_FILE=/etc/systemd/system/$SERVICE.service
CLI=/usr/local/bin/$SERVICE
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '==> %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (it creates a system user and writes to /opt, /etc and /var/lib)"
NODE=$(command -v node) || die "Node.js ≥ 20.19 is needed (Debian: apt-get install nodejs, or NodeSource's node 22)"
command -v npm >/dev/null || die "npm is needed to install the dependencies"
"$NODE" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
  || die "Node.js $("$NODE" --version) is too old: 20.19 or later is needed"

# 1. The build: dist/ comes from `npm ci && npm run build` in the checkout (done here when missing).
if [ ! -f "$SRC/dist/src/main.js" ]; then
  say "building in $SRC (npm ci, tsc)"
  (cd "$SRC" && npm ci --no-audit --no-fund && npm run build)
fi

# 2. The service user: a system account without a login shell, home = its state folder.
if id -u "$SERVICE" >/dev/null 2>&1; then
  say "user $SERVICE exists"
else
  say "creating system user $SERVICE"
  useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin \
    --comment "pacs-ai-gateway daemon" "$SERVICE"
fi

# 3. The application, staged beside the old one and swapped in, so a failed install leaves the old one running.
say "installing the application to $APP_DIR"
STAGE=$APP_DIR.new
rm -rf "$STAGE"
install -d -m 0755 "$STAGE" "$STAGE/dist" "$STAGE/config"
cp -a "$SRC/package.json" "$SRC/package-lock.json" "$SRC/.npmrc" "$SRC/README.md" "$SRC/CHANGELOG.md" "$STAGE/"
cp -a "$SRC/dist/src" "$STAGE/dist/src"
cp -a "$SRC/models" "$SRC/sample-dicom" "$SRC/docs" "$SRC/systemd" "$STAGE/"
cp -a "$SRC/config/example.yaml" "$STAGE/config/"
# --ignore-scripts: the package's own `prepare` would run tsc, which --omit=dev leaves out; the dependencies'
# install scripts (better-sqlite3's native build; onnxruntime-node is skipped by .npmrc) run in `npm rebuild`.
(cd "$STAGE" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild --no-audit --no-fund)
chown -R root:root "$STAGE"
chmod -R u=rwX,go=rX "$STAGE"
if [ -d "$APP_DIR" ]; then
  rm -rf "$APP_DIR.old"
  mv "$APP_DIR" "$APP_DIR.old"
fi
mv "$STAGE" "$APP_DIR"
rm -rf "$APP_DIR.old"

# 4. Configuration: never overwritten. The shipped example (every key documented) with the state folder as
# dataDir. Readable by the service group only: it may hold credentials.
install -d -m 0750 -o root -g "$SERVICE" "$CONF_DIR"
if [ -e "$CONF_FILE" ]; then
  say "keeping existing $CONF_FILE"
else
  say "writing $CONF_FILE"
  sed "s|^dataDir: ./var$|dataDir: $STATE_DIR|" "$SRC/config/example.yaml" > "$CONF_FILE.tmp"
  grep -q "^dataDir: $STATE_DIR\$" "$CONF_FILE.tmp" || die "config/example.yaml has no 'dataDir: ./var' line to rewrite"
  chown root:"$SERVICE" "$CONF_FILE.tmp"
  chmod 0640 "$CONF_FILE.tmp"
  mv "$CONF_FILE.tmp" "$CONF_FILE"
fi

# 5. State: spool and SQLite database, owned by the service user.
install -d -m 0750 -o "$SERVICE" -g "$SERVICE" "$STATE_DIR"

# 6. The CLI for operators (check-config, resend …) with the installed config as default.
cat > "$CLI" <<EOF
#!/bin/sh
# Installed by pacs-ai-gateway's scripts/install.sh: the CLI with the service's config file.
export PACS_AI_GATEWAY_CONFIG="\${PACS_AI_GATEWAY_CONFIG:-$CONF_FILE}"
exec "$NODE" "$APP_DIR/dist/src/main.js" "\$@"
EOF
chmod 0755 "$CLI"

say "checking $CONF_FILE"
"$NODE" "$APP_DIR/dist/src/main.js" check-config --config "$CONF_FILE"

# 7. The unit, with ExecStart pointing at this host's node when it is not /usr/bin/node.
sed "s|^ExecStart=/usr/bin/node |ExecStart=$NODE |" "$SRC/systemd/$SERVICE.service" > "$UNIT_FILE.tmp"
chmod 0644 "$UNIT_FILE.tmp"
mv "$UNIT_FILE.tmp" "$UNIT_FILE"
say "installed $UNIT_FILE"

# systemd is PID 1 exactly when this folder exists (sd_booted(3)).
if [ -d /run/systemd/system ]; then
  was_active=$(systemctl is-active "$SERVICE" 2>/dev/null || true)
  systemctl daemon-reload
  systemctl enable --now "$SERVICE"
  [ "$was_active" = active ] && systemctl restart "$SERVICE"
  say "service enabled and started: systemctl status $SERVICE; journalctl -u $SERVICE -f"
else
  cat <<EOF
==> systemd is not running on this host (PID 1 is $(ps -o comm= -p 1 2>/dev/null || echo unknown)), so the service
    was not enabled. Start the daemon in the foreground as the service user:

      cd $STATE_DIR && runuser -u $SERVICE -- env PACS_AI_GATEWAY_CONFIG=$CONF_FILE \\
        $NODE $APP_DIR/dist/src/main.js start

    Check it: echoscu -aec AIGATEWAY 127.0.0.1 11112
EOF
fi
