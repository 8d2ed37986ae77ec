/** The HL7 v2 transport: MLLP server and client, parsing with unescaping, ACKs, and building messages to send. */
export { MllpServer } from './mllp-server.js';
export { MllpClient, type MllpSendKind } from './mllp-client.js';
export type { ReceivedHl7Message } from './exchange.js';
export { type Hl7AckDecision } from './ack.js';
export { buildHl7Message, type Hl7SegmentSpec } from './builder.js';
export { extractReport } from './report-extract.js';
