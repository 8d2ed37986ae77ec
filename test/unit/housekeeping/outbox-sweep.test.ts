import { expect } from 'chai';
import { join } from 'node:path';
import { OutboxRepo, SqliteOutboxQueue, openDatabase } from '../../../src/db/index.js';
import { sweepOutbox } from '../../../src/housekeeping/outbox-sweep.js';
import { runCleanups, tempDir } from '../../helpers/fixtures.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2030-06-01T00:00:00Z');
const OWNER = 'test-node';

describe('housekeeping/outbox-sweep', () => {
  after(runCleanups);

  it('turns overdue pending rows into dead letters, leaves rows in flight, deletes old delivered rows', async () => {
    const db = openDatabase(join(tempDir(), 'gw.sqlite'));
    const queue = new SqliteOutboxQueue(db);
    const outbox = new OutboxRepo(db);
    const add = async (key: string, createdAt: number) => (await queue.enqueue({ kind: 'dicom', destination: 'pacs', studyInstanceUid: '1.2', dedupeKey: key, payload: `${key}.dcm` }, createdAt)).id;
    const claim = (nowMs: number) => queue.claim({ partition: 'pacs', owner: OWNER, leaseMs: 1000 * HOUR, limit: 5, nowMs });
    // pending for 80 h, retry due far in the future: the delivery worker would not look at it before then
    const overdue = await add('overdue', NOW - 80 * HOUR);
    expect((await claim(NOW - 80 * HOUR)).map((i) => i.id)).to.deep.equal([overdue]);
    await queue.fail(overdue, OWNER, { error: 'association rejected', retryAtMs: NOW + 24 * HOUR }, NOW - 79 * HOUR);
    const young = await add('young', NOW - 2 * HOUR);
    const sending = await add('sending', NOW - 79 * HOUR);
    expect((await claim(NOW - 79 * HOUR)).map((i) => i.id)).to.deep.equal([sending]); // the only row due then
    const oldDelivered = await add('old-delivered', NOW - 40 * 24 * HOUR);
    await claim(NOW - 40 * 24 * HOUR);
    await queue.complete(oldDelivered, OWNER, NOW - 40 * 24 * HOUR);
    const newDelivered = await add('new-delivered', NOW - 2 * 24 * HOUR);
    await claim(NOW - 2 * 24 * HOUR);
    await queue.complete(newDelivered, OWNER, NOW - 2 * 24 * HOUR);

    expect((await outbox.get(sending))?.state).to.equal('sending');
    const r = await sweepOutbox(queue, { maxAgeHours: 72, keepDeliveredDays: 30 }, NOW);
    expect(r).to.deep.equal({ expired: 1, deleted: 1 });
    const dead = await outbox.get(overdue);
    expect(dead?.state).to.equal('dead');
    expect(dead?.lastError).to.contain('association rejected').and.contain('outbox.maxAgeHours (72 h)');
    expect((await outbox.get(young))?.state).to.equal('pending');
    expect((await outbox.get(sending))?.state).to.equal('sending');
    expect(await outbox.get(oldDelivered)).to.equal(undefined);
    expect((await outbox.get(newDelivered))?.state).to.equal('delivered');
    // a dead letter can still be resent by an operator
    expect(await queue.resend(overdue, NOW)).to.deep.equal({ partition: 'pacs' });
  });
});
