/**
 * The report inside an ORU^R01 or MDM^T02: accession, procedure, result status and the report text from the
 * OBX values in order (TX/FT/ST/CE). Plain data out; no patient identifiers (PID is not read).
 */
import type { ParsedHl7Message } from './message.js';

export interface ExtractedReport {
  /** OBR-3 (filler order number), else OBR-2 (placer), else ORC-3/ORC-2; first component. */
  accessionNumber: string;
  /** Study Instance UID when the sender gives one: an OBX observing DCM 113014 "Study" or 110180 "Study Instance UID" (our own ORU's form), or ZDS-1 (IHE SWF). */
  studyInstanceUid: string;
  /** OBR-4 as "code^text". */
  procedure: string;
  /** OBR-25, else the first OBX-11: F final, P preliminary, C corrected, … */
  resultStatus: string;
  text: string;
  /**
   * The reading radiologist as a DICOM PN (family^given^middle^prefix^suffix): OBR-32 Principal Result Interpreter
   * (NDL; its first component a CNN: ID & family & given & middle & suffix & prefix), else the first OBX-16
   * Responsible Observer (XCN: ID ^ family ^ given ^ middle ^ suffix ^ prefix). Empty when the report names none.
   */
  interpreter: string;
}

const TEXT_TYPES = new Set(['TX', 'FT', 'ST', 'CE', 'CWE']);
const STUDY_UID_CODES = new Set(['113014', '110180']); // DCM codes: "Study", "Study Instance UID"

/** Returns the report, or undefined for messages that carry none (e.g. an order). */
export function extractReport(message: ParsedHl7Message): ExtractedReport | undefined {
  const { code, trigger } = message.messageType;
  const isReport = (code === 'ORU' && trigger === 'R01') || (code === 'MDM' && (trigger === 'T02' || trigger === 'T04' || trigger === 'T06' || trigger === 'T08' || trigger === 'T10'));
  if (!isReport) return undefined;
  const first = (seg: string, index: number): string => message.field(seg, index, { component: 1 }).trim();
  const accessionNumber = first('OBR', 3) || first('OBR', 2) || first('ORC', 3) || first('ORC', 2) || first('TXA', 12);
  const lines: string[] = [];
  let studyInstanceUid = '';
  let obxStatus = '';
  for (const obx of message.segments('OBX')) {
    const type = obx.field(2).trim();
    obxStatus ||= obx.field(11).trim();
    if (STUDY_UID_CODES.has(obx.field(3, { component: 1 }).trim())) {
      studyInstanceUid ||= obx.field(5, { component: 1 }).trim();
      continue;
    }
    if (!TEXT_TYPES.has(type)) continue;
    // Coded values carry their text in component 2; text types repeat (~) once per line.
    const component = type === 'CE' || type === 'CWE' ? 2 : 1;
    // All repetitions in one pass: reading them one by one re-read the whole field each time (quadratic; D2).
    for (const line of obx.repetitions(5, { component })) lines.push(line);
  }
  const cnn = (k: number): string => message.field('OBR', 32, { component: 1, subcomponent: k }).trim();
  const xcn = (k: number): string => message.field('OBX', 16, { component: k }).trim();
  const interpreter = personName(cnn(2) === '' ? [xcn(2), xcn(3), xcn(4), xcn(6), xcn(5)] : [cnn(2), cnn(3), cnn(4), cnn(6), cnn(5)]);
  const zds = message.segment('ZDS')?.field(1, { component: 1 }).trim() ?? '';
  return {
    accessionNumber,
    studyInstanceUid: studyInstanceUid || zds,
    procedure: [first('OBR', 4), message.field('OBR', 4, { component: 2 }).trim()].filter((x) => x !== '').join('^'),
    resultStatus: first('OBR', 25) || obxStatus,
    text: lines.join('\n').replace(/\n{3,}/g, '\n\n').trim(),
    interpreter,
  };
}

/** DICOM PN from family, given, middle, prefix, suffix: trailing empty components dropped; empty without a family name. */
function personName(parts: readonly string[]): string {
  if ((parts[0] ?? '') === '') return '';
  return parts.join('^').replace(/\^+$/u, '');
}
