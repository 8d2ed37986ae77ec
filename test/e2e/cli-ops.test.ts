/**
 * echo, send and status as an operator runs them: the built CLI as a process against real peers (DCMTK storescp,
 * our own daemon), asserting exit codes, what the peer received, and what the CLI printed.
 */
import { expect } from 'chai';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStorescp, bindShim, echoscu, type Storescp } from '../helpers/dcmtk.js';
import { MAIN, startDaemon } from '../helpers/daemon.js';
import { CORPUS, freePort, runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { requirePeers, run, spawnPeer } from '../helpers/peers.js';
import { SqliteOutboxQueue, openDatabase } from '../../src/db/index.js';
import { makeTestPki } from '../helpers/tls.js';

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, [MAIN, ...args], { timeoutMs: 60_000, env });

function configFile(body: Record<string, unknown>): string {
  const file = join(tempDir('pag-clicfg-'), 'config.yaml');
  writeFileSync(file, JSON.stringify(body));
  return file;
}

describe('e2e: echo and send', function () {
  this.timeout(120_000);
  let scp: Storescp | undefined;
  before(async function () {
    requirePeers(this, 'storescp', 'echoscu');
    scp = await startStorescp('REFSCP');
  });
  after(async () => {
    await scp?.stop();
    runCleanups();
  });

  it('echo: Success from storescp exits 0; a closed port exits 3', async () => {
    const ok = await cli(['echo', `REFSCP@127.0.0.1:${scp?.port}`, '--aet', 'OPS']);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/C-ECHO OPS → REFSCP@127\.0\.0\.1:\d+: Success/);
    const closed = await cli(['echo', `REFSCP@127.0.0.1:${await freePort()}`]);
    expect(closed.code).to.equal(3);
    expect(closed.stderr).to.contain('ECONNREFUSED');
  });

  it('echo and send reach a TLS destination the way the daemon does (storescp +tls)', async function () {
    requirePeers(this, 'openssl');
    const pki = makeTestPki();
    const tlsScp = await startStorescp('TLSSCP', {
      tls: {
        serverArgs: ['+tls', pki.server.keyFile, pki.server.certFile, '+cf', pki.caFile],
        echoArgs: ['+tls', pki.client.keyFile, pki.client.certFile, '+cf', pki.caFile],
      },
    });
    try {
      const dest = { name: 'pacs-tls', aeTitle: 'TLSSCP', host: '127.0.0.1', port: tlsScp.port, tls: { caFile: pki.caFile, ...pki.client } };
      const cfg = configFile({ dicom: { destinations: [dest] } });
      const ok = await cli(['echo', 'pacs-tls', '--config', cfg]);
      expect(ok.code, ok.stderr).to.equal(0);
      expect(ok.stdout).to.match(/pacs-tls \(TLSSCP@127\.0\.0\.1:\d+, TLS\): Success/);
      const sent = await cli(['send', join(CORPUS, 'dicom/pydicom__CT_small.dcm'), '--to', 'pacs-tls', '--config', cfg]);
      expect(sent.code, sent.stderr).to.equal(0);
      await waitFor('the file at storescp', () => readdirSync(tlsScp.dir).length === 1, 10_000);
      // without the destination's tls settings the same port cannot be reached: the test can fail
      const plain = await cli(['echo', `TLSSCP@127.0.0.1:${tlsScp.port}`]);
      expect(plain.code).to.not.equal(0);
    } finally {
      await tlsScp.stop();
    }
  });

  it('echo: a bad address or an unknown destination name is a usage error (2)', async () => {
    expect((await cli(['echo', 'REFSCP@127.0.0.1'])).code).to.equal(2);
    const r = await cli(['echo', 'pacs']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('no destination named "pacs"');
  });

  it('send: a directory to a configured destination, recursively, skipping non-DICOM files; per-file lines and a summary', async () => {
    const dir = tempDir('pag-send-');
    mkdirSync(join(dir, 'sub'));
    copyFileSync(join(CORPUS, 'dicom/pydicom__CT_small.dcm'), join(dir, 'a.dcm'));
    copyFileSync(join(CORPUS, 'dicom/pydicom__MR_small.dcm'), join(dir, 'sub', 'b.dcm'));
    writeFileSync(join(dir, 'README.txt'), 'not DICOM');
    const cfg = configFile({ dicom: { destinations: [{ name: 'ref', aeTitle: 'REFSCP', host: '127.0.0.1', port: scp?.port }] } });
    const before = readdirSync(scp?.dir as string).length;
    const r = await cli(['send', dir, '--to', 'ref', '--config', cfg]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^stored  .*a\.dcm: 0x0000/m);
    expect(r.stdout).to.match(/^stored  .*sub\/b\.dcm: 0x0000/m);
    expect(r.stdout).to.match(/^skipped .*README\.txt: not a DICOM file/m);
    expect(r.stdout).to.match(/3 files to ref \(REFSCP@127\.0\.0\.1:\d+\): 2 stored, 0 not stored, 1 skipped/);
    expect(readdirSync(scp?.dir as string).length - before).to.equal(2);
  });

  it('send: files the peer does not accept are listed with the reason and exit 4; the others are stored', async function () {
    requirePeers(this, 'storescp');
    // storescp without +xa accepts uncompressed transfer syntaxes only: the JPEG 2000 file's context is refused
    const port = await freePort();
    const plain = spawnPeer('storescp', ['-aet', 'PLAIN', '-od', tempDir('pag-plain-'), String(port)], { env: { LD_PRELOAD: bindShim() }, stdio: 'ignore' });
    try {
      await waitFor('plain storescp to answer', async () => (await echoscu(port, { calledAe: 'PLAIN' })).code === 0, 15_000);
      const r = await cli(['send', join(CORPUS, 'dicom/pydicom__CT_small.dcm'), join(CORPUS, 'dicom/pydicom__JPEG2000.dcm'), '--to', `PLAIN@127.0.0.1:${port}`]);
      expect(r.code, r.stdout + r.stderr).to.equal(4);
      expect(r.stdout).to.match(/^stored  .*CT_small\.dcm/m);
      expect(r.stdout).to.match(/^FAILED  .*JPEG2000\.dcm: .*refused/m);
      expect(r.stderr).to.match(/not stored:\n  .*JPEG2000\.dcm: .*transfer syntax/);
      expect(r.stdout).to.contain('2 files to PLAIN@127.0.0.1');
    } finally {
      plain.kill('SIGTERM');
    }
  });

  it('send: an unreachable peer exits 3 and says so; an explicitly named non-DICOM file fails', async () => {
    const r = await cli(['send', join(CORPUS, 'dicom/pydicom__CT_small.dcm'), '--to', `NOBODY@127.0.0.1:${await freePort()}`]);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/could not be reached or refused the association: connection-failed/);
    const file = join(tempDir(), 'notes.txt');
    writeFileSync(file, 'hello');
    const bad = await cli(['send', file, '--to', `REFSCP@127.0.0.1:${scp?.port}`]);
    expect(bad.code).to.equal(4);
    expect(bad.stderr).to.contain('no "DICM" prefix');
    expect((await cli(['send', '/nonexistent.dcm', '--to', 'A@127.0.0.1:104'])).code).to.equal(2);
  });
});

