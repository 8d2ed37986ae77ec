import { expect } from 'chai';
import type { Uid } from '../../../src/dicom/index.js';
import { GatewayError } from '../../../src/errors.js';
import { buildTid1500Report, Codes, FindingCodes, parseTid1500Report, type Tid1500Report } from '../../../src/results/index.js';

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
      sourceImages: [ct(1), ct(2)],
    },
    {
      trackingIdentifier: 'demo-nodule-cnn: Pleural effusion',
      trackingUid: uid('2.25.101'),
      finding: FindingCodes.PleuralEffusion,
      algorithm: { name: 'demo-nodule-cnn', version: '1.0.0' },
      presence: 'absent',
      probability: 0.0123456789012345,
      sourceImages: [ct(3)],
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
      'TEXT 112039', 'UIDREF 112040', 'CODE 121071', 'TEXT 111001', 'TEXT 111003', 'NUM 81827009', 'CODE 27925004',
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
