import { expect } from 'chai';
import type { Uid } from '../../../src/dicom/index.js';
import { GatewayError } from '../../../src/errors.js';
import { type Tid1500Report } from '../../../src/results/index.js';
import { buildTid1500Report, parseTid1500Report } from '../../../src/results/sr/tid1500.js';
import { Codes, FindingCodes } from '../../../src/results/sr/codes.js';

const uid = (s: string): Uid => s as Uid;
const ct = (n: number) => ({ sopClassUid: uid('1.2.840.10008.5.1.4.1.1.2'), sopInstanceUid: uid(`1.2.3.${n}`) });

const report: Tid1500Report = {
  language: Codes.EnglishUnitedStates,
  observer: { uid: uid('2.25.99'), name: 'demo-nodule-cnn', manufacturer: 'ACME AI', modelName: 'demo-nodule-cnn' },
  procedureReported: { value: '25045-6', scheme: 'LN', meaning: 'CT unspecified body region' },
  imageLibrary: [ct(1), ct(2), ct(3)],
  findings: [
    {
      trackingIdentifier: 'demo-nodule-cnn: Nodule',
      trackingUid: uid('2.25.100'),
      finding: FindingCodes.Nodule,
      algorithm: { name: 'demo-nodule-cnn', version: '1.0.0' },
      presence: 'present',
      probability: 0.97,
      sourceImages: [ct(1), { ...ct(2), frameNumber: 3 }],
    },
    {
      trackingIdentifier: 'demo-nodule-cnn: Pleural effusion',
      trackingUid: uid('2.25.101'),
      finding: FindingCodes.PleuralEffusion,
      algorithm: { name: 'demo-nodule-cnn', version: '1.0.0' },
      presence: 'absent',
      probability: 0.25,
      sourceImages: [ct(3)],
    },
  ],
  regions: [
    {
      trackingIdentifier: 'demo-nodule-cnn: Nodule, region 1',
      trackingUid: uid('2.25.103'),
      finding: FindingCodes.Nodule,
      algorithm: { name: 'demo-nodule-cnn', version: '1.0.0' },
      image: { ...ct(4), frameNumber: 7 },
      // float32-exact values: Graphic Data is FL
      points: [[10.5, 20.25], [30, 20.25], [30, 40.75], [10.5, 40.75], [10.5, 20.25]],
      probability: 0.97,
    },
  ],
  comments: ['Demo model trained on synthetic data — not for clinical use'],
};

type Tree = Record<string, unknown>;
const encoded = (): Tree => JSON.parse(JSON.stringify(buildTid1500Report(report))) as Tree;
const children = (item: Tree): Tree[] => item.ContentSequence as Tree[];
const nameOf = (item: Tree): unknown => (item.ConceptNameCodeSequence as Tree[] | undefined)?.[0]?.CodeValue;

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof GatewayError ? err.code : `not a GatewayError: ${String(err)}`;
  }
  return undefined;
}

