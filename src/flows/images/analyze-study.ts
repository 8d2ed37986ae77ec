/**
 * The analyze-study job: for each model that applies to the study's instances, decode and preprocess the
 * slices, classify them in batches, aggregate to a study result, write the result SR, and queue it for every
 * destination — each step idempotent, so a retried job ends in the same rows and the same SR bytes. An abort (the
 * gateway stops) is checked before each model and each batch: the job is handed back for a retry, not failed.
 */
import { appliesTo, type Classification, type Classifier, type ModelStatus } from '../../ai/index.js';
import type { DicomDestination } from '../../config/index.js';
import { imageResultKey, type InstancesStore, type Job, type NewOutboxItem, type ResultsStore, type StoredInstance } from '../../db/index.js';
import { parseUid, type Uid } from '../../dicom/index.js';
import { describeError } from '../../errors.js';
import type { PreparedSlices, SlicePreparer } from '../../imaging/index.js';
import type { Logger } from '../../log.js';
import { buildFindingsSr, findingsSrIdentity, nextRevision, resultDateTime, sourceContextFromPart10, type FindingsSrInput, type ReferencedInstance } from '../../results/index.js';
import { resultKey, type Spool } from '../../storage/index.js';
import { resultObjects } from './result-objects.js';
import type { IntakeGate } from '../../queue/index.js';
import type { HandlerOutcome } from '../../queue/index.js';
import { BestSlices, findingRegions } from './finding-regions.js';

/** How many top-scoring images the top-k mean and the SR's driving references use. */
const TOP_K = 3;
/** Slices preprocessed before each classify call: bounds memory for a 1,000-slice study. */
const CHUNK = 64;
/** Under continuous intake, the analysis waits this many times its last chunk's time before the next chunk. */
const INTAKE_YIELD_FACTOR = 2;

/** Why an aborted analysis is handed back: the job runs again after the restart. */
export const ANALYSIS_INTERRUPTED = 'analysis interrupted by a stop: it runs again after the restart';

/** A loaded image model, as the analysis uses it. */
export type ImageClassifier = Pick<Classifier, 'spec' | 'classify'>;

/** The image models (ModelRegistry): which are configured, and each loaded one. */
export interface ImageModels {
  readonly ready: boolean;
  status(): ReadonlyArray<Pick<ModelStatus, 'id'>>;
  get(id: string): ImageClassifier | undefined;
}

export interface AnalyzeStudyDeps {
  instances: Pick<InstancesStore, 'forStudy'>;
  /** The analysis rows, and the SR revisions: a changed result's SR and its deliveries are committed together. */
  results: Pick<ResultsStore, 'save' | 'currentRevision' | 'hasRevisionUid' | 'commitRevision'>;
  spool: Pick<Spool, 'withLocalFile' | 'read' | 'write'>;
  models: ImageModels;
  /** Decodes and preprocesses instances in worker threads. */
  preparer: Pick<SlicePreparer, 'prepare'>;
  /** Touched by intake: while studies arrive, the analysis runs at most a third of the time (see analyzeWithModel). */
  intake: IntakeGate;
  destinations: ReadonlyArray<DicomDestination>;
  /** Model ids whose SR carries the "not for clinical use" disclaimer. */
  demoModels: ReadonlySet<string>;
  log: Logger;
  /** Outbox rows were queued for these destinations: wake their delivery. */
  onQueued: (destinations: string[]) => void;
  /** A study was analysed by a model in this long (for the latency histogram). */
  onAnalysed?: (modelId: string, durationMs: number) => void;
  now?: () => number;
}

interface Scored {
  instance: StoredInstance;
  probability: number;
  /** 0-based frame with that probability, and the instance's frame count (multi-frame sources cite the frame). */
  frame: number;
  frames: number;
  multiFrame: boolean;
}

