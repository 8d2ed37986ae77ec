/**
 * DIMSE command sets (PS3.7 §9, §E): group 0000 in Implicit VR Little Endian, always.
 */
import { GatewayError } from '../errors.js';

export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  CCancelRq: 0x0fff,
} as const;

/** Command Data Set Type (0000,0800): 0x0101 means "no dataset follows". */
export const NO_DATASET = 0x0101;

/** PS3.4 / PS3.7 statuses the gateway sends or reads. */
export const Status = {
  Success: 0x0000,
  /** PS3.4 Table B.2-1: A7xx = Refused: Out of Resources. */
  OutOfResources: 0xa700,
  OutOfResourcesStorage: 0xa701,
  OutOfResourcesDatabase: 0xa702,
  DataSetDoesNotMatchSopClass: 0xa900,
  CannotUnderstand: 0xc000,
  SopClassNotSupported: 0x0122,
  UnrecognizedOperation: 0x0211,
  CoercionOfDataElements: 0xb000,
  ElementsDiscarded: 0xb006,
  DataSetDoesNotMatchSopClassWarning: 0xb007,
} as const;

/** PS3.7 Annex C: 0000 success; 0001, 0107, 0116 and Bxxx are warnings (the object was stored). */
export function isSuccessOrWarning(status: number): boolean {
  return status === Status.Success || status === 0x0001 || status === 0x0107 || status === 0x0116 || (status & 0xf000) === 0xb000;
}

export interface DimseCommand {
  commandField: number;
  messageId?: number;
  messageIdBeingRespondedTo?: number;
  affectedSopClassUid?: string;
  affectedSopInstanceUid?: string;
  priority?: number;
  dataSetType: number;
  status?: number;
  errorComment?: string;
  moveOriginatorAeTitle?: string;
  moveOriginatorMessageId?: number;
}

const Tag = {
  GroupLength: 0x00000000,
  AffectedSopClassUid: 0x00000002,
  CommandField: 0x00000100,
  MessageId: 0x00000110,
  MessageIdBeingRespondedTo: 0x00000120,
  Priority: 0x00000700,
  DataSetType: 0x00000800,
  Status: 0x00000900,
  ErrorComment: 0x00000902,
  AffectedSopInstanceUid: 0x00001000,
  MoveOriginatorAeTitle: 0x00001030,
  MoveOriginatorMessageId: 0x00001031,
} as const;

function bad(detail: string): GatewayError {
  return new GatewayError('GW_ERR_DIMSE_MALFORMED', `malformed DIMSE command: ${detail}`);
}

function text(value: Buffer): string {
  return value.toString('latin1').replace(/[\0 ]+$/, '');
}

function u16(value: Buffer, name: string): number {
  if (value.length !== 2) throw bad(`${name} has ${value.length} bytes, expected 2`);
  return value.readUInt16LE(0);
}

export function decodeCommand(bytes: Buffer): DimseCommand {
  const cmd: Partial<DimseCommand> = {};
  let off = 0;
  while (off < bytes.length) {
    if (off + 8 > bytes.length) throw bad('truncated element header');
    const group = bytes.readUInt16LE(off);
    const element = bytes.readUInt16LE(off + 2);
    const len = bytes.readUInt32LE(off + 4);
    if (group !== 0x0000) throw bad(`element (${group.toString(16)},${element.toString(16)}) outside group 0000`);
    if (off + 8 + len > bytes.length) throw bad(`element (0000,${element.toString(16).padStart(4, '0')}) runs past the end`);
    const value = bytes.subarray(off + 8, off + 8 + len);
    switch (element) {
      case Tag.AffectedSopClassUid: cmd.affectedSopClassUid = text(value); break;
      case Tag.CommandField: cmd.commandField = u16(value, 'CommandField'); break;
      case Tag.MessageId: cmd.messageId = u16(value, 'MessageID'); break;
      case Tag.MessageIdBeingRespondedTo: cmd.messageIdBeingRespondedTo = u16(value, 'MessageIDBeingRespondedTo'); break;
      case Tag.Priority: cmd.priority = u16(value, 'Priority'); break;
      case Tag.DataSetType: cmd.dataSetType = u16(value, 'CommandDataSetType'); break;
      case Tag.Status: cmd.status = u16(value, 'Status'); break;
      case Tag.ErrorComment: cmd.errorComment = text(value); break;
      case Tag.AffectedSopInstanceUid: cmd.affectedSopInstanceUid = text(value); break;
      case Tag.MoveOriginatorAeTitle: cmd.moveOriginatorAeTitle = text(value); break;
      case Tag.MoveOriginatorMessageId: cmd.moveOriginatorMessageId = u16(value, 'MoveOriginatorMessageID'); break;
      default: break; // other group 0000 elements are legal and irrelevant here
    }
    off += 8 + len;
  }
  if (cmd.commandField === undefined) throw bad('no CommandField (0000,0100)');
  if (cmd.dataSetType === undefined) throw bad('no CommandDataSetType (0000,0800)');
  return cmd as DimseCommand;
}

function element(tag: number, value: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16LE(0x0000, 0);
  header.writeUInt16LE(tag & 0xffff, 2);
  header.writeUInt32LE(value.length, 4);
  return Buffer.concat([header, value]);
}

function uidValue(uid: string): Buffer {
  return Buffer.from(uid.length % 2 === 1 ? `${uid}\0` : uid, 'latin1');
}

function textValue(s: string): Buffer {
  return Buffer.from(s.length % 2 === 1 ? `${s} ` : s, 'latin1');
}

function us(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n, 0);
  return b;
}

export function encodeCommand(cmd: DimseCommand): Buffer {
  const parts: Buffer[] = [];
  if (cmd.affectedSopClassUid !== undefined) parts.push(element(Tag.AffectedSopClassUid, uidValue(cmd.affectedSopClassUid)));
  parts.push(element(Tag.CommandField, us(cmd.commandField)));
  if (cmd.messageId !== undefined) parts.push(element(Tag.MessageId, us(cmd.messageId)));
  if (cmd.messageIdBeingRespondedTo !== undefined)
    parts.push(element(Tag.MessageIdBeingRespondedTo, us(cmd.messageIdBeingRespondedTo)));
  if (cmd.priority !== undefined) parts.push(element(Tag.Priority, us(cmd.priority)));
  parts.push(element(Tag.DataSetType, us(cmd.dataSetType)));
  if (cmd.status !== undefined) parts.push(element(Tag.Status, us(cmd.status)));
  if (cmd.errorComment !== undefined) parts.push(element(Tag.ErrorComment, textValue(cmd.errorComment.slice(0, 64))));
  if (cmd.affectedSopInstanceUid !== undefined)
    parts.push(element(Tag.AffectedSopInstanceUid, uidValue(cmd.affectedSopInstanceUid)));
  const body = Buffer.concat(parts);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  return Buffer.concat([element(Tag.GroupLength, groupLength), body]);
}

/** A response that starts as a failure, so a forgotten branch answers "cannot understand", never Success. */
export function responseFor(request: DimseCommand, commandField: number): DimseCommand {
  const rsp: DimseCommand = {
    commandField,
    dataSetType: NO_DATASET,
    status: Status.CannotUnderstand,
  };
  if (request.messageId !== undefined) rsp.messageIdBeingRespondedTo = request.messageId;
  if (request.affectedSopClassUid !== undefined) rsp.affectedSopClassUid = request.affectedSopClassUid;
  if (request.affectedSopInstanceUid !== undefined) rsp.affectedSopInstanceUid = request.affectedSopInstanceUid;
  return rsp;
}
