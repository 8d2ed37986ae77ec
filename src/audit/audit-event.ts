/**
 * What an audit record says, as typed values: the gateway's events mapped onto the DICOM audit message
 * (PS3.15 A.5, RFC 3881 lineage). Builders here pick the event and role codes of PS3.15 A.5.3 and PS3.16 (CID 400-
 * 405, CID 6); `audit-xml.ts` turns a record into XML. Nothing here carries a patient's name: the schema would allow
 * ParticipantObjectName, and we never fill it (PS3.15 A.5.2: minimum necessary).
 */

/** A coded value (PS3.15 A.5.1 CodedValueType): `csd-code`, `codeSystemName`, `originalText`. */
export interface Code {
  code: string;
  system: string;
  meaning: string;
}

const dcm = (code: string, meaning: string): Code => ({ code, system: 'DCM', meaning });

/** PS3.16 CID 400 Audit Event ID, the ones the gateway emits. */
export const EVENT_ID = {
  applicationActivity: dcm('110100', 'Application Activity'),
  instancesAccessed: dcm('110103', 'DICOM Instances Accessed'),
  instancesTransferred: dcm('110104', 'DICOM Instances Transferred'),
  export: dcm('110106', 'Export'),
  import: dcm('110107', 'Import'),
  securityAlert: dcm('110113', 'Security Alert'),
  userAuthentication: dcm('110114', 'User Authentication'),
} as const;

/** PS3.16 CID 401 Audit Event Type Code and CID 6 Security Alert Type Codes. */
export const EVENT_TYPE = {
  applicationStart: dcm('110120', 'Application Start'),
  applicationStop: dcm('110121', 'Application Stop'),
  login: dcm('110122', 'Login'),
  nodeAuthentication: dcm('110126', 'Node Authentication'),
  securityConfiguration: dcm('110129', 'Security Configuration'),
} as const;

/** PS3.16 CID 402 Audit Active Participant Role ID Code. */
export const ROLE = {
  application: dcm('110150', 'Application'),
  applicationLauncher: dcm('110151', 'Application Launcher'),
  destination: dcm('110152', 'Destination Role ID'),
  source: dcm('110153', 'Source Role ID'),
} as const;

/** PS3.16 CID 404 Audit Participant Object ID Type Code, and RFC 3881 5.5.4 "2 = Patient Number". */
export const OBJECT_ID_TYPE = {
  studyInstanceUid: dcm('110180', 'Study Instance UID'),
  patientNumber: { code: '2', system: 'RFC-3881', meaning: 'Patient Number' },
  uri: { code: '12', system: 'RFC-3881', meaning: 'URI' },
  nodeId: dcm('110182', 'Node ID'),
} as const;

/** PS3.15 A.5.1 EventActionCode: Create, Read, Update, Delete, Execute. */
export type EventAction = 'C' | 'R' | 'U' | 'D' | 'E';
/** PS3.15 A.5.1 EventOutcomeIndicator: success, minor, serious, major failure. */
export type EventOutcome = 0 | 4 | 8 | 12;

/** One ActiveParticipant: who took part (a person, a process, a node). */
export interface Participant {
  userId: string;
  alternativeUserId?: string;
  isRequestor: boolean;
  /** A host name (type 1) or an IP address (type 2), PS3.15 A.5.1 NetworkAccessPointTypeCode. */
  networkAccessPoint?: string;
  roles: Code[];
}

/** Instances of one SOP class in a study (PS3.15 A.5.1 DICOMObjectDescriptionContents SOPClass). */
export interface SopClassCount {
  uid: string;
  count: number;
}

/** One ParticipantObjectIdentification: a study, a patient or a system object. Never a name. */
export type ParticipantObject =
  | { kind: 'study'; studyInstanceUid: string; accessionNumber?: string; sopClasses?: SopClassCount[] }
  /** Only where the PS3.15 A.5.3 event definition requires the patient: the ID, not the name. */
  | { kind: 'patient'; patientId: string }
  /** A node or resource the event is about (a refused peer, a reloaded certificate), with a detail text. */
  | { kind: 'system'; idType: Code; id: string; detail?: { type: string; value: string } };

/** One audit record, ready to become XML. */
export interface AuditRecord {
  eventId: Code;
  eventTypes: Code[];
  action: EventAction;
  outcome: EventOutcome;
  /** Why it failed (EventOutcomeDescription), for outcome > 0. */
  outcomeDescription?: string;
  /** When it happened (EventDateTime, UTC). */
  at: Date;
  participants: Participant[];
  objects: ParticipantObject[];
}
