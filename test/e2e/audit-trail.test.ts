/**
 * The audit trail against a real collector: Debian's rsyslogd receiving RFC 5425 syslog over TLS from the built
 * daemon. Each event (start, association accepted and refused, instances stored, an HL7 report, API reads with a
 * token and a wrong one, a resend, a TLS reload, stop) arrives over TLS, parses as RFC 5424 and validates against
 * the PS3.15 A.5.1 schema. Then the collector is stopped, events happen, it starts again on the same port, and the
 * records queued meanwhile arrive.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { echoscu, storescu } from '../helpers/dcmtk.js';
import { startDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { CORPUS, freePort, runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { mllpFrame } from '../helpers/mllp-peer.js';
import { parseSyslog, validateAuditXml, type ParsedSyslog } from '../helpers/audit.js';
import { requirePeers } from '../helpers/peers.js';
import { startRsyslog, type Rsyslog } from '../helpers/rsyslog.js';
import { makeTestPki } from '../helpers/tls.js';

const TOKEN = 'audit-test-token-0123456789abcdef';

/** EventID code and, when present, the first EventTypeCode of a record. */
function eventOf(m: ParsedSyslog): string {
  const id = /<EventID csd-code="(\d+)"/.exec(m.xml)?.[1] ?? '?';
  const type = /<EventTypeCode csd-code="(\d+)"/.exec(m.xml)?.[1];
  return type === undefined ? id : `${id}/${type}`;
}

function sendHl7(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write(mllpFrame(text)));
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\x1c\r')) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', reject);
  });
}

describe('e2e: audit trail to rsyslog over TLS (RFC 5425)', function () {
  this.timeout(180_000);
  let daemon: DaemonProcess | undefined;
  let rsyslog: Rsyslog | undefined;
  after(async () => {
    daemon?.child.kill('SIGTERM');
    await daemon?.exited;
    await rsyslog?.stop();
    runCleanups();
  });

  it('delivers every event over TLS as a schema-valid DICOM audit message, and what was queued while the collector was down', async function () {
    requirePeers(this, 'rsyslogd', 'xmllint', 'echoscu', 'storescu', 'openssl');
    const pki = makeTestPki();
    const dir = tempDir('pag-audit-e2e-');
    rsyslog = await startRsyslog(await freePort(), { caFile: pki.caFile, server: pki.server });
    const collector = rsyslog;
    daemon = await startDaemon({
      dataDir: join(dir, 'var'),
      dicom: {
        port: await freePort(),
        allowedPeers: [{ aeTitle: 'ECHOSCU', host: '127.0.0.1' }, { aeTitle: 'STORESCU', host: '127.0.0.1' }],
        tls: { port: await freePort(), certFile: pki.server.certFile, keyFile: pki.server.keyFile },
      },
      http: { port: await freePort(), authToken: TOKEN },
      storage: { minFreeBytes: 0 },
      models: [],
      audit: { enabled: true, collector: { host: '127.0.0.1', port: collector.port, tls: { caFile: pki.caFile, servername: 'localhost' } }, sourceId: 'gw-test', enterpriseSiteId: 'HOSP', retryMaxDelayMs: 500 },
    });
    const d = daemon;
    const received = (): ParsedSyslog[] => collector.messages().map(parseSyslog);
    const waitForEvents = (what: string, events: string[]): Promise<ParsedSyslog[]> =>
      waitFor(`${what}: ${events.join(', ')} at the collector`, () => {
        const got = received();
        const seen = got.map(eventOf);
        return events.every((e) => seen.filter((s) => s === e).length >= events.filter((x) => x === e).length) ? got : undefined;
      }, 30_000);

    // Each event, as an operator or a peer would cause it.
    expect((await echoscu(d.dicomPort)).code).to.equal(0);
    expect((await echoscu(d.dicomPort, { callingAe: 'ROGUE' })).code).to.not.equal(0);
    expect((await storescu(d.dicomPort, [join(CORPUS, 'dicom', 'pydicom__CT_small.dcm')])).code).to.equal(0);
    const ack = await sendHl7(d.hl7Port as number, readFileSync(join(CORPUS, 'hl7', 'dcm4che__ORU_R01.hl7'), 'latin1').replace(/\r?\n/g, '\r'));
    expect(ack).to.match(/MSA\|AA/);
    const api = `http://127.0.0.1:${d.httpPort}`;
    expect((await fetch(`${api}/api/studies`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).to.equal(200);
    expect((await fetch(`${api}/api/studies`, { headers: { authorization: 'Bearer wrong-token-wrong-token-wrong' } })).status).to.equal(401);
    expect((await fetch(`${api}/api/outbox/999/resend`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).to.equal(404);
    d.child.kill('SIGHUP');

    const all = await waitForEvents('the events', ['110100/110120', '110113/110126', '110113/110126', '110104', '110107', '110103', '110114/110122', '110103', '110113/110129']);
    for (const m of all) {
      expect(m, m.xml).to.include({ pri: m.xml.includes('EventOutcomeIndicator="0"') ? 85 : 84, version: '1', appName: 'pacs-ai-gateway', msgId: 'IHE+RFC-3881', hadBom: true });
      expect(m.xml).to.include('AuditSourceID="gw-test"').and.include('AuditEnterpriseSiteID="HOSP"');
      expect(m.xml).not.to.include(TOKEN);
    }
    const verdicts = await validateAuditXml(all.map((m) => m.xml), tempDir('pag-audit-xml-'));
    verdicts.forEach((v, i) => expect(v.ok, `${eventOf(all[i] as ParsedSyslog)}: ${v.output}`).to.equal(true));
    const stored = all.find((m) => eventOf(m) === '110104') as ParsedSyslog;
    expect(stored.xml).to.include('UserID="STORESCU"').and.include('NumberOfInstances="1"');
    // the study and patient as the images flow read them from the stored dataset (its own Patient ID, not a nested one)
    expect(stored.xml).to.include('ParticipantObjectID="1.3.6.1.4.1.5962.1.2.1.20040119072730.12322"').and.include('ParticipantObjectID="1CT1"');
    expect(stored.xml).not.to.match(/CompressedSamples|ParticipantObjectName/);
    const refused = all.find((m) => eventOf(m) === '110113/110126' && m.xml.includes('ROGUE')) as ParsedSyslog;
    expect(refused.xml).to.include('EventOutcomeIndicator="4"');
    expect(all.find((m) => eventOf(m) === '110103')?.xml).to.include('UserID="token-sha256:');

    // The collector goes away: records wait in the queue, then arrive once it is back on the same port.
    await collector.stop();
    await waitFor('the daemon to notice the collector left', () => d.output().includes('"audit collector connection lost"'));
    const before = collector.messages().length;
    expect((await echoscu(d.dicomPort)).code).to.equal(0);
    await waitFor('a send to the down collector to fail', () => d.output().includes('"audit collector unreachable: records stay queued"'));
    await collector.start();
    const after = await waitFor('the queued record to arrive', () => {
      const got = received().slice(before);
      return got.some((m) => eventOf(m) === '110113/110126' && m.xml.includes('EventOutcomeIndicator="0"')) ? got : undefined;
    }, 30_000);
    const [late] = await validateAuditXml(after.map((m) => m.xml), tempDir('pag-audit-xml-'));
    expect(late?.ok).to.equal(true);

    // Stop: the Application Stop record is sent before the daemon exits.
    d.child.kill('SIGTERM');
    expect(await d.exited).to.equal(0);
    daemon = undefined;
    expect(received().map(eventOf)).to.include('110100/110121');
  });
});
