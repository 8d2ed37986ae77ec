import { expect } from 'chai';
import { parseUid } from '../../../src/dicom/index.js';
import { buildFindingsSr, findingsSrIdentity, nextRevision, resultDateTime, type CurrentSr, type RevisionLookups } from '../../../src/results/index.js';
import { contentDigest, resultRevisionUid } from '../../../src/results/result-revision.js';
import { FindingCodes } from '../../../src/results/sr/codes.js';
import { parseFindingsSr } from '../../../src/results/sr/sr-document.js';
import { repeatedContentUid } from '../../../src/results/result-revision.js';
import { INSTANCES, srInput, STUDY_UID } from './sr-fixtures.js';

const MODEL = { id: 'demo-nodule-cnn', version: '1.0.0' };

describe('results/result-revision: the SR UID names its content', () => {
  it('same content at another time or with other evidence order → same UID; changed content → new UID', () => {
    const first = buildFindingsSr(srInput());
    const later = buildFindingsSr(srInput({ contentDateTime: '20270101080000', timezoneOffsetFromUtc: '+0100', referencedInstances: [...INSTANCES].reverse() }));
    expect(later.sopInstanceUid, 'another time, another order').to.equal(first.sopInstanceUid);
    expect(later.contentDigest).to.equal(first.contentDigest).and.match(/^[0-9a-f]{32}$/);
    expect(later.part10.equals(first.part10), 'the bytes differ (times)').to.equal(false);

    const changed = [
      srInput({ findings: [{ finding: FindingCodes.Nodule, presence: 'absent', probability: 0.9731 }] }),
      srInput({ findings: [{ finding: FindingCodes.Nodule, presence: 'present', probability: 0.97 }] }),
      srInput({ findings: [{ finding: FindingCodes.Nodule, presence: 'present', probability: 0.9731, sizeMm: 7 }] }),
      srInput({ referencedInstances: INSTANCES.slice(0, 2), findings: [{ finding: FindingCodes.Nodule, presence: 'present', probability: 0.9731 }] }),
      srInput({ model: { id: 'demo-nodule-cnn', version: '1.0.0', manufacturer: 'pacs-ai-gateway project', demo: false } }),
    ].map((input) => buildFindingsSr(input).sopInstanceUid);
    const base = buildFindingsSr(srInput({ findings: [{ finding: FindingCodes.Nodule, presence: 'present', probability: 0.9731 }] })).sopInstanceUid;
    expect(new Set([base, ...changed]).size, 'presence, probability, size, evidence, demo flag each change the UID').to.equal(6);
  });

  it('the UID is deriveUid(study, model, version, kind, "rev", digest), a valid 2.25 UID; the series stays per model version', () => {
    const sr = buildFindingsSr(srInput());
    expect(sr.sopInstanceUid).to.equal(resultRevisionUid(STUDY_UID, MODEL, 'image-ai', sr.contentDigest));
    expect(parseUid(sr.sopInstanceUid)).to.equal(sr.sopInstanceUid);
    const changed = buildFindingsSr(srInput({ findings: [{ finding: FindingCodes.Nodule, presence: 'absent', probability: 0.1 }] }));
    expect(changed.seriesInstanceUid, 'revisions share a series').to.equal(sr.seriesInstanceUid);
  });

  it('the digest ignores float noise below 1e-6, the order of findings and of source images, and an absent source list that means all', () => {
    const a = { finding: FindingCodes.Nodule, presence: 'present' as const, probability: 0.5, sourceInstanceUids: ['1.2', '1.3'] };
    const b = { finding: FindingCodes.PleuralEffusion, presence: 'absent' as const, probability: 0.25 };
    const digest = contentDigest({ findings: [a, b], referencedInstanceUids: ['1.2', '1.3'], demo: true });
    expect(contentDigest({ findings: [b, { ...a, probability: 0.5 + 1e-9, sourceInstanceUids: ['1.3', '1.2'] }], referencedInstanceUids: ['1.3', '1.2'], demo: true })).to.equal(digest);
    expect(contentDigest({ findings: [a, b], referencedInstanceUids: ['1.2', '1.3'], demo: false })).to.not.equal(digest);
    const all = findingsSrIdentity(srInput({ findings: [{ finding: FindingCodes.Nodule, presence: 'present', probability: 0.9 }] }));
    const listed = findingsSrIdentity(srInput({ findings: [{ finding: FindingCodes.Nodule, presence: 'present', probability: 0.9, sourceInstanceUids: INSTANCES.map((i) => i.sopInstanceUid) }] }));
    expect(listed.sopInstanceUid).to.equal(all.sopInstanceUid);
  });
});

