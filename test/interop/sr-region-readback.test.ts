/**
 * The region of a flagged finding, end to end through the real parts and read back by the peers: the demo model
 * scores the sample nodule study, `findingRegions` maps the best slices with the same classifier, the SR is built
 * and then checked by dicom3tools `dciodvfy` (zero errors), DCMTK `dsrdump` (the SCOORD, selected from its image)
 * and dcmjs's Cornerstone3D MeasurementReport adapter (the code OHIF reads TID 1500 with: the polygon comes back on
 * the referenced image).
 */
import { expect } from 'chai';
import dcmjs from 'dcmjs';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Classifier } from '../../src/ai/index.js';
import { BestSlices, findingRegions } from '../../src/flows/images/finding-regions.js';
import { type TensorSpec } from '../../src/imaging/index.js';
import { prepareSlices } from '../../src/imaging/slice-prep.js';
import { buildFindingsSr, type FindingRegion, type FindingsSr } from '../../src/results/index.js';
import { parseFindingsSr } from '../../src/results/sr/sr-document.js';
import { readSourceContext } from '../../src/results/sr/source-context.js';
import { demoSpec } from '../unit/ai/demo-model.js';
import { REPO_ROOT, runCleanups, tempDir } from '../helpers/fixtures.js';
import { requirePeers, run } from '../helpers/peers.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';

interface ToolState {
  PlanarFreehandROI: Array<{ sopInstanceUid: string; annotation: { metadata: { referencedImageId: string }; data: { polyline: number[][]; isOpenContour: boolean } } }>;
}

