/**
 * Fixed-meaning SR items, the middle layer: value items whose concept name and relationship the templates fix
 * (language, device observer, procedure reported, tracking identifier, algorithm identification, presence,
 * probability, source image, comment), each with its parser. Built only from `content-items.ts`.
 */
import type { Uid } from '../../dicom/index.js';
import { Codes, sameConcept } from './codes.js';
import {
  RelationshipType,
  type CodeItem,
  type CodedConcept,
  type ContentItem,
  type ImageItem,
  type NumItem,
  type ScoordItem,
  type TextItem,
  type UidRefItem,
} from './content-items.js';
import { malformed } from './naturalized.js';

/** A reference to a composite instance: what an IMAGE item and an evidence entry point at. */
export interface ImageReference {
  readonly sopClassUid: Uid;
  readonly sopInstanceUid: Uid;
  /** 1-based frame of a multi-frame image (Referenced Frame Number, PS3.3 C.18.4); absent for a single frame. */
  readonly frameNumber?: number;
}

/** The device observer of TID 1004 (the AI model as the observer). */
export interface DeviceObserver {
  readonly uid: Uid;
  readonly name: string;
  readonly manufacturer: string;
  readonly modelName: string;
}

/** TID 4019 Algorithm Identification. */
export interface AlgorithmIdentification {
  readonly name: string;
  readonly version: string;
}

/** CID 240: what the AI or the report says about a finding; 'undetermined' when a report hedges. */
export type Presence = 'present' | 'absent' | 'undetermined';

// --- builders ------------------------------------------------------------------------------------------------

/** TID 1204 row 1: HAS CONCEPT MOD CODE Language of Content Item and Descendants. */
export function languageItem(language: CodedConcept): CodeItem {
  return { relationship: RelationshipType.HasConceptMod, valueType: 'CODE', name: Codes.LanguageOfContentItemAndDescendants, value: language };
}

/** TID 1002 row 1 (Observer Type = Device) followed by TID 1004 rows 1-4, all HAS OBS CONTEXT. */
export function deviceObserverItems(observer: DeviceObserver): ContentItem[] {
  const ctx = RelationshipType.HasObsContext;
  return [
    { relationship: ctx, valueType: 'CODE', name: Codes.ObserverType, value: Codes.Device },
    { relationship: ctx, valueType: 'UIDREF', name: Codes.DeviceObserverUid, value: observer.uid },
    { relationship: ctx, valueType: 'TEXT', name: Codes.DeviceObserverName, value: observer.name },
    { relationship: ctx, valueType: 'TEXT', name: Codes.DeviceObserverManufacturer, value: observer.manufacturer },
    { relationship: ctx, valueType: 'TEXT', name: Codes.DeviceObserverModelName, value: observer.modelName },
  ];
}

/**
 * TID 1002 with TID 1003: a person observer (for a report SR, the radiologist who read the study). It comes before
 * the device observer: TID 1001 lists the observers in turn, each introduced by its Observer Type.
 */
export function personObserverItems(name: string): ContentItem[] {
  const ctx = RelationshipType.HasObsContext;
  return [
    { relationship: ctx, valueType: 'CODE', name: Codes.ObserverType, value: Codes.Person },
    { relationship: ctx, valueType: 'PNAME', name: Codes.PersonObserverName, value: name },
  ];
}

/** The person observer's name, when the observation context names one. */
export function parsePersonObserver(items: readonly ContentItem[]): string | undefined {
  return itemsNamed(items, 'PNAME', Codes.PersonObserverName)[0]?.value;
}

/** TID 1500 row 4: HAS CONCEPT MOD CODE Procedure reported. */
export function procedureReportedItem(procedure: CodedConcept): CodeItem {
  return { relationship: RelationshipType.HasConceptMod, valueType: 'CODE', name: Codes.ProcedureReported, value: procedure };
}

/** TID 4108 rows 1-2 as TID 1501 includes them: HAS OBS CONTEXT TEXT and UIDREF. */
export function trackingIdentifierItems(identifier: string, uid: Uid): ContentItem[] {
  return [
    { relationship: RelationshipType.HasObsContext, valueType: 'TEXT', name: Codes.TrackingIdentifier, value: identifier },
    { relationship: RelationshipType.HasObsContext, valueType: 'UIDREF', name: Codes.TrackingUniqueIdentifier, value: uid },
  ];
}

