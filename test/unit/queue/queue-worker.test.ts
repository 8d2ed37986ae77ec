import { expect } from 'chai';
import { join } from 'node:path';
import { OutboxRepo, SqliteOutboxQueue, openDatabase, type OutboxItem } from '../../../src/db/index.js';
import { silentLogger } from '../../../src/log.js';
import { QueueWorker, type HandlerOutcome, type QueueWorkerOptions } from '../../../src/queue/index.js';
import { backoffDelayMs } from '../../../src/queue/backoff.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { runCleanups, tempDir, waitFor } from '../../helpers/fixtures.js';

const policy = { baseMs: 1000, maxMs: 60_000, maxAttempts: 3 };

function setup() {
  const db = openDatabase(join(tempDir(), 'gw.sqlite'));
  const clock = new FakeClock();
  const queue = new SqliteOutboxQueue(db);
  const outbox = new OutboxRepo(db);
  const add = async (destination: string, key: string) =>
    (await queue.enqueue({ kind: 'dicom', destination, studyInstanceUid: '1.2', dedupeKey: key, payload: `${key}.dcm` }, clock.now())).id;
  const state = async (id: number) => (await outbox.get(id))?.state;
  const worker = (o: Partial<QueueWorkerOptions<OutboxItem>> & Pick<QueueWorkerOptions<OutboxItem>, 'handle'>) =>
    new QueueWorker<OutboxItem>({ queue, partition: 'PACS', owner: 'node-a', concurrency: 1, leaseMs: 60_000, policy, clock, log: silentLogger, random: () => 0, ...o });
  return { db, clock, queue, outbox, add, state, worker };
}

/** A handler whose calls wait until the test releases them. */
function gatedHandler() {
  const waiting: Array<{ item: OutboxItem; release: (o: HandlerOutcome) => void }> = [];
  return {
    waiting,
    handle: (item: OutboxItem) => new Promise<HandlerOutcome>((release) => waiting.push({ item, release })),
  };
}

