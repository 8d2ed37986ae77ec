/**
 * The summary image: layout and legibility at worklist-thumbnail size (a 4:1 box reduction still holds every glyph
 * of every text line, read back against the font), the region outline, the demo disclaimer, the DICOM header.
 */
import { expect } from 'chai';
import { ADVANCE_X, GLYPH_HEIGHT, GLYPH_WIDTH, glyphFor, glyphPixel } from '../../../src/results/bitmap-font.js';
import { encodePngRgb } from '../../../src/imaging/png.js';
import { buildSummaryImage, deriveUid, SECONDARY_CAPTURE_SOP_CLASS, summarySliceSize, type SummaryImageInput, type TextLine } from '../../../src/results/index.js';
import { renderSummary, SUMMARY_DEMO_DISCLAIMER, SummaryColours } from '../../../src/results/summary-image.js';
import { sourceContextFromDataset } from '../../../src/results/sr/source-context.js';
import { readPart10 } from '../../../src/results/sr/part10-io.js';
import { decodePng, downscale, type DecodedPng } from '../../helpers/png.js';
import { CT_IMAGE, INSTANCES, sourceDataset } from './sr-fixtures.js';

const SR_UID = '1.2.826.0.1.3680043.9.7433.9.1';

/** A 256×256 grey ramp slice (the display size of a 256×256 source is 512×512). */
function input(overrides: Partial<SummaryImageInput> = {}): SummaryImageInput {
  const size = summarySliceSize(256, 256);
  const pixels = new Float32Array(size.width * size.height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i % size.width) / size.width;
  return {
    source: sourceContextFromDataset(sourceDataset()),
    srSopInstanceUid: SR_UID as SummaryImageInput['srSopInstanceUid'],
    slice: { ...size, channels: 1, pixels, sourceColumns: 256, sourceRows: 256, sopClassUid: CT_IMAGE, sopInstanceUid: INSTANCES[0]?.sopInstanceUid as string },
    region: { points: [[100, 100], [140, 96], [150, 130], [104, 140]] },
    finding: { value: '27925004', scheme: 'SCT', meaning: 'Nodule' },
    probability: 0.873,
    flagged: true,
    model: { id: 'chest-ct-nodule-demo', version: '1.0.0', demo: true },
    contentDateTime: '20261129101500',
    ...overrides,
  };
}

/** Reads a text line back from an image by comparing each glyph cell (sampled at cell centres) with the font. */
function readLine(img: DecodedPng, line: TextLine, factor: number): string {
  const unit = line.scale / factor; // thumbnail pixels per font pixel
  const lum = (x: number, y: number): number => {
    const i = (Math.floor(y) * img.width + Math.floor(x)) * 3;
    return 0.299 * (img.rgb[i] as number) + 0.587 * (img.rgb[i + 1] as number) + 0.114 * (img.rgb[i + 2] as number);
  };
  const chars = [...line.text].map((ch, n) => {
    const x0 = line.x / factor + n * ADVANCE_X * unit;
    const y0 = line.y / factor;
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      for (let c = 0; c < GLYPH_WIDTH; c++) {
        const on = lum(x0 + (c + 0.5) * unit, y0 + (r + 0.5) * unit) > 160;
        if (on !== glyphPixel(glyphFor(ch), c, r)) return '\u25a1';
      }
    }
    return ch;
  });
  return chars.join('');
}

