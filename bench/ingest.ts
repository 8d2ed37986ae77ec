/**
 * bench:ingest — the same 500 CT instances (512×512, 16-bit) sent by DCMTK storescu over 1 and 4 associations
 * to the gateway (fsync + index) and to DCMTK storescp (writing files, no fsync), in one run.
 * Prints images/s, MB/s, peak RSS and the ratio gateway/storescp. Usage: npm run bench:ingest [-- --reps N]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bindShim, echoscu } from '../test/helpers/dcmtk.js';
import { MAIN } from '../test/helpers/daemon.js';
import { freePort, listFiles, waitFor } from '../test/helpers/fixtures.js';
import { ctDataset, median, storescuParallel } from './load.js';

const COUNT = 500;
const repsArg = process.argv.indexOf('--reps');
const REPS = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 3;

interface Receiver {
  name: string;
  start(dir: string): Promise<{ port: number; aeTitle: string; proc: ChildProcess; stored: () => number }>;
}

/** RSS of a process and its children, in bytes (Linux /proc). */
function treeRss(pid: number): number {
  let total = 0;
  const visit = (p: number): void => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const m = /VmRSS:\s+(\d+) kB/.exec(status);
      if (m) total += Number(m[1]) * 1024;
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        for (const c of children.split(/\s+/).filter(Boolean)) visit(Number(c));
      }
    } catch {
      /* process ended while sampling */
    }
  };
  visit(pid);
  return total;
}

const gateway: Receiver = {
  name: 'gateway (fsync + SQLite)',
  async start(dir) {
    const port = await freePort();
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, JSON.stringify({ dataDir: join(dir, 'var'), dicom: { port, studyQuietSeconds: 3600 }, http: { port: 0 }, log: { level: 'warn' }, storage: { minFreeBytes: 0 } }));
    const proc = spawn(process.execPath, [MAIN, 'start', '--config', cfg], { stdio: 'ignore' });
    await waitFor('gateway C-ECHO', async () => (await echoscu(port)).code === 0, 20_000);
    return { port, aeTitle: 'AIGATEWAY', proc, stored: () => listFiles(join(dir, 'var', 'spool')).filter((f) => f.endsWith('.dcm')).length };
  },
};

function storescp(name: string, extra: string[]): Receiver {
  return {
    name,
    async start(dir) {
      const port = await freePort();
      const out = join(dir, 'out');
      mkdirSync(out);
      const proc = spawn('storescp', ['--fork', ...extra, '-aet', 'STORESCP', '-od', out, String(port)], {
        stdio: 'ignore',
        env: { ...process.env, TCP_NODELAY: '1', LD_PRELOAD: bindShim() },
      });
      await waitFor('storescp C-ECHO', async () => (await echoscu(port, { calledAe: 'STORESCP' })).code === 0, 20_000);
      return { port, aeTitle: 'STORESCP', proc, stored: () => readdirSync(out).length };
    },
  };
}

async function runOnce(receiver: Receiver, files: string[], assocs: number): Promise<{ seconds: number; peakRss: number }> {
  const dir = join(tmpdir(), `pag-bench-run-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const rx = await receiver.start(dir);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, treeRss(rx.proc.pid as number))), 20);
  const seconds = await storescuParallel(rx.port, rx.aeTitle, files, assocs);
  clearInterval(sampler);
  const stored = rx.stored();
  rx.proc.kill('SIGTERM');
  await new Promise((r) => rx.proc.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  if (stored !== files.length) throw new Error(`${receiver.name}: stored ${stored} of ${files.length}`);
  return { seconds, peakRss: peak };
}

async function main(): Promise<void> {
  const files = ctDataset(COUNT);
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const receivers = [gateway, storescp('storescp (TCP_NODELAY=1, no fsync)', []), storescp('storescp +B (bit-preserving, no fsync)', ['+B'])];
  console.log(`bench:ingest — ${files.length} CT instances, ${(bytes / 1e6).toFixed(1)} MB, ${REPS} repetitions (median), node ${process.version}`);
  const rows: Array<{ receiver: string; assocs: number; ips: number; mbps: number; rssMb: number }> = [];
  for (const assocs of [1, 4]) {
    for (const r of receivers) {
      const runs = [];
      for (let i = 0; i < REPS; i++) runs.push(await runOnce(r, files, assocs));
      const secs = median(runs.map((x) => x.seconds));
      rows.push({ receiver: r.name, assocs, ips: files.length / secs, mbps: bytes / 1e6 / secs, rssMb: Math.max(...runs.map((x) => x.peakRss)) / 1e6 });
    }
  }
  console.log('\n| receiver | assocs | images/s | MB/s | peak RSS MB | gateway / this |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const gw = rows.find((x) => x.assocs === row.assocs && x.receiver === gateway.name) as (typeof rows)[number];
    console.log(`| ${row.receiver} | ${row.assocs} | ${row.ips.toFixed(0)} | ${row.mbps.toFixed(0)} | ${row.rssMb.toFixed(0)} | ${(gw.ips / row.ips).toFixed(2)}× |`);
  }
}

await main();
