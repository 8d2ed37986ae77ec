/**
 * DICOM upper-layer PDUs (PS3.8 §9.3): encoding and strict decoding. No I/O here.
 * Decoders throw GatewayError GW_ERR_PDU_MALFORMED with the offending field named.
 */
import { GatewayError } from '../errors.js';
import { parseAeTitle, type AeTitle } from '../net/index.js';
import { APPLICATION_CONTEXT_NAME, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './uids.js';

export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PData: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;
export type PduTypeValue = (typeof PduType)[keyof typeof PduType];

const Item = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaxLength: 0x51,
  ImplementationClassUid: 0x52,
  AsyncOps: 0x53,
  RoleSelection: 0x54,
  ImplementationVersionName: 0x55,
} as const;

/** PS3.8 Table 9-21 presentation context results. */
export const PresentationResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

/** PS3.8 Table 9-21 A-ASSOCIATE-RJ result / source / reason. */
export const RejectResult = { Permanent: 1, Transient: 2 } as const;
export const RejectSource = { ServiceUser: 1, ServiceProviderAcse: 2, ServiceProviderPresentation: 3 } as const;
export const RejectReason = {
  // source 1 (service user)
  NoReasonGiven: 1,
  ApplicationContextNotSupported: 2,
  CallingAeNotRecognized: 3,
  CalledAeNotRecognized: 7,
  // source 2 (ACSE)
  ProtocolVersionNotSupported: 2,
  // source 3 (presentation)
  TemporaryCongestion: 1,
  LocalLimitExceeded: 2,
} as const;

/** PS3.8 Table 9-26 A-ABORT source and reason. */
export const AbortSource = { ServiceUser: 0, ServiceProvider: 2 } as const;
export const AbortReason = {
  NotSpecified: 0,
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  UnrecognizedPduParameter: 4,
  UnexpectedPduParameter: 5,
  InvalidPduParameterValue: 6,
} as const;

export interface ProposedContext {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

export interface RoleSelection {
  sopClassUid: string;
  scuRole: number;
  scpRole: number;
}

export interface AssociateRq {
  protocolVersion: number;
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContext: string;
  contexts: ProposedContext[];
  maxPduLength: number;
  implementationClassUid: string;
  implementationVersionName: string;
  roles: RoleSelection[];
}

export interface ContextDecision {
  id: number;
  result: number;
  transferSyntax: string;
}

export interface AssociateAc {
  calledAeTitle: string;
  callingAeTitle: string;
  contexts: ContextDecision[];
  maxPduLength: number;
  roles: RoleSelection[];
  implementationClassUid: string;
  implementationVersionName: string;
}

export interface AssociateRj {
  result: number;
  source: number;
  reason: number;
}

export interface Pdv {
  contextId: number;
  isCommand: boolean;
  isLast: boolean;
  data: Buffer;
}

// ───────────── decoding ─────────────

function malformed(field: string, detail: string): GatewayError {
  return new GatewayError('GW_ERR_PDU_MALFORMED', `malformed PDU: ${field}: ${detail}`, { context: { field } });
}

function readAe(body: Buffer, offset: number, field: string): AeTitle {
  const parsed = parseAeTitle(body.subarray(offset, offset + 16).toString('latin1'));
  if (!parsed.ok) throw malformed(field, parsed.reason);
  return parsed.aeTitle;
}

function readUidText(buf: Buffer, field: string): string {
  const text = buf.toString('latin1').replace(/\0+$/, '');
  if (!/^[0-9.]{1,64}$/.test(text)) throw malformed(field, `not a UID: ${JSON.stringify(text.slice(0, 80))}`);
  return text;
}

interface RawItem {
  type: number;
  value: Buffer;
}

/** Splits `buf` into (type, reserved, u16 length, value) items; every length must fit exactly. */
function readItems(buf: Buffer, field: string): RawItem[] {
  const items: RawItem[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 4 > buf.length) throw malformed(field, 'truncated item header');
    const type = buf.readUInt8(off);
    const len = buf.readUInt16BE(off + 2);
    if (off + 4 + len > buf.length) throw malformed(field, `item 0x${type.toString(16)} length ${len} runs past its parent`);
    items.push({ type, value: buf.subarray(off + 4, off + 4 + len) });
    off += 4 + len;
  }
  return items;
}

