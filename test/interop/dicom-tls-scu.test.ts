/**
 * Our SCU over TLS into DCMTK storescp +tls (which requires a client certificate, its default): C-ECHO and
 * C-STORE with the dataset bytes unchanged; without a client certificate, with a CA that did not sign the
 * peer, with a name the certificate does not carry, and TLS to a plain peer, each a clear connection failure;
 * and the SR delivery path through the outbox: a TLS destination delivered, a wrong-CA one dead-lettered with
 * the certificate problem in last_error.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { echo, storeFiles, type ScuOptions, type StoreFilesResult } from '../../src/dicom/scu.js';
import { sameDataset } from '../../src/storage/compare.js';
import { dcmsend, startStorescp, type Storescp } from '../helpers/dcmtk.js';
import { CORPUS, REPO_ROOT, runCleanups, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { requirePeers, run } from '../helpers/peers.js';
import { makeTestPki, type TestPki } from '../helpers/tls.js';

const CT_SMALL = join(CORPUS, 'dicom', 'pydicom__CT_small.dcm');

function clear(dir: string): void {
  for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
}

function failureOf(r: StoreFilesResult): { kind: string; detail: string; retryable: boolean; errno?: string } {
  if (r.association.kind === 'released' || r.association.kind === 'not-opened') throw new Error(`expected a failed association, got ${JSON.stringify(r.association)}`);
  return r.association as { kind: string; detail: string; retryable: boolean; errno?: string };
}

describe('interop: SCU over TLS into DCMTK storescp +tls', function () {
  this.timeout(180_000);
  let pki: TestPki;
  let tlsScp: Storescp;
  let plainScp: Storescp;
  let scu: ScuOptions;

  before(async function () {
    requirePeers(this, 'storescp', 'echoscu', 'openssl', 'cc');
    pki = makeTestPki();
    tlsScp = await startStorescp('TLSSCP', {
      tls: {
        serverArgs: ['+tls', pki.server.keyFile, pki.server.certFile, '+cf', pki.caFile],
        echoArgs: ['+tls', pki.client.keyFile, pki.client.certFile, '+cf', pki.caFile],
      },
    });
    plainScp = await startStorescp('PLAINSCP');
    scu = { host: '127.0.0.1', port: tlsScp.port, callingAeTitle: 'AIGATEWAY', calledAeTitle: 'TLSSCP', tls: { caFile: pki.caFile, ...pki.client } };
  });
  after(async () => {
    await tlsScp?.stop();
    await plainScp?.stop();
    runCleanups();
  });

  it('C-ECHO over TLS with a client certificate succeeds', async () => {
    const r = await echo(scu);
    expect(r.kind, JSON.stringify(r)).to.equal('success');
  });

  it('C-STORE over TLS: stored, dataset bytes unchanged', async () => {
    clear(tlsScp.dir);
    const r = await storeFiles(scu, [{ path: CT_SMALL }]);
    expect(r.association.kind, JSON.stringify(r.association)).to.equal('released');
    expect(r.files[0]?.outcome.kind).to.equal('stored');
    const received = join(tlsScp.dir, readdirSync(tlsScp.dir)[0] as string);
    expect(await sameDataset(CT_SMALL, received)).to.equal(true);
  });

  it('no client certificate for a peer that requires one: connection failure naming it, retryable', async () => {
    const r = await storeFiles({ ...scu, tls: { caFile: pki.caFile } }, [{ path: CT_SMALL }]);
    const f = failureOf(r);
    expect(f).to.include({ kind: 'connection-failed', retryable: true });
    expect(f.detail).to.match(/^TLS with 127\.0\.0\.1:\d+ failed: /);
    expect(f.detail).to.match(/the peer requires a client certificate/);
    expect(r.files[0]?.outcome.kind).to.equal('association-failed');
  });

  it('a CA that did not sign the peer: connection failure naming the certificate problem, nothing sent', async () => {
    clear(tlsScp.dir);
    const r = await storeFiles({ ...scu, tls: { caFile: pki.otherCaFile, ...pki.client } }, [{ path: CT_SMALL }]);
    const f = failureOf(r);
    expect(f).to.include({ kind: 'connection-failed', retryable: true });
    expect(f.errno).to.be.oneOf(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN']); // storescp sends its CA along, or not
    expect(f.detail).to.contain('the peer certificate is not signed by a CA we trust (check tls.caFile)');
    expect(readdirSync(tlsScp.dir)).to.deep.equal([]);
  });

  it('a servername the certificate does not carry: refused, naming the name check', async () => {
    const r = await echo({ ...scu, tls: { ...scu.tls, servername: 'pacs.example.org' } });
    expect(r).to.include({ kind: 'connection-failed', errno: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(r.kind === 'connection-failed' && r.detail).to.match(/names do not include the host/);
  });

  it('servername localhost (a name the certificate carries) passes the check', async () => {
    const r = await echo({ ...scu, tls: { ...scu.tls, servername: 'localhost' } });
    expect(r.kind, JSON.stringify(r)).to.equal('success');
  });

  it('TLS to a plain DICOM peer: connection failure, not a hang', async () => {
    const r = await echo({ ...scu, port: plainScp.port, calledAeTitle: 'PLAINSCP' });
    expect(r.kind, JSON.stringify(r)).to.equal('connection-failed');
    expect(r.kind === 'connection-failed' && r.detail).to.match(/^TLS with /);
  });

  it('a peer that accepts TCP but never answers the handshake: a connect timeout naming the handshake', async () => {
    const silent = createServer((socket) => socket.on('error', () => {}));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as AddressInfo).port;
    try {
      const r = await echo({ ...scu, port, connectTimeoutMs: 300 });
      expect(r).to.include({ kind: 'timeout', retryable: true, detail: 'no TLS handshake within 300 ms (does the peer speak TLS on this port?)' });
    } finally {
      silent.close();
    }
  });

  describe('the SR delivery path (outbox) with TLS destinations', () => {
    let gw: TestGateway;
    after(async () => gw?.stop());

    it('delivers the SR to the TLS destination; the wrong-CA destination dead-letters naming the certificate', async function () {
      requirePeers(this, 'dcmsend', 'dsrdump');
      clear(tlsScp.dir);
      const dest = { aeTitle: 'TLSSCP', host: '127.0.0.1', port: tlsScp.port };
      gw = await startGateway({
        dicom: {
          studyQuietSeconds: 1,
          destinations: [
            { name: 'pacs-tls', ...dest, tls: { caFile: pki.caFile, ...pki.client, rejectUnauthorized: true } },
            { name: 'pacs-wrong-ca', ...dest, tls: { caFile: pki.otherCaFile, ...pki.client, rejectUnauthorized: true } },
          ],
        },
        outbox: { maxAttempts: 1 },
      });
      const dir = join(REPO_ROOT, 'sample-dicom', 'DEMO002-negative');
      const sent = await dcmsend(gw.dicomPort, readdirSync(dir).filter((f) => f.endsWith('.dcm')).map((f) => join(dir, f)));
      expect(sent.code, sent.stderr).to.equal(0);
      type Row = { destination: string; state: string; lastError: string | null };
      const rows = await waitFor(
        'both outbox rows settled',
        async () => {
          const { body } = await gw.getJson<Row[]>('/api/outbox');
          return body.length === 2 && body.every((r) => r.state === 'delivered' || r.state === 'dead') ? body : undefined;
        },
        120_000,
      );
      const byDest = Object.fromEntries(rows.map((r) => [r.destination, r]));
      expect(byDest['pacs-tls']?.state).to.equal('delivered');
      expect(byDest['pacs-wrong-ca']?.state).to.equal('dead');
      expect(byDest['pacs-wrong-ca']?.lastError, String(byDest['pacs-wrong-ca']?.lastError)).to.match(/TLS with 127\.0\.0\.1:\d+ failed: the peer certificate is not signed by a CA we trust/);
      const received = readdirSync(tlsScp.dir);
      expect(received).to.have.length(1);
      const dump = await run('dsrdump', [join(tlsScp.dir, received[0] as string)]);
      expect(dump.stdout).to.contain('Comprehensive 3D SR Document');
    });
  });
});
