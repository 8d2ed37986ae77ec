/**
 * One inbound frame → the handler → the reply bytes. Parse problems are answered here without the handler; every
 * parsed message waits for the handler's promise (the pipeline commits before it resolves), so AA means "stored".
 */
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { type AckCode, type Hl7AckDecision, ackCodeFor, buildAck, buildBatchAck, wireAcceptAckType } from './ack.js';
import type { ControlIdGenerator } from './control-id.js';
import { type InboundItem, type WireHeader, readFrame, readWireHeader, wireField } from './inbound.js';
import type { Hl7Limits, ParsedHl7Message } from './message.js';
import { type Hl7ErrorCode, type Hl7Problem, ackForProblem } from './problems.js';

/** Where a message came from. */
export interface Hl7Peer {
  connectionId: string;
  address: string;
  port: number;
}

/** A message handed to the handler. Duplicate detection on `controlId` (MSH-10) is the handler's job. */
export interface ReceivedHl7Message {
  message: ParsedHl7Message;
  /** MSH-10, decoded. */
  controlId: string;
  /** The bytes as received: store these, they are the evidence. */
  raw: Buffer;
  /** Charset the bytes were decoded with; `charsetAssumed` when neither UTF-8 nor declared. */
  encoding: string;
  charsetAssumed: boolean;
  peer: Hl7Peer;
  receivedAt: Date;
  /** Position in a FHS/BHS batch (1-based), when the frame was one. */
  batch?: { index: number; count: number };
}

/** Decides a message's ACK; resolve only once the message is durably stored. */
export type Hl7MessageHandler = (received: ReceivedHl7Message) => Promise<Hl7AckDecision>;

/** What happened to one message of a frame (for events, logs and metrics). No patient data. */
export interface MessageOutcome {
  /** MSH-10, when it could be read. */
  controlId?: string;
  /** MSH-9 as code^trigger, when it could be read. */
  messageType?: string;
  /** The ACK code sent; undefined when MSH-15 asked for none. */
  ackCode?: AckCode;
  /** Set when the message was answered without the handler, or the handler failed. */
  problem?: Hl7ErrorCode;
  /** What was tolerated in the input (an assumed charset, raw line breaks inside values). */
  notes?: string[];
  durationMs: number;
}

export interface ExchangeDeps {
  handler: Hl7MessageHandler;
  /** Structure bounds checked before the handler sees a message (`hl7.limits`). */
  limits: Readonly<Hl7Limits>;
  controlIds: ControlIdGenerator;
  clock: () => Date;
  log: Logger;
}

/** What an inbound frame comes to: the reply to write (if any) and each message's outcome. */
export interface FrameAnswer {
  reply?: Buffer;
  outcomes: MessageOutcome[];
}

/** Handles a complete frame: each message in order, then one reply (a batch gets a batch of ACKs). */
export async function answerFrame(payload: Buffer, peer: Hl7Peer, deps: ExchangeDeps): Promise<FrameAnswer> {
  const frame = readFrame(payload, deps.limits);
  const acks: string[] = [];
  const outcomes: MessageOutcome[] = [];
  for (const [k, item] of frame.items.entries()) {
    const batch = frame.batch === undefined ? undefined : { index: k + 1, count: frame.items.length };
    const { ack, outcome } = await answerItem(item, peer, batch, deps);
    if (ack !== undefined) acks.push(ack);
    outcomes.push(outcome);
  }
  if (frame.batch !== undefined) {
    const reply = acks.length === 0 ? undefined : buildBatchAck(frame.batch, acks, { nextControlId: () => deps.controlIds.next(), now: deps.clock() });
    return reply === undefined ? { outcomes } : { reply: Buffer.from(reply, 'latin1'), outcomes };
  }
  const single = acks[0];
  return single === undefined ? { outcomes } : { reply: Buffer.from(single, 'latin1'), outcomes };
}

