/**
 * bench:ingest-analysis — does analysis stall receiving? In each of ROUNDS rounds, LOAD CT instances are sent by
 * storescu over 4 associations twice: once with nothing else going on, once started the moment a (new) 300-slice CT
 * study begins its analysis by the demo model. LOAD is small enough that the busy transfer ends before the analysis
 * does (printed as the overlap), so the whole transfer is measured under analysis. Prints each round and the
 * median drop (target < 20 %). This VM's disk latency varies run to run: compare rounds, not single numbers.
 * Usage: npm run bench:ingest-analysis
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN } from '../test/helpers/daemon.js';
import { echoscu, generateCtSeries } from '../test/helpers/dcmtk.js';
import { freePort, runCleanups, waitFor } from '../test/helpers/fixtures.js';

const QUIET_S = 2;
const ROUNDS = 5;
const LOAD = 120;

interface Study {
  accessionNumber: string;
  status: string;
  ai: Array<{ ms: number }>;
}

async function storescu(port: number, files: string[], assocs: number): Promise<number> {
  const per = Math.ceil(files.length / assocs);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: assocs }, (_, i) =>
      new Promise<void>((resolve, reject) => {
        const p = spawn('storescu', ['-aet', `B${i}`, '-aec', 'AIGATEWAY', '127.0.0.1', String(port), ...files.slice(i * per, (i + 1) * per)], { stdio: 'ignore', env: { ...process.env, TCP_NODELAY: '1' } });
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`storescu exited ${code}`))));
      }),
    ),
  );
  return files.length / ((performance.now() - t0) / 1000);
}

const acc = (seed: number): string => `BENCH${String(seed).padStart(4, "0")}`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pag-bench-ia-'));
  const [port, httpPort] = [await freePort(), await freePort()];
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, JSON.stringify({ dataDir: join(dir, 'var'), dicom: { port, studyQuietSeconds: QUIET_S }, http: { port: httpPort }, hl7: { enabled: false }, log: { level: 'warn' }, storage: { minFreeBytes: 0 } }));
  const daemon = spawn(process.execPath, [MAIN, 'start', '--config', cfg], { stdio: 'ignore' });
  const studies = async (): Promise<Study[]> => (await (await fetch(`http://127.0.0.1:${httpPort}/api/studies`)).json()) as Study[];
  const settled = (acc: string) => async () => (await studies()).find((s) => s.accessionNumber === acc && s.ai.length > 0);
  const drops: number[] = [];
  try {
    await waitFor('gateway C-ECHO', async () => (await echoscu(port)).code === 0, 30_000);
    console.log(`bench:ingest-analysis — ${LOAD} CT instances over 4 associations, idle vs during a 300-slice analysis, ${ROUNDS} rounds, node ${process.version}`);
    for (let r = 0; r < ROUNDS; r++) {
      const seed = 400 + r * 10;
      const [analysed, loadIdle, loadBusy] = [await generateCtSeries(300, seed), await generateCtSeries(LOAD, seed + 1), await generateCtSeries(LOAD, seed + 2)];
      const t0 = performance.now();
      const idle = await storescu(port, loadIdle, 4);
      await waitFor('the idle load study to be analysed', settled(acc(seed + 1)), 120_000);
      await storescu(port, analysed, 4);
      await waitFor('the 300-slice study to start its analysis', async () => (await studies()).find((s) => s.accessionNumber === acc(seed) && s.status === 'analyzing'), 30_000);
      const busyStart = performance.now();
      const busy = await storescu(port, loadBusy, 4);
      const busyMs = performance.now() - busyStart;
      const done = await waitFor('the 300-slice analysis', settled(acc(seed)), 120_000);
      await waitFor('the busy load study to be analysed', settled(acc(seed + 2)), 120_000);
      const drop = 100 * (1 - busy / idle);
      drops.push(drop);
      const analysisMs = done.ai[0]?.ms ?? NaN;
      console.log(`round ${r + 1}: idle ${idle.toFixed(0)} img/s; during analysis ${busy.toFixed(0)} img/s (transfer ${(busyMs / 1000).toFixed(2)} s, analysis ${(analysisMs / 1000).toFixed(2)} s in all); drop ${drop.toFixed(1)} % (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    console.log(`median drop ${median(drops).toFixed(1)} % (target < 20 %)`);
  } finally {
    daemon.kill('SIGTERM');
    runCleanups();
  }
}

await main();