describe('queue/queue-worker', () => {
  after(runCleanups);

  it('backs off exponentially with jitter, capped', () => {
    const lo = () => 0;
    const hi = () => 1;
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, policy, lo))).to.deep.equal([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, policy, hi))).to.deep.equal([1000, 2000, 4000, 8000]);
    expect(backoffDelayMs(20, policy, hi)).to.equal(60_000);
  });

  it('never enqueues the same (destination, dedupe key) twice', async () => {
    const { queue, outbox } = setup();
    const item = { kind: 'dicom' as const, destination: 'PACS', studyInstanceUid: '1.2', dedupeKey: '1.2.3', payload: 'a.dcm' };
    const a = await queue.enqueue(item, 0);
    expect(a.created).to.equal(true);
    expect(await queue.enqueue(item, 1)).to.deep.equal({ id: a.id, created: false });
    expect((await queue.enqueue({ ...item, destination: 'OTHER' }, 2)).created).to.equal(true);
    expect(await outbox.has('PACS', '1.2.3')).to.equal(true);
    expect(await outbox.has('PACS', '1.2.4')).to.equal(false);
    expect(await outbox.has('ELSEWHERE', '1.2.3')).to.equal(false);
  });

  it('retries a failure at its back-off time (injected clock), dead-letters after maxAttempts; resend revives it', async () => {
    const t = setup();
    const outcomes: HandlerOutcome[] = [
      { kind: 'retry', reason: 'connection refused' },
      { kind: 'retry', reason: 'connection refused' },
      { kind: 'retry', reason: 'connection refused' },
      { kind: 'done', note: 'warning B000' },
    ];
    const seen: number[] = [];
    const settled: string[] = [];
    const w = t.worker({
      handle: async (item) => {
        seen.push(item.attempts);
        return outcomes.shift() as HandlerOutcome;
      },
      onSettled: (_i, _o, s) => settled.push(s.kind),
    });
    const id = await t.add('PACS', 'k');
    await w.start();
    await waitFor('first failure', async () => (await t.outbox.get(id))?.attempts === 1 && (await t.state(id)) === 'pending');
    expect((await t.outbox.get(id))?.lastError).to.equal('connection refused');
    await waitFor('wake-up armed', () => t.clock.pending > 0);
    t.clock.advance(499); // back-off after attempt 1 is 500 ms with random() = 0
    expect(seen).to.deep.equal([1]);
    t.clock.advance(10);
    await waitFor('second failure', async () => (await t.outbox.get(id))?.attempts === 2 && (await t.state(id)) === 'pending');
    await waitFor('wake-up armed', () => t.clock.pending > 0);
    t.clock.advance(1010);
    await waitFor('dead letter after 3 attempts', async () => (await t.state(id)) === 'dead');
    expect(settled).to.deep.equal(['retrying', 'retrying', 'dead']);
    expect(await t.queue.resend(id, t.clock.now())).to.deep.equal({ partition: 'PACS' });
    w.notify();
    await waitFor('delivered after resend', async () => (await t.state(id)) === 'delivered');
    const row = await t.outbox.get(id);
    expect(row).to.include({ attempts: 1, lastError: 'warning B000' });
    expect(row?.deliveredAt).to.equal(new Date(t.clock.now()).toISOString());
    await w.stop();
  });

  it('dead-letters a non-retryable failure at once, and a too-old item on its next failure', async () => {
    const t = setup();
    const w = t.worker({
      policy: { ...policy, maxAgeMs: 10_000 },
      handle: async (item) => (item.dedupeKey === 'refused' ? { kind: 'failed', reason: 'C000' } : { kind: 'retry', reason: 'timeout' }),
    });
    const refused = await t.add('PACS', 'refused');
    const old = await t.add('PACS', 'old');
    t.clock.advance(20_000); // `old` is now older than maxAgeMs
    await w.start();
    await waitFor('both dead', async () => (await t.state(refused)) === 'dead' && (await t.state(old)) === 'dead');
    expect((await t.outbox.get(refused))?.attempts).to.equal(1);
    expect((await t.outbox.get(old))?.attempts).to.equal(1);
    await w.stop();
  });

  it('a released item is due again at once with its attempt not counted, however often it is handed back', async () => {
    const t = setup();
    const handed: number[] = [];
    const w = t.worker({
      policy: { ...policy, maxAttempts: 1 },
      handle: async (item) => {
        handed.push(item.attempts);
        return handed.length < 3 ? { kind: 'released', reason: 'interrupted by a stop' } : { kind: 'done' };
      },
    });
    const id = await t.add('PACS', 'released');
    await w.start();
    await waitFor('delivered after two hand-backs', async () => (await t.state(id)) === 'delivered');
    // maxAttempts 1: a counted hand-back would have made it a dead letter
    expect(handed).to.deep.equal([1, 1, 1]);
    await w.stop();
  });

  it('runs at most `concurrency` items at once, and stop() waits for them', async () => {
    const t = setup();
    const gate = gatedHandler();
    const w = t.worker({ concurrency: 2, handle: gate.handle });
    const ids = [await t.add('PACS', 'a'), await t.add('PACS', 'b'), await t.add('PACS', 'c')];
    await w.start();
    await waitFor('two in flight', () => gate.waiting.length === 2);
    expect(await t.state(ids[2] as number)).to.equal('pending');
    gate.waiting[0]?.release({ kind: 'done' });
    await waitFor('the third starts when one finishes', () => gate.waiting.length === 3);
    let stopped = false;
    const stopping = w.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped, 'stop waits for the work in hand').to.equal(false);
    gate.waiting[1]?.release({ kind: 'done' });
    gate.waiting[2]?.release({ kind: 'done' });
    await stopping;
    for (const id of ids) expect(await t.state(id)).to.equal('delivered');
  });

  it('in order: a failing head blocks the rest of its destination until it is done; other destinations go on', async () => {
    const t = setup();
    const sent: string[] = [];
    let headFails = 1;
    const handle = async (item: OutboxItem): Promise<HandlerOutcome> => {
      sent.push(`${item.destination}:${item.dedupeKey}`);
      if (item.dedupeKey === 'm1' && headFails-- > 0) return { kind: 'retry', reason: 'AE' };
      return { kind: 'done' };
    };
    const ris = t.worker({ partition: 'RIS', inOrder: true, handle });
    const pacs = t.worker({ partition: 'PACS', concurrency: 4, handle });
    const m1 = await t.add('RIS', 'm1');
    const m2 = await t.add('RIS', 'm2');
    const p1 = await t.add('PACS', 'p1');
    await Promise.all([ris.start(), pacs.start()]);
    await waitFor('PACS delivered', async () => (await t.state(p1)) === 'delivered');
    await waitFor('head failed once', async () => (await t.outbox.get(m1))?.lastError === 'AE');
    expect(await t.state(m2), 'm2 waits behind m1').to.equal('pending');
    expect(sent.filter((s) => s.startsWith('RIS'))).to.deep.equal(['RIS:m1']);
    await waitFor('wake-up armed', () => t.clock.pending > 0);
    t.clock.advance(600);
    await waitFor('both delivered', async () => (await t.state(m2)) === 'delivered');
    expect(sent.filter((s) => s.startsWith('RIS'))).to.deep.equal(['RIS:m1', 'RIS:m1', 'RIS:m2']);
    await Promise.all([ris.stop(), pacs.stop()]);
  });

  it('keeps the lease of an item in hand alive (heartbeat), so another owner cannot take it over', async () => {
    const t = setup();
    const gate = gatedHandler();
    const w = t.worker({ leaseMs: 1000, handle: gate.handle });
    const id = await t.add('PACS', 'slow');
    await w.start();
    await waitFor('in hand', () => gate.waiting.length === 1);
    for (let i = 0; i < 5; i++) {
      t.clock.advance(500); // the heartbeat fires every leaseMs / 2
      await waitFor('lease extended', async () => t.db.prepare<[number], { e: string }>('SELECT lease_expires_at AS e FROM outbox WHERE id = ?').get(id)?.e === new Date(t.clock.now() + 1000).toISOString());
    }
    expect(await t.queue.claim({ partition: 'PACS', owner: 'node-b', leaseMs: 1000, limit: 1, nowMs: t.clock.now() + 999 })).to.deep.equal([]);
    gate.waiting[0]?.release({ kind: 'done' });
    await w.stop();
    expect(await t.state(id)).to.equal('delivered');
  });

  it('start() takes back the leases this owner held before a restart', async () => {
    const t = setup();
    const id = await t.add('PACS', 'x');
    await t.queue.claim({ partition: 'PACS', owner: 'node-a', leaseMs: 3_600_000, limit: 1, nowMs: t.clock.now() }); // then the process died
    const w = t.worker({ handle: async () => ({ kind: 'done' }) });
    await w.start();
    await waitFor('delivered after restart', async () => (await t.state(id)) === 'delivered');
    expect((await t.outbox.get(id))?.attempts, 'the interrupted attempt counts').to.equal(2);
    await w.stop();
  });
});
