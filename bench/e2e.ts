/**
 * bench:e2e — time from the last instance of a 200-image CT study reaching the gateway to its result objects being
 * stored in Orthanc (the SR, the KOS and the summary image by default), minus the quiet period; split into the
 * analysis share (decode + CNN, as the job measured it) and the rest (job pickup, object builds, outbox, C-STORE).
 * Usage: npm run bench:e2e [-- --results=sr] (the objects the destination lists, comma-separated)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN } from '../test/helpers/daemon.js';
import { generateCtSeries, echoscu } from '../test/helpers/dcmtk.js';
import { freePort, runCleanups, waitFor } from '../test/helpers/fixtures.js';
import { startOrthanc } from '../test/helpers/orthanc.js';

const QUIET_S = 2;
const RESULTS = (process.argv.find((a) => a.startsWith('--results='))?.slice('--results='.length) ?? 'sr,kos,summary').split(',');
/** The Modality each result object arrives with in Orthanc. */
const MODALITY: Record<string, string> = { sr: 'SR', kos: 'KO', summary: 'OT' };

async function main(): Promise<void> {
  const files = await generateCtSeries(200, 77);
  const orthanc = await startOrthanc();
  const dir = mkdtempSync(join(tmpdir(), 'pag-bench-e2e-'));
  const [port, httpPort] = [await freePort(), await freePort()];
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, JSON.stringify({
    dataDir: join(dir, 'var'),
    dicom: { port, studyQuietSeconds: QUIET_S, destinations: [{ name: 'orthanc', aeTitle: orthanc.aeTitle, host: '127.0.0.1', port: orthanc.dicomPort, results: RESULTS }] },
    http: { port: httpPort }, hl7: { enabled: false }, log: { level: 'warn' }, storage: { minFreeBytes: 0 },
  }));
  const daemon = spawn(process.execPath, [MAIN, 'start', '--config', cfg], { stdio: 'ignore' });
  try {
    await waitFor('gateway C-ECHO', async () => (await echoscu(port)).code === 0, 30_000);
    const sender = spawn('storescu', ['-aec', 'AIGATEWAY', '127.0.0.1', String(port), ...files], { stdio: 'ignore', env: { ...process.env, TCP_NODELAY: '1' } });
    await new Promise((r) => sender.once('exit', r));
    const lastInstanceAt = performance.now();
    const wanted = RESULTS.map((r) => MODALITY[r] ?? r);
    const looked = new Set<string>();
    const seen = new Set<string>();
    await waitFor(`${wanted.join(', ')} in Orthanc`, async () => {
      // each instance's tags are read once
      for (const id of await orthanc.instances()) {
        if (looked.has(id)) continue;
        looked.add(id);
        const tags = await orthanc.getJson<Record<string, string>>(`/instances/${id}/simplified-tags`);
        if (tags.Modality !== 'CT') seen.add(tags.Modality ?? '');
      }
      return wanted.every((m) => seen.has(m));
    }, 300_000);
    const totalMs = performance.now() - lastInstanceAt;
    const studies = (await (await fetch(`http://127.0.0.1:${httpPort}/api/studies`)).json()) as Array<{ ai: Array<{ ms: number; backend: string }> }>;
    const analysisMs = studies[0]?.ai[0]?.ms ?? NaN;
    const afterQuiet = totalMs - QUIET_S * 1000;
    console.log(`bench:e2e — 200 CT instances, quiet period ${QUIET_S} s, backend ${studies[0]?.ai[0]?.backend}, node ${process.version}`);
    console.log(`last instance → ${wanted.join(' + ')} in Orthanc: ${(totalMs / 1000).toFixed(2)} s; minus quiet period: ${(afterQuiet / 1000).toFixed(2)} s (target < 2 s)`);
    console.log(`  analysis (decode + preprocess + CNN, 200 slices): ${(analysisMs / 1000).toFixed(2)} s (${((analysisMs / afterQuiet) * 100).toFixed(0)}%)`);
    console.log(`  rest (completion timer slack, job pickup, SR/KOS/summary build, outbox, C-STORE to Orthanc, polling): ${((afterQuiet - analysisMs) / 1000).toFixed(2)} s`);
  } finally {
    daemon.kill('SIGTERM');
    await orthanc.stop();
    runCleanups();
  }
}

await main();