/** `signal` aborts the analysis between steps; what is aborted leaves no row and no SR, and asks for a retry. */
export async function analyzeStudy(job: Job, deps: AnalyzeStudyDeps, signal?: AbortSignal): Promise<HandlerOutcome> {
  const now = deps.now ?? Date.now;
  const studyUid = parseUid(job.studyInstanceUid);
  if (studyUid === undefined) return { kind: 'failed', reason: `not a valid Study Instance UID: ${job.studyInstanceUid}` };
  if (!deps.models.ready) return { kind: 'retry', reason: 'image models are not loaded' };
  const all = await deps.instances.forStudy(studyUid);
  const log = deps.log.child({ jobId: job.id });
  let analysed = 0;
  const interrupted = (): boolean => signal?.aborted === true;
  for (const status of deps.models.status()) {
    const classifier = deps.models.get(status.id);
    if (classifier === undefined) continue;
    const candidates = all.filter((i) => appliesTo(classifier.spec, { modality: i.modality, bodyPart: i.bodyPart, sopClassUid: i.sopClassUid }));
    if (candidates.length === 0) continue;
    if (interrupted()) return { kind: 'released', reason: ANALYSIS_INTERRUPTED };
    try {
      await analyzeWithModel(studyUid, candidates, classifier, deps, log, now, signal);
      analysed += 1;
    } catch (err) {
      if (interrupted()) return { kind: 'released', reason: ANALYSIS_INTERRUPTED };
      return { kind: 'retry', reason: `model ${classifier.spec.id}: ${describeError(err)}` };
    }
  }
  if (analysed === 0) log.info('no model applies to the study', { instances: all.length });
  return { kind: 'done' };
}

