/**
 * bench:hl7 — ACKed messages/s through MLLP for a realistic ~3 KB ORU^R01: the daemon (parse → SQLite commit →
 * ACK AA) side by side with the same MLLP server answering AA without storing anything (the transport's own
 * ceiling, bench/hl7-bare-server.ts, its own process like the daemon), over 1 and 8 connections, after a warm-up,
 * median of several rounds; then reports/s through the report NLP (model + rules) on the same text.
 * Usage: npm run bench:hl7 [-- --rounds N]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MllpClient } from '../src/hl7/index.js';
import { silentLogger } from '../src/log.js';
import { analyzeReport, loadNerModel } from '../src/nlp/index.js';
import { MAIN } from '../test/helpers/daemon.js';
import { freePort, waitFor } from '../test/helpers/fixtures.js';
import { REPORT, median, mllpBlast, oruMessage } from './load.js';

const TOTAL = 2000;
const blast = (port: number, connections: number, offset: number): Promise<number> => mllpBlast(port, TOTAL, connections, offset);

const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;

async function main(): Promise<void> {
  console.log(`bench:hl7 — ${TOTAL} ORU^R01 of ${Buffer.byteLength(oruMessage(0))} bytes per run, ${ROUNDS} rounds after a warm-up, node ${process.version}`);
  const dir = mkdtempSync(join(tmpdir(), 'pag-bench-hl7-'));
  const hl7Port = await freePort();
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, JSON.stringify({ dataDir: join(dir, 'var'), dicom: { port: 0 }, http: { port: 0 }, hl7: { port: hl7Port, maxConnections: 64 }, models: [], log: { level: 'warn' }, storage: { minFreeBytes: 0 } }));
  // The reference is its own process, like the daemon, so both get the same share of the machine.
  const bare = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'hl7-bare-server.js')], { stdio: ['ignore', 'pipe', 'ignore'] });
  const daemon = spawn(process.execPath, [MAIN, 'start', '--config', cfg], { stdio: 'ignore' });
  try {
    const barePort = await new Promise<number>((resolve, reject) => {
      bare.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      bare.once('exit', (code) => reject(new Error(`the reference MLLP server exited (${code})`)));
    });
    await waitFor('the daemon to ACK', async () => {
      const c = new MllpClient({ host: '127.0.0.1', port: hl7Port, connectTimeoutMs: 500, ackTimeoutMs: 5000, keepAlive: false }, { log: silentLogger });
      return (await c.send(oruMessage(999_999))).kind === 'accepted';
    }, 30_000);
    // Warm-up, not measured: V8 compiles the hot paths, SQLite's WAL file grows to its working size, the daemon
    // finishes loading the NER model. A long-running daemon is past all three.
    let offset = 0;
    for (const port of [barePort, hl7Port]) await blast(port, 8, (offset += TOTAL));
    const rates: Record<string, number[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const connections of [1, 8]) {
        for (const [name, port] of [['bare', barePort], ['daemon', hl7Port]] as const) {
          (rates[`${name}-${connections}`] ??= []).push(await blast(port, connections, (offset += TOTAL)));
        }
      }
    }
    const cell = (k: string): string => `${median(rates[k] ?? []).toFixed(0)} (${(rates[k] ?? []).map((r) => r.toFixed(0)).join(', ')})`;
    console.log('\n| receiver | connections | ACKed messages/s: median (rounds) | daemon / bare |');
    console.log('| --- | --- | --- | --- |');
    for (const connections of [1, 8]) {
      console.log(`| reference MLLP server (parse, ACK, no storage) | ${connections} | ${cell(`bare-${connections}`)} | |`);
      const ratio = median(rates[`daemon-${connections}`] ?? []) / median(rates[`bare-${connections}`] ?? []);
      console.log(`| daemon (parse, commit, ACK AA) | ${connections} | ${cell(`daemon-${connections}`)} | ${ratio.toFixed(2)}× |`);
    }
  } finally {
    daemon.kill('SIGTERM');
    bare.kill('SIGTERM');
  }
  const text = REPORT.join('\n');
  const ner = await loadNerModel();
  await analyzeReport(text, { ner });
  const n = 200;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await analyzeReport(text, { ner });
  const withModel = n / ((performance.now() - t0) / 1000);
  const t1 = performance.now();
  for (let i = 0; i < n; i++) await analyzeReport(text, { ner: null });
  const rulesOnly = n / ((performance.now() - t1) / 1000);
  await ner.dispose();
  console.log(`\nreport NLP on the same ${Buffer.byteLength(text)}-byte report text: ${withModel.toFixed(0)} reports/s (model + rules), ${rulesOnly.toFixed(0)} reports/s (rules only) — target ≥ 50`);
}

await main();
