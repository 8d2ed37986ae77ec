/** The CLI as an operator uses it: check-config exit codes and messages, the quick start, graceful stop. */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { echoscu } from '../helpers/dcmtk.js';
import { MAIN, spawnDaemon, startDaemon } from '../helpers/daemon.js';
import { CORPUS, REPO_ROOT, runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { requirePeers, run } from '../helpers/peers.js';

describe('e2e: command line', function () {
  this.timeout(60_000);
  after(runCleanups);

  it('check-config exits 0 for the shipped example', async () => {
    const r = await run(process.execPath, [MAIN, 'check-config', '--config', join(REPO_ROOT, 'config/example.yaml')]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('configuration OK');
  });

  it('check-config prints each problem with its key path and exits 2', async () => {
    const file = join(tempDir(), 'bad.yaml');
    writeFileSync(file, 'dicom:\n  port: 99999\n  aeTitle: ""\nhttp:\n  colour: blue\n');
    const r = await run(process.execPath, [MAIN, 'check-config', '--config', file]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(file);
    expect(r.stderr).to.match(/dicom\.port: /);
    expect(r.stderr).to.match(/dicom\.aeTitle: /);
    expect(r.stderr).to.match(/http\.colour: unknown key/);
  });

  it('takes the config path from PACS_AI_GATEWAY_CONFIG', async () => {
    const file = join(tempDir(), 'bad.yaml');
    writeFileSync(file, 'dataDir: 5\n');
    const r = await run(process.execPath, [MAIN, 'check-config'], { env: { PACS_AI_GATEWAY_CONFIG: file } });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('dataDir');
  });

  it('exits 2 with a clear message when the config file is missing', async () => {
    const r = await run(process.execPath, [MAIN, 'start', '--config', '/nonexistent/config.yaml']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('/nonexistent/config.yaml');
  });

  it('resend: an unknown outbox id exits 1 and says so; a non-number exits 2', async () => {
    const dir = tempDir();
    const file = join(dir, 'cfg.yaml');
    writeFileSync(file, `dataDir: ${join(dir, 'var')}\nhttp: { port: 1 }\n`); // nothing listens on port 1
    const unknown = await run(process.execPath, [MAIN, 'resend', '42', '--config', file]);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain('no dead or pending outbox item 42');
    const bad = await run(process.execPath, [MAIN, 'resend', 'x', '--config', file]);
    expect(bad.code).to.equal(2);
  });

  it('quick start: with no config, answers echoscu on 11112 as AIGATEWAY, and SIGTERM exits 0', async function () {
    requirePeers(this, 'echoscu');
    const cwd = tempDir('pag-quickstart-');
    const daemon = await spawnDaemon(['start'], cwd);
    try {
      expect(daemon.dicomPort).to.equal(11112);
      const r = await echoscu(11112, { calledAe: 'AIGATEWAY' });
      expect(r.code, r.stderr).to.equal(0);
      const health = await fetch(`http://127.0.0.1:${daemon.httpPort}/healthz`);
      expect(health.status).to.equal(200);
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect(await daemon.exited).to.equal(0);
    expect(daemon.output()).to.contain('"gateway stopped"');
  });

  it('SIGTERM while the models are still loading waits for the start, then drains and exits 0', async () => {
    const dir = tempDir('pag-early-stop-');
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, JSON.stringify({ dataDir: join(dir, 'var'), dicom: { port: 0 }, http: { port: 0 }, hl7: { port: 0 }, storage: { minFreeBytes: 0 } }));
    const child = spawn(process.execPath, [MAIN, 'start', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // The first line comes before the demo model is loaded and before any port is open.
    await waitFor('"configuration loaded"', () => out.includes('"configuration loaded"'), 30_000);
    child.kill('SIGTERM');
    expect(await exited, out).to.equal(0);
    expect(out).to.contain('"signal received"');
    expect(out).to.contain('"gateway stopped"');
  });

  it('logs one line per association without patient names or IDs', async function () {
    requirePeers(this, 'dcmsend');
    const daemon = await startDaemon({ dataDir: join(tempDir(), 'var'), dicom: { port: 0 }, http: { port: 0 }, storage: { minFreeBytes: 0 } });
    try {
      const r = await run('dcmsend', ['-aec', 'AIGATEWAY', '127.0.0.1', String(daemon.dicomPort), join(CORPUS, 'dicom/pydicom__CT_small.dcm')]);
      expect(r.code, r.stderr).to.equal(0);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
    const lines = daemon.output().split('\n').filter((l) => l.includes('"association ended"'));
    expect(lines).to.have.length(1);
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(line).to.include({ callingAeTitle: 'DCMSEND', calledAeTitle: 'AIGATEWAY', instancesStored: 1, outcome: 'released', peerAddress: '127.0.0.1' });
    expect(line.datasetBytes).to.be.a('number').above(0);
    expect(daemon.output()).to.not.match(/CompressedSamples|CT1\b/); // CT_small's PatientName / PatientID
  });
});

describe('e2e: nlp --jsonl', function () {
  this.timeout(60_000);
  it('reads JSON lines, writes findings with certainty and codes, and answers a bad line with an error line', async () => {
    const input = [
      JSON.stringify({ id: 'en', text: 'No pleural effusion. 8 mm nodule in the right upper lobe.', targets: ['pneumothorax'] }),
      JSON.stringify({ id: 'zh', text: '患者因发现胸部肿块，进行胸部CT检查，发现肺癌患者' }),
      'not json',
    ].join('\n');
    const r = await run(process.execPath, [MAIN, 'nlp', '--jsonl'], { input });
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id?: string; error?: string; findings?: Array<{ code: string; certainty: string; sizeMm: number | null; laterality: string | null }> });
    expect(lines).to.have.length(3);
    const en = lines[0]?.findings ?? [];
    expect(en.find((f) => f.code === '60046008')?.certainty).to.equal('absent');
    expect(en.find((f) => f.code === '786838002')).to.include({ certainty: 'present', sizeMm: 8, laterality: 'right' });
    expect((lines[1]?.findings ?? []).map((f) => f.code)).to.include('363358000');
    expect(lines[2]?.error).to.match(/JSON/);
  });
});
