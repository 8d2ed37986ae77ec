/**
 * The ORU^R01 that puts AI flags on the RIS worklist: one OBR per study (accession, result status, priority so a
 * worklist can sort), per AI finding a coded OBX (present/absent, abnormal flag) and a numeric OBX (probability),
 * an OBX per discordance with the report, and the demo disclaimer. MSH-10 is derived from the content, so a
 * retry carries the same control id and an unchanged result is never a second message.
 */
import { createHash } from 'node:crypto';
import { buildHl7Message, type Hl7SegmentSpec } from '../hl7/index.js';

export interface OruFinding {
  modelId: string;
  modelVersion: string;
  code: string;
  scheme: string;
  meaning: string;
  flagged: boolean;
  probability: number;
}

export interface OruDiscordance {
  code: string;
  meaning: string;
  state: 'ai-only' | 'report-only';
}

export interface AiFlagsOruInput {
  accessionNumber: string;
  studyInstanceUid: string;
  patientId: string;
  patientName: string;
  findings: readonly OruFinding[];
  discordances: readonly OruDiscordance[];
  demo: boolean;
  /** When the result was produced (HL7 DTM): part of the content, never the clock at send time. */
  observedAt: Date;
  /** OBR-25 and OBX-11: F final, C a correction of an earlier final result (HL7 v2.5.1 Tables 0123, 0085). Default F. */
  resultStatus?: 'F' | 'C';
  /** The SR whose result this message corrects (with resultStatus C). */
  corrects?: { srSopInstanceUid: string };
  receivingApplication: string;
  receivingFacility: string;
}

export interface AiFlagsOru {
  text: string;
  controlId: string;
}

// PS3.16 / SNOMED CT codes also used in the SR (results/sr/codes.ts), so PACS and RIS see the same concepts.
const PRESENT = ['52101004', 'Present', 'SCT'] as const;
const ABSENT = ['272519000', 'Absent', 'SCT'] as const;
const CERTAINTY = ['111012', 'Certainty of Finding', 'DCM'] as const;

function dtm(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+0000`;
}

export function buildAiFlagsOru(input: AiFlagsOruInput): AiFlagsOru {
  const flagged = input.findings.some((f) => f.flagged) || input.discordances.length > 0;
  const observed = dtm(input.observedAt);
  const status = input.resultStatus ?? 'F';
  const obx: Hl7SegmentSpec[] = [];
  const add = (type: string, id: readonly string[], value: Hl7SegmentSpec['fields'][number], units: readonly string[] | undefined, abnormal: string): void => {
    obx.push({ name: 'OBX', fields: [String(obx.length + 1), type, [...id], String(obx.length + 1), value, units === undefined ? undefined : [...units], undefined, abnormal, undefined, undefined, status, undefined, undefined, observed] });
  };
  for (const f of input.findings) {
    const id = [f.code, f.meaning, f.scheme];
    add('CWE', id, [...(f.flagged ? PRESENT : ABSENT)], undefined, f.flagged ? 'A' : 'N');
    add('NM', [...CERTAINTY], f.probability.toFixed(4), ['1', 'no units', 'UCUM'], f.flagged ? 'A' : 'N');
    add('ST', ['ALGO', 'Algorithm', 'L'], `${f.modelId} ${f.modelVersion}`, undefined, '');
  }
  for (const d of input.discordances) {
    const text = d.state === 'ai-only' ? `AI flagged ${d.meaning}; the report does not describe it` : `The report describes ${d.meaning}; the AI did not flag it`;
    add('ST', ['DISCORDANCE', 'AI and report discordant', 'L'], text, undefined, 'A');
  }
  if (input.demo) add('ST', ['DISCLAIMER', 'Disclaimer', 'L'], 'Demo model trained on synthetic data - not for clinical use', undefined, '');
  const segments: Hl7SegmentSpec[] = [
    { name: 'PID', fields: ['1', undefined, [input.patientId], undefined, input.patientName.split('^')] },
    // OBR-5 priority (S stat / R routine) and OBR-25 result status (F, or C for a correction): what worklists sort and filter on.
    { name: 'OBR', fields: ['1', [input.accessionNumber], [input.accessionNumber], ['AI', 'AI image analysis', 'L'], flagged ? 'S' : 'R', undefined, observed, ...Array<undefined>(14).fill(undefined), observed, undefined, undefined, status] },
    { name: 'ZDS', fields: [[input.studyInstanceUid, 'PACSAIGW', 'Application', 'DICOM']] },
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