function decodeAssociateHeader(body: Buffer, checkAeTitles: boolean): { protocolVersion: number; called: string; calling: string; items: RawItem[] } {
  if (body.length < 68) throw malformed('A-ASSOCIATE', `body of ${body.length} bytes is shorter than the fixed 68`);
  // PS3.8 §9.3.3: the AE title fields of an A-ASSOCIATE-AC "shall not be tested" on receipt.
  const ae = (offset: number, field: string): string => (checkAeTitles ? readAe(body, offset, field) : body.subarray(offset, offset + 16).toString('latin1').trim());
  return {
    protocolVersion: body.readUInt16BE(0),
    called: ae(4, 'called AE title'),
    calling: ae(20, 'calling AE title'),
    items: readItems(body.subarray(68), 'A-ASSOCIATE items'),
  };
}

interface UserInfo {
  maxPduLength: number;
  implementationClassUid: string;
  implementationVersionName: string;
  roles: RoleSelection[];
}

function decodeUserInfo(value: Buffer): UserInfo {
  const info: UserInfo = { maxPduLength: 0, implementationClassUid: '', implementationVersionName: '', roles: [] };
  for (const sub of readItems(value, 'user information')) {
    if (sub.type === Item.MaxLength) {
      if (sub.value.length !== 4) throw malformed('maximum length', `item of ${sub.value.length} bytes, expected 4`);
      info.maxPduLength = sub.value.readUInt32BE(0);
    } else if (sub.type === Item.ImplementationClassUid) {
      info.implementationClassUid = readUidText(sub.value, 'implementation class UID');
    } else if (sub.type === Item.ImplementationVersionName) {
      info.implementationVersionName = sub.value.toString('latin1').trim();
    } else if (sub.type === Item.RoleSelection) {
      if (sub.value.length < 4) throw malformed('role selection', 'truncated');
      const uidLen = sub.value.readUInt16BE(0);
      if (2 + uidLen + 2 !== sub.value.length) throw malformed('role selection', 'UID length does not fit the item');
      info.roles.push({
        sopClassUid: readUidText(sub.value.subarray(2, 2 + uidLen), 'role selection SOP class'),
        scuRole: sub.value.readUInt8(2 + uidLen),
        scpRole: sub.value.readUInt8(3 + uidLen),
      });
    }
    // Other sub-items (async window, extended negotiation, user identity) are optional to answer: ignoring
    // them means "not supported", which PS3.7 allows.
  }
  return info;
}

export function decodeAssociateRq(body: Buffer): AssociateRq {
  const { protocolVersion, called, calling, items } = decodeAssociateHeader(body, true);
  let applicationContext = '';
  let userInfo: UserInfo | undefined;
  const contexts: ProposedContext[] = [];
  for (const item of items) {
    if (item.type === Item.ApplicationContext) {
      applicationContext = readUidText(item.value, 'application context name');
    } else if (item.type === Item.PresentationContextRq) {
      if (item.value.length < 4) throw malformed('presentation context', 'truncated');
      const id = item.value.readUInt8(0);
      if (id % 2 === 0) throw malformed('presentation context', `id ${id} is even (PS3.8 requires odd ids)`);
      // PS3.8 §9.3.2.2 / §7.1.1.13: the id names one context; the A-ASSOCIATE-AC answers each id once, so a
      // repeated id leaves the acceptor no valid answer. An invalid parameter value: A-ABORT (PS3.8 §9.3.1).
      if (contexts.some((c) => c.id === id)) throw malformed('presentation context', `presentation context id ${id} is proposed twice`);
      let abstractSyntax = '';
      const transferSyntaxes: string[] = [];
      for (const sub of readItems(item.value.subarray(4), `presentation context ${id}`)) {
        if (sub.type === Item.AbstractSyntax) abstractSyntax = readUidText(sub.value, `abstract syntax of context ${id}`);
        else if (sub.type === Item.TransferSyntax)
          transferSyntaxes.push(readUidText(sub.value, `transfer syntax of context ${id}`));
      }
      if (abstractSyntax === '') throw malformed('presentation context', `context ${id} has no abstract syntax`);
      if (transferSyntaxes.length === 0) throw malformed('presentation context', `context ${id} has no transfer syntax`);
      contexts.push({ id, abstractSyntax, transferSyntaxes });
    } else if (item.type === Item.UserInformation) {
      userInfo = decodeUserInfo(item.value);
    } else {
      throw malformed('A-ASSOCIATE-RQ', `unknown item type 0x${item.type.toString(16)}`);
    }
  }
  if (applicationContext === '') throw malformed('A-ASSOCIATE-RQ', 'no application context item');
  if (userInfo === undefined) throw malformed('A-ASSOCIATE-RQ', 'no user information item');
  if (contexts.length === 0) throw malformed('A-ASSOCIATE-RQ', 'no presentation context');
  return {
    protocolVersion,
    calledAeTitle: called,
    callingAeTitle: calling,
    applicationContext,
    contexts,
    ...userInfo,
  };
}

