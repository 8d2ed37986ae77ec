import { expect } from 'chai';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { JobsRepo, SqliteJobQueue, openDatabase } from '../../../src/db/index.js';
import { maintainSqlite } from '../../../src/db/sqlite-maintenance.js';
import { runCleanups, tempDir } from '../../helpers/fixtures.js';

describe('db/sqlite-maintenance', () => {
  after(runCleanups);

  it('checkpoints the WAL into the database and truncates the -wal file', async () => {
    const path = join(tempDir(), 'gateway.sqlite');
    const db = openDatabase(path);
    db.pragma('wal_autocheckpoint = 0'); // let the WAL grow, as it does while a reader holds it
    const queue = new SqliteJobQueue(db);
    for (let i = 0; i < 500; i++) await queue.enqueue({ kind: 'analyze-study', studyInstanceUid: `1.2.${i}` }, i);
    const before = statSync(`${path}-wal`).size;
    expect(before).to.be.above(0);
    const r = maintainSqlite(db);
    expect(r).to.deep.equal({ checkpointBusy: 0, walBytesBefore: before, walBytesAfter: 0 });
    expect(statSync(`${path}-wal`).size).to.equal(0);
    expect((await new JobsRepo(db).countByState()).queued).to.equal(500);
  });
});
