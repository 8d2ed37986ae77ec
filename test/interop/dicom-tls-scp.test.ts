/**
 * The SCP's TLS listener against DCMTK (echoscu/storescu +tls, +tla): C-ECHO and C-STORE over TLS with and
 * without a client certificate, files stored byte-identical to what storescp +B stores from the same sender,
 * required client certificates and certificate names in dicom.allowedPeers, and a plain peer on the TLS port
 * refused cleanly while the listener keeps serving.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { sameDataset } from '../../src/storage/compare.js';
import { echoscu, startStorescp, storeResponses, storescu, type Storescp } from '../helpers/dcmtk.js';
import { CORPUS, listFiles, runCleanups, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { requirePeers, run, type RunResult } from '../helpers/peers.js';
import { captureLog, makeTestPki, type CapturedLog, type TestPki } from '../helpers/tls.js';

/** DCMTK's TLS options: with our client certificate (+tls), or anonymous (+tla); the server is checked against the CA. */
function tlsArgs(pki: TestPki, as: 'client' | 'otherClient' | 'rogueClient' | 'anonymous'): string[] {
  if (as === 'anonymous') return ['+tla', '+cf', pki.caFile];
  return ['+tls', pki[as].keyFile, pki[as].certFile, '+cf', pki.caFile];
}

function echoTls(port: number, pki: TestPki, as: Parameters<typeof tlsArgs>[1], callingAe = 'ECHOSCU'): Promise<RunResult> {
  return run('echoscu', ['-v', ...tlsArgs(pki, as), '-aet', callingAe, '-aec', 'AIGATEWAY', '127.0.0.1', String(port)], { timeoutMs: 30_000 });
}

function sopUidOf(file: string): string {
  const out = execFileSync('dcmdump', ['-q', '+P', '0008,0018', file], { encoding: 'utf8' });
  const m = /\[([0-9.]+)\]/.exec(out);
  if (m === null) throw new Error(`no SOP Instance UID in ${file}`);
  return m[1] as string;
}

function storedFile(gw: TestGateway, sopInstanceUid: string): string | undefined {
  return listFiles(join(gw.dataDir, 'spool')).find((f) => basename(f) === `${sopInstanceUid}.dcm`);
}

