/**
 * The KOS and the summary image built from real corpus images (CT, MR, DX, a multi-frame YBR ultrasound), checked by the
 * peers: dciodvfy zero errors (warnings printed), dsrdump reads the KOS's TID 2010 tree, and Orthanc stores the
 * summary and renders it (`GET /instances/{id}/preview`, PNG) with the region outline and the text band intact.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFrames } from '../../src/imaging/index.js';
import { preprocessForModel } from '../../src/imaging/to-tensor.js';
import { buildKeyObjectSelection, buildSummaryImage, summarySliceSize, type SummaryImage } from '../../src/results/index.js';
import { readSourceContext } from '../../src/results/sr/source-context.js';
import { SummaryColours } from '../../src/results/summary-image.js';
import { readPart10 } from '../../src/results/sr/part10-io.js';
import { dcmsend } from '../helpers/dcmtk.js';
import { CORPUS, REPO_ROOT, runCleanups, tempDir } from '../helpers/fixtures.js';
import { startOrthanc } from '../helpers/orthanc.js';
import { requirePeers, run } from '../helpers/peers.js';
import { decodePng } from '../helpers/png.js';

const SOURCES = ['pydicom__CT_small.dcm', 'pydicom__MR_small.dcm', 'highdicom__dx_image.dcm', 'pydicom__examples_ybr_color.dcm'];
const SR = { sopInstanceUid: '1.2.826.0.1.3680043.9.7433.9.1', seriesInstanceUid: '1.2.826.0.1.3680043.9.7433.9.2' };
const MODEL = { id: 'chest-ct-nodule-demo', version: '1.0.0', demo: true };
const FINDING = { value: '786838002', scheme: 'SCT', meaning: 'Pulmonary nodule' };

async function dciodvfyErrors(file: string, iod: string): Promise<string[]> {
  const r = await run('dciodvfy', [file]);
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim());
  for (const w of lines.filter((l) => l.startsWith('Warning'))) console.log(`        dciodvfy ${file.split('/').pop()}: ${w}`);
  expect(lines, 'the IOD dciodvfy recognised').to.include(iod);
  return lines.filter((l) => l.startsWith('Error'));
}

/** Builds the summary of a corpus image's last frame, as the analysis does (window from the image, region a square). */
async function summaryOf(path: string): Promise<SummaryImage> {
  const bytes = readFileSync(path);
  const decoded = await decodeFrames(bytes);
  if (decoded.kind !== 'decoded') throw new Error(`${path}: ${decoded.reason}`);
  const { columns, rows } = decoded.meta;
  const size = summarySliceSize(columns, rows);
  const frame = decoded.frames.length - 1;
  const pixels = preprocessForModel(decoded, { ...size, channels: 3, layout: 'NHWC', normalize: { min: 0, max: 1 } }, { frame });
  const { dataset } = readPart10(bytes, { withoutPixelData: true });
  const [c0, r0, c1, r1] = [columns * 0.3, rows * 0.3, columns * 0.6, rows * 0.6];
  return buildSummaryImage({
    source: await readSourceContext(path),
    srSopInstanceUid: SR.sopInstanceUid as never,
    slice: { ...size, channels: 3, pixels, sourceColumns: columns, sourceRows: rows, sopClassUid: String(dataset.SOPClassUID), sopInstanceUid: String(dataset.SOPInstanceUID), ...(decoded.frames.length > 1 ? { frameNumber: frame + 1 } : {}) },
    region: { points: [[c0, r0], [c1, r0], [c1, r1], [c0, r1]] },
    finding: FINDING,
    probability: 0.87,
    flagged: true,
    model: MODEL,
    contentDateTime: '20261130120000',
  });
}

