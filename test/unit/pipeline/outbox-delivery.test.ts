import { expect } from 'chai';
import { join } from 'node:path';
import { OutboxRepo, openDatabase, type OutboxItem } from '../../../src/db/index.js';
import { silentLogger } from '../../../src/log.js';
import { backoffDelayMs } from '../../../src/pipeline/backoff.js';
import { OutboxDelivery, type SendOutcome } from '../../../src/pipeline/outbox-delivery.js';
import { runCleanups, tempDir, waitFor } from '../../helpers/fixtures.js';

const policy = { baseMs: 1000, maxMs: 60_000, maxAttempts: 3 };

function setup() {
  const db = openDatabase(join(tempDir(), 'gw.sqlite'));
  return { db, outbox: new OutboxRepo(db) };
}

describe('pipeline/outbox-delivery', () => {
  after(runCleanups);

  it('backs off exponentially with jitter, capped', () => {
    const lo = () => 0;
    const hi = () => 1;
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, policy, lo))).to.deep.equal([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, policy, hi))).to.deep.equal([1000, 2000, 4000, 8000]);
    expect(backoffDelayMs(20, policy, hi)).to.equal(60_000);
  });

  it('never enqueues the same (destination, dedupe key) twice', () => {
    const { outbox } = setup();
    const item = { kind: 'dicom' as const, destination: 'PACS', studyInstanceUid: '1.2', dedupeKey: '1.2.3', payload: 'a.dcm' };
    const a = outbox.enqueue(item, 0);
    const b = outbox.enqueue(item, 1);
    expect(a.created).to.equal(true);
    expect(b).to.deep.equal({ id: a.id, created: false });
    expect(outbox.enqueue({ ...item, destination: 'OTHER' }, 2).created).to.equal(true);
    expect(outbox.has('PACS', '1.2.3')).to.equal(true);
    expect(outbox.has('PACS', '1.2.4')).to.equal(false);
    expect(outbox.has('ELSEWHERE', '1.2.3')).to.equal(false);
  });

  it('delivers, retries a retryable failure later, and dead-letters after maxAttempts; resend revives it', async () => {
    const { outbox } = setup();
    let t = 1_000_000;
    const outcomes: SendOutcome[] = [
      { kind: 'failed', retryable: true, reason: 'connection refused' },
      { kind: 'failed', retryable: true, reason: 'connection refused' },
      { kind: 'failed', retryable: true, reason: 'connection refused' },
      { kind: 'delivered' },
    ];
    const sent: number[] = [];
    let marker = -1;
    const delivery = new OutboxDelivery({
      destination: 'PACS',
      outbox,
      send: async (item: OutboxItem) => {
        sent.push(item.id);
        return item.id === marker ? { kind: 'delivered' } : (outcomes.shift() as SendOutcome);
      },
      policy,
      maxAgeMs: 86_400_000,
      concurrency: 2,
      log: silentLogger,
      now: () => t,
    });
    const { id } = outbox.enqueue({ kind: 'dicom', destination: 'PACS', studyInstanceUid: '1.2', dedupeKey: 'k', payload: 'p' }, t);
    delivery.notify();
    await waitFor('first failure', () => outbox.get(id)?.attempts === 1 && outbox.get(id)?.state === 'pending');
    expect(outbox.get(id)?.lastError).to.equal('connection refused');
    // Not due yet: a pass now must not send it. The sync point is a second row, due now: once the pass that
    // follows this notify() has delivered it, that pass has looked at the first row too.
    marker = outbox.enqueue({ kind: 'dicom', destination: 'PACS', studyInstanceUid: '1.2', dedupeKey: 'marker', payload: 'p' }, t).id;
    delivery.notify();
    await waitFor('the due marker row to be delivered', () => outbox.get(marker)?.state === 'delivered');
    expect(sent).to.deep.equal([id, marker]);
    t += 2_000;
    delivery.notify();
    await waitFor('second failure', () => outbox.get(id)?.attempts === 2);
    t += 10_000;
    delivery.notify();
    await waitFor('dead letter', () => outbox.get(id)?.state === 'dead');
    expect(outbox.resend(id, t)).to.equal(true);
    delivery.notify();
    await waitFor('delivered after resend', () => outbox.get(id)?.state === 'delivered');
    await delivery.stop();
  });

  it('dead-letters a non-retryable failure at once, and one failing destination does not hold up another', async () => {
    const { outbox } = setup();
    const mk = (destination: string, send: (i: OutboxItem) => Promise<SendOutcome>) =>
      new OutboxDelivery({ destination, outbox, send, policy, maxAgeMs: 86_400_000, concurrency: 1, log: silentLogger });
    const bad = mk('BAD', async () => ({ kind: 'failed', retryable: false, reason: 'called AE title not recognized' }));
    let release!: () => void;
    const stuck = mk('SLOW', () => new Promise<SendOutcome>((r) => (release = () => r({ kind: 'delivered' }))));
    const good = mk('GOOD', async () => ({ kind: 'delivered' }));
    const b = outbox.enqueue({ kind: 'dicom', destination: 'BAD', studyInstanceUid: '1', dedupeKey: 'x', payload: 'p' }, Date.now());
    const s = outbox.enqueue({ kind: 'dicom', destination: 'SLOW', studyInstanceUid: '1', dedupeKey: 'x', payload: 'p' }, Date.now());
    const g = outbox.enqueue({ kind: 'dicom', destination: 'GOOD', studyInstanceUid: '1', dedupeKey: 'x', payload: 'p' }, Date.now());
    for (const d of [bad, stuck, good]) d.notify();
    await waitFor('good delivered while slow hangs', () => outbox.get(g.id)?.state === 'delivered');
    await waitFor('bad is dead', () => outbox.get(b.id)?.state === 'dead');
    expect(outbox.get(b.id)?.attempts).to.equal(1);
    expect(outbox.get(s.id)?.state).to.equal('sending');
    release();
    await waitFor('slow delivered', () => outbox.get(s.id)?.state === 'delivered');
    await Promise.all([bad.stop(), stuck.stop(), good.stop()]);
  });

  it('puts rows left "sending" by a crash back to pending', () => {
    const { outbox } = setup();
    const { id } = outbox.enqueue({ kind: 'hl7', destination: 'RIS', studyInstanceUid: '1', dedupeKey: 'm', payload: 'MSH|' }, 0);
    outbox.claimDue('RIS', 1, 5);
    expect(outbox.get(id)?.state).to.equal('sending');
    expect(outbox.requeueSending(2)).to.equal(1);
    expect(outbox.get(id)?.state).to.equal('pending');
  });
});
