/**
 * The patient and order identity of an ORU^R01, taken from the study's stored DICOM header and written the way
 * HL7 v2.5.1 wants it: PID-3 as CX with its assigning authority, PID-5 in XPN component order, PID-7 birth date,
 * PID-8 administrative sex, and the accession's issuer for the filler order number (EI). A RIS matches the result
 * to its patient and order with these, so a value the header lacks stays empty rather than guessed.
 */
import type { Hl7SegmentSpec } from '../hl7/index.js';
import type { SourceContext } from './sr/source-context.js';

/** An assigning authority: HL7 HD (namespace ID ^ universal ID ^ universal ID type), PS3.3 Table 10-17. */
export interface AssigningAuthority {
  namespaceId?: string;
  universalId?: string;
  universalIdType?: string;
}

/** The patient as the DICOM header has it (PS3.3 C.7.1.1 Patient module); mapped to PID by `buildPid`. */
export interface OruPatient {
  /** Patient ID (0010,0020). */
  id: string;
  /** Issuer of Patient ID (0010,0021) and its Qualifiers Sequence (0010,0024), PS3.3 Table 10-18. */
  issuer?: AssigningAuthority;
  /** Identifier Type Code (0040,0035) from the qualifiers (HL7 table 0203, e.g. MR): CX-5. */
  identifierTypeCode?: string;
  /** Patient's Name (0010,0010), the alphabetic group of a DICOM PN: family^given^middle^prefix^suffix. */
  name: string;
  /** Patient's Birth Date (0010,0030), DA (YYYYMMDD) or empty. */
  birthDate: string;
  /** Patient's Birth Time (0010,0032), TM, when the header has it. */
  birthTime?: string;
  /** Patient's Sex (0010,0040): M, F, O or empty. */
  sex: string;
}

/** One value of a naturalized attribute as trimmed text ('' when absent, not text, or multi-valued beyond the first). */
function text(value: unknown): string {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first.trim();
  if (typeof first === 'number') return String(first);
  return '';
}

/** The first item of a naturalized sequence, if it is a dataset item. */
function firstItem(value: unknown): Record<string, unknown> | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'object' && first !== null && !Array.isArray(first) ? (first as Record<string, unknown>) : undefined;
}

/** Drops empty values so an absent part does not become an empty key (and a different content hash). */
function compact<T extends object>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && v !== '');
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as T);
}

/** The alphabetic component group of a naturalized PN (dcmjs gives `[{ Alphabetic }]` or, from older writers, a string). */
function personName(value: unknown): string {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first.split('=')[0] ?? '';
  if (typeof first === 'object' && first !== null && 'Alphabetic' in first) return text((first as { Alphabetic?: unknown }).Alphabetic);
  return '';
}

/** The patient of a source instance, from its Patient module attributes. */
export function oruPatientFromSource(source: SourceContext): OruPatient {
  const a = source.attributes;
  const qualifiers = firstItem(a.IssuerOfPatientIDQualifiersSequence);
  const issuer = compact<AssigningAuthority>({
    namespaceId: text(a.IssuerOfPatientID),
    universalId: text(qualifiers?.UniversalEntityID),
    universalIdType: text(qualifiers?.UniversalEntityIDType),
  });
  const identifierTypeCode = text(qualifiers?.IdentifierTypeCode);
  const birthTime = text(a.PatientBirthTime);
  return {
    id: text(a.PatientID),
    ...(issuer === undefined ? {} : { issuer }),
    ...(identifierTypeCode === '' ? {} : { identifierTypeCode }),
    name: personName(a.PatientName),
    birthDate: text(a.PatientBirthDate),
    ...(birthTime === '' ? {} : { birthTime }),
    sex: text(a.PatientSex).toUpperCase(),
  };
}

/** Issuer of Accession Number Sequence (0008,0051), PS3.3 C.7.2.1: who assigned the accession, when the header says. */
export function accessionIssuerFromSource(source: SourceContext): AssigningAuthority | undefined {
  const item = firstItem(source.attributes.IssuerOfAccessionNumberSequence);
  if (item === undefined) return undefined;
  return compact<AssigningAuthority>({ namespaceId: text(item.LocalNamespaceEntityID), universalId: text(item.UniversalEntityID), universalIdType: text(item.UniversalEntityIDType) });
}

/** Components without their empty tail, so `DOE^JANE` is not sent as `DOE^JANE^^^`. */
function trimComponents(components: readonly string[]): string[] {
  const out = [...components];
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/** HD components as subcomponents of a CX-4 or EI-2..4 (the same order in both). */
function hd(authority: AssigningAuthority | undefined): string[] {
  return [authority?.namespaceId ?? '', authority?.universalId ?? '', authority?.universalIdType ?? ''];
}

/**
 * DICOM PN → HL7 XPN. PN is family^given^middle^prefix^suffix (PS3.5 §6.2.1.1); XPN is family^given^second
 * and further given names^suffix^prefix (HL7 v2.5.1 ch. 2A, XPN): the last two swap places.
 */
export function xpnFromDicomName(pn: string): string[] {
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = pn.split('^').map((c) => c.trim());
  return trimComponents([family, given, middle, suffix, prefix]);
}

/** Patient's Sex (PS3.3 C.7.1.1: M, F, O) → administrative sex (HL7 v2.5.1 table 0001); anything else stays empty. */
export function administrativeSex(dicomSex: string): string {
  return dicomSex === 'M' || dicomSex === 'F' || dicomSex === 'O' ? dicomSex : '';
}

/** DA (+ TM) → PID-7 TS (YYYYMMDD[HHMM[SS[.S…]]]); a malformed date is left out, not guessed. */
export function birthDateTime(da: string, tm: string | undefined): string {
  if (!/^\d{8}$/.test(da)) return '';
  const time = tm?.replace(/:/g, '') ?? '';
  return /^\d{2}(\d{2}(\d{2}(\.\d{1,4})?)?)?$/.test(time) ? `${da}${time}` : da;
}

/**
 * CX: ID ^ check digit ^ check digit scheme ^ assigning authority ^ identifier type code (HL7 v2.5.1 ch. 2A, CX). The
 * authority is an HD whose parts are subcomponents (`id^^^NS&1.2.3&ISO`); the builder escapes each part.
 */
function patientIdentifier(p: OruPatient): ReadonlyArray<string | readonly string[]> {
  const authority = trimComponents(hd(p.issuer));
  const components: Array<string | readonly string[]> = [p.id, '', '', authority.length <= 1 ? (authority[0] ?? '') : authority, p.identifierTypeCode ?? ''];
  while (components.length > 1 && components[components.length - 1] === '') components.pop();
  return components;
}

/** PID: set ID, PID-3 identifier list (CX), PID-5 name (XPN), PID-7 birth date, PID-8 sex (HL7 v2.5.1 §3.4.2). */
export function buildPid(p: OruPatient): Hl7SegmentSpec {
  return { name: 'PID', fields: ['1', undefined, patientIdentifier(p), undefined, xpnFromDicomName(p.name), undefined, birthDateTime(p.birthDate, p.birthTime), administrativeSex(p.sex)] };
}

/** EI for ORC-3/OBR-3: entity identifier ^ namespace ID ^ universal ID ^ universal ID type (HL7 v2.5.1 ch. 2A, EI). */
export function entityIdentifier(id: string, authority: AssigningAuthority | undefined): string[] {
  return trimComponents([id, ...hd(authority)]);
}