/** TID 1501 "Finding": CONTAINS CODE (121071, DCM, "Finding"). */
export function findingItem(finding: CodedConcept): CodeItem {
  return { relationship: RelationshipType.Contains, valueType: 'CODE', name: Codes.Finding, value: finding };
}

/** TID 4019 rows 1-2 as TID 1501 includes them: HAS CONCEPT MOD TEXT Algorithm Name / Version. */
export function algorithmIdentificationItems(algorithm: AlgorithmIdentification): ContentItem[] {
  return [
    { relationship: RelationshipType.HasConceptMod, valueType: 'TEXT', name: Codes.AlgorithmName, value: algorithm.name },
    { relationship: RelationshipType.HasConceptMod, valueType: 'TEXT', name: Codes.AlgorithmVersion, value: algorithm.version },
  ];
}

/**
 * TID 1501 qualitative evaluation: CONTAINS CODE whose concept name is the finding and whose value is
 * Present, Absent or Undetermined (CID 240), the IHE AIR qualitative-finding form. For an absent or undetermined
 * finding this is the only item naming it (`tid1500.ts` writes "Finding = …" only for a present one), so a reader
 * of the first coded row cannot take a negative result for a finding.
 */
export function presenceItem(finding: CodedConcept, presence: Presence): CodeItem {
  const value = presence === 'present' ? Codes.Present : presence === 'absent' ? Codes.Absent : Codes.Undetermined;
  return { relationship: RelationshipType.Contains, valueType: 'CODE', name: finding, value };
}

/**
 * The model's probability p ∈ [0, 1] as a measurement (TID 1501 / TID 1419 → TID 300): CONTAINS NUM (111012, DCM,
 * "Certainty of Finding") = 100·p in UCUM "%", the unit and 0-100 range of the CAD templates that define the concept
 * (PS3.16 TID 4006 and the other CAD finding templates; CID 6048). `children` are its TID 300 INFERRED FROM rows.
 */
export function probabilityItem(probability: number, children: readonly ContentItem[] = []): NumItem {
  if (!(probability >= 0 && probability <= 1)) throw new RangeError(`probability ${probability} is outside [0, 1]`);
  // Kept to 1e-6 % (1e-8 in p, below a float32 model output's resolution) so that 0.91 is written "91", not "91.00000000000001".
  const percent = Math.round(probability * 1e8) / 1e6;
  return { relationship: RelationshipType.Contains, valueType: 'NUM', name: Codes.CertaintyOfFinding, value: percent, unit: Codes.Percent, ...(children.length > 0 ? { children } : {}) };
}

/** A size the report states: CONTAINS NUM Diameter in mm (TID 1501 row 7, TID 300). */
export function diameterItem(mm: number): NumItem {
  if (!(mm > 0 && Number.isFinite(mm))) throw new RangeError(`diameter ${mm} mm is not a positive number`);
  return { relationship: RelationshipType.Contains, valueType: 'NUM', name: Codes.Diameter, value: mm, unit: Codes.Millimeter };
}

function frames(ref: ImageReference): { frameNumbers?: number[] } {
  if (ref.frameNumber === undefined) return {};
  if (!(Number.isInteger(ref.frameNumber) && ref.frameNumber >= 1)) throw new RangeError(`frame number ${ref.frameNumber} of ${ref.sopInstanceUid} is not a positive integer`);
  return { frameNumbers: [ref.frameNumber] };
}

/** TID 1501 source image: CONTAINS IMAGE (260753009, SCT, "Source"), with the frame for a multi-frame image. */
export function sourceImageItem(ref: ImageReference): ImageItem {
  return { relationship: RelationshipType.Contains, valueType: 'IMAGE', name: Codes.Source, sopClassUid: ref.sopClassUid, sopInstanceUid: ref.sopInstanceUid, ...frames(ref) };
}

/**
 * A closed polygon on one image: SCOORD POLYLINE (first point = last, PS3.3 C.18.6.1.2) with its SELECTED FROM IMAGE
 * (PS3.3 C.17.3.2.1, Referenced Frame Number for a multi-frame image). `name` is (111030, DCM, "Image Region") for
 * TID 1410's row, none for a TID 320 coordinate under a measurement. Points are stored as FL (float32), so they are
 * rounded to float32 here and read back unchanged.
 */
