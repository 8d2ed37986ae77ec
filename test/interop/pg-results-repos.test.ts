/**
 * The results and HL7 message repositories on a real PostgreSQL (test/helpers/postgres.ts): the contract the SQLite
 * repositories pass (test/unit/db/results-repos-contract.ts), then what only several nodes can show: two nodes
 * (two pools) storing the same HL7 message at the same instant, and committing the same revision of a result.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NewHl7Message } from '../../src/db/hl7-messages-repo.js';
import type { Hl7StoreResult } from '../../src/db/hl7-writes.js';
import { PgHl7MessagesStore } from '../../src/db/pg/pg-hl7-messages-store.js';
import { PgJobQueue } from '../../src/db/pg/pg-job-queue.js';
import { PgOutboxQueue } from '../../src/db/pg/pg-outbox-queue.js';
import { PgResultsStore } from '../../src/db/pg/pg-results-store.js';
import type { Pool } from '../../src/db/pg/pool.js';
import { RevisionTakenError, type NewResultRevision } from '../../src/db/results-repo.js';
import { postgresPerSuite } from '../helpers/postgres.js';
import { report, resultsReposContract, type MessageRow, type ResultsReposEngine } from '../unit/db/results-repos-contract.js';

const T = Date.parse('2030-01-01T00:00:00Z');
const ROUNDS = 20;

describe('db/pg: results and HL7 message repositories on PostgreSQL', function () {
  this.timeout(120_000);
  const pgs = postgresPerSuite();

  /** A fresh migrated database per test, and one node's pool on it. */
  async function freshDatabase(): Promise<{ name: string; db: Pool }> {
    const name = await pgs.migratedDatabase();
    return { name, db: pgs.pool(name) };
  }

  /** One node's stores on `db`. */
  function node(db: Pool): { results: PgResultsStore; messages: PgHl7MessagesStore } {
    return { results: new PgResultsStore(db, new PgOutboxQueue(db)), messages: new PgHl7MessagesStore(db) };
  }

  async function openPg(): Promise<ResultsReposEngine> {
    const { db } = await freshDatabase();
    return {
      ...node(db),
      outbox: async () => (await db.query<{ destination: string; dedupe_key: string }>('SELECT destination, dedupe_key FROM outbox ORDER BY id')).rows.map((r) => [r.destination, r.dedupe_key]),
      jobs: async () =>
        (await db.query<{ kind: string; study_instance_uid: string; ref_id: number | null; state: string }>('SELECT kind, study_instance_uid, ref_id, state FROM jobs ORDER BY id')).rows.map((r) => [
          r.kind,
          r.study_instance_uid,
          r.ref_id,
          r.state,
        ]),
      message: async (id) => (await db.query<MessageRow>('SELECT state, times_received, raw_sha256, findings, last_error, processed_at FROM hl7_messages WHERE id = $1', [id])).rows[0],
      messageCount: async () => (await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM hl7_messages')).rows[0]?.n ?? 0,
      forgetDigest: async (id) => {
        await db.query('UPDATE hl7_messages SET raw_sha256 = NULL WHERE id = $1', [id]);
      },
    };
  }

  resultsReposContract('PostgreSQL', openPg);

  describe('two nodes on one database', () => {
    let nodeA: ReturnType<typeof node>;
    let nodeB: ReturnType<typeof node>;
    let db: Pool;

    beforeEach(async () => {
      const fresh = await freshDatabase();
      db = fresh.db;
      nodeA = node(fresh.db);
      nodeB = node(pgs.pool(fresh.name));
    });

    const message = (controlId: string, text = 'Small nodule.'): NewHl7Message => report(controlId, { reportText: text });

    const rowsOf = async (controlId: string) => ({
      messages: (await db.query<{ id: number; times_received: number }>('SELECT id, times_received FROM hl7_messages WHERE control_id = $1', [controlId])).rows,
      jobs: (await db.query<{ ref_id: number }>(`SELECT ref_id FROM jobs WHERE kind = 'process-report' AND ref_id IN (SELECT id FROM hl7_messages WHERE control_id = $1)`, [controlId])).rows,
    });

    it(`the same HL7 message stored through both nodes at once (${ROUNDS} rounds): one row, one job, one stored and one duplicate`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const m = message(`race-${round}`);
        // alternate which node starts first
        const [a, b] = round % 2 === 0 ? [nodeA, nodeB] : [nodeB, nodeA];
        const outcomes = await Promise.all([a.messages.storeCommitted(m, T), b.messages.storeCommitted(m, T)]);
        expect(outcomes.map((o) => o.kind).sort(), `round ${round}`).to.deep.equal(['duplicate', 'stored']);
        expect(outcomes[0]?.id).to.equal(outcomes[1]?.id);
        // both resolved after their commits: the row is there for anyone to read
        const found = await rowsOf(m.controlId);
        expect(found.messages, `round ${round}`).to.deep.equal([{ id: outcomes[0]?.id, times_received: 2 }]);
        expect(found.jobs, `round ${round}: one process-report job`).to.deep.equal([{ ref_id: outcomes[0]?.id }]);
      }
    });

    it(`the same MSH-10 with other bytes through both nodes at once (${ROUNDS} rounds): one stored, one conflict, the first bytes kept`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const first = message(`clash-${round}`, 'Small nodule.');
        const other = message(`clash-${round}`, 'No nodule.');
        const outcomes: Hl7StoreResult[] = await Promise.all([nodeA.messages.storeCommitted(first, T), nodeB.messages.storeCommitted(other, T)]);
        expect(outcomes.map((o) => o.kind).sort(), `round ${round}`).to.deep.equal(['conflict', 'stored']);
        const found = await rowsOf(first.controlId);
        expect(found.messages).to.deep.equal([{ id: outcomes[0]?.id, times_received: 1 }]);
        expect(found.jobs).to.have.length(1);
      }
    });

    it('two nodes storing the same messages in opposite orders, each batch in one transaction: no deadlock, each stored once', async () => {
      // A deadlock would not show in the outcomes (the server aborts one batch after deadlock_timeout, and each of
      // its messages is then stored alone): the server's log tells.
      const deadlocks = (): number => readFileSync(join(pgs.cluster().dir, 'server.log'), 'utf8').split('deadlock detected').length - 1;
      const before = deadlocks();
      for (let round = 0; round < 5; round++) {
        const ms = ['x', 'y', 'z'].map((k) => message(`batch-${round}-${k}`));
        // each node's three messages arrive in the same tick: one group-committed transaction per node
        const onA = ms.map((m) => nodeA.messages.storeCommitted(m, T));
        const onB = [...ms].reverse().map((m) => nodeB.messages.storeCommitted(m, T));
        const [a, b] = await Promise.all([Promise.all(onA), Promise.all(onB)]);
        b.reverse();
        for (let i = 0; i < ms.length; i++) {
          expect([a[i]?.kind, b[i]?.kind].sort(), `round ${round}, message ${i}`).to.deep.equal(['duplicate', 'stored']);
          expect(a[i]?.id).to.equal(b[i]?.id);
        }
      }
      expect((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM jobs')).rows[0]?.n).to.equal(15);
      expect(deadlocks() - before, 'deadlocks detected by the server').to.equal(0);
    });

    it(`two nodes committing revision N of one result at once (${ROUNDS} rounds): one wins, the other throws RevisionTakenError, one set of outbox rows`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const study = `1.2.3.${round}`;
        // each node computed its own revision 1 (different content, so a different SR UID)
        const rev = (uid: string): NewResultRevision => ({
          studyInstanceUid: study,
          resultKey: 'image-ai:nodule',
          kind: 'image-ai',
          modelId: 'nodule',
          modelVersion: '1.0.0',
          revision: 1,
          sopInstanceUid: uid,
          seriesInstanceUid: '2.25.9',
          contentDigest: uid,
          predecessorUid: null,
          reason: 'initial',
          sourceMessageId: null,
        });
        const deliveries = (uid: string) => ['PACS', 'ARCHIVE'].map((destination) => ({ kind: 'dicom' as const, destination, studyInstanceUid: study, dedupeKey: uid, payload: `results/${study}/${uid}.dcm` }));
        const uidA = `2.25.${round}1`;
        const uidB = `2.25.${round}2`;
        const settled = await Promise.allSettled([nodeA.results.commitRevision(rev(uidA), deliveries(uidA), T), nodeB.results.commitRevision(rev(uidB), deliveries(uidB), T)]);
        const won = settled.findIndex((s) => s.status === 'fulfilled');
        const lost = settled.find((s) => s.status === 'rejected');
        expect(won, `round ${round}: one node wins`).to.be.oneOf([0, 1]);
        expect(lost?.status === 'rejected' && lost.reason, `round ${round}: the other is told its revision is taken`).to.be.instanceOf(RevisionTakenError);
        expect(settled[won]?.status === 'fulfilled' && settled[won].value).to.deep.equal(['PACS', 'ARCHIVE']);
        const winner = won === 0 ? uidA : uidB;
        expect((await nodeB.results.revisionsForStudy(study)).map((r) => r.sopInstanceUid)).to.deep.equal([winner]);
        const outbox = await db.query<{ destination: string; dedupe_key: string }>('SELECT destination, dedupe_key FROM outbox WHERE study_instance_uid = $1 ORDER BY id', [study]);
        expect(outbox.rows.map((r) => [r.destination, r.dedupe_key])).to.deep.equal([
          ['PACS', winner],
          ['ARCHIVE', winner],
        ]);
      }
    });
  });
});
