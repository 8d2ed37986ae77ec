/** DCMTK peers for tests: echoscu/storescu/dcmsend wrappers and a bit-preserving storescp kept on loopback. */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, freePort, tempDir, waitFor } from './fixtures.js';
import { run, spawnPeer, type RunResult } from './peers.js';

let shimPath: string | undefined;

/** Compiles the bind-to-loopback LD_PRELOAD shim once per test run. */
export function bindShim(): string {
  if (shimPath !== undefined && existsSync(shimPath)) return shimPath;
  const out = join(tempDir('pag-shim-'), 'bind127.so');
  execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', out, join(REPO_ROOT, 'test/helpers/native/bind127.c'), '-ldl']);
  shimPath = out;
  return out;
}

export function echoscu(port: number, options: { callingAe?: string; calledAe?: string; extra?: string[] } = {}): Promise<RunResult> {
  return run('echoscu', [...(options.extra ?? []), '-aet', options.callingAe ?? 'ECHOSCU', '-aec', options.calledAe ?? 'AIGATEWAY', '127.0.0.1', String(port)], { timeoutMs: 20_000 });
}

/** dcmsend proposes each file's own transfer syntax, so compressed files travel as they are. */
export function dcmsend(port: number, files: string[], options: { callingAe?: string; calledAe?: string } = {}): Promise<RunResult> {
  return run('dcmsend', ['-aet', options.callingAe ?? 'DCMSEND', '-aec', options.calledAe ?? 'AIGATEWAY', '127.0.0.1', String(port), ...files], { timeoutMs: 120_000 });
}

export function storescu(port: number, files: string[], options: { callingAe?: string; calledAe?: string; extra?: string[] } = {}): Promise<RunResult> {
  return run('storescu', ['-v', ...(options.extra ?? []), '-aet', options.callingAe ?? 'STORESCU', '-aec', options.calledAe ?? 'AIGATEWAY', '127.0.0.1', String(port), ...files], {
    timeoutMs: 300_000,
  });
}

/** Lines of storescu -v output that confirm a stored instance, in send order. */
export function storeResponses(output: string): string[] {
  return [...output.matchAll(/Received Store Response \(([^)]*)\)/g)].map((m) => m[1] as string);
}

export interface Storescp {
  port: number;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * DCMTK storescp in bit-preserving mode accepting every transfer syntax: the byte-exactness reference.
 * `port`: a port chosen earlier with freePort() (e.g. a destination that was down until now).
 * `tls`: its +tls options, and the echoscu options that can reach it (readiness is a C-ECHO).
 */
export async function startStorescp(aeTitle = 'REFSCP', options: { port?: number; tls?: { serverArgs: string[]; echoArgs: string[] } } = {}): Promise<Storescp> {
  const { tls } = options;
  const dir = tempDir('pag-storescp-');
  mkdirSync(dir, { recursive: true });
  const port = options.port ?? (await freePort());
  const child = spawnPeer('storescp', ['+B', '+xa', ...(tls?.serverArgs ?? []), '-aet', aeTitle, '-od', dir, String(port)], {
    env: { LD_PRELOAD: bindShim() },
    stdio: 'ignore',
  });
  await waitFor('storescp to answer C-ECHO', async () => (await echoscu(port, { calledAe: aeTitle, extra: tls?.echoArgs ?? [] })).code === 0, 15_000);
  return {
    port,
    dir,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Generates N synthetic CT instances (bench/gen_ct.py, pydicom) into a new temp folder. */
export async function generateCtSeries(count: number, seed: number): Promise<string[]> {
  const dir = tempDir('pag-ct-');
  const r = await run('/usr/bin/python3', [join(REPO_ROOT, 'bench/gen_ct.py'), dir, String(count), String(seed)], { timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`gen_ct.py failed: ${r.stderr}`);
  return Array.from({ length: count }, (_, i) => join(dir, `ct${String(i + 1).padStart(4, '0')}.dcm`));
}
