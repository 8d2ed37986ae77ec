/**
 * What can go wrong with HL7 input and output, as typed values, and the one mapping from each problem to the ACK
 * we send (MSA-1 and the ERR segment). The codes and their ACK mapping are data in src/errors.ts.
 */
import { ERROR_CODES, type ErrorCode } from '../errors.js';

/** The error codes of the HL7 transport (a subset of src/errors.ts). */
export type Hl7ErrorCode = Extract<ErrorCode, `GW_ERR_HL7_${string}`>;

/** All HL7 codes, in table order. */
export const HL7_ERROR_CODES = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((c): c is Hl7ErrorCode => c.startsWith('GW_ERR_HL7_'));

/** HL7 table 0357 (message error condition codes), with the text written to ERR-3.2. */
export const TABLE_0357 = {
  '0': 'Message accepted',
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '104': 'Value too long',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '206': 'Application record locked',
  '207': 'Application internal error',
} as const;

export type Hl7ConditionCode = keyof typeof TABLE_0357;

/** HL7 table 0516 (error severity). */
export type Hl7Severity = 'E' | 'W' | 'I' | 'F';

/** Where in the message a problem is (ERR-2, ERL): 1-based positions. */
export interface Hl7ErrorLocation {
  segment: string;
  /** Which occurrence of the segment in the message. */
  sequence: number;
  field?: number;
  repetition?: number;
  component?: number;
  subcomponent?: number;
}

/** One ERR segment's content. */
export interface Hl7ErrorDetail {
  /** ERR-3: HL7 table 0357 code. */
  condition: Hl7ConditionCode;
  /** ERR-4; E when not given. */
  severity?: Hl7Severity;
  /** ERR-2 (and ERR-1 for v2.3-style receivers). */
  location?: Hl7ErrorLocation;
  /** ERR-8: what a person at the sender should read. Never patient data. */
  userMessage: string;
  /** ERR-5: our error code, so the sender's log and ours name the same thing. */
  applicationCode?: string;
}

/** A problem found in received or sent HL7. `detail` says what and where; it never carries patient data. */
export interface Hl7Problem {
  code: Hl7ErrorCode;
  detail: string;
  location?: Hl7ErrorLocation;
}

/** What a problem in a received message makes us answer. Original-mode codes; enhanced mode maps them to C*. */
export interface ProblemAck {
  code: 'AE' | 'AR';
  error: Hl7ErrorDetail;
}

/**
 * The one mapping of received-message problems to ACKs. AR = the same bytes will never be accepted (the sender
 * should dead-letter); AE = our fault or a passing one (the sender may retry).
 */
export function ackForProblem(problem: Hl7Problem): ProblemAck {
  const error = (condition: Hl7ConditionCode): Hl7ErrorDetail => ({
    condition,
    severity: 'E',
    userMessage: problem.detail,
    applicationCode: problem.code,
    ...(problem.location === undefined ? {} : { location: problem.location }),
  });
  const mapping: { ack: 'AE' | 'AR'; condition: string } | null = ERROR_CODES[problem.code].hl7;
  // No mapping means our own failure or something unforeseen: AE, so the sender keeps the message and retries.
  if (mapping === null) return { code: 'AE', error: error('207') };
  return { code: mapping.ack, error: error(mapping.condition as Hl7ConditionCode) };
}