/** Answers a frame that was too large to keep: AR naming the limit, echoing its MSH when the head holds one. */
export function answerOversize(head: Buffer, frameBytes: number, maxMessageBytes: number, deps: ExchangeDeps): FrameAnswer {
  const started = Date.now();
  const header = readWireHeader(head.toString('latin1').split(/[\r\n]/, 1)[0] ?? '');
  const msh = header?.name === 'MSH' ? header : undefined;
  const problem: Hl7Problem = { code: 'GW_ERR_HL7_FRAME_TOO_LARGE', detail: `the message is ${frameBytes} bytes, over the limit of ${maxMessageBytes} (hl7.maxMessageBytes)` };
  return answerProblem(problem, msh, started, deps);
}

async function answerItem(item: InboundItem, peer: Hl7Peer, batch: ReceivedHl7Message['batch'], deps: ExchangeDeps): Promise<{ ack?: string; outcome: MessageOutcome }> {
  const started = Date.now();
  if (item.kind === 'invalid') {
    const answer = answerProblem(item.problem, item.header, started, deps);
    return { ...(answer.reply === undefined ? {} : { ack: answer.reply.toString('latin1') }), outcome: answer.outcomes[0] as MessageOutcome };
  }
  const { message } = item;
  const received: ReceivedHl7Message = {
    message,
    controlId: message.controlId,
    raw: item.raw,
    encoding: message.encoding,
    charsetAssumed: item.charsetAssumed,
    peer,
    receivedAt: deps.clock(),
    ...(batch === undefined ? {} : { batch }),
  };
  // Start from failure: if the handler throws, the sender gets AE and keeps the message.
  let decision: Hl7AckDecision = ackForProblem({ code: 'GW_ERR_HL7_HANDLER_FAILED', detail: 'the gateway could not store the message; send it again later' });
  let problem: Hl7ErrorCode | undefined = 'GW_ERR_HL7_HANDLER_FAILED';
  try {
    decision = await deps.handler(received);
    problem = undefined;
  } catch (err) {
    deps.log.error('hl7 message handler failed', { code: 'GW_ERR_HL7_HANDLER_FAILED', controlId: received.controlId, connectionId: peer.connectionId, err: describeError(err) });
  }
  const ackCode = ackCodeFor(decision.code, message.acceptAckType);
  const type = message.messageType;
  const notes = [...(item.charsetAssumed ? ['8-bit text without MSH-18: read as windows-1252'] : []), ...message.warnings];
  const outcome: MessageOutcome = {
    controlId: received.controlId,
    messageType: `${type.code}^${type.trigger}`,
    durationMs: Date.now() - started,
    ...(notes.length === 0 ? {} : { notes }),
    ...(ackCode === undefined ? {} : { ackCode }),
    ...(problem === undefined ? {} : { problem }),
  };
  if (ackCode === undefined) return { outcome };
  const content = { code: ackCode, ...(decision.text === undefined ? {} : { text: decision.text }), ...('error' in decision ? { error: decision.error } : {}) };
  return { ack: buildAck(item.header, content, { controlId: deps.controlIds.next(), now: deps.clock(), encoding: message.encoding }), outcome };
}

function answerProblem(problem: Hl7Problem, header: WireHeader | undefined, started: number, deps: ExchangeDeps): FrameAnswer {
  const { code, error } = ackForProblem(problem);
  const ackCode = ackCodeFor(code, wireAcceptAckType(header));
  const outcome: MessageOutcome = {
    problem: problem.code,
    durationMs: Date.now() - started,
    ...(header === undefined ? {} : { controlId: wireField(header, 10) }),
    ...(ackCode === undefined ? {} : { ackCode }),
  };
  if (ackCode === undefined) return { outcomes: [outcome] };
  // Without a decoded message our text stays ASCII, which reads the same in every charset we accept.
  const ack = buildAck(header, { code: ackCode, error }, { controlId: deps.controlIds.next(), now: deps.clock() });
  return { reply: Buffer.from(ack, 'latin1'), outcomes: [outcome] };
}
