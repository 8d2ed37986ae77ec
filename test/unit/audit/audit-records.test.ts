import { expect } from 'chai';
import type { AuditRecord } from '../../../src/audit/audit-event.js';
import { GatewayAudit, REPEAT_READ_WINDOW_MS } from '../../../src/audit/gateway-audit.js';
import { auditMessageXml, escapeXml } from '../../../src/audit/audit-xml.js';
import { octetCountingFrame, syslogMessage } from '../../../src/audit/syslog.js';
import { parseSyslog, splitOctetCountedFrames } from '../../helpers/audit.js';
import { everyAuditEvent, STUDY_UID } from '../../helpers/audit-events.js';

describe('audit records', () => {
  it('one Instances Transferred record per association and study, with SOP class counts, accession and patient ID', async () => {
    const received = (await everyAuditEvent()).find((e) => e.name === 'instances received');
    expect(received?.records).to.have.length(1);
    const xml = auditMessageXml(received!.records[0]!, { sourceId: 'gw' });
    expect(xml).to.include('<EventID csd-code="110104" codeSystemName="DCM" originalText="DICOM Instances Transferred"/>');
    expect(xml).to.include('EventActionCode="C"');
    expect(xml).to.include(`ParticipantObjectID="${STUDY_UID}"`);
    expect(xml).to.include('<SOPClass UID="1.2.840.10008.5.1.4.1.1.2" NumberOfInstances="2"/>');
    expect(xml).to.include('<Accession Number="ACC1"/>');
    expect(xml).to.include('ParticipantObjectID="PID-7" ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1"');
    expect(xml).to.include('UserID="MODALITY" AlternativeUserID="AETITLES=MODALITY" UserIsRequestor="true" NetworkAccessPointID="10.0.0.5" NetworkAccessPointTypeCode="2"');
    expect(xml).not.to.include('DOE');
  });

  it('splits an API read of many studies into records of at most 16 studies', async () => {
    const read = (await everyAuditEvent()).find((e) => e.name === 'API read');
    expect(read?.records.map((r) => r.objects.filter((o) => o.kind === 'study').length)).to.deep.equal([16, 16, 16, 16, 16, 16, 16, 8]);
  });

  it('escapes what a peer sends and replaces characters XML cannot carry', () => {
    expect(escapeXml('A<&>"\u0001\n')).to.equal('A&lt;&amp;&gt;&quot;\ufffd&#10;');
  });

  it('is an RFC 5424 message, facility 10, severity by outcome, MSGID IHE+RFC-3881, framed by octet counting', async () => {
    const events = await everyAuditEvent();
    const ok = events.find((e) => e.name === 'application start')!.records[0]!;
    const failed = events.find((e) => e.name === 'association rejected')!.records[0]!;
    const frames = Buffer.concat(
      [ok, failed].map((r) => octetCountingFrame(syslogMessage({ hostname: 'gw host', procId: '42' }, r.at, r.outcome === 0 ? 5 : 4, auditMessageXml(r, { sourceId: 'gw' })))),
    );
    const [first, second] = splitOctetCountedFrames(frames).map(parseSyslog);
    expect(first).to.include({ pri: 85, version: '1', hostname: 'gw_host', appName: 'pacs-ai-gateway', procId: '42', msgId: 'IHE+RFC-3881', structuredData: '-', hadBom: true });
    expect(first?.timestamp).to.equal('2024-05-01T10:00:00.123Z');
    expect(second?.pri).to.equal(84);
    expect(second?.xml).to.include('ROGUE &lt;&amp;&gt;');
  });
});

describe('audit of repeated API reads', () => {
  const caller = { user: 'token:ab12', address: '10.0.0.9' };
  const study = (n: number): { studyInstanceUid: string } => ({ studyInstanceUid: `1.2.3.${n}` });
  const auditAt = (): { audit: GatewayAudit; records: AuditRecord[]; at: { ms: number } } => {
    const records: AuditRecord[] = [];
    const at = { ms: Date.parse('2026-01-01T00:00:00Z') };
    const audit = new GatewayAudit({ record: (r) => records.push(r) }, { aeTitle: 'GW', host: 'gw', pid: 1 }, () => Promise.resolve(undefined), () => new Date(at.ms));
    return { audit, records, at };
  };
  const studiesIn = (r: AuditRecord): string[] => r.objects.flatMap((o) => (o.kind === 'study' ? [o.studyInstanceUid] : []));

  it('records a caller’s first read of each study once per window: a polling status page does not flood the collector', () => {
    const { audit, records, at } = auditAt();
    audit.apiAccess({ kind: 'read', path: '/api/studies', caller, studies: [study(1), study(2)] });
    at.ms += 5_000;
    audit.apiAccess({ kind: 'read', path: '/api/studies', caller, studies: [study(1), study(2), study(3)] });
    at.ms += 5_000;
    audit.apiAccess({ kind: 'read', path: '/api/studies', caller, studies: [study(1), study(2), study(3)] });
    audit.apiAccess({ kind: 'read', path: '/api/studies', caller: { ...caller, user: 'token:other' }, studies: [study(1)] });
    expect(records.map(studiesIn)).to.deep.equal([['1.2.3.1', '1.2.3.2'], ['1.2.3.3'], ['1.2.3.1']]);
    at.ms += REPEAT_READ_WINDOW_MS;
    audit.apiAccess({ kind: 'read', path: '/api/studies', caller, studies: [study(2)] });
    expect(records.map(studiesIn).at(-1)).to.deep.equal(['1.2.3.2']);
  });

  it('an empty read is recorded once per window and path', () => {
    const { audit, records, at } = auditAt();
    audit.apiAccess({ kind: 'read', path: '/api/outbox', caller, studies: [] });
    at.ms += 5_000;
    audit.apiAccess({ kind: 'read', path: '/api/outbox', caller, studies: [] });
    audit.apiAccess({ kind: 'read', path: '/api/status', caller, studies: [] });
    expect(records).to.have.length(2);
  });
});
