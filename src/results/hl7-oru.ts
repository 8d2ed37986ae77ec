/**
 * The ORU^R01 that puts AI flags on the RIS worklist, laid out as HL7 v2.5.1 and IHE Radiology put a result:
 *
 *   MSH  PID  ORC  OBR  TQ1  OBX…
 *
 * - PID from the study's DICOM header (oru-patient.ts): PID-3 with its assigning authority, PID-5 in XPN order,
 *   PID-7, PID-8.
 * - ORC (v2.5.1 §4.5.1): ORC-1 `RE` (observations to follow, table 0119), ORC-3 the filler order number, ORC-5 `CM`
 *   (order completed, table 0038), ORC-9 when.
 * - OBR (v2.5.1 §4.5.3 / §7.4.1): OBR-3 filler order number and OBR-18 placer field 1 both carry the accession.
 *   OBR-18 is where IHE RAD TF-2 puts the Accession Number (RAD-4 HL7 v2.3.1 OBR-18; results use the v2.3.1 reading
 *   because v2.5.1's IPC segment, which holds it in orders, is not part of ORU^R01). OBR-3 keeps it for receivers
 *   that match on the filler number, namespaced by the accession's issuer when the header names one. OBR-2 (placer
 *   order number) stays empty: the gateway never sees the order. OBR-25 result status `F` or `C` (table 0123).
 * - Priority: TQ1-9 (v2.5.1 §4.5.4.9, table 0485: S stat, R routine), the only place v2.5.1 defines it; OBR-5 is
 *   "retained for backward compatibility only" and not used (§4.5.3.5). OBR-27 (TQ, itself kept only for backward
 *   compatibility, §4.5.3.27) repeats it in its 6th component for v2.3-era receivers.
 * - OBX (v2.5.1 §7.4.2): the Study Instance UID and each SR's SOP Instance UID as HD values, the way IHE RAD TF-2
 *   §4.28 (Structured Report Export) sends them (`SR Instance UID`, `Study Instance UID`); the study row is coded
 *   DCM 110180 "Study Instance UID" so coded receivers match it too. OBX-4 sub-IDs group the rows of one finding
 *   (v2.5.1 §7.4.2.4): every row of finding k has sub-ID k. OBX-11 is the result status of every row (table 0085).
 * - A correction (`resultStatus: 'C'`) names what it replaces: an OBX `121360^Replaced report^DCM` (PS3.16 CID
 *   7009) holding the previous SR's SOP Instance UID.
 *
 * MSH-10 is derived from the content, so a retry carries the same control id and an unchanged result is never a
 * second message.
 */
import { createHash } from 'node:crypto';
import { buildHl7Message, type Hl7SegmentSpec } from '../hl7/index.js';
import { buildPid, entityIdentifier, type AssigningAuthority, type OruPatient } from './oru-patient.js';

export interface OruFinding {
  modelId: string;
  modelVersion: string;
  code: string;
  scheme: string;
  meaning: string;
  flagged: boolean;
  probability: number;
  /** SOP Instance UID of the SR that holds this finding, when one was written. */
  srSopInstanceUid?: string;
}

export interface OruDiscordance {
  code: string;
  meaning: string;
  state: 'ai-only' | 'report-only';
}

export interface AiFlagsOruInput {
  accessionNumber: string;
  /** Issuer of Accession Number Sequence (0008,0051): namespaces the filler order number. */
  accessionIssuer?: AssigningAuthority;
  studyInstanceUid: string;
  patient: OruPatient;
  findings: readonly OruFinding[];
  discordances: readonly OruDiscordance[];
  demo: boolean;
  /** When the result was produced (HL7 DTM): part of the content, never the clock at send time. */
  observedAt: Date;
  receivingApplication: string;
  receivingFacility: string;
  /** OBR-25 and every OBX-11: `F` final (default) or `C` a correction of a result sent before. */
  resultStatus?: 'F' | 'C';
  /** The result this message corrects: named in an OBX so the RIS can replace it. */
  corrects?: { srSopInstanceUid: string };
}

export interface AiFlagsOru {
  text: string;
  controlId: string;
}

// PS3.16 / SNOMED CT codes also used in the SR (results/sr/codes.ts), so PACS and RIS see the same concepts.
const PRESENT = ['52101004', 'Present', 'SCT'] as const;
const ABSENT = ['272519000', 'Absent', 'SCT'] as const;
const CERTAINTY = ['111012', 'Certainty of Finding', 'DCM'] as const;
const ALGORITHM_NAME = ['111001', 'Algorithm Name', 'DCM'] as const;
const ALGORITHM_VERSION = ['111003', 'Algorithm Version', 'DCM'] as const;
const STUDY_INSTANCE_UID = ['110180', 'Study Instance UID', 'DCM'] as const;
/** IHE RAD TF-2 §4.28 names this row by its text alone (`^SR Instance UID`); DCM has no code for it. */
const SR_INSTANCE_UID = ['', 'SR Instance UID'] as const;
const REPLACED_REPORT = ['121360', 'Replaced report', 'DCM'] as const;
/** HL7 table 0485 (TQ1-9). */
const PRIORITY = { stat: ['S', 'Stat', 'HL70485'], routine: ['R', 'Routine', 'HL70485'] } as const;

