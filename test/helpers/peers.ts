/**
 * Real peers (DCMTK, dicom3tools, Orthanc, python3-hl7) for interop tests. A missing peer skips the test on a
 * developer machine and fails it under CI, where .ci/run must have installed it.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Context } from 'mocha';

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Skips (locally) or fails (CI) when any of the commands is missing. */
export function requirePeers(ctx: Context, ...cmds: string[]): void {
  const missing = cmds.filter((c) => !hasCommand(c));
  if (missing.length === 0) return;
  if (process.env.CI) throw new Error(`peer programs missing under CI: ${missing.join(', ')} (.ci/run must install them)`);
  ctx.skip();
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a peer to completion (with DCMTK's Nagle off) and collects its output. */
export function run(cmd: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, TCP_NODELAY: '1', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A peer that exits at once (e.g. connection refused) closes its stdin: its exit code and output tell why, not EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

export function spawnPeer(cmd: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(cmd, args, { ...options, env: { ...process.env, TCP_NODELAY: '1', ...options.env } });
}

/**
 * A long-running peer this test process owns: killed if the test process exits first, and stopped with SIGTERM, then
 * SIGKILL after 5 s; the returned stop() resolves once it has exited and is safe to call twice.
 */
export function ownedPeer(child: ChildProcess): () => Promise<void> {
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  return () =>
    new Promise((resolve) => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
}
