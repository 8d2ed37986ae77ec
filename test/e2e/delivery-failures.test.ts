/**
 * Delivery when things go wrong: the PACS is down when the SR is ready, the daemon is killed (-9) and restarted,
 * and the PACS comes back once the new process has retried and failed too (delivered exactly once); a bad
 * destination (wrong AE title) dead-letters with the peer's reason while another destination keeps delivering,
 * and `resend` delivers it once fixed.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { REPO_ROOT, freePort, runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { startOrthanc, type Orthanc } from '../helpers/orthanc.js';
import { requirePeers, run } from '../helpers/peers.js';

const SAMPLE = join(REPO_ROOT, 'sample-dicom', 'DEMO002-negative');
const files = (): string[] => readdirSync(SAMPLE).filter((f) => f.endsWith('.dcm')).map((f) => join(SAMPLE, f));

interface OutboxJson {
  id: number;
  destination: string;
  state: string;
  attempts: number;
  lastError: string | null;
}

async function outboxOf(d: DaemonProcess): Promise<OutboxJson[]> {
  return (await (await fetch(`http://127.0.0.1:${d.httpPort}/api/outbox`)).json()) as OutboxJson[];
}

/** The outbox rows' attempt counts, read from the database file (the daemon is not running). */
function outboxAttempts(dataDir: string): number[] {
  const db = new Database(join(dataDir, 'gateway.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT attempts FROM outbox ORDER BY id').all() as Array<{ attempts: number }>).map((r) => r.attempts);
  } finally {
    db.close();
  }
}

async function srCount(orthanc: Orthanc): Promise<number> {
  const ids = await orthanc.instances();
  let n = 0;
  for (const id of ids) if ((await orthanc.getJson<Record<string, string>>(`/instances/${id}/simplified-tags`)).Modality === 'SR') n++;
  return n;
}

