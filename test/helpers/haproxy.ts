/**
 * HAProxy (Debian's haproxy, run in the foreground with `-db`) in front of gateway nodes or test peers: one TCP
 * `listen` section per frontend (DICOM, MLLP, …) on a free 127.0.0.1 port, balancing connections over the given
 * backend ports with fast health checks, and the runtime API on a Unix socket so a test can read a server's state
 * (UP/DOWN/MAINT) and take a server out or put it back. The log goes to a file for failure messages.
 * Missing haproxy skips the suite on a developer machine and fails it under CI, like test/helpers/postgres.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Context } from 'mocha';
import { freePort, tempDir, waitFor } from './fixtures.js';
import { ownedPeer, spawnPeer } from './peers.js';

/** Debian's path; HAPROXY_BIN overrides. */
export function haproxyBin(): string | undefined {
  const bin = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';
  return existsSync(bin) ? bin : undefined;
}

/** Skips (locally) or fails (CI) when haproxy is not installed. */
export function requireHaproxy(ctx: Context): void {
  if (haproxyBin() !== undefined) return;
  if (process.env.CI) throw new Error('haproxy missing under CI (.ci/run must install Debian\'s haproxy)');
  ctx.skip();
}

export interface HaproxyServer {
  /** The server's name in HAProxy (runtime API, log). Default s1, s2, … in order. */
  name?: string;
  /** The backend's TCP port on 127.0.0.1 (DICOM, MLLP, …). */
  port: number;
  /** The port the health check goes to instead (a gateway node's HTTP port for /readyz). */
  checkPort?: number;
}

export interface HaproxyFrontend {
  /** Name of the `listen` section (runtime API: `<name>/<server>`). Letters, digits, `_` and `-`. */
  name: string;
  servers: Array<HaproxyServer | number>;
  /**
   * roundrobin (default): connections go to the servers in turn, so a test that opens a few associations one after
   * another knows each server gets some. leastconn is what production wants for DICOM (associations differ wildly
   * in length, docs/scale-out.md); with short sequential connections it, too, takes the servers in turn.
   */
  balance?: 'roundrobin' | 'leastconn';
  /**
   * Health check: absent, a TCP connect to each server (or its checkPort); an HTTP path (`/readyz`), an HTTP GET
   * to each server's checkPort that must answer 200, as in production.
   */
  httpCheck?: string;
}

export interface HaproxyOptions {
  frontends: HaproxyFrontend[];
  /** Milliseconds between health checks; fall 2, rise 1, so a dead server is DOWN within about 2 × this. Default 500. */
  checkIntervalMs?: number;
  /** `timeout client` and `timeout server`. Default 60 s: longer than any test association. */
  idleTimeoutMs?: number;
}

/** A server's line of `show stat`: `status` is UP, DOWN, MAINT, DRAIN, `UP 1/2` (going down), `no check`, … */
export interface ServerStat {
  name: string;
  status: string;
  /** Sessions now. */
  current: number;
  /** Sessions since start (`stot`): how many connections HAProxy gave this server. */
  total: number;
}

export interface Haproxy {
  /** The frontend's port on 127.0.0.1, by frontend name. */
  port(frontend: string): number;
  /** Each server of a frontend with its state, from the runtime API. */
  servers(frontend: string): Promise<ServerStat[]>;
  /** The state of one server (`UP`, `DOWN`, `MAINT`, …). */
  status(frontend: string, server: string): Promise<string>;
  /** Takes a server out (maintenance): no new connections; existing ones stay. */
  disable(frontend: string, server: string): Promise<void>;
  /** Puts a server back (state ready); it takes traffic once its health check passes. */
  enable(frontend: string, server: string): Promise<void>;
  /** Any runtime API command (`show info`, `disable health px/s1`, …); its answer. */
  command(cmd: string): Promise<string>;
  /** The last lines of HAProxy's log (config warnings, one tcplog line per connection), for failure messages. */
  logTail(lines?: number): string;
  /** SIGTERM (HAProxy stops at once), SIGKILL after 5 s; resolves when it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const NAME = /^[A-Za-z0-9_-]+$/;
const serverName = (s: HaproxyServer | number, i: number): string => (typeof s === 'number' ? `s${i + 1}` : (s.name ?? `s${i + 1}`));

/** The haproxy.cfg for these frontends: TCP mode, fast checks, redispatch, the runtime API on `socket`. */
export function haproxyConfig(options: HaproxyOptions, ports: Map<string, number>, socket: string): string {
  const inter = options.checkIntervalMs ?? 500;
  const idle = options.idleTimeoutMs ?? 60_000;
  const lines = [
    'global',
    '    log stdout format raw local0 info',
    `    stats socket ${socket} mode 600 level admin`,
    '    stats timeout 10s',
    // One thread is plenty for loopback rates, and the test machines are small.
    '    nbthread 1',
    '',
    'defaults',
    '    mode tcp',
    '    log global',
    '    option tcplog',
    '    option dontlognull',
    // A connection refused by a server whose check has not failed yet is retried, the last retry on another
    // server: a sender never sees a node's death between two health checks, only a little delay.
    '    retries 2',
    '    option redispatch 1',
    '    timeout connect 2s',
    `    timeout client ${idle}ms`,
    `    timeout server ${idle}ms`,
    '    timeout check 2s',
    `    default-server inter ${inter}ms fastinter ${inter}ms downinter ${inter}ms fall 2 rise 1 on-marked-down shutdown-sessions`,
  ];
  for (const f of options.frontends) {
    if (!NAME.test(f.name)) throw new Error(`HAProxy frontend name ${JSON.stringify(f.name)}: letters, digits, _ and - only`);
    lines.push('', `listen ${f.name}`, `    bind 127.0.0.1:${ports.get(f.name)}`, `    balance ${f.balance ?? 'roundrobin'}`);
    if (f.httpCheck !== undefined) lines.push('    option httpchk', `    http-check send meth GET uri ${f.httpCheck}`, '    http-check expect status 200');
    f.servers.forEach((s, i) => {
      const server = typeof s === 'number' ? { port: s } : s;
      const name = serverName(s, i);
      if (!NAME.test(name)) throw new Error(`HAProxy server name ${JSON.stringify(name)}: letters, digits, _ and - only`);
      if (f.httpCheck !== undefined && server.checkPort === undefined) throw new Error(`HAProxy ${f.name}/${name}: an HTTP check needs the server's checkPort`);
      lines.push(`    server ${name} 127.0.0.1:${server.port} check${server.checkPort === undefined ? '' : ` port ${server.checkPort}`}`);
    });
  }
  return `${lines.join('\n')}\n`;
}

/** One command on the runtime API (non-interactive: HAProxy answers and closes). */
function runtimeCommand(socket: string, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    let out = '';
    conn.setEncoding('utf8');
    conn.on('data', (d: string) => (out += d));
    conn.on('error', (err) => reject(new Error(`HAProxy runtime API (${cmd}): ${err.message}`)));
    conn.on('close', () => resolve(out));
    conn.end(`${cmd}\n`);
  });
}