describe('interop: KOS and summary image checked by dciodvfy, dsrdump and Orthanc', function () {
  this.timeout(120_000);
  let dir: string;

  before(function () {
    requirePeers(this, 'dciodvfy', 'dsrdump');
    dir = tempDir('pag-kos-');
  });
  after(() => runCleanups());

  for (const name of SOURCES) {
    it(`${name}: the KOS and the summary pass dciodvfy with zero errors`, async () => {
      const path = join(CORPUS, 'dicom', name);
      const { dataset } = readPart10(readFileSync(path), { withoutPixelData: true });
      const multiFrame = Number(dataset.NumberOfFrames ?? 1) > 1;
      const kos = buildKeyObjectSelection({
        source: await readSourceContext(path),
        sr: SR,
        keyImages: [{ sopClassUid: String(dataset.SOPClassUID), sopInstanceUid: String(dataset.SOPInstanceUID), seriesInstanceUid: String(dataset.SeriesInstanceUID), ...(multiFrame ? { frameNumbers: [2] } : {}) }],
        model: MODEL,
        finding: FINDING,
        probability: 0.87,
        flagged: true,
        contentDateTime: '20261130120000',
      });
      const kosFile = join(dir, `${name}.kos.dcm`);
      writeFileSync(kosFile, kos.part10);
      expect(await dciodvfyErrors(kosFile, 'KeyObjectSelectionDocument')).to.deep.equal([]);
      const summaryFile = join(dir, `${name}.summary.dcm`);
      writeFileSync(summaryFile, (await summaryOf(path)).part10);
      expect(await dciodvfyErrors(summaryFile, 'SCImage')).to.deep.equal([]);

      const dump = await run('dsrdump', ['+Pc', '+Pl', '+Pu', kosFile]);
      expect(dump.code, dump.stderr).to.equal(0);
      expect(dump.stdout).to.contain('Key Object Selection Document');
      expect(dump.stdout).to.contain('<CONTAINER:(113000,DCM,"Of Interest")=SEPARATE>');
      expect(dump.stdout).to.match(/<contains TEXT:\(113012,DCM,"Key Object Description"\)="AI chest-ct-nodule-demo 1\.0\.0: Pulmonary nodule flagged/);
      expect(dump.stdout).to.contain(`<contains COMPOSITE:=(Comprehensive3DSRStorage,"${SR.sopInstanceUid}")>`);
      if (multiFrame) expect(dump.stdout).to.match(/<contains IMAGE:=\([^)]*,"[0-9.]+",2\)>/);
    });
  }

  it("Orthanc stores the summary and its own rendering (preview PNG) shows the outline along the region's edges and the text", async function () {
    requirePeers(this, 'Orthanc', 'dcmsend', 'cc');
    const summary = await summaryOf(join(CORPUS, 'dicom', 'pydicom__CT_small.dcm'));
    const file = join(dir, 'orthanc-summary.dcm');
    writeFileSync(file, summary.part10);
    const orthanc = await startOrthanc();
    try {
      const sent = await dcmsend(orthanc.dicomPort, [file], { calledAe: orthanc.aeTitle });
      expect(sent.code, sent.stderr).to.equal(0);
      const id = await orthanc.findInstance(summary.sopInstanceUid);
      expect(id, 'Orthanc holds the summary').to.be.a('string');
      const res = await fetch(orthanc.url(`/instances/${id}/preview`), { headers: { accept: 'image/png' } });
      expect(res.headers.get('content-type')).to.equal('image/png');
      const bytes = new Uint8Array(await res.arrayBuffer());
      // WRITE_DOC_IMAGES=1 refreshes the example in docs/results-objects.md with Orthanc's own rendering
      if (process.env.WRITE_DOC_IMAGES === '1') writeFileSync(join(REPO_ROOT, 'docs', 'images', 'summary-example.png'), bytes);
      const png = decodePng(bytes);
      expect([png.width, png.height]).to.deep.equal([summary.layout.width, summary.layout.height]);
      const at = (x: number, y: number): number[] => [...png.rgb.subarray((Math.round(y) * png.width + Math.round(x)) * 3, (Math.round(y) * png.width + Math.round(x)) * 3 + 3)];
      const { outline } = summary.layout;
      outline.forEach((p, i) => {
        const q = outline[(i + 1) % outline.length] as readonly [number, number];
        for (const t of [0.25, 0.5, 0.75]) expect(at(p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])), `edge ${i} at ${t}`).to.deep.equal([...SummaryColours.outline]);
      });
      for (const line of summary.layout.lines) {
        let text = 0;
        const w = (line.text.length * 6 - 1) * line.scale;
        for (let y = line.y; y < line.y + 7 * line.scale; y++) for (let x = line.x; x < line.x + w; x++) if (at(x, y).every((v) => v === 255)) text += 1;
        expect(text / (w * 7 * line.scale), `"${line.text}" has text-coloured pixels`).to.be.within(0.15, 0.7);
      }
    } finally {
      await orthanc.stop();
    }
  });
});