describe('e2e: delivery failures', function () {
  this.timeout(240_000);
  after(runCleanups);

  it('PACS down when the SR is ready, back after a kill -9 and restart: the new process retries the row, delivers it exactly once', async function () {
    requirePeers(this, 'Orthanc', 'dcmsend', 'cc');
    let orthanc = await startOrthanc();
    const reuse = { dir: orthanc.dir, dicomPort: orthanc.dicomPort, httpPort: orthanc.httpPort };
    await orthanc.stop(); // the PACS is down from the start
    const dataDir = join(tempDir('pag-down-'), 'var');
    // Ports from freePort(), never 0: an OS-chosen port could be the one the stopped Orthanc will come back on.
    const config = {
      dataDir,
      dicom: { port: await freePort(), studyQuietSeconds: 1, destinations: [{ name: 'pacs', aeTitle: 'ORTHANC', host: '127.0.0.1', port: reuse.dicomPort }] },
      http: { port: await freePort() },
      hl7: { port: await freePort() },
      storage: { minFreeBytes: 0 },
      // short back-off: the retries this test waits for come within a second or two
      outbox: { baseDelayMs: 200, maxDelayMs: 1000, maxAttempts: 100 },
    };
    let daemon = await startDaemon(config);
    const sent = await run('dcmsend', ['-aec', 'AIGATEWAY', '127.0.0.1', String(daemon.dicomPort), ...files()]);
    expect(sent.code, sent.stderr).to.equal(0);
    // the row fails and waits for its retry (pending) or is being retried right now (sending)
    await waitFor('a failed delivery attempt', async () => (await outboxOf(daemon)).find((o) => o.attempts >= 1 && o.lastError !== null), 60_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n--- daemon log ---\n${daemon.output().split('\n').slice(-30).join('\n')}`);
    });
    const [row] = await outboxOf(daemon);
    expect(row?.lastError).to.match(/ECONNREFUSED|connection/i);

    // kill -9 while the row waits: it survives and is retried by the next process
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    const attemptsAtKill = outboxAttempts(dataDir);
    expect(attemptsAtKill, 'the row is in the database after kill -9').to.have.length(1);
    const killedAt = attemptsAtKill[0] as number;
    daemon = await startDaemon({ ...config, dicom: { ...config.dicom } });
    // The PACS comes back only once the new process has tried the row itself (and failed: the PACS is still down).
    await waitFor('the restarted daemon to retry the row and fail', async () => {
      const [r] = await outboxOf(daemon);
      return r !== undefined && r.attempts > killedAt && r.state !== 'delivered' && /ECONNREFUSED|connection/i.test(r.lastError ?? '');
    }, 30_000);
    orthanc = await startOrthanc({ reuse });
    try {
      await waitFor('the SR to be delivered', async () => (await outboxOf(daemon)).every((o) => o.state === 'delivered'), 60_000);
      expect(await srCount(orthanc), 'Orthanc holds exactly one SR').to.equal(1);
      const rows = await outboxOf(daemon);
      expect(rows).to.have.length(1);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
      await orthanc.stop();
    }
  });

  it('a wrong AE title dead-letters with the peer reason, the good destination still delivers, resend fixes it', async function () {
    requirePeers(this, 'Orthanc', 'dcmsend', 'cc');
    const orthanc = await startOrthanc({ checkCalledAet: true });
    const dataDir = join(tempDir('pag-bad-'), 'var');
    const gatewayPort = await freePort();
    const base = {
      dataDir,
      dicom: { port: gatewayPort, studyQuietSeconds: 1, destinations: [{ name: 'good', aeTitle: 'ORTHANC', host: '127.0.0.1', port: orthanc.dicomPort }, { name: 'typo', aeTitle: 'ORTHANK', host: '127.0.0.1', port: orthanc.dicomPort }] },
      http: { port: 0 },
      storage: { minFreeBytes: 0 },
      outbox: { baseDelayMs: 500, maxDelayMs: 1000, maxAttempts: 3 },
    };
    let daemon = await startDaemon(base);
    try {
      const sent = await run('dcmsend', ['-aec', 'AIGATEWAY', '127.0.0.1', String(gatewayPort), ...files()]);
      expect(sent.code, sent.stderr).to.equal(0);
      const dead = await waitFor('the typo destination to dead-letter and the good one to deliver', async () => {
        const rows = await outboxOf(daemon);
        const bad = rows.find((r) => r.destination === 'typo');
        const good = rows.find((r) => r.destination === 'good');
        return bad?.state === 'dead' && good?.state === 'delivered' ? bad : undefined;
      }, 60_000);
      expect(dead.lastError).to.match(/called AE title not recognized/i);
      expect(dead.attempts).to.equal(1); // a permanent rejection is not retried in a loop

      // fix the config (the AE title) and resend the dead letter through the API
      daemon.child.kill('SIGTERM');
      await daemon.exited;
      daemon = await startDaemon({ ...base, dicom: { ...base.dicom, destinations: [base.dicom.destinations[0], { ...base.dicom.destinations[1], aeTitle: 'ORTHANC' }] } });
      const res = await fetch(`http://127.0.0.1:${daemon.httpPort}/api/outbox/${dead.id}/resend`, { method: 'POST' });
      expect(res.status).to.equal(202);
      await waitFor('the resent SR to be delivered', async () => (await outboxOf(daemon)).find((r) => r.id === dead.id)?.state === 'delivered', 30_000);
      expect(await srCount(orthanc), 'both rows carry the same SOP Instance UID: Orthanc keeps one SR').to.equal(1);
      const db = new Database(join(dataDir, 'gateway.sqlite'), { readonly: true });
      const states = db.prepare('SELECT destination, state FROM outbox ORDER BY destination').all();
      db.close();
      expect(states).to.deep.equal([{ destination: 'good', state: 'delivered' }, { destination: 'typo', state: 'delivered' }]);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
      await orthanc.stop();
    }
  });
});
