/**
 * The Key Object Selection document (KOS): a key-image note most PACS viewers show, pointing at the slices that drove
 * an AI result and at the AI SR itself, for viewers that do not render a TID 1500 SR.
 *
 * IOD: Key Object Selection Document (PS3.3 A.35.4): Patient and General Study (copied, `source-context.ts`), Key
 * Object Document Series (C.17.6.1, Modality KO, a series of its own), General Equipment (the gateway), Key Object
 * Document (C.17.6.2: Instance Number, Content Date/Time, Current Requested Procedure Evidence Sequence listing every
 * referenced instance, the SR included), SR Document Content (C.17.3) with TID 2010 Key Object Selection, SOP Common.
 *
 * TID 2010 content: root CONTAINER titled from CID 7010 (113000, DCM, "Of Interest": these are the images a reader
 * should look at; "For Referring Provider" or "Best In Set" would claim more than a model's ranking), HAS CONCEPT
 * MOD language (TID 1204), HAS OBS CONTEXT the model as device observer (TID 1002/1004, the same observer as the
 * SR's), CONTAINS TEXT (113012, DCM, "Key Object Description") saying what the selection is, CONTAINS IMAGE per key
 * slice (Referenced Frame Number for a frame of a multi-frame image) and CONTAINS COMPOSITE for the SR.
 *
 * UID: `deriveUid(srSopInstanceUid, 'kos')`: a new SR (its content changed) gives a new KOS, a retry the same one.
 */
import { IMPLEMENTATION_VERSION_NAME, isImageSopClass, parseUid, type Uid } from '../dicom/index.js';
import { GatewayError } from '../errors.js';
import { deriveUid } from './derive-uid.js';
import { Codes } from './sr/codes.js';
import { encodeContentItem, encodeRootContainer, RelationshipType, type CodedConcept, type ContentItem } from './sr/content-items.js';
import { deviceObserverItems, languageItem } from './sr/fixed-meaning-items.js';
import type { Naturalized } from './sr/naturalized.js';
import { writePart10 } from './sr/part10-io.js';
import { COMPREHENSIVE_3D_SR_SOP_CLASS, evidenceSequence, type ReferencedInstance } from './sr/sr-document.js';
import type { SourceContext } from './sr/source-context.js';

/** Key Object Selection Document Storage (PS3.4 B.5). */
export const KEY_OBJECT_SELECTION_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.88.59';

/** The codes of TID 2010 this builder writes; checked against PS3.16 by `test/interop/sr-codes.test.ts`. */
export const KeyObjectCodes = {
  /** Document title, CID 7010 Key Object Selection Document Title. pydicom. */
  OfInterest: { value: '113000', scheme: 'DCM', meaning: 'Of Interest' },
  /** TID 2010 row "Key Object Description" (PS3.16 Annex D). pydicom. */
  KeyObjectDescription: { value: '113012', scheme: 'DCM', meaning: 'Key Object Description' },
} as const satisfies Record<string, CodedConcept>;

const SERIES_NUMBER = 9001;
const DT_PATTERN = /^(\d{8})(\d{6}(?:\.\d{1,6})?)$/;

/** A key slice: an image instance, and for a multi-frame image the frames (1-based) that count. */
export interface KeyImage extends ReferencedInstance {
  readonly frameNumbers?: readonly number[];
}

export interface KeyObjectSelectionInput {
  readonly source: SourceContext;
  /** The AI SR the KOS points at (Comprehensive 3D SR, in its own series of the study). */
  readonly sr: { readonly sopInstanceUid: string; readonly seriesInstanceUid: string };
  /** The key slices, most significant first. */
  readonly keyImages: readonly KeyImage[];
  readonly model: { readonly id: string; readonly version: string; readonly demo: boolean; readonly manufacturer?: string };
  readonly finding: CodedConcept;
  readonly probability: number;
  readonly flagged: boolean;
  /** DICOM DT YYYYMMDDHHMMSS[.FFFFFF], as the SR's Content Date/Time. */
  readonly contentDateTime: string;
  /** The zone `contentDateTime` is written in (+HHMM/-HHMM), written as Timezone Offset From UTC like the SR's. */
  readonly timezoneOffsetFromUtc?: string;
}

export interface KeyObjectSelection {
  readonly part10: Buffer;
  readonly sopClassUid: typeof KEY_OBJECT_SELECTION_SOP_CLASS;
  readonly sopInstanceUid: Uid;
  readonly seriesInstanceUid: Uid;
}

function uidOf(value: string, field: string): Uid {
  const uid = parseUid(value);
  if (uid === undefined) throw new GatewayError('GW_ERR_UID_INVALID', `${field} "${value}" is not a valid UID (digits and dots, ≤ 64 characters)`, { context: { field } });
  return uid;
}

/** What the Key Object Description says: what was selected, by what, and the result in one sentence. */
export function keyObjectDescription(input: Pick<KeyObjectSelectionInput, 'keyImages' | 'model' | 'finding' | 'probability' | 'flagged'>): string {
  const n = input.keyImages.length;
  const p = input.probability.toFixed(2);
  return (
    `AI ${input.model.id} ${input.model.version}: ${input.finding.meaning} ${input.flagged ? 'flagged' : 'not flagged'}, probability ${p}. ` +
    `Key images: the ${n === 1 ? 'highest-scoring slice' : `${n} highest-scoring slices`}; the AI SR holds the full result.` +
    (input.model.demo ? ' Demo model trained on synthetic data \u2014 not for clinical use.' : '')
  );
}

