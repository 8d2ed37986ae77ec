/**
 * The result objects of one model's analysis and who receives each: the AI SR for destinations that list `sr`, a
 * Key Object Selection for those that list `kos`, a summary image for those that list `summary`
 * (`dicom.destinations[].results`). Each object is its own spool file and its own outbox row per destination (dedupe
 * key: its UID, which names its content: see result-revision.ts), so each has the SR's durability and exactly-once
 * delivery.
 *
 * KOS and summary are made only when a destination lists them (each costs a build, and the summary a decode); the
 * status page shows the summary of a flagged result when there is one.
 */
import type { DicomDestination, ResultObject } from '../../config/index.js';
import type { StoredInstance } from '../../db/index.js';
import { parseUid, type Uid } from '../../dicom/index.js';
import type { SlicePreparer, WindowPreset } from '../../imaging/index.js';
import {
  buildKeyObjectSelection,
  buildSummaryImage,
  deriveUid,
  imageSizeOf,
  summarySliceSize,
  type CodedConcept,
  type FindingRegionInput,
  type SourceContext,
  type SummarySlice,
} from '../../results/index.js';
import { resultKey, type Spool } from '../../storage/index.js';

/** A slice the analysis ranked: the instance, its best frame (0-based) and that frame's probability. */
export interface RankedSlice {
  readonly instance: StoredInstance;
  readonly frame: number;
  /** The instance has more than one frame: references name the frame (Referenced Frame Number, 1-based). */
  readonly multiFrame: boolean;
  readonly probability: number;
}

/** What one model's analysis of a study produced, as the result objects need it. */
export interface AnalysisOutcome {
  readonly studyUid: Uid;
  readonly source: SourceContext;
  readonly sr: { readonly sopInstanceUid: Uid; readonly seriesInstanceUid: Uid; readonly part10: Buffer };
  readonly model: { readonly id: string; readonly version: string; readonly demo: boolean };
  readonly finding: CodedConcept;
  readonly probability: number;
  readonly flagged: boolean;
  /** The top-scoring slices, best first: the KOS's key images; the first is the summary's slice. */
  readonly top: readonly RankedSlice[];
  /** Where the finding is on the top slice, if the model says. */
  readonly region?: FindingRegionInput;
  /** The model's input window: the summary shows the slice as the model saw it (else the image's own window). */
  readonly window?: WindowPreset;
  readonly contentDateTime: string;
  readonly timezoneOffsetFromUtc?: string;
  /** The destinations this model's results go to. */
  readonly targets: ReadonlyArray<Pick<DicomDestination, 'name' | 'results'>>;
}

export interface ResultObjectToQueue {
  readonly kind: Extract<ResultObject, 'sr' | 'kos' | 'summary'>;
  readonly sopInstanceUid: Uid;
  /** Spool key to write the bytes under (and the outbox payload). */
  readonly key: string;
  readonly part10: Buffer;
  readonly dedupeKey: string;
  /** Destination names to queue it for (empty only for an SR no destination takes: it stays in the spool). */
  readonly destinations: string[];
}

export interface ResultObjectDeps {
  spool: Pick<Spool, 'read' | 'withLocalFile'>;
  /** Decodes and windows the top slice off the main thread, as the analysis decodes every slice. */
  preparer: Pick<SlicePreparer, 'prepare'>;
}

/**
 * Whether `sopInstanceUid` is the KOS or the summary of one of the SRs a study's results have had, every revision
 * (`deriveUid(srUid, kind)`): such an object routed back by the PACS is indexed but neither re-opens the study nor
 * queues a re-analysis.
 */
export function isDerivedResultObject(srUids: readonly string[], sopInstanceUid: string): boolean {
  return srUids.some((sr) => parseUid(sr) !== undefined && (['kos', 'summary'] as const).some((kind) => deriveUid(sr, kind) === sopInstanceUid));
}

