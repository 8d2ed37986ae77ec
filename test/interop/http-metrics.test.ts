/**
 * GET /metrics as Prometheus sees it: the text parses with the reference parser (python3-prometheus-client),
 * and the numbers move when real peers work against the gateway: a study from dcmsend (instances, bytes,
 * association, analysis job, inference latency, a dead letter for an unreachable PACS), a rejected association
 * (echoscu with a wrong called AE title), a C-STORE failure (dcmsend with a file lacking its Study UID) and
 * HL7 reports from mllp_send (ACK AA, and AE/AR for an invalid one).
 */
import { expect } from 'chai';
import { copyFileSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dcmsend, echoscu } from '../helpers/dcmtk.js';
import { CORPUS, REPO_ROOT, freePort, runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { requirePeers, run } from '../helpers/peers.js';
import { parsePrometheus, requirePromParser, sampleValue, type PromFamily } from '../helpers/prometheus.js';

const P = 'pacs_ai_gateway_';
const NODULE = join(REPO_ROOT, 'sample-dicom', 'DEMO001-nodule');
const MLLP_SEND = '/usr/bin/mllp_send';

function framedCopy(name: string): string {
  const file = join(tempDir('pag-mllp-'), name);
  writeFileSync(file, Buffer.concat([Buffer.from([0x0b]), readFileSync(join(CORPUS, 'hl7', name)), Buffer.from([0x1c, 0x0d])]));
  return file;
}

describe('interop: /metrics in Prometheus text format', function () {
  this.timeout(180_000);
  let gw: TestGateway;

  async function scrape(): Promise<PromFamily[]> {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(await res.text());
  }
  const value = (f: PromFamily[], name: string, labels: Record<string, string> = {}): number => sampleValue(f, `${P}${name}`, labels) ?? 0;

  before(async function () {
    requirePeers(this, 'dcmsend', 'echoscu', 'dcmodify', MLLP_SEND);
    await requirePromParser(this);
    // An unreachable PACS and RIS (nothing listens on their ports) and one attempt: SR and ORU become dead letters.
    gw = await startGateway({
      dicom: { destinations: [{ name: 'pacs', aeTitle: 'PACS', host: '127.0.0.1', port: await freePort() }] },
      hl7: { destinations: [{ name: 'ris', host: '127.0.0.1', port: await freePort() }] },
      outbox: { maxAttempts: 1, connectTimeoutMs: 2000 },
      cluster: { nodeName: 'metrics-node-1' },
    });
  });
  after(async () => {
    await gw?.stop();
    runCleanups();
  });

  it('parses, with every family typed and documented, before any traffic', async () => {
    const families = await scrape();
    const byName = new Map(families.map((f) => [f.name, f]));
    const expected: Record<string, string> = {
      dicom_associations_open: 'gauge',
      dicom_associations: 'counter',
      dicom_instances_received: 'counter',
      dicom_received_bytes: 'counter',
      dicom_store_failures: 'counter',
      jobs: 'gauge',
      inference_duration_seconds: 'histogram',
      outbox_depth: 'gauge',
      outbox_dead_letters: 'gauge',
      hl7_messages_received: 'counter',
      hl7_messages_sent: 'counter',
      disk_free_bytes: 'gauge',
      process_cpu_user_seconds: 'counter',
    };
    for (const [name, type] of Object.entries(expected)) {
      expect(byName.get(`${P}${name}`)?.type, name).to.equal(type);
      expect(byName.get(`${P}${name}`)?.help, name).to.not.equal('');
    }
    // Every series names its node (cluster.nodeName): a cluster's nodes in one Prometheus stay apart.
    const unlabelled = families.flatMap((f) => f.samples).filter((s) => s.labels.node !== 'metrics-node-1');
    expect(unlabelled.map((s) => s.name)).to.deep.equal([]);
    expect(value(families, 'dicom_instances_received_total')).to.equal(0);
    expect(value(families, 'disk_free_bytes')).to.be.greaterThan(0);
    // a configured destination is there from the start, at zero
    expect(sampleValue(families, `${P}outbox_depth`, { destination: 'pacs' })).to.equal(0);
    expect(sampleValue(families, `${P}outbox_dead_letters`, { destination: 'pacs' })).to.equal(0);
  });

  it('counts a study sent with dcmsend through receive, analysis and dead-lettered deliveries (DICOM and HL7)', async () => {
    const files = readdirSync(NODULE).filter((f) => f.endsWith('.dcm')).map((f) => join(NODULE, f));
    const sent = await dcmsend(gw.dicomPort, files);
    expect(sent.code, sent.stderr).to.equal(0);
    await waitFor('the SR and the ORU for the unreachable PACS and RIS to dead-letter', async () => {
      const { body } = await gw.getJson<Array<{ destination: string; state: string }>>('/api/outbox');
      return ['pacs', 'ris'].every((d) => body.some((o) => o.destination === d && o.state === 'dead'));
    }, 120_000);

    const after = await scrape();
    expect(value(after, 'dicom_instances_received_total')).to.equal(files.length);
    const fileBytes = files.reduce((n, f) => n + statSync(f).size, 0);
    // dataset bytes: each file less its 128-byte preamble, "DICM" and file meta group
    expect(value(after, 'dicom_received_bytes_total')).to.be.within(fileBytes - files.length * 1024, fileBytes);
    expect(value(after, 'dicom_associations_total', { outcome: 'accepted' })).to.equal(1);
    expect(value(after, 'dicom_associations_ended_total', { outcome: 'released' })).to.equal(1);
    expect(value(after, 'dicom_associations_open')).to.equal(0);
    expect(value(after, 'jobs', { kind: 'analyze-study', state: 'done' })).to.equal(1);
    expect(value(after, 'inference_duration_seconds_count', { model: 'chest-ct-nodule-demo' })).to.equal(1);
    expect(value(after, 'inference_duration_seconds_sum', { model: 'chest-ct-nodule-demo' })).to.be.greaterThan(0);
    expect(value(after, 'outbox_dead_letters', { destination: 'pacs' })).to.equal(1);
    expect(value(after, 'outbox_depth', { destination: 'pacs' })).to.equal(0);
    expect(value(after, 'outbox_sends_total', { destination: 'pacs', kind: 'dicom', outcome: 'failed' })).to.equal(1);
    expect(value(after, 'outbox_dead_letters', { destination: 'ris' })).to.equal(1);
    expect(value(after, 'hl7_messages_sent_total', { destination: 'ris', outcome: 'connection-failed' })).to.equal(1);
  });

  it('counts a rejected association by its PS3.8 reason and a failed C-STORE by its status', async () => {
    const before = await scrape();
    const rejected = await echoscu(gw.dicomPort, { calledAe: 'NOTUS' });
    expect(rejected.code).to.not.equal(0);

    // dcmsend sends what it is given (in the file's own transfer syntax); without a Study Instance UID the
    // gateway cannot file the instance
    const broken = join(tempDir('pag-broken-'), 'no-study-uid.dcm');
    copyFileSync(join(NODULE, readdirSync(NODULE).filter((f) => f.endsWith('.dcm'))[0] as string), broken);
    const modified = await run('dcmodify', ['-nb', '-ea', '(0020,000d)', broken]);
    expect(modified.code, modified.stderr).to.equal(0);
    const store = await run('dcmsend', ['-v', '-aec', 'AIGATEWAY', '127.0.0.1', String(gw.dicomPort), broken]);
    const status = /Received C-STORE Response \(([^)]*)\)/.exec(store.stdout + store.stderr)?.[1] ?? '';
    expect(status, 'PS3.4 C000 = Error: Cannot understand').to.equal('Error: CannotUnderstand');

    const after = await scrape();
    const reason = { outcome: 'rejected', reason: 'called-ae-not-recognized' };
    expect(value(after, 'dicom_associations_total', reason) - value(before, 'dicom_associations_total', reason)).to.equal(1);
    const failures = after.find((f) => f.name === `${P}dicom_store_failures`)?.samples ?? [];
    expect(failures, `dcmsend saw: ${status}\n${store.stdout}${store.stderr}`).to.have.length(1);
    expect(failures[0]?.labels.status, 'the status dcmsend received').to.equal('0xC000');
    expect(failures[0]?.value).to.equal(1);
  });

  it('counts HL7 messages from mllp_send by the ACK code sent', async () => {
    const ok = await run('/usr/bin/python3', [MLLP_SEND, '--file', framedCopy('dcm4che__ORU_R01.hl7'), '-p', String(gw.hl7Port), '127.0.0.1'], { timeoutMs: 20_000 });
    expect(ok.stdout).to.match(/MSA\|AA/);
    const bad = await run('/usr/bin/python3', [MLLP_SEND, '--file', framedCopy('scout__postgres_2023_20230113_m0_INVALID.hl7'), '-p', String(gw.hl7Port), '127.0.0.1'], { timeoutMs: 20_000 });
    const badAck = /MSA\|(A[ER])/.exec(bad.stdout)?.[1];
    expect(badAck, bad.stdout).to.be.oneOf(['AE', 'AR']);
    const after = await scrape();
    expect(value(after, 'hl7_messages_received_total', { ack: 'AA' })).to.equal(1);
    expect(value(after, 'hl7_messages_received_total', { ack: badAck as string })).to.equal(1);
  });
});