describe('interop: the region of a flagged finding in the SR, read back by dciodvfy, dsrdump and dcmjs (OHIF)', function () {
  this.timeout(180_000);
  let file: string;
  let sr: FindingsSr;
  let regions: FindingRegion[];

  before(async function () {
    requirePeers(this, 'dciodvfy', 'dsrdump');
    const dir = join(REPO_ROOT, 'sample-dicom', 'DEMO001-nodule');
    const files = readdirSync(dir).filter((f) => f.endsWith('.dcm')).sort().map((f) => join(dir, f));
    const spec = demoSpec();
    const tensorSpec: TensorSpec = { ...spec.input, channels: 3 };
    const classifier = await Classifier.create(spec, { batchSize: 32 });
    try {
      const best = new BestSlices();
      const refs: Array<{ sopClassUid: string; sopInstanceUid: string; seriesInstanceUid: string }> = [];
      for (const path of files) {
        const prepared = await prepareSlices(path, tensorSpec);
        if (prepared.kind !== 'prepared') throw new Error(`${path} undecodable`);
        const ds = sourceIds(path);
        refs.push(ds);
        const [p] = (await classifier.classify(prepared.tensors)).probabilities.map((row) => row[0] ?? 0);
        best.offer({ sopInstanceUid: ds.sopInstanceUid, sopClassUid: ds.sopClassUid, frame: 0, frames: 1, rows: prepared.rows, columns: prepared.columns, probability: p ?? 0, tensor: prepared.tensors[0] as Float32Array });
      }
      const located = await findingRegions(best.slices, tensorSpec, spec.output.threshold, (images) => classifier.classify(images));
      console.log(`        regions: ${located.regions.length} on ${located.cost.slices} slices, ${located.cost.inferences} inferences, ${located.cost.ms.toFixed(0)} ms`);
      regions = located.regions;
      sr = buildFindingsSr({
        source: await readSourceContext(files[0] as string),
        referencedInstances: refs,
        model: { id: spec.id, version: spec.version, manufacturer: 'pacs-ai-gateway', demo: true },
        findings: [{ finding: { value: spec.finding.code, scheme: spec.finding.scheme, meaning: spec.finding.meaning }, presence: 'present', probability: best.slices[0]?.probability ?? 0, sourceInstanceUids: best.slices.map((s) => s.sopInstanceUid), regions }],
        kind: 'image-ai',
        contentDateTime: '20261130120000',
      });
      file = join(tempDir('pag-sr-region-'), 'region.sr.dcm');
      writeFileSync(file, sr.part10);
    } finally {
      await classifier.close();
    }
  });
  after(() => runCleanups());

  it('has a region on each of the best slices, inside the 512 × 512 image', () => {
    expect(regions).to.have.length(3);
    for (const r of regions) {
      expect(r.sopClassUid).to.equal(CT);
      expect(r.frameNumber).to.equal(undefined);
      expect(r.points.length).to.be.at.least(4);
      for (const [c, row] of r.points) expect(c).to.be.within(0, 512) && expect(row).to.be.within(0, 512);
      expect(r.scoreDrop).to.be.greaterThan(0);
    }
    expect(parseFindingsSr(sr.part10).report.regions.map((r) => r.image.sopInstanceUid)).to.deep.equal(regions.map((r) => r.sopInstanceUid));
  });

  it('dciodvfy reports zero errors', async () => {
    const r = await run('dciodvfy', [file]);
    const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim());
    for (const w of lines.filter((l) => l.startsWith('Warning'))) console.log(`        dciodvfy: ${w}`);
    expect(lines.filter((l) => l.startsWith('Error')), r.stderr).to.deep.equal([]);
  });

  it('dsrdump shows the TID 1410 group: the Image Region SCOORD selected from the referenced image', async () => {
    const r = await run('dsrdump', ['+Pc', '+Pu', '+Pl', file]);
    expect(r.code, r.stderr).to.equal(0);
    const out = r.stdout;
    const region = regions[0] as FindingRegion;
    expect(out).to.include('<has obs context TEXT:(112039,DCM,"Tracking Identifier")="Cornerstone3DTools@^0.1.0:PlanarFreehandROI:chest-ct-nodule-demo: Pulmonary nodule, region 1">');
    // dsrdump prints Graphic Data as column/row pairs: (POLYLINE,c1/r1,c2/r2,…)
    const shown = /<contains SCOORD:\(111030,DCM,"Image Region"\)=\(POLYLINE,([^)]*)\)>/.exec(out)?.[1];
    expect(shown, 'the Image Region SCOORD').to.be.a('string');
    const printed = (shown ?? '').split(',').map((pair) => pair.split('/').map(Number));
    expect(printed).to.have.length(region.points.length);
    printed.forEach(([c, row], i) => {
      const [ec, er] = region.points[i] as readonly [number, number];
      expect(c, `column ${i}`).to.be.closeTo(ec, 1e-3 * Math.max(1, ec));
      expect(row, `row ${i}`).to.be.closeTo(er, 1e-3 * Math.max(1, er));
    });
    const escaped = region.sopInstanceUid.replace(/\./g, '\\.');
    expect(out).to.match(new RegExp(`SCOORD:\\(111030,DCM,"Image Region"\\)=\\(POLYLINE,[^)]*\\)>\\s*<selected from IMAGE:=\\(CT image,"${escaped}"\\)>`));
    expect(out).to.match(/<contains NUM:\(111012,DCM,"Certainty of Finding"\)="[\d.]+" \(%,UCUM,"Percent"\)>\s*<inferred from SCOORD:=\(POLYLINE,[^)]*\)>\s*<selected from IMAGE:/);
  });

  it('dcmjs Cornerstone3D MeasurementReport.generateToolState gives each polygon back on its image', () => {
    const bytes = sr.part10;
    const dict = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    const dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
    const imageIds = Object.fromEntries(regions.map((r) => [r.sopInstanceUid, `wadouri:${r.sopInstanceUid}`]));
    // What a viewer supplies: its image ids, its image → world transform (identity in-plane here) and metadata.
    const imageToWorld = (_id: string, [c, r]: [number, number]): number[] => [c, r, 0];
    const metadata = { get: (_type: string, _id: string) => ({ frameOfReferenceUID: '2.25.1' }) };
    const log = console.log;
    console.log = () => undefined; // the adapter logs every measurement it reads
    let state: ToolState;
    try {
      state = dcmjs.adapters.Cornerstone3D.MeasurementReport.generateToolState(dataset, imageIds, imageToWorld, metadata) as unknown as ToolState;
    } finally {
      console.log = log;
    }
    const tools = state.PlanarFreehandROI;
    expect(tools).to.have.length(regions.length);
    tools.forEach((tool, k) => {
      const region = regions[k] as FindingRegion;
      expect(tool.sopInstanceUid).to.equal(region.sopInstanceUid);
      expect(tool.annotation.metadata.referencedImageId).to.equal(`wadouri:${region.sopInstanceUid}`);
      expect(tool.annotation.data.isOpenContour, 'closed').to.equal(false);
      // the adapter drops the repeated closing point
      const expected = region.points.slice(0, -1);
      expect(tool.annotation.data.polyline).to.have.length(expected.length);
      tool.annotation.data.polyline.forEach(([c, r], i) => {
        expect(c).to.be.closeTo((expected[i] as readonly [number, number])[0], 1e-3);
        expect(r).to.be.closeTo((expected[i] as readonly [number, number])[1], 1e-3);
      });
    });
  });
});

function sourceIds(path: string): { sopClassUid: string; sopInstanceUid: string; seriesInstanceUid: string } {
  const bytes = readFileSync(path);
  const dict = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, { untilTag: '7FE00010' });
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  return { sopClassUid: String(ds.SOPClassUID), sopInstanceUid: String(ds.SOPInstanceUID), seriesInstanceUid: String(ds.SeriesInstanceUID) };
}