async function analyzeWithModel(
  studyUid: Uid,
  candidates: StoredInstance[],
  classifier: ImageClassifier,
  deps: AnalyzeStudyDeps,
  log: Logger,
  now: () => number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const spec = classifier.spec;
  const started = performance.now();
  const tensorSpec = { ...spec.input, channels: spec.input.channels as 1 | 3 };
  // Per instance its best slice (insertion order = instance order).
  const scoredBy = new Map<StoredInstance, Scored>();
  let skipped = 0;
  let provenance: Classification['provenance'] | undefined;
  let firstSource: StoredInstance | undefined;
  let lastChunkMs = 0;
  // The best slices' tensors, kept for the region of a flagged finding (issue 12).
  const best = new BestSlices();
  const prepareChunk = (from: number): { chunk: StoredInstance[]; prepared: Promise<PreparedSlices[]> } => {
    const chunk = candidates.slice(from, from + CHUNK);
    const prepared = Promise.all(chunk.map((instance) => deps.spool.withLocalFile(instance.path, (path) => deps.preparer.prepare(path, tensorSpec))));
    prepared.catch(() => undefined); // awaited below; a prefetch abandoned by a failure must not be an unhandled rejection
    return { chunk, prepared };
  };
  let next: ReturnType<typeof prepareChunk> | undefined;
  for (let start = 0; start < candidates.length; start += CHUNK) {
    // Receiving comes first (issue #3: ingest may drop < 20 % while a study is analysed): while instances arrive,
    // wait for a pause in them, at most twice as long as the last chunk took, so the analysis keeps a third of its pace.
    await deps.intake.waitForQuiet(INTAKE_YIELD_FACTOR * lastChunkMs);
    signal?.throwIfAborted();
    const chunkStarted = performance.now();
    const { chunk, prepared: preparing } = next ?? prepareChunk(start);
    // Decoding a chunk can take seconds: a stop does not wait for it (the pool is closed right after).
    const prepared = await abortable(preparing, signal);
    // Decoding runs in worker threads. While intake is quiet the next chunk is decoded during this one's inference
    // (both cores); while studies arrive, one step at a time, so the analysis never takes both cores from the SCP.
    next = start + CHUNK < candidates.length && deps.intake.isQuiet() ? prepareChunk(start + CHUNK) : undefined;
    const images: Float32Array[] = [];
    const owners: StoredInstance[] = [];
    const origins: Array<{ frame: number; frames: number; rows: number; columns: number }> = [];
    prepared.forEach((p, k) => {
      const instance = chunk[k] as StoredInstance;
      if (p.kind !== 'prepared') {
        skipped += 1;
        log.warn('instance undecodable, skipped', { cause: p.cause, reason: p.reason, transferSyntaxUid: p.transferSyntaxUid });
        return;
      }
      firstSource ??= instance;
      // Multi-frame images contribute one slice per frame; the instance is credited with its best frame.
      p.tensors.forEach((t, frame) => {
        images.push(t);
        owners.push(instance);
        origins.push({ frame, frames: p.tensors.length, rows: p.rows, columns: p.columns });
      });
    });
    if (images.length === 0) continue;
    // Inference is not abandoned half-way: the models are closed after it, and a native run must end first. One
    // batch bounds the wait.
    signal?.throwIfAborted();
    const result = await classifier.classify(images);
    lastChunkMs = performance.now() - chunkStarted;
    provenance = result.provenance;
    result.probabilities.forEach((row, k) => {
      const instance = owners[k] as StoredInstance;
      const origin = origins[k] as (typeof origins)[number];
      const p = row[0] ?? 0;
      const prev = scoredBy.get(instance);
      if (prev === undefined) scoredBy.set(instance, { instance, probability: p, frame: origin.frame, frames: origin.frames, multiFrame: origin.frames > 1 });
      else if (p > prev.probability) Object.assign(prev, { probability: p, frame: origin.frame });
      best.offer({ sopInstanceUid: instance.sopInstanceUid, sopClassUid: instance.sopClassUid, ...origin, probability: p, tensor: images[k] as Float32Array });
    });
  }
  const scored = [...scoredBy.values()];
  if (scored.length === 0 || provenance === undefined || firstSource === undefined) {
    throw new Error(`none of ${candidates.length} applicable instances could be decoded`);
  }
  const ranked = [...scored].sort((a, b) => b.probability - a.probability);
  const top = ranked.slice(0, TOP_K);
  const probability = top[0]?.probability ?? 0;
  const topKMean = top.reduce((s, x) => s + x.probability, 0) / top.length;
  const flagged = probability >= spec.output.threshold;
  // Where the finding is: an occlusion map on the best slices, with the same classifier (same engine and provider).
  const located = flagged ? await findingRegions(best.slices, tensorSpec, spec.output.threshold, (images) => classifier.classify(images), signal) : undefined;
  if (located !== undefined) log.debug('finding regions', { modelId: spec.id, regions: located.regions.length, ...located.cost, ms: Math.round(located.cost.ms) });
  const durationMs = performance.now() - started;
  deps.onAnalysed?.(spec.id, durationMs);

  const referenced: ReferencedInstance[] = scored.map((s) => ({ sopClassUid: s.instance.sopClassUid, sopInstanceUid: s.instance.sopInstanceUid, seriesInstanceUid: s.instance.seriesInstanceUid }));
  const source = sourceContextFromPart10(await deps.spool.read(firstSource.path));
  const model = { id: spec.id, version: spec.version, demo: deps.demoModels.has(spec.id) };
  const finding = {
    finding: { value: spec.finding.code, scheme: spec.finding.scheme, meaning: spec.finding.meaning },
    presence: flagged ? ('present' as const) : ('absent' as const),
    probability,
    sourceInstanceUids: top.map((t) => t.instance.sopInstanceUid),
    sourceFrameNumbers: Object.fromEntries(top.filter((t) => t.frames > 1).map((t) => [t.instance.sopInstanceUid, t.frame + 1])),
    regions: located?.regions ?? [],
  };
  // The summary image outlines the region found on its slice, the top one.
  const topRegion = located?.regions.find((r) => r.sopInstanceUid === top[0]?.instance.sopInstanceUid && (r.frameNumber === undefined || r.frameNumber === (top[0]?.frame ?? 0) + 1));
  const input: FindingsSrInput = {
    source,
    referencedInstances: referenced,
    model: { ...model, manufacturer: 'pacs-ai-gateway' },
    findings: [finding],
    kind: 'image-ai',
    // The newest input's arrival time, not the clock: a retry of the same job writes the same bytes.
    ...resultDateTime(scored.reduce((t, s) => (s.instance.receivedAt > t ? s.instance.receivedAt : t), ''), source.timezoneOffsetFromUtc),
  };
  // Issue 12: the SR's UID names its content. The same content as the current revision is the same SR: nothing is
  // written or queued. Other content is a new SR (new UID, next Instance Number) naming the current one.
  const key = imageResultKey(spec.id);
  const identity = findingsSrIdentity(input);
  const current = await deps.results.currentRevision(studyUid, key);
  const step = await nextRevision(studyUid, identity, current, {
    uidTaken: (uid) => deps.results.hasRevisionUid(uid),
    readSr: (uid) => deps.spool.read(resultKey(studyUid, uid)),
  });
  const srUid = step.kind === 'unchanged' ? step.sopInstanceUid : (step.revision.sopInstanceUid ?? identity.sopInstanceUid);
  const t = now();
  await deps.results.save(
    {
      studyInstanceUid: studyUid,
      modelId: spec.id,
      modelVersion: spec.version,
      finding: spec.finding,
      probability,
      topKMean,
      flagged,
      threshold: spec.output.threshold,
      drivingInstances: top.map((s) => s.instance.sopInstanceUid),
      instancesAnalyzed: scored.length,
      instancesSkipped: skipped,
      engine: provenance.engine,
      provider: provenance.provider,
      device: provenance.device,
      durationMs,
      srSopInstanceUid: srUid,
    },
    t,
  );
  const logged = { modelId: spec.id, flagged, instances: scored.length, skipped, ms: Math.round(durationMs), engine: provenance.engine, provider: provenance.provider };
  if (step.kind === 'unchanged') {
    log.info('study analysed, result unchanged: nothing new to send', { ...logged, revision: current?.revision });
    return;
  }
  const sr = buildFindingsSr({ ...input, revision: step.revision });
  const targets = deps.destinations.filter((d) => spec.destinations === undefined || spec.destinations.includes(d.name));
  // The SR, and the KOS and summary image where a destination lists them (result-objects.ts); both derive their
  // UIDs from the SR's, so they are revised exactly when it is.
  const objects = await resultObjects(
    {
      studyUid,
      source,
      sr: { sopInstanceUid: sr.sopInstanceUid, seriesInstanceUid: sr.seriesInstanceUid, part10: sr.part10 },
      model,
      finding: finding.finding,
      probability,
      flagged,
      top,
      ...(topRegion === undefined ? {} : { region: topRegion }),
      ...(spec.input.window === undefined ? {} : { window: spec.input.window }),
      contentDateTime: input.contentDateTime,
      ...(input.timezoneOffsetFromUtc === undefined ? {} : { timezoneOffsetFromUtc: input.timezoneOffsetFromUtc }),
      targets,
    },
    deps,
  );
  // Files first, then the revision and its deliveries in one commit: a crash in between leaves only files that
  // the retry writes again.
  for (const o of objects) await deps.spool.write(o.key, o.part10);
  const deliveries: NewOutboxItem[] = objects.flatMap((o) => o.destinations.map((name) => ({ kind: 'dicom' as const, destination: name, studyInstanceUid: studyUid, dedupeKey: o.dedupeKey, payload: o.key })));
  const queued = await deps.results.commitRevision(
    {
      studyInstanceUid: studyUid,
      resultKey: key,
      kind: 'image-ai',
      modelId: spec.id,
      modelVersion: spec.version,
      revision: sr.instanceNumber,
      sopInstanceUid: sr.sopInstanceUid,
      seriesInstanceUid: sr.seriesInstanceUid,
      contentDigest: sr.contentDigest,
      predecessorUid: step.revision.predecessor?.sopInstanceUid ?? null,
      reason: current === undefined ? 'initial' : 're-analysis',
      sourceMessageId: null,
    },
    deliveries,
    t,
  );
  log.info('study analysed', { ...logged, revision: sr.instanceNumber, queued: queued.length });
  if (queued.length > 0) deps.onQueued([...new Set(queued)]);
}

/** Settles as `work` does, or rejects with the abort reason as soon as `signal` aborts (the work runs on, unheeded). */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
