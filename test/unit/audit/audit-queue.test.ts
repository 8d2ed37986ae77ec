import { expect } from 'chai';
import { join } from 'node:path';
import { SqliteAuditQueue, openDatabase } from '../../../src/db/index.js';
import { tempDir } from '../../helpers/fixtures.js';

describe('audit queue (SQLite)', () => {
  it('keeps the oldest records when full, refuses new ones, and deletes a record once sent', async () => {
    const db = openDatabase(join(tempDir('pag-auditq-'), 'gateway.sqlite'));
    const queue = new SqliteAuditQueue(db, 3);
    const now = 1_700_000_000_000;
    const added = [];
    for (const n of [1, 2, 3, 4]) added.push(await queue.add({ collector: 'c:6514', eventId: '110100', message: `m${n}` }, now + n));
    expect(added.map((a) => a.kind)).to.deep.equal(['queued', 'queued', 'queued', 'dropped']);
    const claimed = await queue.claim({ partition: 'c:6514', owner: 'me', leaseMs: 1000, limit: 10, nowMs: now + 10 });
    expect(claimed.map((c) => c.message)).to.deep.equal(['m1', 'm2', 'm3']);
    expect(await queue.complete(claimed[0]!.id, 'me', now + 11)).to.equal(true);
    expect(await queue.waiting()).to.equal(2);
    expect((await queue.add({ collector: 'c:6514', eventId: '110100', message: 'm5' }, now + 12)).kind).to.equal('queued');
    db.close();
  });
});