describe('interop: DICOM TLS listener with DCMTK', function () {
  this.timeout(120_000);
  let pki: TestPki;
  let optional: { gw: TestGateway; logs: CapturedLog };
  let strict: { gw: TestGateway; logs: CapturedLog };
  let ref: Storescp;

  before(async function () {
    requirePeers(this, 'echoscu', 'storescu', 'storescp', 'dcmdump', 'openssl', 'cc');
    pki = makeTestPki();
    const listener = { port: 0, ...pki.server, caFile: pki.caFile, requireClientCert: false, keepPlainPort: true };
    let logs = captureLog();
    optional = { gw: await startGateway({ dicom: { tls: listener } }, logs.log), logs };
    logs = captureLog();
    strict = {
      gw: await startGateway(
        {
          dicom: {
            tls: { ...listener, requireClientCert: true, keepPlainPort: false },
            allowedPeers: [{ aeTitle: '*', host: '127.0.0.1', clientCertName: 'modality-1' }],
          },
        },
        logs.log,
      ),
      logs,
    };
    ref = await startStorescp();
  });
  after(async () => {
    await optional?.gw.stop();
    await strict?.gw.stop();
    await ref?.stop();
    runCleanups();
  });

  it('echoscu +tls with a client certificate: C-ECHO succeeds; the peer certificate subject is logged at debug', async () => {
    const r = await echoTls(optional.gw.dicomTlsPort as number, pki, 'client');
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const peer = await waitFor('the "TLS peer" debug line', () => optional.logs.find('TLS peer').find((l) => String(l.subject).includes('CN=modality-1')));
    expect(peer).to.include({ authorized: true });
    expect(peer.protocol).to.match(/^TLSv1\.[23]$/);
  });

  it('echoscu +tla without a client certificate: accepted when client certificates are optional', async () => {
    const r = await echoTls(optional.gw.dicomTlsPort as number, pki, 'anonymous');
    expect(r.code, r.stdout + r.stderr).to.equal(0);
  });

  for (const name of ['pydicom__CT_small.dcm', 'pydicom__MR_small_implicit.dcm', 'highdicom__dx_image.dcm', 'pydicom__test-SR.dcm']) {
    it(`storescu +tls stores ${name} byte-identical to storescp +B (plain) from the same sender`, async () => {
      const file = join(CORPUS, 'dicom', name);
      for (const f of readdirSync(ref.dir)) rmSync(join(ref.dir, f));
      const toRef = await storescu(ref.port, [file], { calledAe: 'REFSCP' });
      expect(toRef.code, toRef.stderr).to.equal(0);
      const toUs = await storescu(optional.gw.dicomTlsPort as number, [file], { extra: tlsArgs(pki, 'client') });
      expect(toUs.code, toUs.stdout + toUs.stderr).to.equal(0);
      expect(storeResponses(toUs.stdout + toUs.stderr)).to.deep.equal(['Success']);
      const refFile = join(ref.dir, readdirSync(ref.dir)[0] as string);
      const ours = storedFile(optional.gw, sopUidOf(refFile));
      expect(ours, 'stored file').to.be.a('string');
      expect(await sameDataset(refFile, ours as string), 'dataset bytes equal').to.equal(true);
    });
  }

  it('storescu +tla (no certificate) against the same listener also stores', async () => {
    const r = await storescu(optional.gw.dicomTlsPort as number, [join(CORPUS, 'dicom', 'pydicom__MR_small.dcm')], { extra: tlsArgs(pki, 'anonymous') });
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(storeResponses(r.stdout + r.stderr)).to.deep.equal(['Success']);
  });

  describe('requireClientCert, TLS only, allowedPeers by certificate name', () => {
    it('has no plain listener', () => {
      expect(strict.gw.dicomPort).to.equal(-1);
      expect(strict.gw.dicomTlsPort).to.be.a('number');
    });

    it('storescu +tls with the client certificate stores', async () => {
      const r = await storescu(strict.gw.dicomTlsPort as number, [join(CORPUS, 'dicom', 'pydicom__CT_small.dcm')], { extra: tlsArgs(pki, 'client') });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(storeResponses(r.stdout + r.stderr)).to.deep.equal(['Success']);
    });

    it('storescu +tla without a certificate is refused in the handshake, logged once; the listener keeps serving', async () => {
      const before = strict.logs.find('TLS handshake failed').length;
      const r = await storescu(strict.gw.dicomTlsPort as number, [join(CORPUS, 'dicom', 'pydicom__CT_small.dcm')], { extra: tlsArgs(pki, 'anonymous') });
      expect(r.code, r.stdout + r.stderr).to.not.equal(0);
      expect(storeResponses(r.stdout + r.stderr)).to.deep.equal([]);
      const lines = await waitFor('the handshake failure line', () => {
        const l = strict.logs.find('TLS handshake failed').slice(before);
        return l.length > 0 ? l : undefined;
      });
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({ code: 'GW_ERR_TLS_HANDSHAKE', level: 'warn', peer: '127.0.0.1' });
      expect(String(lines[0]?.reason)).to.match(/certificate/i);
      expect((await echoTls(strict.gw.dicomTlsPort as number, pki, 'client')).code).to.equal(0);
    });

    it('a client certificate from another CA is refused in the handshake', async () => {
      const r = await echoTls(strict.gw.dicomTlsPort as number, pki, 'rogueClient');
      expect(r.code, r.stdout + r.stderr).to.not.equal(0);
      expect(r.stdout + r.stderr).to.not.match(/Association Accepted/);
      const line = await waitFor('the handshake failure line', () => strict.logs.find('TLS handshake failed').find((l) => /client certificate is not accepted/.test(String(l.reason))));
      expect(line).to.include({ code: 'GW_ERR_TLS_HANDSHAKE', peer: '127.0.0.1' });
    });

    it('a valid certificate with a name not in allowedPeers: A-ASSOCIATE-RJ (calling AE not recognized) naming the certificate', async () => {
      const r = await echoTls(strict.gw.dicomTlsPort as number, pki, 'otherClient');
      expect(r.code).to.not.equal(0);
      expect(r.stdout + r.stderr).to.match(/Association Rejected/);
      expect(r.stdout + r.stderr).to.match(/Calling AE Title Not Recognized/i);
      const rejected = await waitFor('the rejection line', () => strict.logs.find('association rejected').at(-1));
      expect(String(rejected.reason)).to.match(/needs a client certificate named "modality-1".*"intruder"/);
    });
  });

  it('an address not in allowedPeers is closed before the handshake, with one log line per connection', async () => {
    const logs = captureLog();
    const gw = await startGateway({ dicom: { tls: { port: 0, ...pki.server, requireClientCert: false, keepPlainPort: true }, allowedPeers: [{ aeTitle: '*', host: '10.9.9.9' }] }, hl7: { enabled: false } }, logs.log);
    try {
      for (let i = 0; i < 2; i++) {
        const r = await echoTls(gw.dicomTlsPort as number, pki, 'client');
        expect(r.code).to.not.equal(0);
        await waitFor(`refusal ${i + 1}`, () => logs.find('association refused before TLS').length === i + 1);
      }
      // the second refusal is the barrier: a duplicate "handshake failed" line for the first would be logged by now
      expect(logs.lines().filter((l) => /TLS/.test(String(l.message))).map((l) => l.message)).to.deep.equal(['association refused before TLS', 'association refused before TLS']);
    } finally {
      await gw.stop();
    }
  });

  it('a plain echoscu on the TLS port fails cleanly; one log line; the listener keeps serving', async () => {
    const before = optional.logs.find('TLS handshake failed').length;
    const r = await echoscu(optional.gw.dicomTlsPort as number);
    expect(r.code, r.stdout + r.stderr).to.not.equal(0);
    const lines = await waitFor('the handshake failure line', () => {
      const l = optional.logs.find('TLS handshake failed').slice(before);
      return l.length > 0 ? l : undefined;
    });
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ code: 'GW_ERR_TLS_HANDSHAKE', level: 'warn' });
    expect((await echoTls(optional.gw.dicomTlsPort as number, pki, 'client')).code).to.equal(0);
    expect((await echoscu(optional.gw.dicomPort)).code, 'plain port still plain').to.equal(0);
  });
});