describe('results/revision-step nextRevision', () => {
  const never: RevisionLookups = { uidTaken: async () => false, readSr: async () => Promise.reject(new Error('no file')) };
  const identity = findingsSrIdentity(srInput());
  const current = (over: Partial<CurrentSr> = {}): CurrentSr => ({ revision: 1, sopInstanceUid: '2.25.1', seriesInstanceUid: '2.25.2', modelId: MODEL.id, modelVersion: MODEL.version, ...over });

  it('first result → revision 1 without predecessor; the same content as the current one → unchanged', async () => {
    expect(await nextRevision(STUDY_UID, identity, undefined, never)).to.deep.equal({ kind: 'new', revision: { number: 1 } });
    expect(await nextRevision(STUDY_UID, identity, current({ sopInstanceUid: identity.sopInstanceUid }), never)).to.deep.equal({ kind: 'unchanged', sopInstanceUid: identity.sopInstanceUid });
  });

  it('changed content → the next number, naming the current SR as predecessor, built into Predecessor Documents Sequence', async () => {
    const step = await nextRevision(STUDY_UID, identity, current({ revision: 2 }), never);
    expect(step).to.deep.equal({ kind: 'new', revision: { number: 3, predecessor: { studyInstanceUid: STUDY_UID, sopInstanceUid: '2.25.1', seriesInstanceUid: '2.25.2' } } });
    if (step.kind !== 'new') return;
    const parsed = parseFindingsSr(buildFindingsSr(srInput({ revision: step.revision })).part10);
    expect(parsed.instanceNumber).to.equal(3);
    expect(parsed.predecessors).to.deep.equal([{ sopClassUid: '1.2.840.10008.5.1.4.1.1.88.34', sopInstanceUid: '2.25.1', seriesInstanceUid: '2.25.2' }]);
  });

  it('content back to an earlier revision (A → B → A) gets a UID of its own, and stays unchanged on the next run', async () => {
    const step = await nextRevision(STUDY_UID, identity, current({ revision: 2 }), { ...never, uidTaken: async (uid) => uid === identity.sopInstanceUid });
    expect(step.kind === 'new' && step.revision.sopInstanceUid).to.equal(repeatedContentUid(identity.sopInstanceUid, 3));
    const again = await nextRevision(STUDY_UID, identity, current({ revision: 3, sopInstanceUid: repeatedContentUid(identity.sopInstanceUid, 3) }), never);
    expect(again.kind).to.equal('unchanged');
  });

  it('an SR recorded before revisions (no series) is named with the series read from its file, else derived', async () => {
    const legacy = buildFindingsSr(srInput({ findings: [{ finding: FindingCodes.Nodule, presence: 'absent', probability: 0.1 }] }));
    const fromFile = await nextRevision(STUDY_UID, identity, current({ seriesInstanceUid: null, sopInstanceUid: legacy.sopInstanceUid }), { ...never, readSr: async () => legacy.part10 });
    expect(fromFile.kind === 'new' && fromFile.revision.predecessor?.seriesInstanceUid).to.equal(legacy.seriesInstanceUid);
    const derived = await nextRevision(STUDY_UID, identity, current({ seriesInstanceUid: null }), never);
    expect(derived.kind === 'new' && derived.revision.predecessor?.seriesInstanceUid).to.equal(identity.seriesInstanceUid);
  });
});

describe('results/dicom-datetime resultDateTime', () => {
  it("writes the instant in the source's declared zone and names that zone", () => {
    expect(resultDateTime('2026-11-30T23:30:00.250Z', '+0100')).to.deep.equal({ contentDateTime: '20261201003000.250000', timezoneOffsetFromUtc: '+0100' });
    expect(resultDateTime('2026-11-30T02:00:00.000Z', '-0530')).to.deep.equal({ contentDateTime: '20261129203000.000000', timezoneOffsetFromUtc: '-0530' });
  });

  it("without a source zone, the host's offset at that instant", () => {
    const at = '2026-07-01T12:00:00.000Z';
    const minutes = -new Date(at).getTimezoneOffset();
    const sign = minutes < 0 ? '-' : '+';
    const hhmm = `${String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0')}${String(Math.abs(minutes) % 60).padStart(2, '0')}`;
    expect(resultDateTime(at, undefined).timezoneOffsetFromUtc).to.equal(`${sign}${hhmm}`);
    expect(resultDateTime(at, 'garbage').timezoneOffsetFromUtc, 'an unreadable source offset counts as none').to.equal(`${sign}${hhmm}`);
  });
});

describe('results/sr document attributes of a revision', () => {
  it('writes Timezone Offset From UTC, the Referenced Request (accession) and names the source report', async () => {
    const sr = buildFindingsSr(srInput({ timezoneOffsetFromUtc: '+0100', request: { accessionNumber: 'ACC-42', report: { controlId: 'MSG-0001' } } }));
    const dcmjs = (await import('dcmjs')).default;
    const ab = sr.part10.buffer.slice(sr.part10.byteOffset, sr.part10.byteOffset + sr.part10.byteLength) as ArrayBuffer;
    const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(ab).dict) as Record<string, unknown>;
    expect(ds.TimezoneOffsetFromUTC).to.equal('+0100');
    const request = (ds.ReferencedRequestSequence as Array<Record<string, unknown>>)[0];
    expect(request).to.include({ StudyInstanceUID: STUDY_UID, AccessionNumber: 'ACC-42' });
    expect(parseFindingsSr(sr.part10).report.comments.some((c) => c.includes('MSG-0001'))).to.equal(true);
    expect(parseFindingsSr(sr.part10).timezoneOffsetFromUtc).to.equal('+0100');
  });

  it('refuses an offset that is not ±HHMM and an SR naming itself as predecessor', () => {
    expect(() => buildFindingsSr(srInput({ timezoneOffsetFromUtc: '+01:00' }))).to.throw(RangeError, /HHMM/);
    const uid = findingsSrIdentity(srInput()).sopInstanceUid;
    expect(() => buildFindingsSr(srInput({ revision: { number: 2, predecessor: { studyInstanceUid: STUDY_UID, seriesInstanceUid: '1.2.3', sopInstanceUid: uid } } }))).to.throw(RangeError, /own predecessor/);
  });
});
