/** The Key Object Selection builder: TID 2010 tree, evidence with the SR, UID derived from the SR's, frames, refusals. */
import { expect } from 'chai';
import { buildKeyObjectSelection, deriveUid, type KeyObjectSelectionInput } from '../../../src/results/index.js';
import { KEY_OBJECT_SELECTION_SOP_CLASS } from '../../../src/results/kos.js';
import { sourceContextFromDataset } from '../../../src/results/sr/source-context.js';
import { readPart10 } from '../../../src/results/sr/part10-io.js';
import { CT_IMAGE, INSTANCES, SERIES_A, SERIES_B, STUDY_UID, sourceDataset } from './sr-fixtures.js';

const SR_UID = '1.2.826.0.1.3680043.9.7433.9.1';
const SR_SERIES = '1.2.826.0.1.3680043.9.7433.9.2';
const ENHANCED_CT = '1.2.840.10008.5.1.4.1.1.2.1';

function input(overrides: Partial<KeyObjectSelectionInput> = {}): KeyObjectSelectionInput {
  return {
    source: sourceContextFromDataset(sourceDataset()),
    sr: { sopInstanceUid: SR_UID, seriesInstanceUid: SR_SERIES },
    keyImages: [INSTANCES[2], INSTANCES[0]].map((i) => ({ ...(i as (typeof INSTANCES)[number]) })),
    model: { id: 'demo-nodule-cnn', version: '1.0.0', demo: true },
    finding: { value: '786838002', scheme: 'SCT', meaning: 'Pulmonary nodule' },
    probability: 0.8731,
    flagged: true,
    contentDateTime: '20261129101500',
    ...overrides,
  };
}

type Item = Record<string, unknown> & { ContentSequence?: Item[] };
const code = (item: Item, key: string): string => ((item[key] as Item[])[0] as Record<string, string>).CodeValue ?? '';

