/**
 * An AuditRecord as a DICOM audit message (PS3.15 A.5.1 schema, shipped in docs/audit/dicom-audit-message.rnc):
 * elements in the schema's order, attribute values escaped, EventDateTime in UTC with milliseconds (A.5.2.5). The
 * result is one line of UTF-8 XML without a declaration: it is the MSG of a syslog message (RFC 5424 6.4).
 */
import type { AuditRecord, Code, Participant, ParticipantObject } from './audit-event.js';
import { OBJECT_ID_TYPE } from './audit-event.js';

/** Who reports (AuditSourceIdentification, A.5.1): our node, and the site it belongs to. */
export interface AuditSource {
  /** AuditSourceID: config audit.sourceId (default: the host name). */
  sourceId: string;
  enterpriseSiteId?: string | undefined;
}

/** PS3.15 A.5.1.2.1 Audit Source Type Code 4: an application server process. */
const SOURCE_TYPE_APPLICATION_SERVER = '4';

export function auditMessageXml(record: AuditRecord, source: AuditSource): string {
  const parts = [
    eventIdentification(record),
    ...record.participants.map(activeParticipant),
    el('AuditSourceIdentification', { AuditEnterpriseSiteID: source.enterpriseSiteId, AuditSourceID: source.sourceId }, [
      el('AuditSourceTypeCode', { 'csd-code': SOURCE_TYPE_APPLICATION_SERVER }, []),
    ]),
    ...record.objects.map(participantObject),
  ];
  return el('AuditMessage', {}, parts);
}

function eventIdentification(r: AuditRecord): string {
  const children = [coded('EventID', r.eventId), ...r.eventTypes.map((t) => coded('EventTypeCode', t))];
  if (r.outcomeDescription !== undefined && r.outcome !== 0) children.push(`<EventOutcomeDescription>${escapeXml(r.outcomeDescription)}</EventOutcomeDescription>`);
  return el('EventIdentification', { EventActionCode: r.action, EventDateTime: r.at.toISOString(), EventOutcomeIndicator: String(r.outcome) }, children);
}

function activeParticipant(p: Participant): string {
  const nap = p.networkAccessPoint;
  return el(
    'ActiveParticipant',
    {
      UserID: p.userId,
      AlternativeUserID: p.alternativeUserId,
      UserIsRequestor: p.isRequestor ? 'true' : 'false',
      NetworkAccessPointID: nap,
      // 2 = IP address, 1 = machine name (A.5.1 NetworkAccessPointTypeCode)
      NetworkAccessPointTypeCode: nap === undefined ? undefined : isIpAddress(nap) ? '2' : '1',
    },
    p.roles.map((r) => coded('RoleIDCode', r)),
  );
}

function participantObject(o: ParticipantObject): string {
  switch (o.kind) {
    case 'study': {
      // A.5.3 "Studies being transferred": type 2 (system object), role 3 (report), DICOM object description
      // with the accession and the SOP classes with their instance counts.
      const description: string[] = [];
      if (o.accessionNumber !== undefined && o.accessionNumber !== '') description.push(el('Accession', { Number: o.accessionNumber }, []));
      for (const c of o.sopClasses ?? []) description.push(el('SOPClass', { UID: c.uid, NumberOfInstances: String(c.count) }, []));
      return el('ParticipantObjectIdentification', { ParticipantObjectID: o.studyInstanceUid, ParticipantObjectTypeCode: '2', ParticipantObjectTypeCodeRole: '3' }, [
        coded('ParticipantObjectIDTypeCode', OBJECT_ID_TYPE.studyInstanceUid),
        ...(description.length === 0 ? [] : [el('ParticipantObjectDescription', {}, description)]),
      ]);
    }
    case 'patient':
      // A.5.3 "Patient": type 1 (person), role 1 (patient), ID type 2 (patient number). No ParticipantObjectName.
      return el('ParticipantObjectIdentification', { ParticipantObjectID: o.patientId, ParticipantObjectTypeCode: '1', ParticipantObjectTypeCodeRole: '1' }, [
        coded('ParticipantObjectIDTypeCode', OBJECT_ID_TYPE.patientNumber),
      ]);
    case 'system':
      return el('ParticipantObjectIdentification', { ParticipantObjectID: o.id, ParticipantObjectTypeCode: '2' }, [
        coded('ParticipantObjectIDTypeCode', o.idType),
        // ValuePair values are base64 (A.5.1 "ValuePair"): the text stays intact whatever it holds.
        ...(o.detail === undefined ? [] : [el('ParticipantObjectDetail', { type: o.detail.type, value: Buffer.from(o.detail.value, 'utf8').toString('base64') }, [])]),
      ]);
  }
}

function coded(name: string, c: Code): string {
  return el(name, { 'csd-code': c.code, codeSystemName: c.system, originalText: c.meaning }, []);
}

function el(name: string, attrs: Record<string, string | undefined>, children: string[]): string {
  const a = Object.entries(attrs)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
  return children.length === 0 ? `<${name}${a}/>` : `<${name}${a}>${children.join('')}</${name}>`;
}

/**
 * XML 1.0 attribute and text escaping. Characters XML 1.0 cannot carry at all (C0 controls other than tab, LF,
 * CR; lone surrogates; U+FFFE/U+FFFF) become U+FFFD: a peer's AE title or message text must not break the record.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function isIpAddress(text: string): boolean {
  return /^[0-9.]+$/.test(text) || text.includes(':');
}