export function regionScoordItem(
  relationship: RelationshipType,
  name: CodedConcept | undefined,
  image: ImageReference,
  points: ReadonlyArray<readonly [number, number]>,
): ScoordItem {
  const first = points[0];
  const last = points[points.length - 1];
  if (points.length < 4 || first === undefined || last === undefined || first[0] !== last[0] || first[1] !== last[1]) {
    throw new RangeError(`a region needs a closed polygon (≥ 3 vertices, the first repeated last), got ${points.length} points`);
  }
  const selectedFrom: ImageItem = { relationship: RelationshipType.SelectedFrom, valueType: 'IMAGE', sopClassUid: image.sopClassUid, sopInstanceUid: image.sopInstanceUid, ...frames(image) };
  return {
    relationship,
    valueType: 'SCOORD',
    ...(name === undefined ? {} : { name }),
    graphicType: 'POLYLINE',
    points: points.map(([c, r]) => [Math.fround(c), Math.fround(r)] as const),
    children: [selectedFrom],
  };
}

/** TID 1601 Image Library Entry: CONTAINS IMAGE without a concept name. */
export function imageLibraryEntryItem(ref: ImageReference): ImageItem {
  return { relationship: RelationshipType.Contains, valueType: 'IMAGE', sopClassUid: ref.sopClassUid, sopInstanceUid: ref.sopInstanceUid };
}

/** CONTAINS TEXT (121106, DCM, "Comment"). */
export function commentItem(text: string): TextItem {
  return { relationship: RelationshipType.Contains, valueType: 'TEXT', name: Codes.Comment, value: text };
}

const PRESENCE_VALUES: readonly CodedConcept[] = [Codes.Present, Codes.Absent, Codes.Undetermined];

// --- parsers -------------------------------------------------------------------------------------------------

type ValueTypeOf<T extends ContentItem['valueType']> = Extract<ContentItem, { valueType: T }>;

/** Children of `items` with this value type and concept name. */
export function itemsNamed<T extends ContentItem['valueType']>(items: readonly ContentItem[], valueType: T, name: CodedConcept): ValueTypeOf<T>[] {
  return items.filter((i): i is ValueTypeOf<T> => i.valueType === valueType && i.name !== undefined && sameConcept(i.name, name));
}

/** The one child with this value type and concept name; `path` names the parent for the error. */
export function oneItemNamed<T extends ContentItem['valueType']>(items: readonly ContentItem[], valueType: T, name: CodedConcept, path: string): ValueTypeOf<T> {
  const found = itemsNamed(items, valueType, name);
  const first = found[0];
  if (found.length !== 1 || first === undefined) {
    throw malformed(path, `expected one ${valueType} "${name.meaning}" (${name.value}, ${name.scheme}), found ${found.length}`);
  }
  return first;
}

export function parseLanguage(items: readonly ContentItem[], path: string): CodedConcept {
  return oneItemNamed(items, 'CODE', Codes.LanguageOfContentItemAndDescendants, path).value;
}

export function parseDeviceObserver(items: readonly ContentItem[], path: string): DeviceObserver {
  const types = itemsNamed(items, 'CODE', Codes.ObserverType);
  if (!types.some((t) => sameConcept(t.value, Codes.Device))) {
    throw malformed(path, `observer types are ${types.map((t) => `"${t.value.meaning}"`).join(', ') || 'missing'}, expected a device observer`);
  }
  const text = (name: CodedConcept): string => oneItemNamed(items, 'TEXT', name, path).value;
  const uid: UidRefItem = oneItemNamed(items, 'UIDREF', Codes.DeviceObserverUid, path);
  return {
    uid: uid.value,
    name: text(Codes.DeviceObserverName),
    manufacturer: text(Codes.DeviceObserverManufacturer),
    modelName: text(Codes.DeviceObserverModelName),
  };
}

export function parseProcedureReported(items: readonly ContentItem[], path: string): CodedConcept {
  return oneItemNamed(items, 'CODE', Codes.ProcedureReported, path).value;
}

export function parseTrackingIdentifier(items: readonly ContentItem[], path: string): { identifier: string; uid: Uid } {
  return {
    identifier: oneItemNamed(items, 'TEXT', Codes.TrackingIdentifier, path).value,
    uid: oneItemNamed(items, 'UIDREF', Codes.TrackingUniqueIdentifier, path).value,
  };
}

