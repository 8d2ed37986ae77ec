/**
 * A throwaway PostgreSQL cluster for tests and benches: initdb in a temp dir, started with pg_ctl on a free
 * 127.0.0.1 port (its Unix socket in the same dir), one database per suite, stopped and removed on teardown.
 * PostgreSQL refuses to run as root, so under root (CI, containers) every server command runs as the `postgres`
 * user through runuser. Missing binaries skip the suite on a developer machine and fail it under CI (.ci/run
 * installs Debian's `postgresql`), like test/helpers/peers.ts.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Context } from 'mocha';
import pg from 'pg';
import { migratePg } from '../../src/db/pg/migrate.js';
import { openPgPool, type Pool } from '../../src/db/pg/pool.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { freePort } from './fixtures.js';

const execFileAsync = promisify(execFile);

/** Debian installs each major version under /usr/lib/postgresql/<major>/bin; PG_BIN overrides. The newest wins. */
export function postgresBinDir(): string | undefined {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv !== undefined && existsSync(join(fromEnv, 'initdb'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? undefined : join(root, majors[0], 'bin');
}

/** Skips (locally) or fails (CI) when PostgreSQL's server binaries are not installed. */
export function requirePostgres(ctx: Context): void {
  if (postgresBinDir() !== undefined) return;
  if (process.env.CI) throw new Error('PostgreSQL server binaries missing under CI (.ci/run must install postgresql)');
  ctx.skip();
}

const asRoot = process.getuid?.() === 0;

/** Runs a server program as the postgres user when we are root (initdb and postgres refuse root). */
async function runPg(bin: string, program: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const file = join(bin, program);
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  try {
    const { stdout } = await execFileAsync(cmd, argv, { timeout: timeoutMs, cwd: '/' });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${program} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

function postgresUid(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('running as root, but there is no postgres user to run PostgreSQL as');
  return { uid: Number(uid), gid: Number(gid) };
}

export class PostgresCluster {
  private databases = 0;

  private constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly port: number,
    /** -c settings of the server beyond the defaults (TLS). */
    private readonly settings: string[] = [],
  ) {}

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /**
   * initdb + pg_ctl start on a free port; trust auth, reachable on 127.0.0.1 only. fsync stays on. With `tls`, the
   * server also takes TLS connections with that certificate (`ssl=on`; clients choose with sslmode).
   */
  static async start(options: { tls?: { certFile: string; keyFile: string } } = {}): Promise<PostgresCluster> {
    const bin = postgresBinDir();
    if (bin === undefined) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/<major>/bin/initdb; set PG_BIN)');
    const dir = mkdtempSync(join(tmpdir(), 'pag-pg-'));
    if (asRoot) {
      const { uid, gid } = postgresUid();
      chownSync(dir, uid, gid);
    }
    const settings: string[] = [];
    if (options.tls !== undefined) {
      // The server reads them as the postgres user, and refuses a key others can read.
      const cert = join(dir, 'server.crt');
      const key = join(dir, 'server.key');
      copyFileSync(options.tls.certFile, cert);
      copyFileSync(options.tls.keyFile, key);
      chmodSync(key, 0o600);
      if (asRoot) {
        const { uid, gid } = postgresUid();
        chownSync(cert, uid, gid);
        chownSync(key, uid, gid);
      }
      settings.push('-c ssl=on', `-c ssl_cert_file=${cert}`, `-c ssl_key_file=${key}`);
    }
    const cluster = new PostgresCluster(bin, dir, await freePort(), settings);
    try {
      // --no-sync: only initdb's own files; the server itself runs with fsync=on, as in production.
      await runPg(bin, 'initdb', ['-D', cluster.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
      await cluster.pgCtl('start');
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return cluster;
  }

  private pgCtl(action: 'start' | 'restart'): Promise<string> {
    const options = [`-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200`, ...this.settings].join(' ');
    return runPg(this.bin, 'pg_ctl', ['-D', this.dataDir, '-l', join(this.dir, 'server.log'), '-w', '-t', '60', '-m', 'fast', '-o', options, action]);
  }

  /** Connection string of a database in this cluster (TCP to 127.0.0.1, the superuser `postgres`). */
  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** A fresh, empty database: one per suite, so suites never see each other's rows. */
  async createDatabase(prefix = 'gw'): Promise<string> {
    const name = `${prefix}_${process.pid}_${++this.databases}`;
    const client = new pg.Client({ connectionString: this.url('postgres') });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return name;
  }

  /** pg_ctl restart -m fast: every connection is closed by the server, as in a failover or an upgrade. */
  async restart(): Promise<void> {
    await this.pgCtl('restart');
  }

  /** Takes the server away (pg_ctl stop -m immediate, as a crash or a power cut would) and keeps its data. */
  async stopServer(): Promise<void> {
    await runPg(this.bin, 'pg_ctl', ['-D', this.dataDir, '-w', '-t', '60', '-m', 'immediate', 'stop']);
  }

  /** Starts the server again after stopServer() (crash recovery replays its WAL). */
  async startServer(): Promise<void> {
    await this.pgCtl('start');
  }

  /** Stops the server (immediate: nothing to keep) and removes its directory. */
  async stop(): Promise<void> {
    try {
      await runPg(this.bin, 'pg_ctl', ['-D', this.dataDir, '-w', '-t', '60', '-m', 'immediate', 'stop']);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** The server's log, for a failing test's message. */
  log(): string {
    const path = join(this.dir, 'server.log');
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }
}

export interface PostgresSuite {
  cluster(): PostgresCluster;
  /** A pool on `database` (one node), ended after the suite unless `release`d first. */
  pool(database: string, options?: { log?: Logger; max?: number }): Pool;
  /** Ends a pool now (a node that goes away). */
  release(pool: Pool): Promise<void>;
  /** A fresh database of its own, migrated to this code's schema. */
  migratedDatabase(prefix?: string): Promise<string>;
}

/**
 * One PostgreSQL cluster for a mocha `describe` block (started in `before`, stopped in `after`, skipped without
 * PostgreSQL except under CI), and the pools its tests open, all ended after it. Call inside `describe`.
 */
export function postgresPerSuite(): PostgresSuite {
  let cluster: PostgresCluster | undefined;
  const pools: Pool[] = [];
  before(async function (this: Context) {
    requirePostgres(this);
    cluster = await PostgresCluster.start();
  });
  after(async () => {
    await Promise.all(pools.splice(0).map((p) => p.end().catch(() => undefined)));
    await cluster?.stop();
  });
  const suite: PostgresSuite = {
    cluster: () => {
      if (cluster === undefined) throw new Error('the PostgreSQL cluster is not started (call postgresPerSuite() inside describe)');
      return cluster;
    },
    pool: (database, options = {}) => {
      const p = openPgPool({ connectionString: suite.cluster().url(database), log: options.log ?? silentLogger, max: options.max ?? 10, connectTimeoutMs: 5_000 });
      pools.push(p);
      return p;
    },
    release: async (p) => {
      const i = pools.indexOf(p);
      if (i >= 0) pools.splice(i, 1);
      await p.end();
    },
    migratedDatabase: async (prefix) => {
      const name = await suite.cluster().createDatabase(prefix);
      const migrator = suite.pool(name, { max: 1 });
      await migratePg(migrator, { node: 'test' });
      await suite.release(migrator);
      return name;
    },
  };
  return suite;
}
