/**
 * SR value items, the bottom layer of the SR hierarchy: CONTAINER, CODE, NUM, TEXT, UIDREF and IMAGE content items
 * with their relationship types, encoded into naturalized dcmjs items (PS3.3 C.17.3 Document Content Macro, C.18
 * Content Item Macros) and parsed back. Knows no concept meanings; `fixed-meaning-items.ts` builds on it.
 */
import { parseUid, type Uid } from '../../dicom/index.js';
import {
  asRecord,
  malformed,
  numberList,
  optionalNumber,
  optionalString,
  requiredString,
  sequence,
  single,
  type Naturalized,
} from './naturalized.js';

/** A coded concept (PS3.3 Table 8.8-1 Code Sequence Macro): code value, coding scheme designator, code meaning. */
export interface CodedConcept {
  readonly value: string;
  readonly scheme: string;
  readonly meaning: string;
}

/** PS3.3 C.17.3.2.4 Relationship Type (0040,A010). */
export const RelationshipType = {
  Contains: 'CONTAINS',
  HasProperties: 'HAS PROPERTIES',
  HasConceptMod: 'HAS CONCEPT MOD',
  HasObsContext: 'HAS OBS CONTEXT',
  HasAcqContext: 'HAS ACQ CONTEXT',
  InferredFrom: 'INFERRED FROM',
  SelectedFrom: 'SELECTED FROM',
} as const;
export type RelationshipType = (typeof RelationshipType)[keyof typeof RelationshipType];
const RELATIONSHIP_TYPES: ReadonlySet<string> = new Set(Object.values(RelationshipType));
const SCOORD_GRAPHIC_TYPES: ReadonlySet<string> = new Set(['POINT', 'MULTIPOINT', 'POLYLINE', 'CIRCLE', 'ELLIPSE']);

/** PS3.3 C.18.8 Continuity Of Content (0040,A050). */
export type Continuity = 'SEPARATE' | 'CONTINUOUS';

interface ItemBase {
  readonly relationship: RelationshipType;
  readonly children?: readonly ContentItem[];
}
export interface ContainerItem extends ItemBase {
  readonly valueType: 'CONTAINER';
  readonly name: CodedConcept;
  readonly continuity: Continuity;
  /** DCMR template identifier (e.g. '1501') for Content Template Sequence (0040,A504). */
  readonly templateId?: string;
  readonly children: readonly ContentItem[];
}
export interface CodeItem extends ItemBase {
  readonly valueType: 'CODE';
  readonly name: CodedConcept;
  readonly value: CodedConcept;
}
/** A NUM item: one numeric value with UCUM units (PS3.3 C.18.1 Numeric Measurement Macro). */
export interface NumItem extends ItemBase {
  readonly valueType: 'NUM';
  readonly name: CodedConcept;
  readonly value: number;
  readonly unit: CodedConcept;
}
export interface TextItem extends ItemBase {
  readonly valueType: 'TEXT';
  readonly name: CodedConcept;
  readonly value: string;
}
/** A PNAME item: a person's name in DICOM PN form (family^given^middle^prefix^suffix), PS3.3 C.17.3.2.1 (Value Type PNAME, attribute Person Name (0040,A123)). */
export interface PnameItem extends ItemBase {
  readonly valueType: 'PNAME';
  readonly name: CodedConcept;
  readonly value: string;
}
export interface UidRefItem extends ItemBase {
  readonly valueType: 'UIDREF';
  readonly name: CodedConcept;
  readonly value: Uid;
}
/** An IMAGE reference (PS3.3 C.18.4 Image Reference Macro); the concept name is optional for IMAGE. */
export interface ImageItem extends ItemBase {
  readonly valueType: 'IMAGE';
  readonly name?: CodedConcept;
  readonly sopClassUid: Uid;
  readonly sopInstanceUid: Uid;
  readonly frameNumbers?: readonly number[];
}
/**
 * A SCOORD: image-relative 2D coordinates (PS3.3 C.18.6 Spatial Coordinates Macro), [column, row] pairs with
 * sub-pixel resolution; its one SELECTED FROM IMAGE child names the image (PS3.3 C.17.3.2.1).
 */