export function parseAlgorithmIdentification(items: readonly ContentItem[], path: string): AlgorithmIdentification {
  return {
    name: oneItemNamed(items, 'TEXT', Codes.AlgorithmName, path).value,
    version: oneItemNamed(items, 'TEXT', Codes.AlgorithmVersion, path).value,
  };
}

/**
 * The finding and what is said of it, from a TID 1501 group's qualitative evaluation: the one CONTAINS CODE whose
 * value is Present, Absent or Undetermined (CID 240). A "Finding" row, when there is one, must name the same concept.
 */
export function parseQualitativeFinding(items: readonly ContentItem[], path: string): { finding: CodedConcept; presence: Presence } {
  const evaluations = items.filter(
    (i): i is CodeItem =>
      i.valueType === 'CODE' && i.relationship === RelationshipType.Contains && !sameConcept(i.name, Codes.Finding) && PRESENCE_VALUES.some((v) => sameConcept(v, i.value)),
  );
  const evaluation = evaluations[0];
  if (evaluations.length !== 1 || evaluation === undefined) throw malformed(path, `expected one Present/Absent/Undetermined evaluation, found ${evaluations.length}`);
  const stated = itemsNamed(items, 'CODE', Codes.Finding);
  if (stated.length > 1 || (stated[0] !== undefined && !sameConcept(stated[0].value, evaluation.name))) {
    throw malformed(path, `the Finding row does not name the evaluated finding "${evaluation.name.meaning}"`);
  }
  const presence = sameConcept(evaluation.value, Codes.Present) ? 'present' : sameConcept(evaluation.value, Codes.Absent) ? 'absent' : 'undetermined';
  return { finding: evaluation.name, presence };
}

/**
 * The probability in [0, 1], or undefined when the group has none (findings read from a report). Reads UCUM "%"
 * (0-100, written since the region change) and UCUM "1" (0-1, SRs written before it).
 */
export function parseProbability(items: readonly ContentItem[], path: string): number | undefined {
  if (itemsNamed(items, 'NUM', Codes.CertaintyOfFinding).length === 0) return undefined;
  const item = oneItemNamed(items, 'NUM', Codes.CertaintyOfFinding, path);
  // % back to [0, 1] at the 1e-8 the writer keeps: an integer over a power of ten is the nearest double to the decimal.
  const p = sameConcept(item.unit, Codes.Percent) ? Math.round(item.value * 1e6) / 1e8 : sameConcept(item.unit, Codes.NoUnits) ? item.value : undefined;
  if (p === undefined) throw malformed(path, `probability unit is "${item.unit.value}", expected UCUM "%"`);
  if (!(p >= 0 && p <= 1)) throw malformed(path, `Certainty of Finding ${item.value} ${item.unit.value} is out of range`);
  return p;
}

function imageReference(i: ImageItem): ImageReference {
  const frame = i.frameNumbers?.[0];
  return { sopClassUid: i.sopClassUid, sopInstanceUid: i.sopInstanceUid, ...(frame === undefined ? {} : { frameNumber: frame }) };
}

export function parseImageReferences(items: readonly ContentItem[], name: CodedConcept | undefined): ImageReference[] {
  return items
    .filter((i): i is ImageItem => i.valueType === 'IMAGE' && (name === undefined ? i.name === undefined : i.name !== undefined && sameConcept(i.name, name)))
    .map(imageReference);
}

/** The closed polygon and its image of a SCOORD written by `regionScoordItem`. */
export function parseRegionScoord(item: ScoordItem, path: string): { image: ImageReference; points: Array<[number, number]> } {
  if (item.graphicType !== 'POLYLINE') throw malformed(path, `region graphic type is ${item.graphicType}, expected a closed POLYLINE`);
  const images = (item.children ?? []).filter((c): c is ImageItem => c.valueType === 'IMAGE' && c.relationship === RelationshipType.SelectedFrom);
  const image = images[0];
  if (images.length !== 1 || image === undefined) throw malformed(path, `a region SCOORD needs one SELECTED FROM IMAGE, found ${images.length}`);
  return { image: imageReference(image), points: item.points.map(([c, r]) => [c, r]) };
}

export function parseComments(items: readonly ContentItem[]): string[] {
  return itemsNamed(items, 'TEXT', Codes.Comment).map((i) => i.value);
}