export function decodeAssociateAc(body: Buffer): AssociateAc {
  const { called, calling, items } = decodeAssociateHeader(body, false);
  const contexts: ContextDecision[] = [];
  let userInfo: UserInfo | undefined;
  for (const item of items) {
    if (item.type === Item.PresentationContextAc) {
      if (item.value.length < 4) throw malformed('presentation context', 'truncated');
      const id = item.value.readUInt8(0);
      const result = item.value.readUInt8(2);
      let transferSyntax = '';
      for (const sub of readItems(item.value.subarray(4), `presentation context ${id}`)) {
        if (sub.type === Item.TransferSyntax && sub.value.length > 0) transferSyntax = readUidText(sub.value, 'transfer syntax');
      }
      contexts.push({ id, result, transferSyntax });
    } else if (item.type === Item.UserInformation) {
      userInfo = decodeUserInfo(item.value);
    }
  }
  return {
    calledAeTitle: called,
    callingAeTitle: calling,
    contexts,
    maxPduLength: userInfo?.maxPduLength ?? 0,
    roles: userInfo?.roles ?? [],
    implementationClassUid: userInfo?.implementationClassUid ?? '',
    implementationVersionName: userInfo?.implementationVersionName ?? '',
  };
}

export function decodeAssociateRj(body: Buffer): AssociateRj {
  if (body.length < 4) throw malformed('A-ASSOCIATE-RJ', 'truncated');
  return { result: body.readUInt8(1), source: body.readUInt8(2), reason: body.readUInt8(3) };
}

export function decodeAbort(body: Buffer): { source: number; reason: number } {
  if (body.length < 4) throw malformed('A-ABORT', 'truncated');
  return { source: body.readUInt8(2), reason: body.readUInt8(3) };
}

/** A-ABORT fields, or -1/-1 when the body is too short to hold them (a peer's abort is honoured either way). */
export function decodeAbortLenient(body: Buffer): { source: number; reason: number } {
  return body.length < 4 ? { source: -1, reason: -1 } : decodeAbort(body);
}

/** Splits a P-DATA-TF body into PDVs (zero-copy views into `body`). */
export function decodePData(body: Buffer): Pdv[] {
  const pdvs: Pdv[] = [];
  let off = 0;
  while (off < body.length) {
    if (off + 6 > body.length) throw malformed('P-DATA-TF', 'truncated PDV header');
    const len = body.readUInt32BE(off);
    if (len < 2 || off + 4 + len > body.length) throw malformed('P-DATA-TF', `PDV length ${len} does not fit the PDU`);
    const header = body.readUInt8(off + 5);
    pdvs.push({
      contextId: body.readUInt8(off + 4),
      isCommand: (header & 0x01) !== 0,
      isLast: (header & 0x02) !== 0,
      data: body.subarray(off + 6, off + 4 + len),
    });
    off += 4 + len;
  }
  if (pdvs.length === 0) throw malformed('P-DATA-TF', 'no PDV');
  return pdvs;
}

// ───────────── encoding ─────────────

function pdu(type: PduTypeValue, body: Buffer): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

function item(type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt8(type, 0);
  header.writeUInt16BE(value.length, 2);
  return Buffer.concat([header, value]);
}

function aeField(ae: string): Buffer {
  return Buffer.from(ae.padEnd(16, ' ').slice(0, 16), 'latin1');
}

function uidBytes(uid: string): Buffer {
  return Buffer.from(uid, 'latin1');
}