export interface ScoordItem extends ItemBase {
  readonly valueType: 'SCOORD';
  readonly name?: CodedConcept;
  /** PS3.3 C.18.6.1.1; a closed polygon is a POLYLINE whose first and last points are equal. */
  readonly graphicType: 'POINT' | 'MULTIPOINT' | 'POLYLINE' | 'CIRCLE' | 'ELLIPSE';
  readonly points: ReadonlyArray<readonly [number, number]>;
}
export type ContentItem = ContainerItem | CodeItem | NumItem | TextItem | PnameItem | UidRefItem | ImageItem | ScoordItem;

/** The root CONTAINER of an SR document (PS3.3 C.17.3 SR Document Content Module): it has no relationship. */
export type RootContainer = Omit<ContainerItem, 'relationship'>;

// DCMR, the DICOM Content Mapping Resource (PS3.16), for Content Template Sequence Mapping Resource (0008,0105).
const MAPPING_RESOURCE = 'DCMR';

// --- encoding ------------------------------------------------------------------------------------------------

const FORBIDDEN_CHARS = /[\\\x00-\x1f]/;

/** One Code Sequence Macro item. Code values over 16 characters go to Long Code Value (PS3.3 8.8.1). */
export function encodeCode(concept: CodedConcept): Naturalized {
  const where = `(${concept.value}, ${concept.scheme}, "${concept.meaning}")`;
  if (concept.value === '' || FORBIDDEN_CHARS.test(concept.value)) throw new RangeError(`code value of ${where} is empty or has control characters`);
  if (concept.scheme === '' || concept.scheme.length > 16 || FORBIDDEN_CHARS.test(concept.scheme)) {
    throw new RangeError(`coding scheme designator of ${where} must be 1-16 characters (SH)`);
  }
  if (concept.meaning === '' || concept.meaning.length > 64 || FORBIDDEN_CHARS.test(concept.meaning)) {
    throw new RangeError(`code meaning of ${where} must be 1-64 characters without backslash (LO)`);
  }
  const item: Naturalized = { CodingSchemeDesignator: concept.scheme, CodeMeaning: concept.meaning };
  if (concept.value.length > 16) item.LongCodeValue = concept.value;
  else item.CodeValue = concept.value;
  return item;
}

/**
 * A decimal string (DS, ≤ 16 characters, PS3.5 6.2) for `value`. Returns the text and whether it is exact;
 * when it is not, the caller adds Floating Point Value (0040,A161).
 */
export function formatDecimalString(value: number): { text: string; exact: boolean } {
  if (!Number.isFinite(value)) throw new RangeError(`NUM value ${value} is not a finite number`);
  let text = String(value);
  for (let digits = 16; text.length > 16 && digits > 0; digits--) {
    text = value.toPrecision(digits).replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
  }
  return { text, exact: Number(text) === value };
}

function encodeItem(item: ContentItem | RootContainer, withRelationship: boolean): Naturalized {
  const out: Naturalized = { ValueType: item.valueType };
  if (withRelationship && 'relationship' in item) out.RelationshipType = item.relationship;
  if (item.name !== undefined) out.ConceptNameCodeSequence = [encodeCode(item.name)];
  switch (item.valueType) {
    case 'CONTAINER':
      out.ContinuityOfContent = item.continuity;
      if (item.templateId !== undefined) {
        out.ContentTemplateSequence = [{ MappingResource: MAPPING_RESOURCE, TemplateIdentifier: item.templateId }];
      }
      break;
    case 'CODE':
      out.ConceptCodeSequence = [encodeCode(item.value)];
      break;
    case 'NUM': {
      const ds = formatDecimalString(item.value);
      const measured: Naturalized = { NumericValue: ds.text, MeasurementUnitsCodeSequence: [encodeCode(item.unit)] };
      // PS3.3 C.18.1: Floating Point Value is required when the DS cannot hold the value exactly.
      if (!ds.exact) measured.FloatingPointValue = item.value;
      out.MeasuredValueSequence = [measured];
      break;
    }
    case 'TEXT':
      out.TextValue = item.value;
      break;
    case 'PNAME':
      out.PersonName = [{ Alphabetic: item.value }];
      break;
    case 'UIDREF':
      out.UID = item.value;
      break;
    case 'IMAGE': {
      const ref: Naturalized = { ReferencedSOPClassUID: item.sopClassUid, ReferencedSOPInstanceUID: item.sopInstanceUid };
      if (item.frameNumbers !== undefined && item.frameNumbers.length > 0) ref.ReferencedFrameNumber = [...item.frameNumbers];
      out.ReferencedSOPSequence = [ref];
      break;
    }
    case 'SCOORD':
      out.GraphicType = item.graphicType;
      // Graphic Data (0070,0022) is FL: column, row, column, row, … (PS3.3 C.18.6.1.2).
      out.GraphicData = item.points.flatMap(([c, r]) => {
        if (!Number.isFinite(c) || !Number.isFinite(r)) throw new RangeError(`SCOORD point (${c}, ${r}) is not finite`);
        return [c, r];
      });
      break;
  }
  const children = item.children ?? [];
  if (children.length > 0) out.ContentSequence = children.map((c) => encodeItem(c, true));
  return out;
}

