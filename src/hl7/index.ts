/** The HL7 v2 transport: MLLP server and client, parsing with unescaping, ACKs, and building messages to send. */
export { MllpServer, type MllpServerOptions, type MllpServerDeps, type MllpServerEvents, type MllpTlsOptions, type ConnectionOpened, type ConnectionRefused, type MessageHandled, type FrameError } from './mllp-server.js';
export type { ConnectionSummary, ConnectionEndReason, FramingFault } from './mllp-connection.js';
export { MllpClient, type MllpClientOptions, type MllpSendResult, type MllpSendKind, type MllpSendDetail } from './mllp-client.js';
export type { Hl7MessageHandler, ReceivedHl7Message, Hl7Peer, MessageOutcome } from './exchange.js';
export { MllpDecoder, encodeMllpFrame, type MllpDecoderEvent, type MllpDecoderOptions } from './mllp-framing.js';
export { ParsedHl7Message, Hl7SegmentView, parseHl7Message, type FieldPosition, type MessageType, type AckType, type Hl7ParseResult } from './message.js';
export { readMessageBytes, readFrame, type InboundItem, type InboundFrame } from './inbound.js';
export { unescapeHl7, escapeHl7, DEFAULT_DELIMITERS, type Hl7Delimiters } from './escape.js';
export { resolveCharset, decodeHl7Bytes, encodeHl7Text, type DeclaredCharset } from './charset.js';
export { ACK_CODES, ackCodeFor, buildAck, readAck, type AckCode, type Hl7AckDecision, type ReceivedAck } from './ack.js';
export { buildHl7Message, type Hl7HeaderSpec, type Hl7SegmentSpec, type Hl7FieldValue, type Hl7Repetition, type Hl7Component } from './builder.js';
export { createControlIdGenerator, type ControlIdGenerator } from './control-id.js';
export { HL7_ERROR_CODES, TABLE_0357, ackForProblem, type Hl7ErrorCode, type Hl7Problem, type Hl7ErrorDetail, type Hl7ErrorLocation, type Hl7ConditionCode, type Hl7Severity } from './problems.js';
export { extractReport, type ExtractedReport } from './report-extract.js';
