/** Runs the built daemon (dist/src/main.js) as a child process, the way an operator would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir, waitFor } from './fixtures.js';

export const MAIN = join(REPO_ROOT, 'dist', 'src', 'main.js');

export interface DaemonProcess {
  child: ChildProcess;
  dicomPort: number;
  httpPort: number;
  hl7Port: number | undefined;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `pacs-ai-gateway start --config <file>` and waits for its "gateway started" log line. */
export async function startDaemon(config: Record<string, unknown>, options: { cwd?: string } = {}): Promise<DaemonProcess> {
  const file = join(tempDir('pag-cfg-'), 'config.yaml');
  // Tests never take the fixed MLLP port unless they say so.
  const withHl7 = { ...config, hl7: { port: 0, ...(config.hl7 as Record<string, unknown> | undefined) } };
  writeFileSync(file, JSON.stringify(withHl7, null, 2)); // JSON is YAML
  return spawnDaemon(['start', '--config', file], options.cwd);
}

export async function spawnDaemon(args: string[], cwd?: string): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: cwd ?? REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = await waitFor(
    'the daemon to log "gateway started"',
    () => {
      if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}:\n${out}`);
      const line = out.split('\n').find((l) => l.includes('"gateway started"'));
      return line === undefined ? undefined : (JSON.parse(line) as { dicom: string; http: string; hl7: string });
    },
    20_000,
  );
  const portOf = (hostPort: string): number => Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
  const hl7Port = started.hl7 === 'disabled' || started.hl7 === 'off' ? undefined : portOf(started.hl7);
  return { child, dicomPort: portOf(started.dicom), httpPort: portOf(started.http), hl7Port, output: () => out, exited };
}
