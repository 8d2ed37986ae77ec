/**
 * The patient and study context an SR copies from one instance of the source study (PS3.3 C.7.1.1 Patient,
 * C.7.2.1 General Study modules; the optional Patient Study module is
 * not copied: its values describe the acquisition, not the result), read with dcmjs from a Part-10 file or taken from a
 * naturalized dataset. Only these attributes travel; Type 2 ones are present (empty) even when the source lacks them.
 */
import { readFile } from 'node:fs/promises';
import { parseUid, type Uid } from '../../dicom/index.js';
import { GatewayError } from '../../errors.js';
import { parseCode, type CodedConcept } from './content-items.js';
import { asRecord, sequence, type Naturalized } from './naturalized.js';
import { readPart10 } from './part10-io.js';

/** What the SR needs from its source study. */
export interface SourceContext {
  readonly studyInstanceUid: Uid;
  /** Patient and General Study module attributes, naturalized, ready to copy into the SR. */
  readonly attributes: Readonly<Naturalized>;
  /** The study's first Procedure Code Sequence item, if it has a readable one (for TID 1500 Procedure reported). */
  readonly procedureCode: CodedConcept | undefined;
  /** The source's Timezone Offset From UTC (0008,0201) as written, when it has one: the zone of its Study Date/Time. */
  readonly timezoneOffsetFromUtc?: string;
}

/** Type 2 attributes of the Patient and General Study modules: present in the SR, empty when the source lacks them. */
const TYPE_2 = ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber'] as const;

/** Other Patient and General Study attributes copied when the source has them (all Type 3 or 1C/2C). */
const COPIED = [
  // Patient module (C.7.1.1)
  'IssuerOfPatientID',
  'IssuerOfPatientIDQualifiersSequence',
  'TypeOfPatientID',
  'OtherPatientIDsSequence',
  'PatientBirthTime',
  'PatientIdentityRemoved',
  'DeidentificationMethod',
  'DeidentificationMethodCodeSequence',
  'PatientSpeciesDescription',
  'PatientSpeciesCodeSequence',
  'PatientBreedDescription',
  'PatientBreedCodeSequence',
  'BreedRegistrationSequence',
  'ResponsiblePerson',
  'ResponsiblePersonRole',
  'ResponsibleOrganization',
  // General Study module (C.7.2.1)
  'IssuerOfAccessionNumberSequence',
  'ReferringPhysicianIdentificationSequence',
  'StudyDescription',
  'PhysiciansOfRecord',
  'NameOfPhysiciansReadingStudy',
  'ProcedureCodeSequence',
] as const;

const DA_KEYS: ReadonlySet<string> = new Set(['PatientBirthDate', 'StudyDate']);
const TM_KEYS: ReadonlySet<string> = new Set(['PatientBirthTime', 'StudyTime']);

/**
 * A DA or TM value as PS3.5 Table 6.2-1 wants it for writing. The ACR-NEMA forms "yyyy.mm.dd" and "hh:mm:ss" (which
 * PS3.5 asks readers to accept) lose their separators; any other malformed value becomes empty, which these Type 2
 * and Type 3 attributes allow, rather than failing the SR.
 */
function normalizeDateTime(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const v = value.trim();
  if (DA_KEYS.has(key)) {
    const da = v.replace(/^(\d{4})\.(\d{2})\.(\d{2})$/, '$1$2$3');
    return /^\d{8}$/.test(da) ? da : '';
  }
  if (TM_KEYS.has(key)) {
    const tm = /^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/.test(v) ? v.replace(/:/g, '') : v;
    return /^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/.test(tm) ? tm : '';
  }
  return value;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}

/** Takes the SR's source context from a naturalized dataset of a source instance. */
export function sourceContextFromDataset(dataset: unknown): SourceContext {
  const source = asRecord(dataset, 'source dataset');
  const rawStudyUid = source.StudyInstanceUID;
  const studyInstanceUid = typeof rawStudyUid === 'string' ? parseUid(rawStudyUid) : undefined;
  if (studyInstanceUid === undefined) {
    throw new GatewayError('GW_ERR_UID_INVALID', `source instance has no valid Study Instance UID (${String(rawStudyUid)}): the SR cannot join its study`, {
      context: { field: 'StudyInstanceUID' },
    });
  }
  const attributes: Naturalized = { StudyInstanceUID: studyInstanceUid };
  for (const key of TYPE_2) attributes[key] = isEmpty(source[key]) ? '' : normalizeDateTime(key, source[key]);
  for (const key of COPIED) if (!isEmpty(source[key])) attributes[key] = normalizeDateTime(key, source[key]);
  let procedureCode: CodedConcept | undefined;
  try {
    const first = sequence(source, 'ProcedureCodeSequence', 'source')[0];
    procedureCode = first === undefined ? undefined : parseCode(first, 'source.ProcedureCodeSequence[0]');
  } catch {
    procedureCode = undefined; // an unreadable procedure code falls back to the generic one; the SR stays valid
  }
  const offset = typeof source.TimezoneOffsetFromUTC === 'string' ? source.TimezoneOffsetFromUTC.trim() : '';
  return { studyInstanceUid, attributes, procedureCode, ...(/^[+-]\d{4}$/.test(offset) ? { timezoneOffsetFromUtc: offset } : {}) };
}

/** Reads the SR's source context from Part-10 bytes of a source instance (pixel data is not read). */
export function sourceContextFromPart10(bytes: Uint8Array, file?: string): SourceContext {
  return sourceContextFromDataset(readPart10(bytes, { withoutPixelData: true, ...(file === undefined ? {} : { file }) }).dataset);
}

/** Reads the SR's source context from a source instance's Part-10 file. */
export async function readSourceContext(path: string): Promise<SourceContext> {
  return sourceContextFromPart10(await readFile(path), path);
}
