/**
 * kill -9 while storescu sends 500 instances, then restart: every instance that got Success is on disk,
 * indexed, and its study completes. Nothing acknowledged is lost.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { generateCtSeries } from '../helpers/dcmtk.js';
import { startDaemon } from '../helpers/daemon.js';
import { runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { requirePeers, spawnPeer } from '../helpers/peers.js';

describe('e2e: crash during ingest', function () {
  this.timeout(300_000);
  after(runCleanups);

  it('keeps every acknowledged instance across kill -9 and completes the study after restart', async function () {
    requirePeers(this, 'storescu', '/usr/bin/python3');
    const files = await generateCtSeries(500, 7);
    const dataDir = join(tempDir('pag-crash-'), 'var');
    const config = { dataDir, dicom: { port: 0, studyQuietSeconds: 1 }, http: { port: 0 }, storage: { minFreeBytes: 0 } };
    const first = await startDaemon(config);

    const sender = spawnPeer('storescu', ['-v', '-aec', 'AIGATEWAY', '127.0.0.1', String(first.dicomPort), ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    sender.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    sender.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const senderDone = new Promise<void>((resolve) => sender.on('exit', () => resolve()));
    await waitFor('100 acknowledged instances', () => (out.match(/Received Store Response \(Success\)/g) ?? []).length >= 100, 120_000);
    first.child.kill('SIGKILL');
    await first.exited;
    await senderDone;

    // storescu sends in order and waits for each response: the first N files are the acknowledged ones.
    const acknowledged = (out.match(/Received Store Response \(Success\)/g) ?? []).length;
    expect(acknowledged).to.be.at.least(100).and.below(500);

    const second = await startDaemon(config);
    try {
      const db = new Database(join(dataDir, 'gateway.sqlite'), { readonly: true });
      const rows = db.prepare<[], { sop_instance_uid: string; path: string; size_bytes: number; instance_number: number }>('SELECT sop_instance_uid, path, size_bytes, instance_number FROM instances').all();
      db.close();
      const numbers = new Set(rows.map((r) => r.instance_number));
      for (let i = 1; i <= acknowledged; i++) expect(numbers.has(i), `instance ${i} acknowledged but not indexed`).to.equal(true);
      for (const r of rows) {
        const file = join(dataDir, 'spool', r.path);
        expect(existsSync(file), r.path).to.equal(true);
        expect(statSync(file).size).to.equal(r.size_bytes);
      }
      const study = await waitFor('the study to complete after restart', async () => {
        const res = await fetch(`http://127.0.0.1:${second.httpPort}/api/studies`);
        const body = (await res.json()) as Array<{ accessionNumber: string; status: string; instanceCount: number }>;
        return body.find((s) => s.accessionNumber === 'BENCH0007' && s.status !== 'receiving'); // complete, then analysed
      });
      expect(study.instanceCount).to.equal(rows.length);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
