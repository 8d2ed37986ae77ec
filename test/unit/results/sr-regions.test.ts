import { expect } from 'chai';
import { buildFindingsSr, type FindingRegion } from '../../../src/results/index.js';
import { FindingCodes } from '../../../src/results/sr/codes.js';
import { parseFindingsSr } from '../../../src/results/sr/sr-document.js';
import { CT_IMAGE, INSTANCES, srInput } from './sr-fixtures.js';

const first = INSTANCES[0]?.sopInstanceUid ?? '';
const square: FindingRegion['points'] = [[100.5, 200.25], [180, 200.25], [180, 260], [100.5, 260], [100.5, 200.25]];

describe('results/sr regions of a finding (TID 1410) in the AI result SR', () => {
  const withRegions = (regions: FindingRegion[], sourceFrameNumbers?: Record<string, number>) =>
    srInput({
      findings: [
        { finding: FindingCodes.Nodule, presence: 'present', probability: 0.9731, sourceInstanceUids: [first], regions, ...(sourceFrameNumbers === undefined ? {} : { sourceFrameNumbers }) },
      ],
    });

  it('round-trips each region: image, frame, polygon, probability; tracking UIDs stable across builds', () => {
    const regions: FindingRegion[] = [
      { sopInstanceUid: first, sopClassUid: CT_IMAGE, frameNumber: 2, points: square, probability: 0.9731, scoreDrop: 0.6 },
      { sopInstanceUid: first, sopClassUid: CT_IMAGE, frameNumber: 5, points: square, probability: 0.8, scoreDrop: 0.4 },
    ];
    const sr = buildFindingsSr(withRegions(regions, { [first]: 2 }));
    const { report } = parseFindingsSr(sr.part10);
    expect(report.regions.map((r) => [r.image.sopInstanceUid, r.image.frameNumber, r.points, r.probability, r.finding.value])).to.deep.equal([
      [first, 2, square, 0.9731, FindingCodes.Nodule.value],
      [first, 5, square, 0.8, FindingCodes.Nodule.value],
    ]);
    expect(report.regions[0]?.trackingIdentifier).to.equal('demo-nodule-cnn: Nodule, region 1');
    expect(report.regions[0]?.trackingUid).to.not.equal(report.regions[1]?.trackingUid);
    expect(parseFindingsSr(buildFindingsSr(withRegions(regions, { [first]: 2 })).part10).report.regions.map((r) => r.trackingUid)).to.deep.equal(report.regions.map((r) => r.trackingUid));
    // the finding's Source IMAGE of a multi-frame instance cites its frame
    expect(report.findings[0]?.sourceImages).to.deep.equal([{ sopClassUid: CT_IMAGE, sopInstanceUid: first, frameNumber: 2 }]);
  });

  it('refuses a region on an image the SR does not reference', () => {
    const stray: FindingRegion = { sopInstanceUid: '1.2.3.999', sopClassUid: CT_IMAGE, points: square, probability: 0.9, scoreDrop: 0.5 };
    expect(() => buildFindingsSr(withRegions([stray]))).to.throw(RangeError, /not in referencedInstances/);
  });
});