function dtm(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+0000`;
}

type FieldValue = Hl7SegmentSpec['fields'][number];

interface ObxRow {
  type: string;
  id: readonly string[];
  /** OBX-4: the finding group, or '' for a row about the whole result. */
  subId: string;
  value: FieldValue;
  units?: readonly string[];
  abnormal?: string;
}

/** The OBX rows: the study, per finding a group (coded finding, certainty, algorithm, its SR), discordances, notes. */
function observationRows(input: AiFlagsOruInput): ObxRow[] {
  const rows: ObxRow[] = [{ type: 'HD', id: STUDY_INSTANCE_UID, subId: '', value: input.studyInstanceUid }];
  if (input.corrects !== undefined) rows.push({ type: 'HD', id: REPLACED_REPORT, subId: '', value: input.corrects.srSopInstanceUid });
  const groupOf = new Map<string, string>();
  input.findings.forEach((f, i) => {
    const subId = String(i + 1);
    if (!groupOf.has(f.code)) groupOf.set(f.code, subId);
    const abnormal = f.flagged ? 'A' : 'N';
    rows.push(
      { type: 'CWE', id: [f.code, f.meaning, f.scheme], subId, value: [...(f.flagged ? PRESENT : ABSENT)], abnormal },
      { type: 'NM', id: CERTAINTY, subId, value: f.probability.toFixed(4), units: ['1', 'no units', 'UCUM'], abnormal },
      { type: 'ST', id: ALGORITHM_NAME, subId, value: f.modelId },
      { type: 'ST', id: ALGORITHM_VERSION, subId, value: f.modelVersion },
    );
    if (f.srSopInstanceUid !== undefined) rows.push({ type: 'HD', id: SR_INSTANCE_UID, subId, value: f.srSopInstanceUid });
  });
  let nextGroup = input.findings.length;
  for (const d of input.discordances) {
    // A finding the report disagrees with joins that finding's group; one only the report has gets its own.
    const subId = groupOf.get(d.code) ?? String(++nextGroup);
    const text = d.state === 'ai-only' ? `AI flagged ${d.meaning}; the report does not describe it` : `The report describes ${d.meaning}; the AI did not flag it`;
    rows.push({ type: 'ST', id: ['DISCORDANCE', 'AI and report discordant', 'L'], subId, value: text, abnormal: 'A' });
  }
  if (input.demo) rows.push({ type: 'ST', id: ['DISCLAIMER', 'Disclaimer', 'L'], subId: '', value: 'Demo model trained on synthetic data - not for clinical use' });
  return rows;
}

export function buildAiFlagsOru(input: AiFlagsOruInput): AiFlagsOru {
  const status = input.resultStatus ?? 'F';
  const flagged = input.findings.some((f) => f.flagged) || input.discordances.length > 0;
  const priority = flagged ? PRIORITY.stat : PRIORITY.routine;
  const observed = dtm(input.observedAt);
  const fillerOrder = entityIdentifier(input.accessionNumber, input.accessionIssuer);
  const obx: Hl7SegmentSpec[] = observationRows(input).map((r, i) => ({
    name: 'OBX',
    fields: [String(i + 1), r.type, [...r.id], r.subId, r.value, r.units === undefined ? undefined : [...r.units], undefined, r.abnormal, undefined, undefined, status, undefined, undefined, observed],
  }));
  const none = (n: number): undefined[] => Array<undefined>(n).fill(undefined);
  const segments: Hl7SegmentSpec[] = [
    buildPid(input.patient),
    { name: 'ORC', fields: ['RE', undefined, fillerOrder, undefined, 'CM', ...none(3), observed] },
    {
      name: 'OBR',
      // OBR-1..4, OBR-5 left empty (v2.5.1: backward compatibility only), OBR-7, OBR-18, OBR-22, OBR-25, OBR-27.
      fields: ['1', undefined, fillerOrder, ['AI', 'AI image analysis', 'L'], undefined, undefined, observed, ...none(10), input.accessionNumber, ...none(3), observed, undefined, undefined, status, undefined, ['', '', '', '', '', priority[0]]],
    },
    { name: 'TQ1', fields: ['1', ...none(7), [...priority]] },
    ...obx,
  ];
  // Content hash → control id: same result, same MSH-10 (the receiver can drop our retries); ≤ 20 chars (MSH-10 ST 20).
  const body = JSON.stringify({ input: { ...input, observedAt: observed }, segments });
  const controlId = `AI${createHash('sha256').update(body).digest('hex').slice(0, 18).toUpperCase()}`;
  const text = buildHl7Message(
    {
      sendingApplication: 'PACS_AI_GATEWAY',
      sendingFacility: '',
      receivingApplication: input.receivingApplication,
      receivingFacility: input.receivingFacility,
      messageType: { code: 'ORU', trigger: 'R01', structure: 'ORU_R01' },
      controlId,
      timestamp: input.observedAt,
    },
    segments,
  );
  return { text, controlId };
}