/** The server rows of `show stat` (CSV; type 2 = server) for one proxy. */
function parseServerStats(csv: string, proxy: string): ServerStat[] {
  const [header, ...rows] = csv.split('\n').filter((l) => l.length > 0);
  if (header === undefined || !header.startsWith('# ')) throw new Error(`HAProxy show stat: unexpected answer ${JSON.stringify(csv.slice(0, 200))}`);
  const cols = header.slice(2).split(',');
  const at = (row: string[], col: string): string => row[cols.indexOf(col)] ?? '';
  return rows
    .map((r) => r.split(','))
    .filter((r) => at(r, 'pxname') === proxy && at(r, 'type') === '2')
    .map((r) => ({ name: at(r, 'svname'), status: at(r, 'status'), current: Number(at(r, 'scur')), total: Number(at(r, 'stot')) }));
}

/** Starts HAProxy on free ports and waits until its runtime API answers (the listeners are bound before that). */
export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  const bin = haproxyBin();
  if (bin === undefined) throw new Error('haproxy is not installed (/usr/sbin/haproxy; set HAPROXY_BIN)');
  const dir = tempDir('pag-haproxy-');
  const socket = join(dir, 'admin.sock');
  const ports = new Map<string, number>();
  for (const f of options.frontends) {
    if (ports.has(f.name)) throw new Error(`HAProxy frontend ${f.name} named twice`);
    ports.set(f.name, await freePort());
  }
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig(options, ports, socket));
  const logFile = join(dir, 'haproxy.log');
  const logFd = openSync(logFile, 'a');
  const child: ChildProcess = spawnPeer(bin, ['-db', '-f', cfg], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const stop = ownedPeer(child);

  const logTail = (lines = 40): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n') : '(no log)');
  const command = (cmd: string): Promise<string> => runtimeCommand(socket, cmd);
  const servers = async (frontend: string): Promise<ServerStat[]> => {
    if (!ports.has(frontend)) throw new Error(`HAProxy has no frontend ${frontend}`);
    return parseServerStats(await command('show stat'), frontend);
  };
  /** `set server` answers an empty line on success and a sentence on a refusal. */
  const setState = async (frontend: string, server: string, state: 'maint' | 'ready'): Promise<void> => {
    const answer = (await command(`set server ${frontend}/${server} state ${state}`)).trim();
    if (answer !== '') throw new Error(`HAProxy set server ${frontend}/${server} state ${state}: ${answer}`);
  };

  try {
    await waitFor(
      'HAProxy to answer on its runtime API',
      async () => {
        if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode} while starting:\n${logTail()}`);
        if (!existsSync(socket)) return false;
        return (await command('show info').catch(() => '')).includes('Pid:');
      },
      10_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port: (frontend) => {
      const p = ports.get(frontend);
      if (p === undefined) throw new Error(`HAProxy has no frontend ${frontend}`);
      return p;
    },
    servers,
    async status(frontend, server) {
      const s = (await servers(frontend)).find((x) => x.name === server);
      if (s === undefined) throw new Error(`HAProxy ${frontend} has no server ${server}`);
      return s.status;
    },
    disable: (frontend, server) => setState(frontend, server, 'maint'),
    enable: (frontend, server) => setState(frontend, server, 'ready'),
    command,
    logTail,
    stop,
  };
}
