/**
 * The gateway's auditable events as AuditRecords, one builder per event, each following its PS3.15 A.5.3 event
 * definition (section cited on each). Participants: the gateway is one process (UserID its AE title,
 * AlternativeUserID its process id, A.5.2.1/A.5.2.2); a DICOM peer is its calling AE title and address; an HL7
 * peer is MSH-3^MSH-4 and its address; an API caller is a token id, never the token.
 */
import { EVENT_ID, EVENT_TYPE, OBJECT_ID_TYPE, ROLE, type AuditRecord, type EventOutcome, type Participant, type ParticipantObject, type SopClassCount } from './audit-event.js';

/** Who "we" are in every record. */
export interface GatewayIdentity {
  aeTitle: string;
  /** This node's name (NetworkAccessPointID of the gateway participant). */
  host: string;
  pid: number;
}

/** A study as the audit names it: UIDs and accession only. */
export interface AuditedStudy {
  studyInstanceUid: string;
  accessionNumber?: string | undefined;
}

function gateway(id: GatewayIdentity, isRequestor: boolean, roles: Participant['roles']): Participant {
  return { userId: id.aeTitle, alternativeUserId: String(id.pid), isRequestor, networkAccessPoint: id.host, roles };
}

function studyObject(s: AuditedStudy, sopClasses?: SopClassCount[]): ParticipantObject {
  return {
    kind: 'study',
    studyInstanceUid: s.studyInstanceUid,
    ...(s.accessionNumber === undefined || s.accessionNumber === '' ? {} : { accessionNumber: s.accessionNumber }),
    ...(sopClasses === undefined ? {} : { sopClasses }),
  };
}

/** A.5.3 requires the Patient object for these events; it is left out only when the gateway does not know the ID. */
function patientObjects(patientId: string | undefined): ParticipantObject[] {
  return patientId === undefined || patientId === '' ? [] : [{ kind: 'patient', patientId }];
}

/** PS3.15 A.5.3.1 Application Activity: start or stop; the gateway is the application, the operator's user its launcher. */
export function applicationActivity(id: GatewayIdentity, what: 'start' | 'stop', launcher: string, at: Date): AuditRecord {
  return {
    eventId: EVENT_ID.applicationActivity,
    eventTypes: [what === 'start' ? EVENT_TYPE.applicationStart : EVENT_TYPE.applicationStop],
    action: 'E',
    outcome: 0,
    at,
    participants: [gateway(id, false, [ROLE.application]), { userId: launcher, isRequestor: true, roles: [ROLE.applicationLauncher] }],
    objects: [],
  };
}

/** A DICOM or HL7 peer: who it says it is and where it came from. */
export interface AuditedPeer {
  /** Calling AE title, MSH-3^MSH-4, or '' when it never said (refused before its first PDU). */
  name: string;
  address: string;
}

function peerParticipant(p: AuditedPeer, roles: Participant['roles'], isRequestor: boolean): Participant {
  // An unnamed peer (closed at connect) is known by its address alone.
  return { userId: p.name === '' ? p.address : p.name, ...(p.name === '' ? {} : { alternativeUserId: `AETITLES=${p.name}` }), isRequestor, networkAccessPoint: p.address, roles };
}

/**
 * PS3.15 A.5.3.11 Security Alert, type Node Authentication (CID 6 110126): an association or connection the gateway
 * refused (unknown AE title, address not allowed, certificate name not allowed). Success (0) marks an association
 * accepted after the checks, a failure (4) a refusal; the peer node is the alert's subject.
 */
export function nodeAuthentication(id: GatewayIdentity, peer: AuditedPeer, outcome: { accepted: true } | { accepted: false; reason: string }, at: Date): AuditRecord {
  return {
    eventId: EVENT_ID.securityAlert,
    eventTypes: [EVENT_TYPE.nodeAuthentication],
    action: 'E',
    outcome: outcome.accepted ? 0 : 4,
    ...(outcome.accepted ? {} : { outcomeDescription: outcome.reason }),
    at,
    participants: [gateway(id, false, []), peerParticipant(peer, [], true)],
    objects: [{ kind: 'system', idType: OBJECT_ID_TYPE.nodeId, id: peer.name === '' ? peer.address : `${peer.name}@${peer.address}`, ...(outcome.accepted ? {} : { detail: { type: 'Alert Description', value: outcome.reason } }) }],
  };
}

/** One study's instances received on one association. */
export interface ReceivedStudy extends AuditedStudy {
  patientId?: string | undefined;
  sopClasses: SopClassCount[];
}

/**
 * PS3.15 A.5.3.7 DICOM Instances Transferred, action C (the instances were created here): one record per
 * association and study. The sender is the requestor (Source), the gateway the Destination.
 */
export function instancesReceived(id: GatewayIdentity, sender: AuditedPeer, study: ReceivedStudy, at: Date): AuditRecord {
  return {
    eventId: EVENT_ID.instancesTransferred,
    eventTypes: [],
    action: 'C',
    outcome: 0,
    at,
    participants: [peerParticipant(sender, [ROLE.source], true), gateway(id, false, [ROLE.destination])],
    objects: [studyObject(study, study.sopClasses), ...patientObjects(study.patientId)],
  };
}

