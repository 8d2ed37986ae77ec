/**
 * Debian's rsyslogd as an audit collector for tests: imtcp with the gtls driver (RFC 5425, octet-counted frames,
 * anonymous clients) on a 127.0.0.1 port, each received message written raw, one per line, to a file. Runs in the
 * foreground of its own temp folder (`-n -f conf -i pidfile`) and can be stopped and started again on the same port.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { tempDir, waitFor } from './fixtures.js';
import { spawnPeer } from './peers.js';
import type { CertPair } from './tls.js';

export interface Rsyslog {
  port: number;
  /** The messages received so far (RFC 5424 SYSLOG-MSG each, as rsyslog's %rawmsg%). */
  messages: () => string[];
  stop: () => Promise<void>;
  start: () => Promise<void>;
}

export async function startRsyslog(port: number, tls: { caFile: string; server: CertPair }): Promise<Rsyslog> {
  const dir = tempDir('pag-rsyslog-');
  const out = join(dir, 'received.log');
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `global(workDirectory="${dir}" maxMessageSize="256k"
  defaultNetstreamDriver="gtls"
  defaultNetstreamDriverCAFile="${tls.caFile}" defaultNetstreamDriverCertFile="${tls.server.certFile}" defaultNetstreamDriverKeyFile="${tls.server.keyFile}")
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" address="127.0.0.1" port="${port}")
template(name="raw" type="string" string="%rawmsg%\\n")
action(type="omfile" file="${out}" template="raw" flushOnTXEnd="on" asyncWriting="off")
`,
  );
  let child: ChildProcess | undefined;
  let log = '';
  const start = async (): Promise<void> => {
    child = spawnPeer('rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const c = child;
    await waitFor(`rsyslogd listening on 127.0.0.1:${port}`, async () => {
      if (c.exitCode !== null) throw new Error(`rsyslogd exited with ${c.exitCode}: ${log}`);
      return canConnect(port);
    }, 20_000);
  };
  const stop = async (): Promise<void> => {
    const c = child;
    if (c === undefined || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    messages: () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter((l) => l !== '') : []),
    stop,
    start,
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
