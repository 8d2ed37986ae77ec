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

const TOTAL = 2000;

const REPORT = [
  'EXAMINATION: CT CHEST WITH CONTRAST.',
  'INDICATION: Cough and weight loss. Evaluate for mass.',
  'COMPARISON: Chest radiograph from 3 months prior.',
  'TECHNIQUE: Axial images were obtained through the chest after intravenous contrast. Coronal and sagittal reformats were reviewed.',
  'FINDINGS: There is an 8 mm solid nodule in the right upper lobe, series 3 image 45, not seen on the prior radiograph.',
  'A second 4 mm nodule is present in the left lower lobe. No consolidation. No pleural effusion or pneumothorax.',
  'The heart is normal in size. No pericardial effusion. The thoracic aorta is normal in caliber.',
  'No mediastinal, hilar or axillary lymphadenopathy by size criteria. The central airways are patent.',
  'Mild centrilobular emphysema in the upper lobes. Mild bibasilar atelectasis.',
  'The visualized upper abdomen shows a small hypodense lesion in the liver, too small to characterize, likely a cyst.',
  'Degenerative changes of the thoracic spine. No acute fracture. No suspicious osseous lesion.',
  'IMPRESSION: 1. 8 mm right upper lobe nodule, new since the prior radiograph. Follow-up CT in 3 months is recommended.',
  '2. 4 mm left lower lobe nodule. 3. Mild emphysema. 4. No pleural effusion, no pneumothorax, no consolidation.',
];

function message(i: number): string {
  const obx = REPORT.map((l, k) => `OBX|${k + 1}|TX|59776-5^Procedure Findings^LN||${l}||||||F`);
  return [
    `MSH|^~\\&|RIS|HOSP|AIGW|HOSP|20261130120000||ORU^R01^ORU_R01|BENCH${String(i).padStart(6, '0')}|P|2.5.1|||AL|NE||UNICODE UTF-8`,
    'PID|1||PID123^^^HOSP^MR||DOE^JANE^A||19600101|F|||1 MAIN ST^^CITY^ST^12345||555-0100',
    'PV1|1|O|RAD^^^HOSP||||1234^REFERRING^DOCTOR|||||||||||V0001',
    `ORC|RE|ORD${i}|ACC${i}||CM`,
    `OBR|1|ORD${i}|ACC${i}|71260^CT CHEST WITH CONTRAST^CPT|||20261130110000|||||||||1234^REFERRING^DOCTOR||||||20261130120000|||F||||||||5678&RADIOLOGIST&ANNA`,
    ...obx,
    ...Array.from({ length: 6 }, (_, k) => `NTE|${k + 1}||Addendum line ${k + 1}: dictated and signed electronically; see PACS for key images and measurements.`),
  ].join('\r');
}

async function blast(port: number, connections: number, offset: number): Promise<number> {
  const per = Math.ceil(TOTAL / connections);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      const client = new MllpClient({ host: '127.0.0.1', port, connectTimeoutMs: 5000, ackTimeoutMs: 30_000, keepAlive: true }, { log: silentLogger });
      for (let k = 0; k < per; k++) {
        const r = await client.send(message(offset + c * per + k));
        if (r.kind !== 'accepted') throw new Error(`message not accepted: ${r.kind} ${r.detail.message}`);
      }
      await client.close();
    }),
  );
  return (per * connections) / ((performance.now() - t0) / 1000);
}

const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  console.log(`bench:hl7 — ${TOTAL} ORU^R01 of ${Buffer.byteLength(message(0))} bytes per run, ${ROUNDS} rounds after a warm-up, node ${process.version}`);
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
      return (await c.send(message(999_999))).kind === 'accepted';
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