/** What was delivered: an SR to a PACS or an ORU to a RIS. */
export interface Delivery {
  kind: 'dicom' | 'hl7';
  destination: string;
  /** host:port (and AE for DICOM): the network access point of the receiver. */
  host: string;
  study: AuditedStudy;
  patientId?: string | undefined;
  /** SR SOP Class UID, for a DICOM delivery. */
  sopClassUid?: string | undefined;
  outcome: { ok: true } | { ok: false; reason: string };
}

/**
 * Export (ITI TF-2 3.20.4.1.1.1 "PHI Export" pattern, PS3.15 A.5.3.4 event 110106, action R): a result left the
 * gateway. The gateway pushes, so it is the requestor (Source); the receiver is the Destination. A dead letter
 * (given up after retries) is a serious failure (8).
 */
export function resultExported(id: GatewayIdentity, d: Delivery, at: Date): AuditRecord {
  return {
    eventId: EVENT_ID.export,
    eventTypes: [],
    action: 'R',
    outcome: d.outcome.ok ? 0 : 8,
    ...(d.outcome.ok ? {} : { outcomeDescription: d.outcome.reason }),
    at,
    participants: [gateway(id, true, [ROLE.source]), { userId: d.destination, isRequestor: false, networkAccessPoint: d.host, roles: [ROLE.destination] }],
    objects: [studyObject(d.study, d.sopClassUid === undefined ? undefined : [{ uid: d.sopClassUid, count: 1 }]), ...patientObjects(d.patientId)],
  };
}

/** An HL7 message the gateway received and stored (ACK AA). */
export interface ReceivedMessage {
  sender: AuditedPeer;
  /** MSH-9, e.g. ORU^R01. */
  messageType: string;
  controlId: string;
  study: AuditedStudy | undefined;
  patientId?: string | undefined;
}

/**
 * Import (ITI TF-2 3.20.4.1.1.1 "PHI Import" pattern, PS3.15 A.5.3.5 event 110107, action C): a report message
 * entered the gateway. The sender is the requestor (Source), the gateway the Destination. The message is named by
 * its type and control id (a system object), never by its text.
 */
export function messageImported(id: GatewayIdentity, m: ReceivedMessage, at: Date): AuditRecord {
  const objects: ParticipantObject[] = [
    { kind: 'system', idType: OBJECT_ID_TYPE.uri, id: `hl7:${m.messageType}:${m.controlId}` },
    ...(m.study === undefined ? [] : [studyObject(m.study)]),
    ...patientObjects(m.patientId),
  ];
  return {
    eventId: EVENT_ID.import,
    eventTypes: [],
    action: 'C',
    outcome: 0,
    at,
    participants: [peerParticipant(m.sender, [ROLE.source], true), gateway(id, false, [ROLE.destination])],
    objects,
  };
}

/** Someone using the HTTP API. */
export interface ApiCaller {
  /** A token id (`token-sha256:<12 hex>`), or `anonymous` on a loopback listener without a token. */
  user: string;
  address: string;
}

/**
 * PS3.15 A.5.3.6 DICOM Instances Accessed, action R (an API read of study data) or U (a resend: the outbox row
 * changed). The caller is the requestor. The API's views hold no patient ID, so no Patient object is written.
 */
export function instancesAccessed(caller: ApiCaller, action: 'R' | 'U', what: string, studies: AuditedStudy[], outcome: EventOutcome, at: Date): AuditRecord {
  return {
    eventId: EVENT_ID.instancesAccessed,
    eventTypes: [],
    action,
    outcome,
    ...(outcome === 0 ? {} : { outcomeDescription: `${what} refused` }),
    at,
    participants: [{ userId: caller.user, isRequestor: true, networkAccessPoint: caller.address, roles: [] }],
    objects: [{ kind: 'system', idType: OBJECT_ID_TYPE.uri, id: what }, ...studies.map((s) => studyObject(s))],
  };
}

/** PS3.15 A.5.3.12 User Authentication, type Login (110122): a request with a missing or wrong bearer token (4). */
export function apiLoginFailed(caller: ApiCaller, reason: string, at: Date): AuditRecord {
  return {
    eventId: EVENT_ID.userAuthentication,
    eventTypes: [EVENT_TYPE.login],
    action: 'E',
    outcome: 4,
    outcomeDescription: reason,
    at,
    participants: [{ userId: caller.user, isRequestor: true, networkAccessPoint: caller.address, roles: [] }],
    objects: [],
  };
}

/**
 * PS3.15 A.5.3.11 Security Alert, type Security Configuration (CID 6 110129): the TLS certificates of a listener
 * were reloaded (SIGHUP), or a reload failed and the old ones stay (8).
 */
export function tlsReloaded(id: GatewayIdentity, listener: string, outcome: { ok: true } | { ok: false; reason: string }, at: Date): AuditRecord {
  return {
    eventId: EVENT_ID.securityAlert,
    eventTypes: [EVENT_TYPE.securityConfiguration],
    action: 'E',
    outcome: outcome.ok ? 0 : 8,
    ...(outcome.ok ? {} : { outcomeDescription: outcome.reason }),
    at,
    participants: [gateway(id, true, [])],
    objects: [{ kind: 'system', idType: OBJECT_ID_TYPE.uri, id: `config:${listener}`, detail: { type: 'Alert Description', value: outcome.ok ? `${listener} certificate reloaded` : outcome.reason } }],
  };
}