/** A content item as a naturalized Content Sequence item. */
export function encodeContentItem(item: ContentItem): Naturalized {
  return encodeItem(item, true);
}

/** The SR Document Content Module attributes of the root container, to merge into the document dataset. */
export function encodeRootContainer(root: RootContainer): Naturalized {
  return encodeItem(root, false);
}

// --- parsing -------------------------------------------------------------------------------------------------

/** Reads one Code Sequence Macro item. */
export function parseCode(item: Naturalized, path: string): CodedConcept {
  const value =
    optionalString(item, 'CodeValue', path) ?? optionalString(item, 'LongCodeValue', path) ?? optionalString(item, 'URNCodeValue', path);
  if (value === undefined) throw malformed(`${path}.CodeValue`, 'code has no Code Value, Long Code Value or URN Code Value');
  return {
    value,
    scheme: requiredString(item, 'CodingSchemeDesignator', path),
    meaning: requiredString(item, 'CodeMeaning', path),
  };
}

function parseUidValue(item: Naturalized, key: string, path: string): Uid {
  const raw = requiredString(item, key, path);
  const uid = parseUid(raw);
  if (uid === undefined) throw malformed(`${path}.${key}`, `"${raw}" is not a valid UID`);
  return uid;
}

function parseItem(item: Naturalized, path: string, root: boolean): ContentItem | RootContainer {
  const valueType = requiredString(item, 'ValueType', path);
  let relationship: RelationshipType = RelationshipType.Contains;
  if (!root) {
    const rel = requiredString(item, 'RelationshipType', path);
    if (!RELATIONSHIP_TYPES.has(rel)) throw malformed(`${path}.RelationshipType`, `unknown relationship "${rel}"`);
    relationship = rel as RelationshipType;
  }
  const nameItems = sequence(item, 'ConceptNameCodeSequence', path);
  const nameItem = nameItems[0];
  if (nameItems.length > 1) throw malformed(`${path}.ConceptNameCodeSequence`, 'more than one concept name');
  const name = nameItem === undefined ? undefined : parseCode(nameItem, `${path}.ConceptNameCodeSequence[0]`);
  const children = sequence(item, 'ContentSequence', path).map((c, i) => parseItem(c, `${path}.ContentSequence[${i}]`, false) as ContentItem);
  const needName = (): CodedConcept => {
    if (name === undefined) throw malformed(`${path}.ConceptNameCodeSequence`, `${valueType} item has no concept name`);
    return name;
  };
  const extra = children.length > 0 ? { children } : {};
  switch (valueType) {
    case 'CONTAINER': {
      const continuity = requiredString(item, 'ContinuityOfContent', path);
      if (continuity !== 'SEPARATE' && continuity !== 'CONTINUOUS') throw malformed(`${path}.ContinuityOfContent`, `"${continuity}"`);
      const templates = sequence(item, 'ContentTemplateSequence', path);
      const template = templates[0];
      const templateId = template === undefined ? undefined : requiredString(template, 'TemplateIdentifier', `${path}.ContentTemplateSequence[0]`);
      const container = { valueType, name: needName(), continuity, children, ...(templateId === undefined ? {} : { templateId }) } as const;
      return root ? container : { relationship, ...container };
    }
    case 'CODE':
      return { relationship, valueType, name: needName(), value: parseCode(single(item, 'ConceptCodeSequence', path), `${path}.ConceptCodeSequence[0]`), ...extra };
    case 'NUM': {
      const mpath = `${path}.MeasuredValueSequence[0]`;
      const measured = single(item, 'MeasuredValueSequence', path);
      const value = optionalNumber(measured, 'FloatingPointValue', mpath) ?? optionalNumber(measured, 'NumericValue', mpath);
      if (value === undefined) throw malformed(`${mpath}.NumericValue`, 'NUM item has no value');
      const unit = parseCode(single(measured, 'MeasurementUnitsCodeSequence', mpath), `${mpath}.MeasurementUnitsCodeSequence[0]`);
      return { relationship, valueType, name: needName(), value, unit, ...extra };
    }
    case 'TEXT':
      return { relationship, valueType, name: needName(), value: optionalString(item, 'TextValue', path) ?? '', ...extra };
    case 'PNAME':
      return { relationship, valueType, name: needName(), value: alphabeticName(item.PersonName), ...extra };
    case 'UIDREF':
      return { relationship, valueType, name: needName(), value: parseUidValue(item, 'UID', path), ...extra };
    case 'IMAGE': {
      const rpath = `${path}.ReferencedSOPSequence[0]`;
      const ref = single(item, 'ReferencedSOPSequence', path);
      const frames = numberList(ref, 'ReferencedFrameNumber', rpath);
      return {
        relationship,
        valueType,
        ...(name === undefined ? {} : { name }),
        sopClassUid: parseUidValue(ref, 'ReferencedSOPClassUID', rpath),
        sopInstanceUid: parseUidValue(ref, 'ReferencedSOPInstanceUID', rpath),
        ...(frames.length > 0 ? { frameNumbers: frames } : {}),
        ...extra,
      };
    }
    case 'SCOORD': {
      const graphicType = requiredString(item, 'GraphicType', path);
      if (!SCOORD_GRAPHIC_TYPES.has(graphicType)) throw malformed(`${path}.GraphicType`, `"${graphicType}" is not a 2D graphic type`);
      const data = numberList(item, 'GraphicData', path);
      if (data.length < 2 || data.length % 2 !== 0) throw malformed(`${path}.GraphicData`, `${data.length} values: not column/row pairs`);
      const points: Array<[number, number]> = [];
      for (let i = 0; i < data.length; i += 2) points.push([data[i] as number, data[i + 1] as number]);
      return { relationship, valueType, ...(name === undefined ? {} : { name }), graphicType: graphicType as ScoordItem['graphicType'], points, ...extra };
    }
    default:
      throw malformed(`${path}.ValueType`, `value type "${valueType}" is not one this gateway reads`);
  }
}

/** Parses one Content Sequence item (and its children). */
export function parseContentItem(item: unknown, path = 'ContentSequence[0]'): ContentItem {
  return parseItem(asRecord(item, path), path, false) as ContentItem;
}

/** Parses the root container from an SR document dataset (SR Document Content Module). */
export function parseRootContainer(dataset: unknown): RootContainer {
  const root = parseItem(asRecord(dataset, 'dataset'), 'dataset', true);
  if (root.valueType !== 'CONTAINER') throw malformed('dataset.ValueType', 'the root content item must be a CONTAINER');
  return root as RootContainer;
}

/** The alphabetic group of a naturalized PN: dcmjs reads `[{ Alphabetic }]`; older writers give a string. */
function alphabeticName(value: unknown): string {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first.split('=')[0] ?? '';
  if (typeof first === 'object' && first !== null && 'Alphabetic' in first) {
    const alphabetic = (first as { Alphabetic?: unknown }).Alphabetic;
    return typeof alphabetic === 'string' ? alphabetic : '';
  }
  return '';
}