/** The objects to write to the spool and queue, SR first. */
export async function resultObjects(outcome: AnalysisOutcome, deps: ResultObjectDeps): Promise<ResultObjectToQueue[]> {
  const wanting = (kind: ResultObject): string[] => outcome.targets.filter((d) => d.results.includes(kind)).map((d) => d.name);
  const object = (kind: ResultObjectToQueue['kind'], sopInstanceUid: Uid, part10: Buffer): ResultObjectToQueue => ({
    kind,
    sopInstanceUid,
    key: resultKey(outcome.studyUid, sopInstanceUid),
    part10,
    dedupeKey: sopInstanceUid,
    destinations: wanting(kind),
  });
  // The SR is always written: the KOS and the summary derive their UIDs from it, and the results row names it.
  const objects = [object('sr', outcome.sr.sopInstanceUid, outcome.sr.part10)];
  const { model, finding, probability, flagged, contentDateTime, source } = outcome;
  if (wanting('kos').length > 0 && outcome.top.length > 0) {
    const kos = buildKeyObjectSelection({
      source,
      sr: outcome.sr,
      keyImages: outcome.top.map((t) => ({
        sopClassUid: t.instance.sopClassUid,
        sopInstanceUid: t.instance.sopInstanceUid,
        seriesInstanceUid: t.instance.seriesInstanceUid,
        ...(t.multiFrame ? { frameNumbers: [t.frame + 1] } : {}),
      })),
      model,
      finding,
      probability,
      flagged,
      contentDateTime,
      ...(outcome.timezoneOffsetFromUtc === undefined ? {} : { timezoneOffsetFromUtc: outcome.timezoneOffsetFromUtc }),
    });
    objects.push(object('kos', kos.sopInstanceUid, kos.part10));
  }
  const best = outcome.top[0];
  if (best !== undefined && wanting('summary').length > 0) {
    const slice = await topSlice(best, outcome.window, deps);
    const summary = buildSummaryImage({ source, srSopInstanceUid: outcome.sr.sopInstanceUid, slice, ...(outcome.region === undefined ? {} : { region: outcome.region }), finding, probability, flagged, model, contentDateTime, ...(outcome.timezoneOffsetFromUtc === undefined ? {} : { timezoneOffsetFromUtc: outcome.timezoneOffsetFromUtc }) });
    objects.push(object('summary', summary.sopInstanceUid, summary.part10));
  }
  return objects;
}

/** The top slice at the summary's display size, windowed to [0, 1] by the slice-preparation workers. */
async function topSlice(best: RankedSlice, window: WindowPreset | undefined, deps: ResultObjectDeps): Promise<SummarySlice> {
  const { instance, frame, multiFrame } = best;
  const size = imageSizeOf(await deps.spool.read(instance.path));
  if (size === undefined) throw new Error(`top slice ${instance.sopInstanceUid} has no Rows/Columns`);
  const display = summarySliceSize(size.columns, size.rows);
  const spec = { width: display.width, height: display.height, channels: 3 as const, layout: 'NHWC' as const, normalize: { min: 0, max: 1 }, ...(window === undefined ? {} : { window }) };
  const prepared = await deps.spool.withLocalFile(instance.path, (path) => deps.preparer.prepare(path, spec, frame));
  if (prepared.kind !== 'prepared') throw new Error(`top slice ${instance.sopInstanceUid} could not be decoded for the summary: ${prepared.reason}`);
  const pixels = prepared.tensors[0];
  if (pixels === undefined) throw new Error(`top slice ${instance.sopInstanceUid} has no frame ${frame + 1}`);
  const sopClassUid = parseUid(instance.sopClassUid);
  if (sopClassUid === undefined) throw new Error(`top slice ${instance.sopInstanceUid} has an invalid SOP Class UID`);
  return {
    width: display.width,
    height: display.height,
    channels: 3,
    pixels,
    sourceColumns: size.columns,
    sourceRows: size.rows,
    sopClassUid,
    sopInstanceUid: instance.sopInstanceUid,
    ...(multiFrame ? { frameNumber: frame + 1 } : {}),
  };
}