/** Builds the KOS; same input → byte-identical output. */
export function buildKeyObjectSelection(input: KeyObjectSelectionInput): KeyObjectSelection {
  const dt = DT_PATTERN.exec(input.contentDateTime);
  if (dt === null) throw new RangeError(`contentDateTime "${input.contentDateTime}" is not DICOM DT YYYYMMDDHHMMSS[.FFFFFF]`);
  const [, date = '', time = ''] = dt;
  if (input.keyImages.length === 0) throw new RangeError('a key object selection needs at least one key image');
  const { source, model } = input;
  const studyUid = source.studyInstanceUid;
  const srUid = uidOf(input.sr.sopInstanceUid, 'SR SOP Instance UID');
  const sr: ReferencedInstance = { sopClassUid: COMPREHENSIVE_3D_SR_SOP_CLASS, sopInstanceUid: srUid, seriesInstanceUid: uidOf(input.sr.seriesInstanceUid, 'SR Series Instance UID') };
  const images = input.keyImages.map((k) => {
    const checked = { sopClassUid: uidOf(k.sopClassUid, 'key image SOP Class UID'), sopInstanceUid: uidOf(k.sopInstanceUid, 'key image SOP Instance UID'), seriesInstanceUid: uidOf(k.seriesInstanceUid, 'key image Series Instance UID') };
    if (!isImageSopClass(checked.sopClassUid)) throw new RangeError(`key image ${checked.sopInstanceUid} has SOP class ${checked.sopClassUid}, not an image`);
    for (const f of k.frameNumbers ?? []) if (!Number.isInteger(f) || f < 1) throw new RangeError(`key image ${checked.sopInstanceUid}: frame number ${f} is not a positive integer`);
    return { ...checked, frameNumbers: k.frameNumbers ?? [] };
  });
  if (new Set(images.map((i) => i.sopInstanceUid)).size !== images.length) throw new RangeError('a key image is listed twice: list its frames in one entry');

  const observer = { uid: deriveUid(model.id, model.version, 'device-observer'), name: model.id, manufacturer: model.manufacturer ?? 'pacs-ai-gateway', modelName: model.id };
  const children: ContentItem[] = [
    languageItem(Codes.EnglishUnitedStates),
    ...deviceObserverItems(observer),
    { relationship: RelationshipType.Contains, valueType: 'TEXT', name: KeyObjectCodes.KeyObjectDescription, value: keyObjectDescription(input) },
    ...images.map((i): ContentItem => ({
      relationship: RelationshipType.Contains,
      valueType: 'IMAGE',
      sopClassUid: i.sopClassUid,
      sopInstanceUid: i.sopInstanceUid,
      ...(i.frameNumbers.length > 0 ? { frameNumbers: i.frameNumbers } : {}),
    })),
  ];
  const root = encodeRootContainer({ valueType: 'CONTAINER', name: KeyObjectCodes.OfInterest, continuity: 'SEPARATE', templateId: '2010', children });
  // COMPOSITE (C.18.3 Composite Object Reference Macro): content-items.ts has no COMPOSITE type; it is one item here
  const composite: Naturalized = {
    RelationshipType: RelationshipType.Contains,
    ValueType: 'COMPOSITE',
    ReferencedSOPSequence: [{ ReferencedSOPClassUID: sr.sopClassUid, ReferencedSOPInstanceUID: sr.sopInstanceUid }],
  };
  root.ContentSequence = [...children.map(encodeContentItem), composite];

  const sopInstanceUid = deriveUid(srUid, 'kos');
  const seriesInstanceUid = deriveUid(studyUid, model.id, model.version, 'kos-series');
  const dataset: Naturalized = {
    ...source.attributes,
    // SOP Common (C.12.1); UTF-8 for the copied patient name and the description's dash, as in the SR
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: KEY_OBJECT_SELECTION_SOP_CLASS,
    // PS3.3 C.12.1.1.8: the zone of every time here, the same as the SR's (docs/sr.md, "Times")
    ...(input.timezoneOffsetFromUtc === undefined ? {} : { TimezoneOffsetFromUTC: input.timezoneOffsetFromUtc }),
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    // Key Object Document Series (C.17.6.1)
    Modality: 'KO',
    SeriesInstanceUID: seriesInstanceUid,
    SeriesNumber: SERIES_NUMBER,
    SeriesDescription: `AI key images ${model.id} ${model.version}`.slice(0, 64),
    SeriesDate: date,
    SeriesTime: time,
    ReferencedPerformedProcedureStepSequence: [], // Type 2
    // General Equipment (C.7.5.1)
    Manufacturer: 'pacs-ai-gateway',
    ManufacturerModelName: 'pacs-ai-gateway',
    SoftwareVersions: IMPLEMENTATION_VERSION_NAME,
    // Key Object Document (C.17.6.2)
    InstanceNumber: 1,
    ContentDate: date,
    ContentTime: time,
    CurrentRequestedProcedureEvidenceSequence: evidenceSequence(studyUid, [...images, sr]),
    // SR Document Content (C.17.3), TID 2010
    ...root,
  };
  return { part10: writePart10(dataset), sopClassUid: KEY_OBJECT_SELECTION_SOP_CLASS, sopInstanceUid, seriesInstanceUid };
}
