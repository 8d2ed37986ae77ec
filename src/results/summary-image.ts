/**
 * The summary image: the top-scoring slice, windowed, with the finding's region outlined and the finding, the
 * probability, the model and version (and for a demo model "NOT FOR DIAGNOSTIC USE — demo model") burned in as
 * big text bands above and below, for PACS viewers that do not render a TID 1500 SR.
 *
 * SOP class: Secondary Capture Image Storage (PS3.4 B.5, IOD PS3.3 A.8.1), not Multi-frame True Color SC: it is one
 * frame, every PACS and viewer stores and shows the classic SC, and the multi-frame IOD would add the Multi-frame,
 * Frame Pointers and SC Multi-frame Image modules for nothing. RGB, 8 bits, Planar Configuration 0; Burned In
 * Annotation (0028,0301) YES (General Image, C.7.6.1: the text is in the pixels); Conversion Type WSD
 * "Workstation" (C.8.6.1, SC Equipment: the image was made by software, not scanned or videoed).
 *
 * Legibility: the image is 512 pixels wide, so a 128-pixel worklist thumbnail is a 4:1 reduction. Every text line
 * is drawn at scale 4 or 8 with its origin on a multiple of 4, so each font pixel becomes one or two whole thumbnail
 * pixels: the 5×7 glyphs reach the thumbnail intact, white on black (or on red for the disclaimer).
 *
 * Same input → same bytes: the UID is derived from the SR's (`deriveUid(srUid, 'summary')`), so it changes exactly
 * when the SR does, and the only date/time is the caller's `contentDateTime`.
 */
import { IMPLEMENTATION_VERSION_NAME, parseUid, type Uid } from '../dicom/index.js';
import { GatewayError } from '../errors.js';
import { ADVANCE_Y, GLYPH_HEIGHT, textWidth } from './bitmap-font.js';
import { deriveUid } from './derive-uid.js';
import { RgbRaster, type Rgb } from './rgb-raster.js';
import type { CodedConcept } from './sr/content-items.js';
import type { Naturalized } from './sr/naturalized.js';
import { readPart10, writePart10 } from './sr/part10-io.js';
import type { SourceContext } from './sr/source-context.js';

/** Secondary Capture Image Storage (PS3.4 B.5). */
export const SECONDARY_CAPTURE_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.7';
/** Burned into every summary of a demo model. */
export const SUMMARY_DEMO_DISCLAIMER = 'NOT FOR DIAGNOSTIC USE \u2014 demo model';

/** Width of the summary image; the slice is fitted into WIDTH × WIDTH. */
export const SUMMARY_WIDTH = 512;
/** Text scales: multiples of the 4:1 thumbnail reduction (see the module comment). */
const HEADLINE_SCALE = 8;
const TEXT_SCALE = 4;
const PAD = 8;
const SERIES_NUMBER = 9002;

export const SummaryColours = {
  band: [0, 0, 0] as Rgb,
  text: [255, 255, 255] as Rgb,
  disclaimerBand: [176, 0, 0] as Rgb,
  /** The region outline: saturated yellow, apart from every grey of the slice and from the white text. */
  outline: [255, 255, 0] as Rgb,
} as const;
const OUTLINE_THICKNESS = 3;

