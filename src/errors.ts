/**
 * The one error type of the gateway. Every code has a row in docs/errors.md (a test keeps them in step);
 * retired codes are never reused.
 */

/** Error codes and how each maps onto the protocols that can report it: DICOM status, HL7 ACK, HTTP status. */
export const ERROR_CODES = {
  GW_ERR_CONFIG_INVALID: { dicomStatus: null, hl7: null, http: 500 },
  GW_ERR_CONFIG_UNREADABLE: { dicomStatus: null, hl7: null, http: 500 },
  GW_ERR_PDU_TOO_LARGE: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_PDU_MALFORMED: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_PDU_UNEXPECTED: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_ASSOCIATION_TIMEOUT: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_DIMSE_MALFORMED: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_DICOM_PEER_NOT_ALLOWED: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_DICOM_PEER_LIMIT: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_UID_INVALID: { dicomStatus: 0xc000, hl7: null, http: 400 },
  GW_ERR_DATASET_MISMATCH: { dicomStatus: 0xa900, hl7: null, http: null },
  GW_ERR_DATASET_UNREADABLE: { dicomStatus: 0xc000, hl7: null, http: null },
  GW_ERR_STORAGE_FULL: { dicomStatus: 0xa700, hl7: null, http: 503 },
  GW_ERR_STORAGE_FAILED: { dicomStatus: 0xa701, hl7: null, http: 503 },
  GW_ERR_DATABASE_FAILED: { dicomStatus: 0xa702, hl7: null, http: 503 },
  // A result SR (ours, not a received instance) could not be written: the job that builds it retries; no peer waits.
  GW_ERR_RESULT_WRITE_FAILED: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_SHUTTING_DOWN: { dicomStatus: 0xa700, hl7: null, http: 503 },
  GW_ERR_INTERNAL: { dicomStatus: 0xa700, hl7: null, http: 500 },
  GW_ERR_WORKER_FAILED: { dicomStatus: 0xa700, hl7: null, http: 500 },
  // Report NLP (src/nlp): the report is stored and ACKed before analysis, so no protocol reply carries these.
  GW_ERR_REPORT_OVER_BUDGET: { dicomStatus: null, hl7: null, http: null },
  // HL7 v2 / MLLP (src/hl7): `hl7` is the ACK sent for a received message with this problem (table 0357 condition).
  GW_ERR_HL7_FRAME_TOO_LARGE: { dicomStatus: null, hl7: { ack: 'AR', condition: '207' }, http: null },
  GW_ERR_HL7_FRAMING: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_HL7_NOT_HL7: { dicomStatus: null, hl7: { ack: 'AR', condition: '100' }, http: null },
  GW_ERR_HL7_MALFORMED: { dicomStatus: null, hl7: { ack: 'AR', condition: '102' }, http: null },
  GW_ERR_HL7_REQUIRED_FIELD: { dicomStatus: null, hl7: { ack: 'AR', condition: '101' }, http: null },
  GW_ERR_HL7_CHARSET_UNSUPPORTED: { dicomStatus: null, hl7: { ack: 'AR', condition: '102' }, http: null },
  GW_ERR_HL7_UNDECODABLE: { dicomStatus: null, hl7: { ack: 'AR', condition: '102' }, http: null },
  GW_ERR_HL7_HANDLER_FAILED: { dicomStatus: null, hl7: { ack: 'AE', condition: '207' }, http: null },
  // v2.5.1 table 0357 has no "too many" code (104 "Value too long" arrived in v2.7): 207, as for the frame size.
  GW_ERR_HL7_LIMIT_EXCEEDED: { dicomStatus: null, hl7: { ack: 'AR', condition: '207' }, http: null },
  // A known sender + MSH-10 with other bytes (D6): table 0357 205 "Duplicate key identifier".
  GW_ERR_HL7_CONTROL_ID_CONFLICT: { dicomStatus: null, hl7: { ack: 'AR', condition: '205' }, http: null },
  GW_ERR_HL7_PEER_NOT_ALLOWED: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_HL7_TOO_MANY_CONNECTIONS: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_HL7_UNENCODABLE: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_HL7_ACK_TIMEOUT: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_HL7_ACK_INVALID: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_HL7_ACK_MISMATCH: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_HL7_CONNECTION_FAILED: { dicomStatus: null, hl7: null, http: null },
  // HTTP API (src/http)
  GW_ERR_HTTP_UNAUTHORIZED: { dicomStatus: null, hl7: null, http: 401 },
  GW_ERR_HTTP_CROSS_ORIGIN: { dicomStatus: null, hl7: null, http: 403 },
  GW_ERR_HTTP_HOST_NOT_ALLOWED: { dicomStatus: null, hl7: null, http: 403 },
  // TLS (src/tls): certificate files, and handshakes with peers on either side.
  GW_ERR_TLS_FILES: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_TLS_HANDSHAKE: { dicomStatus: null, hl7: null, http: null },
  // Audit trail (src/audit): the collector, and the local queue's bound. No protocol reply carries these.
  GW_ERR_AUDIT_COLLECTOR: { dicomStatus: null, hl7: null, http: null },
  GW_ERR_AUDIT_QUEUE_FULL: { dicomStatus: null, hl7: null, http: null },
} as const satisfies Record<string, { dicomStatus: number | null; hl7: { ack: 'AE' | 'AR'; condition: string } | null; http: number | null }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Facts about where an error happened; never patient names or IDs. */
export type ErrorContext = Record<string, string | number | boolean | undefined>;

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: { context?: ErrorContext; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** Error text for logs and peers: the message plus the cause's message, if any. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

/** Node's errno code of an error (ENOSPC, EACCES …), if it has one. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
