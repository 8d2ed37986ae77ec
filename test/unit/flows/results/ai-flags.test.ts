import { expect } from 'chai';
import { join } from 'node:path';
import { Hl7MessagesRepo, OutboxRepo, ResultsRepo, SqliteJobQueue, SqliteOutboxQueue, StudiesRepo, openDatabase, type Db } from '../../../../src/db/index.js';
import { queueAiFlags, type AiFlagsDeps } from '../../../../src/flows/results/ai-flags.js';
import { sourceContextFromDataset } from '../../../../src/results/sr/source-context.js';
import { runCleanups, tempDir } from '../../../helpers/fixtures.js';
import { sourceDataset, STUDY_UID } from '../../results/sr-fixtures.js';

const T = Date.parse('2030-01-01T00:00:00Z');

/** The RIS side of issue 12: the ORU of a revised AI result is a correction naming the SR it corrects. */
describe('flows/results/ai-flags: ORU status follows the result revisions', () => {
  after(runCleanups);
  let db: Db;
  let deps: AiFlagsDeps;
  let results: ResultsRepo;
  const source = { images: [], context: async () => sourceContextFromDataset(sourceDataset()) };
  const analysis = (probability: number, sr: string) => ({
    studyInstanceUid: STUDY_UID, modelId: 'nodule', modelVersion: '1.0.0', finding: { code: '27925004', scheme: 'SCT', meaning: 'Nodule' }, probability, topKMean: probability,
    flagged: probability > 0.5, threshold: 0.5, drivingInstances: [], instancesAnalyzed: 16, instancesSkipped: 0, engine: 'onnx', provider: 'cpu', device: 'cpu', durationMs: 5, srSopInstanceUid: sr,
  });
  const revision = (n: number, uid: string, predecessor: string | null) => ({
    studyInstanceUid: STUDY_UID, resultKey: 'image-ai:nodule', kind: 'image-ai', modelId: 'nodule', modelVersion: '1.0.0', revision: n, sopInstanceUid: uid, seriesInstanceUid: '2.25.9',
    contentDigest: `d${n}`, predecessorUid: predecessor, reason: n === 1 ? ('initial' as const) : ('re-analysis' as const), sourceMessageId: null,
  });
  const sentMessages = (): string[] => (db.prepare(`SELECT payload FROM outbox WHERE kind = 'hl7' ORDER BY id`).all() as Array<{ payload: string }>).map((r) => r.payload);
  const field = (message: string, segment: string, n: number): string | undefined => message.split('\r').find((s) => s.startsWith(`${segment}|`))?.split('|')[n];

  before(() => {
    db = openDatabase(join(tempDir(), 'gw.sqlite'));
    const outbox = new SqliteOutboxQueue(db);
    results = new ResultsRepo(db, outbox);
    deps = {
      studies: new StudiesRepo(db),
      instances: { forStudy: async () => [] },
      results,
      messages: new Hl7MessagesRepo(db, new SqliteJobQueue(db)),
      outbox,
      outboxItems: new OutboxRepo(db),
      spool: { read: async () => Buffer.alloc(0), write: async () => undefined },
      destinations: [{ name: 'ris' }],
      demoModels: new Set(),
    };
  });

  it('first result: final (F); the same result analysed again: no second message; revised: corrected (C)', async () => {
    await results.save(analysis(0.9, '2.25.1'), T);
    await results.commitRevision(revision(1, '2.25.1', null), [], T);
    expect(await queueAiFlags(STUDY_UID, source, deps, T)).to.deep.equal(['ris']);
    expect(field(sentMessages()[0] ?? '', 'OBR', 25)).to.equal('F');

    await results.save(analysis(0.9, '2.25.1'), T + 60_000); // re-analysed later, unchanged: no new revision
    expect(await queueAiFlags(STUDY_UID, source, deps, T + 60_000), 'same message, deduplicated').to.deep.equal([]);

    await results.save(analysis(0.3, '2.25.2'), T + 120_000);
    await results.commitRevision(revision(2, '2.25.2', '2.25.1'), [], T + 120_000);
    expect(await queueAiFlags(STUDY_UID, source, deps, T + 120_000)).to.deep.equal(['ris']);
    const corrected = sentMessages()[1] ?? '';
    expect(field(corrected, 'OBR', 25)).to.equal('C');
    expect(corrected.split('\r').filter((s) => s.startsWith('OBX|')).every((s) => s.split('|')[11] === 'C'), 'every OBX-11 is C').to.equal(true);
  });
});