describe('e2e: status', function () {
  this.timeout(120_000);
  after(runCleanups);

  it('asks the running daemon (--json), and reads the database when the daemon is down', async function () {
    requirePeers(this, 'dcmsend');
    const dataDir = join(tempDir(), 'var');
    const httpPort = await freePort();
    const body = { dataDir, dicom: { port: 0 }, http: { port: httpPort }, storage: { minFreeBytes: 0 }, models: [] };
    const cfg = configFile(body);
    const daemon = await startDaemon(body);
    try {
      const sent = await run('dcmsend', ['-aec', 'AIGATEWAY', '127.0.0.1', String(daemon.dicomPort), join(CORPUS, 'dicom/pydicom__CT_small.dcm')]);
      expect(sent.code, sent.stderr).to.equal(0);
      const r = await cli(['status', '--json', '--config', cfg]);
      expect(r.code, r.stderr).to.equal(0);
      const s = JSON.parse(r.stdout) as { source: { kind: string }; studies: { receiving: number; complete: number }; jobs: Record<string, number>; deadLetters: number };
      expect(s.source.kind).to.equal('daemon');
      expect(s.studies.receiving + s.studies.complete).to.equal(1);
      expect(s.jobs).to.have.keys('queued', 'running', 'done', 'failed');
      expect(s.deadLetters).to.equal(0);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
    // A dead letter the daemon left behind, then the CLI on the stopped gateway.
    const db = openDatabase(join(dataDir, 'gateway.sqlite'));
    const outbox = new SqliteOutboxQueue(db);
    const { id } = await outbox.enqueue({ kind: 'dicom', destination: 'pacs', studyInstanceUid: '1.2.3', dedupeKey: 'k', payload: 'results/x.dcm' }, Date.now());
    await outbox.claim({ partition: 'pacs', owner: 'test', leaseMs: 60_000, limit: 1, nowMs: Date.now() });
    await outbox.fail(id, 'test', { error: 'association rejected: called AE title not recognized', retryAtMs: undefined }, Date.now());
    db.close();
    const r = await cli(['status', '--config', cfg]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^source: database .*gateway\.sqlite \(daemon not answering/m);
    expect(r.stdout).to.match(/^  pacs +dicom +0 +0 +0 +1$/m);
    expect(r.stdout).to.match(/^dead letters: 1 \(pacs-ai-gateway resend ID\)/m);
    expect(r.stdout).to.match(new RegExp(`outbox ${id} → pacs \\(dead, 1 attempts\\): association rejected`));
  });

  it('exits 1 naming both sources when no daemon answers and there is no database', async () => {
    const cfg = configFile({ dataDir: join(tempDir(), 'nothing'), http: { port: await freePort() } });
    const r = await cli(['status', '--config', cfg]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/no daemon answered at http:\/\/127\.0\.0\.1:\d+\/api\/status .*cannot read database/);
  });
});
