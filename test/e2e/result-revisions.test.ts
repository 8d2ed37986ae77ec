/**
 * Issue 12 end to end, with Orthanc as the PACS in its default configuration (OverwriteInstances false: a second
 * object with a known SOP Instance UID is dropped). A study routed to the gateway gets its SR; a late instance
 * re-opens the study and the re-analysis changes the result (more evidence), so a second SR with a new UID reaches
 * Orthanc, naming the first in its Predecessor Documents Sequence, and /api/studies shows it as current; the KOS and
 * the summary image (the destination lists all three) are revised with it. Then an
 * instance the model does not apply to re-opens the study again: the re-analysis gives the same result and sends
 * nothing new.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { autoRoutingOrthanc, sendThroughOrthanc, startGatewayBehindOrthanc, type RoutedPair } from '../helpers/orthanc-routing.js';
import { requirePeers, run } from '../helpers/peers.js';

const SAMPLE = join(REPO_ROOT, 'sample-dicom', 'DEMO001-nodule');
const SR_CLASS = '1.2.840.10008.5.1.4.1.1.88.34';
const KOS_CLASS = '1.2.840.10008.5.1.4.1.1.88.59';
const SC_CLASS = '1.2.840.10008.5.1.4.1.1.7';

interface Revision {
  sopInstanceUid: string;
  revision: number;
  reason: string;
  createdAt: string;
}
interface StudyWithResults {
  studyInstanceUid: string;
  accessionNumber: string;
  status: string;
  instanceCount: number;
  results: Array<{ kind: string; modelId: string; current: Revision; history: Revision[] }>;
}

describe('e2e: a changed result reaches Orthanc as a new SR naming its predecessor; an unchanged one sends nothing', function () {
  this.timeout(300_000);
  let pair: RoutedPair;

  before(async function () {
    requirePeers(this, 'Orthanc', 'dcmsend', 'dcmodify', 'cc');
    pair = await startGatewayBehindOrthanc(autoRoutingOrthanc, ['sr', 'kos', 'summary']);
  });
  after(async () => {
    await pair?.stop();
    runCleanups();
  });

  /** A copy of a sample image as a new instance of the same study, with DCMTK's dcmodify. */
  async function lateInstance(name: string, sopInstanceUid: string, changes: string[]): Promise<string> {
    const file = join(tempDir('pag-late-'), name);
    copyFileSync(join(SAMPLE, 'CT0016.dcm'), file);
    const r = await run('dcmodify', ['-nb', '-m', `(0008,0018)=${sopInstanceUid}`, ...changes.flatMap((c) => ['-m', c]), file]);
    expect(r.code, r.stderr).to.equal(0);
    return file;
  }

  it('re-analysis with new content → second SR in Orthanc with Predecessor Documents Sequence; unchanged re-analysis → nothing new', async () => {
    const { gw, orthanc } = pair;
    const first = await sendThroughOrthanc(pair, SAMPLE, 'DEMOACC001');
    const studyUid = first.studyInstanceUid;
    const study = async (): Promise<StudyWithResults | undefined> => (await gw.getJson<StudyWithResults[]>('/api/studies')).body.find((s) => s.studyInstanceUid === studyUid);
    /** Our result objects in Orthanc's copy of the study, by SOP class. */
    const orthancObjects = async (): Promise<Record<string, Array<Record<string, unknown>>>> => {
      const studies = await orthanc.getJson<Array<{ ID: string; MainDicomTags: Record<string, string> }>>('/studies?expand');
      const id = studies.find((s) => s.MainDicomTags.StudyInstanceUID === studyUid)?.ID;
      const out: Record<string, Array<Record<string, unknown>>> = { [SR_CLASS]: [], [KOS_CLASS]: [], [SC_CLASS]: [] };
      if (id === undefined) return out;
      for (const inst of await orthanc.getJson<Array<{ ID: string }>>(`/studies/${id}/instances`)) {
        const tags = await orthanc.getJson<Record<string, unknown>>(`/instances/${inst.ID}/simplified-tags`);
        out[tags.SOPClassUID as string]?.push(tags);
      }
      return out;
    };
    const orthancSrs = async (): Promise<Array<Record<string, unknown>>> => (await orthancObjects())[SR_CLASS] ?? [];
    const counts3 = async (): Promise<number[]> => Object.values(await orthancObjects()).map((l) => l.length);
    const sr1 = (await study())?.results.find((r) => r.kind === 'image-ai')?.current;
    expect(sr1?.revision).to.equal(1);
    await waitFor('Orthanc to hold the first SR, KOS and summary', async () => (await counts3()).join() === '1,1,1', 60_000);

    // A late image of the same study: Orthanc routes the study again, the gateway re-opens it, the re-analysis
    // references 17 images instead of 16 — another result.
    const late = await lateInstance('late.dcm', `${studyUid}.917`, ['(0020,0013)=17']);
    const sent = await run('dcmsend', ['-aec', orthanc.aeTitle, '127.0.0.1', String(orthanc.dicomPort), late]);
    expect(sent.code, sent.stderr).to.equal(0);
    const srs = await waitFor('Orthanc to hold both SRs', async () => {
      const list = await orthancSrs();
      return list.length === 2 ? list : undefined;
    }, 120_000);
    const older = srs.find((s) => s.SOPInstanceUID === sr1?.sopInstanceUid);
    const newer = srs.find((s) => s.SOPInstanceUID !== sr1?.sopInstanceUid);
    expect(older, 'the first SR is still there').to.not.equal(undefined);
    expect(newer?.InstanceNumber).to.equal('2');
    expect(newer?.SeriesInstanceUID, 'revisions share the series').to.equal(older?.SeriesInstanceUID);
    const predecessor = (newer?.PredecessorDocumentsSequence as Array<Record<string, unknown>> | undefined)?.[0];
    const series = (predecessor?.ReferencedSeriesSequence as Array<Record<string, unknown>> | undefined)?.[0];
    const sop = (series?.ReferencedSOPSequence as Array<Record<string, unknown>> | undefined)?.[0];
    expect([predecessor?.StudyInstanceUID, series?.SeriesInstanceUID, sop?.ReferencedSOPClassUID, sop?.ReferencedSOPInstanceUID]).to.deep.equal([studyUid, older?.SeriesInstanceUID, SR_CLASS, sr1?.sopInstanceUid]);

    const revised = await waitFor('/api/studies to show revision 2 as current, delivered', async () => {
      const s = await study();
      const r = s?.results.find((x) => x.kind === 'image-ai');
      return s?.status === 'delivered' && r?.current.revision === 2 ? r : undefined;
    }, 60_000);
    expect(revised.current.sopInstanceUid).to.equal(newer?.SOPInstanceUID);
    expect(revised.current.reason).to.equal('re-analysis');
    expect(revised.history.map((h) => [h.sopInstanceUid, h.revision, h.reason])).to.deep.equal([[sr1?.sopInstanceUid, 1, 'initial']]);
    // The KOS and the summary are revised with the SR: a second of each, the new KOS pointing at the new SR.
    const objects = await waitFor('Orthanc to hold two KOS and two summaries', async () => ((await counts3()).join() === '2,2,2' ? orthancObjects() : undefined), 60_000);
    const kosUids = new Set((objects[KOS_CLASS] ?? []).map((k) => k.SOPInstanceUID));
    expect(kosUids.size).to.equal(2);
    const evidenceOf = (kos: Record<string, unknown>): unknown[] =>
      ((kos.CurrentRequestedProcedureEvidenceSequence as Array<Record<string, unknown>>)?.[0]?.ReferencedSeriesSequence as Array<Record<string, unknown>>).flatMap((se) => (se.ReferencedSOPSequence as Array<Record<string, unknown>>).map((r) => r.ReferencedSOPInstanceUID));
    expect((objects[KOS_CLASS] ?? []).some((k) => evidenceOf(k).includes(newer?.SOPInstanceUID)), 'a KOS naming the revised SR').to.equal(true);

    // An instance the model does not apply to (modality OT) re-opens the study: a third analysis, same result.
    const other = await lateInstance('other.dcm', `${studyUid}.918`, ['(0008,0060)=OT', '(0020,0013)=18']);
    const sentOther = await run('dcmsend', ['-aec', orthanc.aeTitle, '127.0.0.1', String(orthanc.dicomPort), other]);
    expect(sentOther.code, sentOther.stderr).to.equal(0);
    const dbFile = join(gw.dataDir, 'gateway.sqlite');
    const counts = (): { jobs: number; done: number; outbox: Array<{ dedupe_key: string; state: string }> } => {
      const db = new Database(dbFile, { readonly: true });
      try {
        const jobs = db.prepare(`SELECT COUNT(*) AS n, SUM(state = 'done') AS done FROM jobs WHERE study_instance_uid = ? AND kind = 'analyze-study'`).get(studyUid) as { n: number; done: number };
        const outbox = db.prepare('SELECT dedupe_key, state FROM outbox WHERE study_instance_uid = ? ORDER BY id').all(studyUid) as Array<{ dedupe_key: string; state: string }>;
        return { jobs: jobs.n, done: jobs.done, outbox };
      } finally {
        db.close();
      }
    };
    const after = await waitFor('the third analysis to finish', () => {
      const c = counts();
      return c.jobs === 3 && c.done === 3 ? c : undefined;
    }, 120_000);
    const ours = Object.values(objects).flat().map((o) => o.SOPInstanceUID as string);
    expect(after.outbox.map((r) => r.state), 'no outbox row for the unchanged re-analysis: three objects per revision, all delivered').to.deep.equal(Array(6).fill('delivered'));
    expect(new Set(after.outbox.map((r) => r.dedupe_key))).to.deep.equal(new Set(ours));
    const still = (await study())?.results.find((r) => r.kind === 'image-ai');
    expect(still?.current.sopInstanceUid).to.equal(newer?.SOPInstanceUID);
    expect((await counts3()).join(), 'Orthanc still holds two of each').to.equal('2,2,2');
  });
});