describe('results/summary-image: the summary for PACS without SR rendering', () => {
  it('writes the zone its times are in, as the SR does (Timezone Offset From UTC)', () => {
    expect(readPart10(buildSummaryImage(input({ timezoneOffsetFromUtc: '-0500' })).part10).dataset).to.include({ TimezoneOffsetFromUTC: '-0500' });
  });

  it('fits the slice into 512 px, keeping its aspect', () => {
    expect(summarySliceSize(512, 512)).to.deep.equal({ width: 512, height: 512 });
    expect(summarySliceSize(2048, 1536)).to.deep.equal({ width: 512, height: 384 });
    expect(summarySliceSize(100, 300)).to.deep.equal({ width: 170, height: 512 });
  });

  it('stays legible as a 128-px thumbnail: every line reads back glyph for glyph after a 4:1 box reduction', () => {
    const { raster, layout } = renderSummary(input());
    expect(layout.width).to.equal(512);
    const thumb = downscale(decodePng(encodePngRgb(raster.width, raster.height, raster.data)), 4);
    expect(thumb.width).to.equal(128);
    const texts = layout.lines.map((l) => l.text);
    expect(texts.join(' ')).to.equal(`Nodule 87% AI: FLAGGED chest-ct-nodule-demo 1.0.0 ${SUMMARY_DEMO_DISCLAIMER}`);
    for (const line of layout.lines) {
      expect(line.scale % 4, `"${line.text}" is drawn at a multiple of the reduction`).to.equal(0);
      expect(readLine(thumb, line, 4).toUpperCase(), 'read back from the thumbnail').to.equal(line.text.toUpperCase());
    }
    expect(layout.lines[0]?.scale, 'a short headline is drawn twice as big').to.equal(8);
  });

  it('keeps high contrast in the thumbnail’s text bands: white strokes on black, and on red for the disclaimer', () => {
    const { raster, layout } = renderSummary(input());
    const thumb = downscale(decodePng(encodePngRgb(raster.width, raster.height, raster.data)), 4);
    for (const line of layout.lines) {
      const y0 = line.y / 4;
      const h = (GLYPH_HEIGHT * line.scale) / 4;
      const w = (((line.text.length * ADVANCE_X - 1) * line.scale) / 4) | 0;
      let white = 0;
      let background = 0;
      for (let y = y0; y < y0 + h; y++) {
        for (let x = line.x / 4; x < line.x / 4 + w; x++) {
          const i = (y * thumb.width + x) * 3;
          const [r, g, b] = [thumb.rgb[i] as number, thumb.rgb[i + 1] as number, thumb.rgb[i + 2] as number];
          if (r === 255 && g === 255 && b === 255) white += 1;
          else if (r === line.background[0] && g === line.background[1] && b === line.background[2]) background += 1;
        }
      }
      const total = w * h;
      expect(white / total, `"${line.text}": text coverage`).to.be.within(0.15, 0.7);
      expect((white + background) / total, `"${line.text}": only text and band colours, no grey blur`).to.equal(1);
    }
    expect(layout.lines.filter((l) => l.background === SummaryColours.disclaimerBand).map((l) => l.text).join(' ')).to.equal(SUMMARY_DEMO_DISCLAIMER);
  });

  it('outlines the region in yellow along its edges, mapped from source to display pixels', () => {
    const { raster, layout } = renderSummary(input());
    expect(layout.outline).to.have.length(4);
    const [x0, y0] = layout.outline[0] as [number, number];
    expect(x0).to.be.closeTo(layout.image.x + 100.5 * 2 - 0.5, 1e-9);
    expect(y0).to.be.closeTo(layout.image.y + 100.5 * 2 - 0.5, 1e-9);
    // every edge's midpoint is outline-coloured
    layout.outline.forEach((p, i) => {
      const q = layout.outline[(i + 1) % layout.outline.length] as readonly [number, number];
      expect(raster.pixel(Math.round((p[0] + q[0]) / 2), Math.round((p[1] + q[1]) / 2))).to.deep.equal(SummaryColours.outline);
    });
    const without = renderSummary(input({ region: undefined }));
    let yellow = 0;
    for (let i = 0; i < without.raster.data.length; i += 3) if (without.raster.data[i + 2] === 0 && without.raster.data[i] === 255 && without.raster.data[i + 1] === 255) yellow += 1;
    expect(yellow, 'no region, no outline').to.equal(0);
  });

  it('says nothing of a demo model for a clinical one', () => {
    const { layout } = renderSummary(input({ model: { id: 'vendor-model', version: '2.1', demo: false }, flagged: false, probability: 0.12 }));
    expect(layout.lines.map((l) => l.text)).to.deep.equal(['Nodule 12%', 'AI: NOT FLAGGED', 'vendor-model 2.1']);
  });

  it('is a Secondary Capture: RGB, burned-in annotation, WSD, the top slice as source, UID from the SR’s', () => {
    const s = buildSummaryImage(input());
    expect(s.sopInstanceUid).to.equal(deriveUid(SR_UID, 'summary'));
    const { dataset } = readPart10(s.part10);
    expect(dataset).to.include({ SOPClassUID: SECONDARY_CAPTURE_SOP_CLASS, PhotometricInterpretation: 'RGB', SamplesPerPixel: 3, BurnedInAnnotation: 'YES', ConversionType: 'WSD', Modality: 'OT', Rows: s.layout.height, Columns: 512 });
    expect((dataset.SourceImageSequence as Array<Record<string, string>>)[0]?.ReferencedSOPInstanceUID).to.equal(INSTANCES[0]?.sopInstanceUid);
    const pixels = new Uint8Array((dataset.PixelData as ArrayBuffer[])[0] as ArrayBuffer);
    expect(Buffer.from(pixels).equals(Buffer.from(s.raster.data))).to.equal(true);
    expect(buildSummaryImage(input()).part10.equals(s.part10), 'same input, same bytes').to.equal(true);
  });
});
