import { expect } from 'chai';
import { join } from 'node:path';
import { OutboxRepo, openDatabase } from '../../../src/db/index.js';
import { sweepOutbox } from '../../../src/housekeeping/outbox-sweep.js';
import { runCleanups, tempDir } from '../../helpers/fixtures.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2030-06-01T00:00:00Z');

describe('housekeeping/outbox-sweep', () => {
  after(runCleanups);

  it('turns overdue pending rows into dead letters, leaves rows in flight, deletes old delivered rows', () => {
    const outbox = new OutboxRepo(openDatabase(join(tempDir(), 'gw.sqlite')));
    const add = (key: string, createdAt: number) => outbox.enqueue({ kind: 'dicom', destination: 'pacs', studyInstanceUid: '1.2', dedupeKey: key, payload: `${key}.dcm` }, createdAt).id;
    // pending for 80 h, retry due far in the future: the delivery worker would not look at it before then
    const overdue = add('overdue', NOW - 80 * HOUR);
    outbox.markFailed(overdue, 'association rejected', NOW - 79 * HOUR, NOW + 24 * HOUR);
    const young = add('young', NOW - 2 * HOUR);
    const sending = add('sending', NOW - 80 * HOUR);
    expect(outbox.claimDue('pacs', NOW - 80 * HOUR, 5).map((i) => i.id)).to.deep.equal([sending]); // the only row due then
    const oldDelivered = add('old-delivered', NOW - 40 * 24 * HOUR);
    outbox.markDelivered(oldDelivered, NOW - 40 * 24 * HOUR);
    const newDelivered = add('new-delivered', NOW - 2 * 24 * HOUR);
    outbox.markDelivered(newDelivered, NOW - 2 * 24 * HOUR);

    expect(outbox.get(sending)?.state).to.equal('sending');
    const r = sweepOutbox(outbox, { maxAgeHours: 72, keepDeliveredDays: 30 }, NOW);
    expect(r).to.deep.equal({ expired: 1, deleted: 1 });
    const dead = outbox.get(overdue);
    expect(dead?.state).to.equal('dead');
    expect(dead?.lastError).to.contain('association rejected').and.contain('outbox.maxAgeHours (72 h)');
    expect(outbox.get(young)?.state).to.equal('pending');
    expect(outbox.get(sending)?.state).to.equal('sending');
    expect(outbox.get(oldDelivered)).to.equal(undefined);
    expect(outbox.get(newDelivered)?.state).to.equal('delivered');
    // a dead letter can still be resent by an operator
    expect(outbox.resend(overdue, NOW)).to.equal(true);
  });
});
