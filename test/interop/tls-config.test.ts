/**
 * TLS files with real certificates (openssl): `check-config` rejects a key that is not its certificate's,
 * naming the key path and both files; a certificate file that disappears after the config was checked fails
 * the start with GW_ERR_TLS_FILES naming it, and nothing is left listening.
 */
import { expect } from 'chai';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { validateConfig } from '../../src/config/load.js';
import { GatewayError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { Gateway } from '../../src/app/index.js';
import { REPO_ROOT, freePort, runCleanups, tempDir } from '../helpers/fixtures.js';
import { requirePeers, run } from '../helpers/peers.js';
import { makeTestPki, type TestPki } from '../helpers/tls.js';

describe('interop: TLS certificate files at check-config and start', function () {
  this.timeout(60_000);
  let pki: TestPki;
  before(function () {
    requirePeers(this, 'openssl');
    pki = makeTestPki();
  });
  after(() => runCleanups());

  it('check-config: a key that is not the certificate\'s fails with exit 2, naming the key path and both files', async () => {
    const file = join(tempDir('pag-tls-cc-'), 'config.yaml');
    writeFileSync(file, stringify({ dicom: { tls: { certFile: pki.server.certFile, keyFile: pki.client.keyFile } } }));
    const r = await run(process.execPath, [join(REPO_ROOT, 'dist/src/main.js'), 'check-config', '--config', file]);
    expect(r.code, r.stdout + r.stderr).to.equal(2);
    expect(r.stderr).to.contain(`dicom.tls.keyFile: ${pki.client.keyFile} is not the key of ${pki.server.certFile}`);
  });

  it('check-config: the same files the right way round pass', async () => {
    const file = join(tempDir('pag-tls-cc-'), 'config.yaml');
    writeFileSync(file, stringify({ dicom: { tls: { ...pki.server, caFile: pki.caFile, requireClientCert: true } }, hl7: { tls: { ...pki.server } } }));
    const r = await run(process.execPath, [join(REPO_ROOT, 'dist/src/main.js'), 'check-config', '--config', file]);
    expect(r.code, r.stderr).to.equal(0);
  });

  it('a certificate removed after the config was checked: start fails with GW_ERR_TLS_FILES naming it; the plain port is closed again', async () => {
    const dir = tempDir('pag-tls-gone-');
    const certFile = join(dir, 'server.crt');
    writeFileSync(certFile, readFileSync(pki.server.certFile));
    const port = await freePort();
    const result = validateConfig(
      { dataDir: join(dir, 'var'), dicom: { port, tls: { port: 0, certFile, keyFile: pki.server.keyFile } }, http: { port: 0 }, hl7: { enabled: false }, storage: { minFreeBytes: 0 }, models: [] },
      'test',
    );
    expect(result.ok, JSON.stringify(result)).to.equal(true);
    if (!result.ok) return;
    rmSync(certFile);
    const gateway = new Gateway(result.config, silentLogger);
    const err = await gateway.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await gateway.stop();
    expect(err).to.be.instanceOf(GatewayError);
    expect((err as GatewayError).code).to.equal('GW_ERR_TLS_FILES');
    expect((err as GatewayError).message).to.equal(`dicom.tls.certFile: cannot read ${certFile}: ENOENT`);
    const probe = await run('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]);
    expect(probe.code, 'nothing listens on the plain port after the failed start').to.not.equal(0);
  });
});