describe('results/kos: Key Object Selection (PS3.3 A.35.4, TID 2010)', () => {
  it('titles the document "Of Interest", describes the selection and lists the key images, then the SR as COMPOSITE', () => {
    const kos = buildKeyObjectSelection(input());
    const { dataset } = readPart10(kos.part10);
    expect(dataset).to.include({ SOPClassUID: KEY_OBJECT_SELECTION_SOP_CLASS, Modality: 'KO', StudyInstanceUID: STUDY_UID, ContinuityOfContent: 'SEPARATE', ValueType: 'CONTAINER' });
    expect(code(dataset as Item, 'ConceptNameCodeSequence')).to.equal('113000');
    expect((dataset.ContentTemplateSequence as Item[])[0]).to.include({ MappingResource: 'DCMR', TemplateIdentifier: '2010' });
    const items = dataset.ContentSequence as Item[];
    expect(items.map((i) => `${i.RelationshipType as string} ${i.ValueType as string}`)).to.deep.equal([
      'HAS CONCEPT MOD CODE', // language
      'HAS OBS CONTEXT CODE', // observer type: device
      'HAS OBS CONTEXT UIDREF',
      'HAS OBS CONTEXT TEXT',
      'HAS OBS CONTEXT TEXT',
      'HAS OBS CONTEXT TEXT',
      'CONTAINS TEXT', // key object description
      'CONTAINS IMAGE',
      'CONTAINS IMAGE',
      'CONTAINS COMPOSITE',
    ]);
    const description = items[6] as Item;
    expect(code(description, 'ConceptNameCodeSequence')).to.equal('113012');
    expect(description.TextValue).to.match(/Pulmonary nodule flagged, probability 0\.87\. Key images: the 2 highest-scoring slices.*not for clinical use/);
    const refs = items.slice(7).map((i) => (i.ReferencedSOPSequence as Item[])[0] as Record<string, string>);
    expect(refs.map((r) => r.ReferencedSOPInstanceUID)).to.deep.equal([INSTANCES[2]?.sopInstanceUid, INSTANCES[0]?.sopInstanceUid, SR_UID]);
    expect(refs[2]?.ReferencedSOPClassUID).to.equal('1.2.840.10008.5.1.4.1.1.88.34');
  });

  it('writes the zone its times are in, as the SR does (Timezone Offset From UTC), and none when not told', () => {
    expect(readPart10(buildKeyObjectSelection(input({ timezoneOffsetFromUtc: '+0100' })).part10).dataset).to.include({ TimezoneOffsetFromUTC: '+0100' });
    expect(readPart10(buildKeyObjectSelection(input()).part10).dataset).to.not.have.property('TimezoneOffsetFromUTC');
  });

  it('lists every referenced instance, the SR included, in the Current Requested Procedure Evidence Sequence', () => {
    const { dataset } = readPart10(buildKeyObjectSelection(input()).part10);
    const study = (dataset.CurrentRequestedProcedureEvidenceSequence as Item[])[0] as Item;
    expect(study.StudyInstanceUID).to.equal(STUDY_UID);
    const listed = (study.ReferencedSeriesSequence as Item[]).flatMap((s) => (s.ReferencedSOPSequence as Item[]).map((r) => `${s.SeriesInstanceUID as string}/${r.ReferencedSOPInstanceUID as string}`));
    expect(listed).to.have.members([`${SERIES_B}/${INSTANCES[2]?.sopInstanceUid}`, `${SERIES_A}/${INSTANCES[0]?.sopInstanceUid}`, `${SR_SERIES}/${SR_UID}`]);
  });

  it('derives its UID from the SR’s: same SR, same bytes; another SR, another KOS', () => {
    const a = buildKeyObjectSelection(input());
    expect(a.sopInstanceUid).to.equal(deriveUid(SR_UID, 'kos'));
    expect(buildKeyObjectSelection(input()).part10.equals(a.part10)).to.equal(true);
    const other = buildKeyObjectSelection(input({ sr: { sopInstanceUid: `${SR_UID}.2`, seriesInstanceUid: SR_SERIES } }));
    expect(other.sopInstanceUid).to.not.equal(a.sopInstanceUid);
    expect(other.seriesInstanceUid, 'the KOS series stays').to.equal(a.seriesInstanceUid);
    expect(a.seriesInstanceUid).to.not.equal(SR_SERIES);
  });

  it('names the frame of a multi-frame key image (Referenced Frame Number)', () => {
    const mf = { sopClassUid: ENHANCED_CT, sopInstanceUid: '1.2.3.4.5', seriesInstanceUid: SERIES_A, frameNumbers: [7] };
    const { dataset } = readPart10(buildKeyObjectSelection(input({ keyImages: [mf] })).part10);
    const image = (dataset.ContentSequence as Item[]).find((i) => i.ValueType === 'IMAGE') as Item;
    expect(Number((image.ReferencedSOPSequence as Item[])[0]?.ReferencedFrameNumber)).to.equal(7);
  });

  it('refuses no key image, a non-image key, a frame 0, a duplicate and a bad SR UID', () => {
    expect(() => buildKeyObjectSelection(input({ keyImages: [] }))).to.throw(RangeError, /at least one key image/);
    expect(() => buildKeyObjectSelection(input({ keyImages: [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.88.34', sopInstanceUid: '1.2.3', seriesInstanceUid: SERIES_A }] }))).to.throw(RangeError, /not an image/);
    expect(() => buildKeyObjectSelection(input({ keyImages: [{ sopClassUid: CT_IMAGE, sopInstanceUid: '1.2.3', seriesInstanceUid: SERIES_A, frameNumbers: [0] }] }))).to.throw(RangeError, /frame number 0/);
    const dup = INSTANCES[0] as (typeof INSTANCES)[number];
    expect(() => buildKeyObjectSelection(input({ keyImages: [dup, dup] }))).to.throw(RangeError, /twice/);
    expect(() => buildKeyObjectSelection(input({ sr: { sopInstanceUid: 'x.y', seriesInstanceUid: SR_SERIES } }))).to.throw(/not a valid UID/);
  });
});