/** Where the finding is, as the saliency step gives it: a polygon in the source image's pixel coordinates. */
export interface FindingRegionInput {
  /** [column, row] vertices in the source slice's pixel grid (0-based, pixel centres at integers). */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

/** The top slice, already windowed to [0, 1] at its display size (`summarySliceSize`). */
export interface SummarySlice {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  /** width × height × channels values in [0, 1], rows top to bottom, samples interleaved. */
  readonly pixels: Float32Array;
  /** The source slice's own size, to place the region. */
  readonly sourceColumns: number;
  readonly sourceRows: number;
  /** The instance (and frame, 1-based, for multi-frame) the slice is. */
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly frameNumber?: number;
}

export interface SummaryImageInput {
  readonly source: SourceContext;
  /** The AI SR this image summarises: the summary's UID is derived from it. */
  readonly srSopInstanceUid: Uid;
  readonly slice: SummarySlice;
  readonly region?: FindingRegionInput;
  readonly finding: CodedConcept;
  readonly probability: number;
  readonly flagged: boolean;
  readonly model: { readonly id: string; readonly version: string; readonly demo: boolean };
  /** DICOM DT YYYYMMDDHHMMSS[.FFFFFF], as the SR's Content Date/Time. */
  readonly contentDateTime: string;
  /** The zone `contentDateTime` is written in (+HHMM/-HHMM), written as Timezone Offset From UTC like the SR's. */
  readonly timezoneOffsetFromUtc?: string;
}

/** One line of burned-in text: where it is, so a test can read it back. */
export interface TextLine {
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly scale: number;
  readonly background: Rgb;
}

export interface SummaryLayout {
  readonly width: number;
  readonly height: number;
  /** The slice's rectangle. */
  readonly image: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly lines: readonly TextLine[];
  /** The outline's vertices in summary pixels; empty without a region. */
  readonly outline: ReadonlyArray<readonly [number, number]>;
}

export interface SummaryImage {
  readonly part10: Buffer;
  readonly sopClassUid: typeof SECONDARY_CAPTURE_SOP_CLASS;
  readonly sopInstanceUid: Uid;
  readonly seriesInstanceUid: Uid;
  readonly raster: RgbRaster;
  readonly layout: SummaryLayout;
}

/** The display size of a `columns` × `rows` slice: fitted into 512 × 512, aspect kept, even sizes. */
export function summarySliceSize(columns: number, rows: number): { width: number; height: number } {
  if (!(Number.isInteger(columns) && Number.isInteger(rows) && columns > 0 && rows > 0)) throw new RangeError(`slice size ${columns}×${rows}`);
  const scale = SUMMARY_WIDTH / Math.max(columns, rows);
  const even = (n: number): number => Math.max(2, 2 * Math.round((n * scale) / 2));
  return { width: even(columns), height: even(rows) };
}

/** Rows and Columns of an image instance (header only, Pixel Data not read); undefined when it has none. */
export function imageSizeOf(part10: Uint8Array): { columns: number; rows: number } | undefined {
  const { dataset } = readPart10(part10, { withoutPixelData: true });
  const columns = Number(dataset.Columns);
  const rows = Number(dataset.Rows);
  return Number.isInteger(columns) && Number.isInteger(rows) && columns > 0 && rows > 0 ? { columns, rows } : undefined;
}

/** Splits `text` into lines of at most `width` pixels at `scale`, at spaces, breaking words longer than a line. */
function wrap(text: string, scale: number, width: number): string[] {
  const perLine = Math.max(1, Math.floor((width / scale + 1) / 6));
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const parts = word.match(new RegExp(`.{1,${perLine}}`, 'gu')) ?? [word];
    for (const part of parts) {
      const candidate = line === '' ? part : `${line} ${part}`;
      if ([...candidate].length <= perLine) line = candidate;
      else {
        if (line !== '') lines.push(line);
        line = part;
      }
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

const up4 = (n: number): number => Math.ceil(n / 4) * 4;

/** Lays out the bands and the slice; pure, so tests and the renderer share it. */
export function summaryLayout(input: Pick<SummaryImageInput, 'slice' | 'region' | 'finding' | 'probability' | 'flagged' | 'model'>): SummaryLayout {
  const { slice } = input;
  const inner = SUMMARY_WIDTH - 2 * PAD;
  const lines: TextLine[] = [];
  let y = PAD;
  const addBlock = (text: string, preferred: number, background: Rgb): void => {
    const scale = textWidth(text, preferred) <= inner ? preferred : TEXT_SCALE;
    for (const t of wrap(text, scale, inner)) {
      lines.push({ text: t, x: PAD, y, scale, background });
      y += ADVANCE_Y * scale;
    }
  };
  const percent = `${Math.round(Math.min(1, Math.max(0, input.probability)) * 100)}%`;
  addBlock(`${input.finding.meaning} ${percent}`, HEADLINE_SCALE, SummaryColours.band);
  addBlock(input.flagged ? 'AI: FLAGGED' : 'AI: NOT FLAGGED', TEXT_SCALE, SummaryColours.band);
  const imageY = up4(y - (ADVANCE_Y - GLYPH_HEIGHT) * TEXT_SCALE + PAD);
  const imageHeight = up4(Math.max(slice.height, 4));
  const image = { x: (SUMMARY_WIDTH - slice.width) / 2, y: imageY + (imageHeight - slice.height) / 2, width: slice.width, height: slice.height };
  y = imageY + imageHeight + PAD;
  addBlock(`${input.model.id} ${input.model.version}`, TEXT_SCALE, SummaryColours.band);
  if (input.model.demo) {
    y = up4(y - (ADVANCE_Y - GLYPH_HEIGHT) * TEXT_SCALE + PAD);
    addBlock(SUMMARY_DEMO_DISCLAIMER, TEXT_SCALE, SummaryColours.disclaimerBand);
  }
  const height = up4(y - (ADVANCE_Y - GLYPH_HEIGHT) * TEXT_SCALE + PAD);
  const sx = slice.width / slice.sourceColumns;
  const sy = slice.height / slice.sourceRows;
  const outline = (input.region?.points ?? [])
    .filter(([c, r]) => Number.isFinite(c) && Number.isFinite(r))
    .map(([c, r]): [number, number] => [image.x + (c + 0.5) * sx - 0.5, image.y + (r + 0.5) * sy - 0.5]);
  return { width: SUMMARY_WIDTH, height, image, lines, outline };
}

/** Draws the summary: bands, slice, outline, text. */
export function renderSummary(input: Pick<SummaryImageInput, 'slice' | 'region' | 'finding' | 'probability' | 'flagged' | 'model'>): { raster: RgbRaster; layout: SummaryLayout } {
  const layout = summaryLayout(input);
  const raster = new RgbRaster(layout.width, layout.height, SummaryColours.band);
  const { slice } = input;
  raster.blit(layout.image.x, layout.image.y, slice.width, slice.height, slice.pixels, slice.channels);
  raster.drawPolygon(layout.outline, SummaryColours.outline, OUTLINE_THICKNESS);
  for (const line of layout.lines) {
    // the band behind a line reaches half the line gap above and below, so wrapped lines form one block
    const gap = ((ADVANCE_Y - GLYPH_HEIGHT) * line.scale) / 2;
    if (line.background !== SummaryColours.band) raster.fillRect(0, line.y - gap, layout.width, ADVANCE_Y * line.scale, line.background);
    raster.drawText(line.x, line.y, line.text, line.scale, SummaryColours.text);
  }
  return { raster, layout };
}

const DT_PATTERN = /^(\d{8})(\d{6}(?:\.\d{1,6})?)$/;

function uidOf(value: string, field: string): Uid {
  const uid = parseUid(value);
  if (uid === undefined) throw new GatewayError('GW_ERR_UID_INVALID', `${field} "${value}" is not a valid UID`, { context: { field } });
  return uid;
}

/** Builds the summary as a Secondary Capture Part-10 file in the source study, in a series of its own. */
export function buildSummaryImage(input: SummaryImageInput): SummaryImage {
  const dt = DT_PATTERN.exec(input.contentDateTime);
  if (dt === null) throw new RangeError(`contentDateTime "${input.contentDateTime}" is not DICOM DT YYYYMMDDHHMMSS[.FFFFFF]`);
  const [, date = '', time = ''] = dt;
  const { source, model, slice } = input;
  const studyUid = source.studyInstanceUid;
  const sopInstanceUid = deriveUid(input.srSopInstanceUid, 'summary');
  const seriesInstanceUid = deriveUid(studyUid, model.id, model.version, 'summary-series');
  const { raster, layout } = renderSummary(input);
  const sourceRef: Naturalized = {
    ReferencedSOPClassUID: uidOf(slice.sopClassUid, 'top slice SOP Class UID'),
    ReferencedSOPInstanceUID: uidOf(slice.sopInstanceUid, 'top slice SOP Instance UID'),
    ...(slice.frameNumber === undefined ? {} : { ReferencedFrameNumber: slice.frameNumber }),
  };
  const description = `AI summary ${model.id} ${model.version}`.slice(0, 64);
  const dataset: Naturalized = {
    ...source.attributes,
    // SOP Common (C.12.1); UTF-8 for the patient name copied from the source, as in the SR
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: SECONDARY_CAPTURE_SOP_CLASS,
    // PS3.3 C.12.1.1.8: the zone of every time here, the same as the SR's (docs/sr.md, "Times")
    ...(input.timezoneOffsetFromUtc === undefined ? {} : { TimezoneOffsetFromUTC: input.timezoneOffsetFromUtc }),
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    // General Series (C.7.3.1): a series of its own in the source study; OT, as Modality has no term for SC
    Modality: 'OT',
    SeriesInstanceUID: seriesInstanceUid,
    SeriesNumber: SERIES_NUMBER,
    SeriesDescription: description,
    SeriesDate: date,
    SeriesTime: time,
    Laterality: '', // Type 2C: a composed picture has no laterality of its own
    // General Equipment (C.7.5.1)
    Manufacturer: 'pacs-ai-gateway',
    ManufacturerModelName: 'pacs-ai-gateway',
    SoftwareVersions: IMPLEMENTATION_VERSION_NAME,
    // SC Equipment (C.8.6.1): made by software on a workstation
    ConversionType: 'WSD',
    SecondaryCaptureDeviceManufacturer: 'pacs-ai-gateway',
    SecondaryCaptureDeviceManufacturerModelName: model.id.slice(0, 64),
    SecondaryCaptureDeviceSoftwareVersions: model.version.slice(0, 64),
    // General Image (C.7.6.1)
    InstanceNumber: 1,
    PatientOrientation: '', // Type 2C: no patient orientation for a composed picture
    ContentDate: date,
    ContentTime: time,
    ImageType: ['DERIVED', 'SECONDARY'],
    DerivationDescription: `AI result summary: top slice windowed, finding region outlined, result burned in${model.demo ? '; demo model, not for diagnostic use' : ''}`,
    SourceImageSequence: [sourceRef],
    BurnedInAnnotation: 'YES',
    LossyImageCompression: '00',
    ImageComments: model.demo ? SUMMARY_DEMO_DISCLAIMER : `AI result summary (${model.id} ${model.version})`,
    // SC Image (C.8.6.2)
    DateOfSecondaryCapture: date,
    TimeOfSecondaryCapture: time,
    // Image Pixel (C.7.6.3): RGB, colour-by-pixel, 8 bits
    SamplesPerPixel: 3,
    PhotometricInterpretation: 'RGB',
    PlanarConfiguration: 0,
    Rows: layout.height,
    Columns: layout.width,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [raster.data.slice().buffer],
    _vrMap: { PixelData: 'OB' },
  };
  return { part10: writePart10(dataset), sopClassUid: SECONDARY_CAPTURE_SOP_CLASS, sopInstanceUid, seriesInstanceUid, raster, layout };
}
