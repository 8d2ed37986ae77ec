/**
 * The daemon re-reads its TLS certificate on SIGHUP: new connections get the renewed certificate, and a bad
 * file on a later SIGHUP is logged while the current certificate stays in use and the daemon keeps serving.
 */
import { expect } from 'chai';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { startDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { freePort, runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { requirePeers } from '../helpers/peers.js';
import { makeTestPki, type TestPki } from '../helpers/tls.js';

/** The O= of the certificate the listener presents now. */
function presentedOrganization(port: number, pki: TestPki): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: readFileSync(pki.caFile) }, () => {
      const org = socket.getPeerCertificate().subject.O;
      socket.destroy();
      resolve(Array.isArray(org) ? org.join('+') : String(org));
    });
    socket.on('error', reject);
  });
}

describe('e2e: TLS certificate reload on SIGHUP', function () {
  this.timeout(90_000);
  let daemon: DaemonProcess | undefined;
  after(async () => {
    daemon?.child.kill('SIGTERM');
    await daemon?.exited;
    runCleanups();
  });

  it('serves the renewed certificate after SIGHUP; a bad one is refused with a log line and the current one kept', async function () {
    requirePeers(this, 'openssl');
    const pki = makeTestPki();
    const dir = tempDir('pag-reload-');
    const certFile = join(dir, 'gateway.crt');
    const keyFile = join(dir, 'gateway.key');
    copyFileSync(pki.server.certFile, certFile);
    copyFileSync(pki.server.keyFile, keyFile);
    const tlsPort = await freePort();
    daemon = await startDaemon({
      dataDir: join(dir, 'var'),
      dicom: { port: await freePort(), tls: { port: tlsPort, certFile, keyFile } },
      http: { port: await freePort() },
      hl7: { enabled: false },
      storage: { minFreeBytes: 0 },
      models: [],
    });
    const d = daemon;
    expect(await presentedOrganization(tlsPort, pki)).to.equal('PAG Test');

    copyFileSync(pki.renewedServer.certFile, certFile);
    copyFileSync(pki.renewedServer.keyFile, keyFile);
    d.child.kill('SIGHUP');
    await waitFor('"TLS files reloaded" in the log', () => d.output().includes('"TLS files reloaded"'));
    expect(await presentedOrganization(tlsPort, pki)).to.equal('PAG Renewed');

    writeFileSync(certFile, 'not a certificate\n');
    d.child.kill('SIGHUP');
    const line = await waitFor('"TLS files not reloaded" in the log', () => d.output().split('\n').find((l) => l.includes('"TLS files not reloaded')));
    expect(JSON.parse(line)).to.include({ level: 'error', code: 'GW_ERR_TLS_FILES', listener: 'dicom.tls' });
    expect(await presentedOrganization(tlsPort, pki)).to.equal('PAG Renewed');
    expect(d.child.exitCode).to.equal(null);
  });
});