function userInfoItem(maxPduLength: number, roles: RoleSelection[]): Buffer {
  const max = Buffer.alloc(4);
  max.writeUInt32BE(maxPduLength, 0);
  const roleItems = roles.map((r) => {
    const uid = uidBytes(r.sopClassUid);
    const v = Buffer.alloc(4 + uid.length);
    v.writeUInt16BE(uid.length, 0);
    uid.copy(v, 2);
    v.writeUInt8(r.scuRole, 2 + uid.length);
    v.writeUInt8(r.scpRole, 3 + uid.length);
    return item(Item.RoleSelection, v);
  });
  return item(
    Item.UserInformation,
    Buffer.concat([
      item(Item.MaxLength, max),
      item(Item.ImplementationClassUid, uidBytes(IMPLEMENTATION_CLASS_UID)),
      ...roleItems,
      item(Item.ImplementationVersionName, Buffer.from(IMPLEMENTATION_VERSION_NAME, 'latin1')),
    ]),
  );
}

function associateFixed(calledAe: string, callingAe: string): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(1, 0); // protocol version 1
  aeField(calledAe).copy(fixed, 4);
  aeField(callingAe).copy(fixed, 20);
  return fixed;
}

export function encodeAssociateRq(rq: {
  calledAeTitle: string;
  callingAeTitle: string;
  contexts: ProposedContext[];
  maxPduLength: number;
  roles?: RoleSelection[];
}): Buffer {
  const contexts = rq.contexts.map((c) =>
    item(
      Item.PresentationContextRq,
      Buffer.concat([
        Buffer.from([c.id, 0, 0, 0]),
        item(Item.AbstractSyntax, uidBytes(c.abstractSyntax)),
        ...c.transferSyntaxes.map((ts) => item(Item.TransferSyntax, uidBytes(ts))),
      ]),
    ),
  );
  return pdu(
    PduType.AssociateRq,
    Buffer.concat([
      associateFixed(rq.calledAeTitle, rq.callingAeTitle),
      item(Item.ApplicationContext, uidBytes(APPLICATION_CONTEXT_NAME)),
      ...contexts,
      userInfoItem(rq.maxPduLength, rq.roles ?? []),
    ]),
  );
}

export function encodeAssociateAc(ac: {
  calledAeTitle: string;
  callingAeTitle: string;
  contexts: ContextDecision[];
  maxPduLength: number;
  roles: RoleSelection[];
}): Buffer {
  const contexts = ac.contexts.map((c) =>
    item(
      Item.PresentationContextAc,
      Buffer.concat([Buffer.from([c.id, 0, c.result, 0]), item(Item.TransferSyntax, uidBytes(c.transferSyntax))]),
    ),
  );
  return pdu(
    PduType.AssociateAc,
    Buffer.concat([
      associateFixed(ac.calledAeTitle, ac.callingAeTitle),
      item(Item.ApplicationContext, uidBytes(APPLICATION_CONTEXT_NAME)),
      ...contexts,
      userInfoItem(ac.maxPduLength, ac.roles),
    ]),
  );
}

export function encodeAssociateRj(rj: AssociateRj): Buffer {
  return pdu(PduType.AssociateRj, Buffer.from([0, rj.result, rj.source, rj.reason]));
}

export function encodeReleaseRq(): Buffer {
  return pdu(PduType.ReleaseRq, Buffer.alloc(4));
}

export function encodeReleaseRp(): Buffer {
  return pdu(PduType.ReleaseRp, Buffer.alloc(4));
}

export function encodeAbort(source: number, reason: number): Buffer {
  return pdu(PduType.Abort, Buffer.from([0, 0, source, reason]));
}

/**
 * Encodes one message (command or dataset) as P-DATA-TF PDUs, each no larger than `maxPduLength`
 * (the peer's limit; 0 means unlimited). Returns the PDUs to write in order.
 */
export function encodePData(contextId: number, isCommand: boolean, data: Buffer, maxPduLength: number): Buffer[] {
  // PDV header is 6 bytes; fragments stay even (DCMTK aborts on odd ones); 0 means the peer set no limit.
  const maxFragment = maxPduLength === 0 ? 1 << 20 : Math.max(2, (maxPduLength - 6) & ~1);
  const pdus: Buffer[] = [];
  let off = 0;
  do {
    const end = Math.min(data.length, off + maxFragment);
    const last = end === data.length;
    const header = Buffer.alloc(12);
    header.writeUInt8(PduType.PData, 0);
    header.writeUInt32BE(6 + (end - off), 2);
    header.writeUInt32BE(2 + (end - off), 6);
    header.writeUInt8(contextId, 10);
    header.writeUInt8((isCommand ? 0x01 : 0) | (last ? 0x02 : 0), 11);
    pdus.push(Buffer.concat([header, data.subarray(off, end)]));
    off = end;
  } while (off < data.length);
  return pdus;
}
