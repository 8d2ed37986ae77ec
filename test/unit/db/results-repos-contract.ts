/**
 * The results and HL7 message repositories' contract, run against each engine: test/unit/db/results-repos-sqlite.test.ts
 * (ResultsRepo, Hl7MessagesRepo) and test/interop/pg-results-repos.test.ts (PgResultsStore, PgHl7MessagesStore). An
 * engine is a factory for a fresh, empty database's stores plus a few reads of rows the interfaces do not return.
 */
import { expect } from 'chai';
import type { Hl7MessagesStore, NewHl7Message } from '../../../src/db/hl7-messages-repo.js';
import type { NewOutboxItem } from '../../../src/db/outbox-queue.js';
import { RevisionTakenError, type AnalysisResult, type NewResultRevision, type ResultsStore } from '../../../src/db/results-repo.js';
import { GatewayError } from '../../../src/errors.js';
import { rejection } from '../../helpers/fixtures.js';

export interface MessageRow {
  state: string;
  times_received: number;
  raw_sha256: string | null;
  findings: string | null;
  last_error: string | null;
  processed_at: string | null;
}

export interface ResultsReposEngine {
  results: ResultsStore;
  messages: Hl7MessagesStore;
  /** Every outbox row as [destination, dedupe key], oldest first. */
  outbox(): Promise<Array<[string, string]>>;
  /** Every job as [kind, study, ref id, state], oldest first. */
  jobs(): Promise<Array<[string, string, number | null, string]>>;
  message(id: number): Promise<MessageRow | undefined>;
  messageCount(): Promise<number>;
  /** Clears a message's stored digest, as a row written before digests were kept has none. */
  forgetDigest(id: number): Promise<void>;
}

