/**
 * bench:ingest-analysis — does analysis stall receiving? 250 CT instances sent by storescu over 4 associations
 * to the gateway twice: once with nothing else going on, once started the moment a 300-slice CT study begins its
 * analysis by the demo model. Prints both rates, the drop (target < 20 %) and how long the analysis took.
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

async function main(): Promise<void> {
  const analysed = await generateCtSeries(300, 301);
  const loadIdle = await generateCtSeries(250, 302);
  const loadBusy = await generateCtSeries(250, 303);
  const dir = mkdtempSync(join(tmpdir(), 'pag-bench-ia-'));
  const [port, httpPort] = [await freePort(), await freePort()];
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, JSON.stringify({ dataDir: join(dir, 'var'), dicom: { port, studyQuietSeconds: QUIET_S }, http: { port: httpPort }, hl7: { enabled: false }, log: { level: 'warn' }, storage: { minFreeBytes: 0 } }));
  const daemon = spawn(process.execPath, [MAIN, 'start', '--config', cfg], { stdio: 'ignore' });
  const studies = async (): Promise<Study[]> => (await (await fetch(`http://127.0.0.1:${httpPort}/api/studies`)).json()) as Study[];
  const settled = (acc: string) => async () => (await studies()).find((s) => s.accessionNumber === acc && s.ai.length > 0);
  try {
    await waitFor('gateway C-ECHO', async () => (await echoscu(port)).code === 0, 30_000);
    const idle = await storescu(port, loadIdle, 4);
    await waitFor('the idle load study to be analysed', settled('BENCH0302'), 120_000);
    await storescu(port, analysed, 4);
    await waitFor('the 300-slice study to start its analysis', async () => (await studies()).find((s) => s.accessionNumber === 'BENCH0301' && s.status === 'analyzing'), 30_000);
    const busy = await storescu(port, loadBusy, 4);
    const done = await waitFor('the 300-slice analysis', settled('BENCH0301'), 120_000);
    console.log(`bench:ingest-analysis — 250 CT instances over 4 associations, node ${process.version}`);
    console.log(`idle: ${idle.toFixed(0)} img/s; while a 300-slice study is analysed (${((done.ai[0]?.ms ?? NaN) / 1000).toFixed(2)} s of analysis): ${busy.toFixed(0)} img/s; drop ${(100 * (1 - busy / idle)).toFixed(1)} % (target < 20 %)`);
  } finally {
    daemon.kill('SIGTERM');
    runCleanups();
  }
}

await main();
