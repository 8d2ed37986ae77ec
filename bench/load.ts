/**
 * The loads the benches send, in one place so that bench:ingest, bench:hl7 and bench:cluster measure the same
 * thing: the 500-CT set (bench/gen_ct.py, cached in the temp dir) sent by DCMTK storescu over N associations,
 * and a realistic ~3 KB ORU^R01 sent over N MLLP connections, each message awaited until ACKed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MllpClient } from '../src/hl7/index.js';
import { silentLogger } from '../src/log.js';
import { REPO_ROOT } from '../test/helpers/fixtures.js';

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** `count` synthetic CT instances (512×512, 16-bit; seed 99), generated once and kept in the temp dir. */
export function ctDataset(count = 500): string[] {
  const dir = join(tmpdir(), `pag-bench-ct-${count}`);
  const expected = Array.from({ length: count }, (_, i) => join(dir, `ct${String(i + 1).padStart(4, '0')}.dcm`));
  if (!expected.every((f) => existsSync(f))) {
    mkdirSync(dir, { recursive: true });
    const r = spawnSync('/usr/bin/python3', [join(REPO_ROOT, 'bench/gen_ct.py'), dir, String(count), '99'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('gen_ct.py failed');
  }
  return expected;
}

/**
 * Sends `files` split over `assocs` concurrent storescu associations (Nagle off); resolves with the seconds from
 * the first association request to the last one's end. Any storescu that fails rejects.
 */
export async function storescuParallel(port: number, calledAe: string, files: string[], assocs: number): Promise<number> {
  const per = Math.ceil(files.length / assocs);
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: assocs }, (_, i) => {
      const part = files.slice(i * per, (i + 1) * per);
      return new Promise<void>((resolve, reject) => {
        const p = spawn('storescu', ['-aet', `BENCH${i}`, '-aec', calledAe, '127.0.0.1', String(port), ...part], { stdio: 'ignore', env: { ...process.env, TCP_NODELAY: '1' } });
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`storescu to port ${port} exited ${code}`))));
      });
    }),
  );
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export const REPORT = [
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

/** Report `i` as an ORU^R01 (~3 KB): its own MSH-10 and accession, the same text. */
export function oruMessage(i: number): string {
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

/**
 * Sends `total` messages (numbered from `offset`) over `connections` kept-open MLLP connections, each waiting for
 * its ACK before the next; resolves with ACKed messages/s. Anything but AA/CA rejects.
 */
export async function mllpBlast(port: number, total: number, connections: number, offset: number): Promise<number> {
  const per = Math.ceil(total / connections);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      const client = new MllpClient({ host: '127.0.0.1', port, connectTimeoutMs: 5000, ackTimeoutMs: 30_000, keepAlive: true }, { log: silentLogger });
      for (let k = 0; k < per; k++) {
        const r = await client.send(oruMessage(offset + c * per + k));
        if (r.kind !== 'accepted') throw new Error(`message not accepted: ${r.kind} ${r.detail.message}`);
      }
      await client.close();
    }),
  );
  return (per * connections) / ((performance.now() - t0) / 1000);
}
