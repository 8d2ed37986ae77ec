/**
 * Fixed-meaning SR items, the middle layer: value items whose concept name and relationship the templates fix
 * (language, device observer, procedure reported, tracking identifier, algorithm identification, presence,
 * probability, source image, comment), each with its parser. Built only from `content-items.ts`.
 */
import type { Uid } from '../../dicom/index.js';
import { Codes, sameConcept } from './codes.js';
import { RelationshipType, type CodeItem, type CodedConcept, type ContentItem, type ImageItem, type NumItem, type TextItem, type UidRefItem } from './content-items.js';
import { malformed } from './naturalized.js';

/** A reference to a composite instance: what an IMAGE item and an evidence entry point at. */
export interface ImageReference {
  readonly sopClassUid: Uid;
  readonly sopInstanceUid: Uid;
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
 * Present or Absent (CID 240/241), the IHE AIR qualitative-finding form.
 */
export function presenceItem(finding: CodedConcept, presence: Presence): CodeItem {
  const value = presence === 'present' ? Codes.Present : presence === 'absent' ? Codes.Absent : Codes.Undetermined;
  return { relationship: RelationshipType.Contains, valueType: 'CODE', name: finding, value };
}

/** The model's probability as a TID 1501 measurement: CONTAINS NUM Certainty of Finding, UCUM "1", in [0, 1]. */
export function probabilityItem(probability: number): NumItem {
  if (!(probability >= 0 && probability <= 1)) throw new RangeError(`probability ${probability} is outside [0, 1]`);
  return { relationship: RelationshipType.Contains, valueType: 'NUM', name: Codes.CertaintyOfFinding, value: probability, unit: Codes.NoUnits };
}

/** A size the report states: CONTAINS NUM Diameter in mm (TID 1501 row 7, TID 300). */
export function diameterItem(mm: number): NumItem {
  if (!(mm > 0 && Number.isFinite(mm))) throw new RangeError(`diameter ${mm} mm is not a positive number`);
  return { relationship: RelationshipType.Contains, valueType: 'NUM', name: Codes.Diameter, value: mm, unit: Codes.Millimeter };
}

/** TID 1501 source image: CONTAINS IMAGE (260753009, SCT, "Source"). */
export function sourceImageItem(ref: ImageReference): ImageItem {
  return { relationship: RelationshipType.Contains, valueType: 'IMAGE', name: Codes.Source, sopClassUid: ref.sopClassUid, sopInstanceUid: ref.sopInstanceUid };
}

/** TID 1601 Image Library Entry: CONTAINS IMAGE without a concept name. */
export function imageLibraryEntryItem(ref: ImageReference): ImageItem {
  return { relationship: RelationshipType.Contains, valueType: 'IMAGE', sopClassUid: ref.sopClassUid, sopInstanceUid: ref.sopInstanceUid };
}

/** CONTAINS TEXT (121106, DCM, "Comment"). */
export function commentItem(text: string): TextItem {
  return { relationship: RelationshipType.Contains, valueType: 'TEXT', name: Codes.Comment, value: text };
}

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
  const type = oneItemNamed(items, 'CODE', Codes.ObserverType, path);
  if (!sameConcept(type.value, Codes.Device)) throw malformed(path, `observer type is "${type.value.meaning}", expected a device observer`);
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

export function parsePresence(items: readonly ContentItem[], finding: CodedConcept, path: string): Presence {
  const value = oneItemNamed(items, 'CODE', finding, path).value;
  if (sameConcept(value, Codes.Present)) return 'present';
  if (sameConcept(value, Codes.Absent)) return 'absent';
  if (sameConcept(value, Codes.Undetermined)) return 'undetermined';
  throw malformed(path, `qualitative evaluation of "${finding.meaning}" is "${value.meaning}", expected Present, Absent or Undetermined`);
}

/** The probability, or undefined when the group has none (findings read from a report). */
export function parseProbability(items: readonly ContentItem[], path: string): number | undefined {
  if (itemsNamed(items, 'NUM', Codes.CertaintyOfFinding).length === 0) return undefined;
  const item = oneItemNamed(items, 'NUM', Codes.CertaintyOfFinding, path);
  if (!sameConcept(item.unit, Codes.NoUnits)) throw malformed(path, `probability unit is "${item.unit.value}", expected UCUM "1"`);
  return item.value;
}

export function parseImageReferences(items: readonly ContentItem[], name: CodedConcept | undefined): ImageReference[] {
  return items
    .filter((i): i is ImageItem => i.valueType === 'IMAGE' && (name === undefined ? i.name === undefined : i.name !== undefined && sameConcept(i.name, name)))
    .map((i) => ({ sopClassUid: i.sopClassUid, sopInstanceUid: i.sopInstanceUid }));
}

export function parseComments(items: readonly ContentItem[]): string[] {
  return itemsNamed(items, 'TEXT', Codes.Comment).map((i) => i.value);
}