const T = Date.parse('2030-01-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

const result = (over: Partial<Omit<AnalysisResult, 'analyzedAt'>> = {}): Omit<AnalysisResult, 'analyzedAt'> => ({
  studyInstanceUid: '1.2.3',
  modelId: 'nodule',
  modelVersion: '1.0.0',
  finding: { code: 'RID50149', scheme: 'RADLEX', meaning: 'Pulmonary nodule' },
  probability: 0.875,
  topKMean: 0.5,
  flagged: true,
  threshold: 0.5,
  drivingInstances: ['1.2.3.4.1', '1.2.3.4.2'],
  instancesAnalyzed: 16,
  instancesSkipped: 1,
  engine: 'onnxruntime-node',
  provider: 'cpu',
  device: 'cpu',
  durationMs: 12.6,
  srSopInstanceUid: '2.25.100',
  ...over,
});

const revision = (over: Partial<NewResultRevision> = {}): NewResultRevision => ({
  studyInstanceUid: '1.2.3',
  resultKey: 'image-ai:nodule',
  kind: 'image-ai',
  modelId: 'nodule',
  modelVersion: '1.0.0',
  revision: 1,
  sopInstanceUid: '2.25.1',
  seriesInstanceUid: '2.25.9',
  contentDigest: 'abc',
  predecessorUid: null,
  reason: 'initial',
  sourceMessageId: null,
  ...over,
});

const delivery = (destination: string, dedupeKey: string, over: Partial<NewOutboxItem> = {}): NewOutboxItem => ({
  kind: 'dicom',
  destination,
  studyInstanceUid: '1.2.3',
  dedupeKey,
  payload: `results/1.2.3/${dedupeKey}.dcm`,
  ...over,
});

/** A report message as a RIS sends it (the raw bytes follow the text). */
export const report = (controlId: string, over: Partial<NewHl7Message> = {}): NewHl7Message => {
  const text = over.reportText === undefined ? 'Small nodule in the right upper lobe.' : over.reportText;
  return {
    sender: 'RIS^HOSP',
    controlId,
    messageType: 'ORU^R01',
    accessionNumber: 'ACC1',
    studyInstanceUid: '1.2.3',
    resultStatus: 'F',
    reportText: text,
    interpreter: 'Doe^Jane',
    raw: Buffer.from(`MSH|^~\\&|RIS|HOSP|GW|HOSP|20300101||ORU^R01|${controlId}|P|2.5.1\rOBX|1|TX|||${text ?? ''}\r`),
    encoding: 'utf-8',
    peer: '127.0.0.1',
    ...over,
  };
};

/** A stored report, processed with `findings`, its result status `status`. */
async function processedReport(e: ResultsReposEngine, controlId: string, status: string, over: Partial<NewHl7Message> = {}, atMs = T): Promise<number> {
  const stored = await e.messages.storeCommitted(report(controlId, { resultStatus: status, ...over }), atMs);
  expect(stored.kind).to.equal('stored');
  await e.messages.markProcessed(stored.id, `["${controlId}"]`, atMs + 1);
  return stored.id;
}

export function resultsReposContract(engine: string, open: () => Promise<ResultsReposEngine>): void {
  describe(`results and HL7 message repositories on ${engine}`, () => {
    describe('analysis results', () => {
      it('saves a result and reads it back field for field; a re-analysis of the same model replaces it', async () => {
        const { results } = await open();
        await results.save(result(), T);
        await results.save(result({ modelId: 'effusion', flagged: false, drivingInstances: [], srSopInstanceUid: null }), T);
        await results.save(result({ studyInstanceUid: '9.9' }), T);
        const saved = await results.forStudy('1.2.3');
        expect(saved.map((r) => r.modelId), 'by model id').to.deep.equal(['effusion', 'nodule']);
        expect(saved[1]).to.deep.equal({ ...result(), durationMs: 13, analyzedAt: iso(T) });
        expect(saved[0]).to.include({ flagged: false, srSopInstanceUid: null });
        expect(saved[0]?.drivingInstances).to.deep.equal([]);

        await results.save(result({ modelVersion: '1.1.0', probability: 0.25, flagged: false, drivingInstances: ['1.2.3.4.9'], srSopInstanceUid: '2.25.101' }), T + 1000);
        const replaced = (await results.forStudy('1.2.3')).filter((r) => r.modelId === 'nodule');
        expect(replaced, 'one row per study and model').to.have.length(1);
        expect(replaced[0]).to.include({ modelVersion: '1.1.0', probability: 0.25, flagged: false, srSopInstanceUid: '2.25.101', analyzedAt: iso(T + 1000) });
        expect(replaced[0]?.drivingInstances).to.deep.equal(['1.2.3.4.9']);
        expect(await results.forStudy('7.7'), 'a study without results').to.deep.equal([]);
      });

      it('isOwnResult: an SR named by a result, a report SR or any revision (a replaced one too) is ours; others are not', async () => {
        const e = await open();
        const { results } = e;
        await results.save(result({ srSopInstanceUid: '2.25.100' }), T);
        const messageId = await processedReport(e, 'c1', 'F');
        await results.saveReportSr('1.2.3', messageId, '2.25.200', T);
        await results.commitRevision(revision({ sopInstanceUid: '2.25.1' }), [], T);
        await results.commitRevision(revision({ revision: 2, sopInstanceUid: '2.25.2', predecessorUid: '2.25.1', reason: 're-analysis' }), [], T + 1);
        for (const uid of ['2.25.100', '2.25.200', '2.25.1', '2.25.2']) expect(await results.isOwnResult(uid), uid).to.equal(true);
        expect(await results.isOwnResult('2.25.999')).to.equal(false);
        expect(await results.isOwnResult('1.2.3.4.1'), 'a received instance').to.equal(false);
      });

      it("saveReportSr: a newer report's SR replaces the study's report SR", async () => {
        const e = await open();
        const first = await processedReport(e, 'c1', 'P');
        const second = await processedReport(e, 'c2', 'F');
        await e.results.saveReportSr('1.2.3', first, '2.25.200', T);
        await e.results.saveReportSr('1.2.3', second, '2.25.201', T + 1);
        expect(await e.results.isOwnResult('2.25.201')).to.equal(true);
        expect(await e.results.isOwnResult('2.25.200'), 'replaced, and never recorded as a revision').to.equal(false);
      });
    });

    describe('revisions', () => {
      it('current revision, UID check and the study list (by result key, then revision), each study on its own', async () => {
        const { results } = await open();
        expect(await results.currentRevision('1.2.3', 'image-ai:nodule')).to.equal(undefined);
        await results.commitRevision(revision({ resultKey: 'report-findings', kind: 'report-findings', modelId: 'report-ner', sopInstanceUid: '2.25.50', sourceMessageId: null }), [], T);
        await results.commitRevision(revision({ sopInstanceUid: '2.25.1' }), [], T + 1);
        await results.commitRevision(revision({ revision: 2, sopInstanceUid: '2.25.2', predecessorUid: '2.25.1', reason: 're-analysis', contentDigest: 'def' }), [], T + 2);
        await results.commitRevision(revision({ studyInstanceUid: '9.9', sopInstanceUid: '2.25.77' }), [], T + 3);

        expect(await results.currentRevision('1.2.3', 'image-ai:nodule')).to.deep.equal({
          ...revision({ revision: 2, sopInstanceUid: '2.25.2', predecessorUid: '2.25.1', reason: 're-analysis', contentDigest: 'def' }),
          createdAt: iso(T + 2),
        });
        expect((await results.currentRevision('1.2.3', 'report-findings'))?.sopInstanceUid).to.equal('2.25.50');
        expect(await results.currentRevision('1.2.3', 'image-ai:other')).to.equal(undefined);
        expect(await results.hasRevisionUid('2.25.1'), 'a replaced revision').to.equal(true);
        expect(await results.hasRevisionUid('2.25.77')).to.equal(true);
        expect(await results.hasRevisionUid('2.25.3')).to.equal(false);
        const list = await results.revisionsForStudy('1.2.3');
        expect(list.map((r) => [r.resultKey, r.revision, r.sopInstanceUid])).to.deep.equal([
          ['image-ai:nodule', 1, '2.25.1'],
          ['image-ai:nodule', 2, '2.25.2'],
          ['report-findings', 1, '2.25.50'],
        ]);
        expect(list[0]).to.deep.equal({ ...revision(), createdAt: iso(T + 1) });
        expect(await results.revisionsForStudy('5.5')).to.deep.equal([]);
      });

      it('commitRevision queues its deliveries with the revision and answers the destinations whose row was new', async () => {
        const e = await open();
        expect(await e.results.commitRevision(revision(), [delivery('PACS', '2.25.1'), delivery('ARCHIVE', '2.25.1')], T)).to.deep.equal(['PACS', 'ARCHIVE']);
        // A revision whose object is already queued for a destination (a KOS unchanged by it) queues it nowhere twice.
        expect(
          await e.results.commitRevision(revision({ revision: 2, sopInstanceUid: '2.25.2', predecessorUid: '2.25.1' }), [delivery('PACS', '2.25.1'), delivery('PACS', '2.25.2')], T + 1),
        ).to.deep.equal(['PACS']);
        expect(await e.outbox()).to.deep.equal([
          ['PACS', '2.25.1'],
          ['ARCHIVE', '2.25.1'],
          ['PACS', '2.25.2'],
        ]);
      });

      it('a delivery that cannot be queued rolls its revision back: neither the revision nor any of its deliveries is committed', async () => {
        const e = await open();
        const bad = delivery('FAX', '2.25.1', { kind: 'fax' as NewOutboxItem['kind'] });
        const err = await rejection(e.results.commitRevision(revision(), [delivery('PACS', '2.25.1'), bad], T));
        expect(err).not.to.be.instanceOf(RevisionTakenError);
        expect(await e.results.currentRevision('1.2.3', 'image-ai:nodule')).to.equal(undefined);
        expect(await e.results.hasRevisionUid('2.25.1')).to.equal(false);
        expect(await e.outbox()).to.deep.equal([]);
        // the same revision goes through once its deliveries can be queued
        expect(await e.results.commitRevision(revision(), [delivery('PACS', '2.25.1')], T + 1)).to.deep.equal(['PACS']);
      });

      it('a taken revision number (or SR UID) throws RevisionTakenError, and nothing of the loser is committed', async () => {
        const e = await open();
        await e.results.commitRevision(revision(), [delivery('PACS', '2.25.1')], T);
        const taken = await rejection(e.results.commitRevision(revision({ sopInstanceUid: '2.25.2' }), [delivery('PACS', '2.25.2')], T + 1));
        expect(taken).to.be.instanceOf(RevisionTakenError);
        expect(taken).to.be.instanceOf(GatewayError);
        expect((taken as GatewayError).code).to.equal('GW_ERR_DATABASE_FAILED');
        expect((taken as GatewayError).context).to.include({ operation: 'commit revision', table: 'result_revisions', resultKey: 'image-ai:nodule', revision: 1 });
        expect(taken.message).to.contain('revision 1 of result image-ai:nodule');
        const sameUid = await rejection(e.results.commitRevision(revision({ revision: 2 }), [delivery('ARCHIVE', '2.25.1')], T + 2));
        expect(sameUid, 'an SR UID recorded under another revision').to.be.instanceOf(RevisionTakenError);
        expect((await e.results.revisionsForStudy('1.2.3')).map((r) => r.sopInstanceUid)).to.deep.equal(['2.25.1']);
        expect(await e.outbox()).to.deep.equal([['PACS', '2.25.1']]);
      });
    });

    describe('HL7 messages', () => {
      it('stored: the row, and a process-report job for it in the same commit', async () => {
        const e = await open();
        const stored = await e.messages.storeCommitted(report('c1'), T);
        expect(stored.kind).to.equal('stored');
        expect(await e.jobs()).to.deep.equal([['process-report', '1.2.3', stored.id, 'queued']]);
        expect(await e.message(stored.id)).to.include({ state: 'received', times_received: 1, findings: null });
        expect(await e.messages.pendingReport(stored.id)).to.deep.equal({
          id: stored.id,
          controlId: 'c1',
          accessionNumber: 'ACC1',
          studyInstanceUid: '1.2.3',
          resultStatus: 'F',
          reportText: 'Small nodule in the right upper lobe.',
          receivedAt: iso(T),
        });
      });

      it('the same bytes again are a duplicate (counted, not processed twice); other bytes under the MSH-10 a conflict (not written)', async () => {
        const e = await open();
        const stored = await e.messages.storeCommitted(report('c1'), T);
        expect(await e.messages.storeCommitted(report('c1'), T + 1)).to.deep.equal({ kind: 'duplicate', id: stored.id });
        expect(await e.messages.storeCommitted(report('c1', { reportText: 'Another report.' }), T + 2)).to.deep.equal({ kind: 'conflict', id: stored.id });
        expect(await e.messages.storeCommitted(report('c1', { sender: 'OTHER^RIS' }), T + 3), 'MSH-10 is per sender').to.include({ kind: 'stored' });
        expect(await e.message(stored.id)).to.include({ times_received: 2, state: 'received' });
        expect(await e.messageCount()).to.equal(2);
        expect((await e.jobs()).length, 'one job per stored report').to.equal(2);
        expect((await e.messages.pendingReport(stored.id))?.reportText, 'the conflict changed nothing').to.equal('Small nodule in the right upper lobe.');
      });

      it('a row stored without its digest is compared by its bytes, and keeps the digest from then on', async () => {
        const e = await open();
        const stored = await e.messages.storeCommitted(report('c1'), T);
        const digest = (await e.message(stored.id))?.raw_sha256;
        expect(digest).to.match(/^[0-9a-f]{64}$/);
        await e.forgetDigest(stored.id);
        expect(await e.messages.storeCommitted(report('c1', { reportText: 'Other.' }), T + 1)).to.deep.equal({ kind: 'conflict', id: stored.id });
        expect(await e.message(stored.id)).to.include({ raw_sha256: digest, times_received: 1 });
        await e.forgetDigest(stored.id);
        expect(await e.messages.storeCommitted(report('c1'), T + 2)).to.deep.equal({ kind: 'duplicate', id: stored.id });
        expect(await e.message(stored.id)).to.include({ raw_sha256: digest, times_received: 2 });
      });

      it('a message without a report is stored as ignored, with no job and nothing pending', async () => {
        const e = await open();
        const stored = await e.messages.storeCommitted(report('a1', { messageType: 'ADT^A01', reportText: null }), T);
        expect(stored.kind).to.equal('stored');
        expect(await e.message(stored.id)).to.include({ state: 'ignored' });
        expect(await e.jobs()).to.deep.equal([]);
        expect(await e.messages.pendingReport(stored.id)).to.equal(undefined);
      });

      it('messages arriving together commit together; the same message twice among them is stored once, then a duplicate', async () => {
        const e = await open();
        const outcomes = await Promise.all([
          e.messages.storeCommitted(report('c1'), T),
          e.messages.storeCommitted(report('c2'), T),
          e.messages.storeCommitted(report('c1'), T),
          e.messages.storeCommitted(report('c1', { reportText: 'Other.' }), T),
        ]);
        expect(outcomes.map((o) => o.kind)).to.deep.equal(['stored', 'stored', 'duplicate', 'conflict']);
        expect(outcomes[2]?.id).to.equal(outcomes[0]?.id);
        expect(await e.messageCount()).to.equal(2);
        expect((await e.jobs()).map((j) => j[2])).to.have.members([outcomes[0]?.id, outcomes[1]?.id]);
        expect(await e.message(outcomes[0]?.id as number)).to.include({ times_received: 2 });
      });

      it('a message that cannot be stored fails alone: the others of its batch are stored each in its own commit', async () => {
        const e = await open();
        const broken = report('c2', { sender: null as unknown as string });
        const [a, b, c] = await Promise.allSettled([e.messages.storeCommitted(report('c1'), T), e.messages.storeCommitted(broken, T), e.messages.storeCommitted(report('c3'), T)]);
        expect([a?.status, b?.status, c?.status]).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
        expect(a?.status === 'fulfilled' && a.value.kind).to.equal('stored');
        expect(c?.status === 'fulfilled' && c.value.kind).to.equal('stored');
        expect(await e.messageCount()).to.equal(2);
        expect((await e.jobs()).length).to.equal(2);
      });

      it('markProcessed keeps the findings; markFailed the error; neither is pending any more', async () => {
        const e = await open();
        const done = (await e.messages.storeCommitted(report('c1'), T)).id;
        const failed = (await e.messages.storeCommitted(report('c2'), T)).id;
        await e.messages.markProcessed(done, '[{"code":"nodule"}]', T + 5);
        await e.messages.markFailed(failed, 'model missing', T + 6);
        expect(await e.message(done)).to.include({ state: 'processed', findings: '[{"code":"nodule"}]', last_error: null, processed_at: iso(T + 5) });
        expect(await e.message(failed)).to.include({ state: 'failed', last_error: 'model missing', processed_at: iso(T + 6), findings: null });
        expect(await e.messages.pendingReport(done)).to.equal(undefined);
        expect(await e.messages.pendingReport(failed)).to.equal(undefined);
        expect(await e.messages.pendingReport(99_999)).to.equal(undefined);
      });

      it('latestReportFor: final and corrected beat preliminary, then the newest; by Study UID, else by accession', async () => {
        const e = await open();
        expect(await e.messages.latestReportFor('1.2.3', 'ACC1')).to.equal(undefined);
        const final = await processedReport(e, 'f1', 'F');
        await processedReport(e, 'p1', 'P');
        expect((await e.messages.latestReportFor('1.2.3', 'ACC1'))?.controlId, 'a newer preliminary does not beat a final').to.equal('f1');
        const corrected = await processedReport(e, 'c1', 'C', { interpreter: 'Roe^Rick' }, T + 10);
        expect(await e.messages.latestReportFor('1.2.3', '')).to.deep.equal({
          id: corrected,
          controlId: 'c1',
          interpreter: 'Roe^Rick',
          resultStatus: 'C',
          findingsJson: '["c1"]',
          receivedAt: iso(T + 10),
        });
        expect(corrected).to.be.greaterThan(final);
        // not processed yet: not a report to code from
        await e.messages.storeCommitted(report('f2'), T + 20);
        expect((await e.messages.latestReportFor('1.2.3', 'ACC1'))?.controlId).to.equal('c1');

        // a RIS that sends no Study UID: linked by accession; an empty accession links nothing
        await processedReport(e, 'a1', 'F', { studyInstanceUid: '', accessionNumber: 'ACC9' });
        expect((await e.messages.latestReportFor('4.4', 'ACC9'))?.controlId).to.equal('a1');
        expect(await e.messages.latestReportFor('4.4', '')).to.equal(undefined);
        await processedReport(e, 'a0', 'F', { studyInstanceUid: '', accessionNumber: '' });
        expect(await e.messages.latestReportFor('4.4', ''), 'an empty accession matches no empty accession').to.equal(undefined);
        // only preliminary for the study: the newest preliminary
        await processedReport(e, 'q1', 'P', { studyInstanceUid: '5.5' });
        await processedReport(e, 'q2', 'prelim', { studyInstanceUid: '5.5' });
        expect((await e.messages.latestReportFor('5.5', ''))?.controlId).to.equal('q2');
      });
    });
  });
}