describe('results/sr TID 1500 measurement report', () => {
  it('round-trips: build → encode → parse gives the input back', () => {
    expect(parseTid1500Report(encoded())).to.deep.equal(report);
  });

  it('writes the IHE AIR tree in template order with DCMR 1500 / 1501 template ids', () => {
    const root = encoded();
    expect(root).to.include({ ValueType: 'CONTAINER', ContinuityOfContent: 'SEPARATE' }).and.not.have.property('RelationshipType');
    expect(root.ContentTemplateSequence).to.deep.equal([{ MappingResource: 'DCMR', TemplateIdentifier: '1500' }]);
    expect(children(root).map(nameOf)).to.deep.equal(['121049', '121005', '121012', '121013', '121014', '121015', '121058', '111028', '126010', 'C0034375']);
    const measurements = children(root).find((i) => nameOf(i) === '126010') as Tree;
    const group = children(measurements)[0] as Tree;
    expect(group.ContentTemplateSequence).to.deep.equal([{ MappingResource: 'DCMR', TemplateIdentifier: '1501' }]);
    expect(children(group).map((i) => `${String(i.RelationshipType)} ${String(i.ValueType)} ${String(nameOf(i))}`)).to.deep.equal([
      'HAS OBS CONTEXT TEXT 112039',
      'HAS OBS CONTEXT UIDREF 112040',
      'CONTAINS CODE 121071',
      'HAS CONCEPT MOD TEXT 111001',
      'HAS CONCEPT MOD TEXT 111003',
      'CONTAINS NUM 111012',
      'CONTAINS CODE 27925004',
      'CONTAINS IMAGE 260753009',
      'CONTAINS IMAGE 260753009',
    ]);
    // 97 %, UCUM "%": the unit and range of the CAD templates that define Certainty of Finding (TID 4006)
    const num = children(group).find((i) => nameOf(i) === '111012') as Tree;
    expect(num.MeasuredValueSequence).to.deep.equal([{ NumericValue: '97', MeasurementUnitsCodeSequence: [{ CodeValue: '%', CodingSchemeDesignator: 'UCUM', CodeMeaning: 'Percent' }] }]);
    // a multi-frame source cites its frame
    const sources = children(group).filter((i) => nameOf(i) === '260753009');
    expect((sources[1]?.ReferencedSOPSequence as Tree[])[0]).to.include({ ReferencedSOPInstanceUID: '1.2.3.2' }).and.deep.include({ ReferencedFrameNumber: [3] });
    expect((sources[0]?.ReferencedSOPSequence as Tree[])[0]).to.not.have.property('ReferencedFrameNumber');
  });

  it('names an absent finding only in its qualitative evaluation: no "Finding" row a first-row reader could list', () => {
    const group = children(children(encoded()).find((i) => nameOf(i) === '126010') as Tree)[1] as Tree;
    expect(children(group).map((i) => `${String(i.ValueType)} ${String(nameOf(i))}`)).to.deep.equal([
      'TEXT 112039', 'UIDREF 112040', 'TEXT 111001', 'TEXT 111003', 'NUM 111012', 'CODE 60046008', 'IMAGE 260753009',
    ]);
    const evaluation = children(group).find((i) => nameOf(i) === '60046008') as Tree;
    expect((evaluation.ConceptCodeSequence as Tree[])[0]).to.include({ CodeValue: '272519000', CodeMeaning: 'Absent' });
  });

  it('writes a region as a TID 1410 group: Image Region SCOORD on its image and frame, and the measurement inferred from it', () => {
    const group = children(children(encoded()).find((i) => nameOf(i) === '126010') as Tree)[2] as Tree;
    expect(group.ContentTemplateSequence).to.deep.equal([{ MappingResource: 'DCMR', TemplateIdentifier: '1410' }]);
    expect(children(group).map((i) => `${String(i.RelationshipType)} ${String(i.ValueType)} ${String(nameOf(i))}`)).to.deep.equal([
      'HAS OBS CONTEXT TEXT 112039',
      'HAS OBS CONTEXT UIDREF 112040',
      'CONTAINS CODE 121071',
      'HAS CONCEPT MOD TEXT 111001',
      'HAS CONCEPT MOD TEXT 111003',
      'CONTAINS SCOORD 111030',
      'CONTAINS NUM 111012',
    ]);
    expect(children(group)[0]?.TextValue).to.equal('Cornerstone3DTools@^0.1.0:PlanarFreehandROI:demo-nodule-cnn: Nodule, region 1');
    const scoord = children(group).find((i) => nameOf(i) === '111030') as Tree;
    expect(scoord).to.include({ GraphicType: 'POLYLINE' }).and.deep.include({ GraphicData: [10.5, 20.25, 30, 20.25, 30, 40.75, 10.5, 40.75, 10.5, 20.25] });
    expect(children(scoord)).to.deep.equal([
      { ValueType: 'IMAGE', RelationshipType: 'SELECTED FROM', ReferencedSOPSequence: [{ ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2', ReferencedSOPInstanceUID: '1.2.3.4', ReferencedFrameNumber: [7] }] },
    ]);
    const inferred = children(children(group).find((i) => nameOf(i) === '111012') as Tree);
    expect(inferred).to.have.length(1);
    expect(inferred[0]).to.include({ RelationshipType: 'INFERRED FROM', ValueType: 'SCOORD', GraphicType: 'POLYLINE' }).and.not.have.property('ConceptNameCodeSequence');
    expect(children(inferred[0] as Tree)).to.deep.equal(children(scoord));
  });

  it('refuses a region that is not a closed polygon', () => {
    const r = report.regions[0];
    if (r === undefined) throw new Error('fixture');
    expect(() => buildTid1500Report({ ...report, regions: [{ ...r, points: [[0, 0], [1, 0], [1, 1]] }] })).to.throw(RangeError, /closed polygon/);
    expect(() => buildTid1500Report({ ...report, regions: [{ ...r, points: [[0, 0], [1, 1], [0, 0]] }] })).to.throw(RangeError, /closed polygon/);
  });

  it('reads a probability written in UCUM "1" (0-1) by earlier versions', () => {
    const root = encoded();
    const group = children(children(root).find((i) => nameOf(i) === '126010') as Tree)[0] as Tree;
    const num = children(group).find((i) => nameOf(i) === '111012') as Tree;
    num.MeasuredValueSequence = [{ NumericValue: '0.5', MeasurementUnitsCodeSequence: [{ CodeValue: '1', CodingSchemeDesignator: 'UCUM', CodeMeaning: 'no units' }] }];
    expect(parseTid1500Report(root).findings[0]?.probability).to.equal(0.5);
    num.MeasuredValueSequence = [{ NumericValue: '150', MeasurementUnitsCodeSequence: [{ CodeValue: '%', CodingSchemeDesignator: 'UCUM', CodeMeaning: 'Percent' }] }];
    expect(errorCode(() => parseTid1500Report(root))).to.equal('GW_ERR_DATASET_UNREADABLE');
  });

  it('writes no Qualitative Evaluations container when there is nothing to say', () => {
    const root = buildTid1500Report({ ...report, comments: [] });
    expect(children(root).map(nameOf)).to.not.include('C0034375');
    expect(parseTid1500Report(root).comments).to.deep.equal([]);
  });

  it('refuses a probability outside [0, 1] and a diameter that is not a positive number', () => {
    const f = report.findings[0];
    if (f === undefined) throw new Error('fixture');
    expect(() => buildTid1500Report({ ...report, findings: [{ ...f, probability: 1.2 }] })).to.throw(RangeError, /probability/);
    expect(() => buildTid1500Report({ ...report, findings: [{ ...f, probability: Number.NaN }] })).to.throw(RangeError, /probability/);
    expect(() => buildTid1500Report({ ...report, findings: [{ ...f, sizeMm: 0 }] })).to.throw(RangeError, /diameter/);
  });

  it('round-trips a finding read from a report: Undetermined, a diameter in mm, no probability, no source image', () => {
    const fromReport: Tid1500Report = {
      ...report,
      findings: [
        {
          trackingIdentifier: 'report-ner: Nodule',
          trackingUid: uid('2.25.102'),
          finding: FindingCodes.Nodule,
          algorithm: { name: 'report-ner', version: '1.0.0' },
          presence: 'undetermined',
          sizeMm: 8,
          sourceImages: [],
        },
      ],
    };
    const root = JSON.parse(JSON.stringify(buildTid1500Report(fromReport))) as Tree;
    const group = children(children(root).find((i) => nameOf(i) === '126010') as Tree)[0] as Tree;
    expect(children(group).map((i) => `${String(i.ValueType)} ${String(nameOf(i))}`)).to.deep.equal([
      'TEXT 112039', 'UIDREF 112040', 'TEXT 111001', 'TEXT 111003', 'NUM 81827009', 'CODE 27925004',
    ]);
    expect(parseTid1500Report(root)).to.deep.equal(fromReport);
  });

  describe('malformed reports fail with GW_ERR_DATASET_UNREADABLE', () => {
    it('another document title (not TID 1500)', () => {
      const root = encoded();
      root.ConceptNameCodeSequence = [{ CodeValue: '18748-4', CodingSchemeDesignator: 'LN', CodeMeaning: 'Diagnostic imaging report' }];
      expect(errorCode(() => parseTid1500Report(root))).to.equal('GW_ERR_DATASET_UNREADABLE');
    });

    it('no Imaging Measurements container', () => {
      const root = encoded();
      root.ContentSequence = children(root).filter((i) => nameOf(i) !== '126010');
      expect(errorCode(() => parseTid1500Report(root))).to.equal('GW_ERR_DATASET_UNREADABLE');
    });

    it('a person observer where a device observer belongs', () => {
      const root = encoded();
      const observerType = children(root).find((i) => nameOf(i) === '121005') as Tree;
      observerType.ConceptCodeSequence = [{ CodeValue: '121006', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Person' }];
      expect(errorCode(() => parseTid1500Report(root))).to.equal('GW_ERR_DATASET_UNREADABLE');
    });

    it('a qualitative evaluation that is not Present, Absent or Undetermined, or a group without its tracking UID', () => {
      const root = encoded();
      const group = children(children(root).find((i) => nameOf(i) === '126010') as Tree)[0] as Tree;
      const presence = children(group).find((i) => nameOf(i) === '27925004') as Tree;
      presence.ConceptCodeSequence = [{ CodeValue: '261665006', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Unknown' }];
      expect(errorCode(() => parseTid1500Report(root))).to.equal('GW_ERR_DATASET_UNREADABLE');
      const root2 = encoded();
      const group2 = children(children(root2).find((i) => nameOf(i) === '126010') as Tree)[0] as Tree;
      group2.ContentSequence = children(group2).filter((i) => nameOf(i) !== '112040');
      expect(errorCode(() => parseTid1500Report(root2))).to.equal('GW_ERR_DATASET_UNREADABLE');
    });

    it('a root that is not a dataset at all', () => {
      expect(errorCode(() => parseTid1500Report(null))).to.equal('GW_ERR_DATASET_UNREADABLE');
      expect(errorCode(() => parseTid1500Report({ ValueType: 'TEXT' }))).to.equal('GW_ERR_DATASET_UNREADABLE');
    });
  });
});
