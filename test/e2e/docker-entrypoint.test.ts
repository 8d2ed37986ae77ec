/**
 * The image's entrypoint (docker/entrypoint.sh) run as a plain process, as the container runs it: it checks the
 * config, execs the daemon (so SIGTERM reaches Node and it exits 0), and refuses a bad config with exit 2 and
 * the key named. The container config itself must pass check-config.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, freePort, runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { run } from '../helpers/peers.js';

const ENTRYPOINT = join(REPO_ROOT, 'docker', 'entrypoint.sh');

function writeConfig(text: string): string {
  const file = join(tempDir('pag-entry-'), 'config.yaml');
  writeFileSync(file, text);
  return file;
}

describe('e2e: docker/entrypoint.sh as a plain process', function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  afterEach(() => {
    // The whole process group: were the script not to exec, a Node process would be left behind it.
    if (child?.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    child = undefined;
  });
  after(runCleanups);

  it('starts the daemon, /healthz answers, and SIGTERM ends it with exit 0', async () => {
    const [dicomPort, hl7Port, httpPort] = [await freePort(), await freePort(), await freePort()];
    const config = writeConfig(
      [
        `dataDir: ${tempDir('pag-entry-data-')}`,
        `dicom: { port: ${dicomPort} }`,
        `hl7: { port: ${hl7Port} }`,
        `http: { port: ${httpPort} }`,
        'models: []',
        '',
      ].join('\n'),
    );
    const proc = spawn(ENTRYPOINT, [], {
      env: { ...process.env, PACS_AI_GATEWAY_CONFIG: config },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child = proc;
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));

    await waitFor('/healthz to answer 200', async () => {
      if (proc.exitCode !== null) throw new Error(`entrypoint exited with ${proc.exitCode}:\n${out}`);
      try {
        return (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status === 200;
      } catch {
        return false;
      }
    }, 30_000);
    expect(out).to.contain('"gateway started"');

    // The shell was replaced by Node (exec): the signal goes to the daemon, which drains and exits 0. A shell
    // left in between would die of the signal instead (code null, signal SIGTERM).
    proc.kill('SIGTERM');
    expect(await exited).to.deep.equal({ code: 0, signal: null });
    expect(out).to.contain('"signal received"');
  });

  it('exits 2 and names the bad key when the config is invalid, without starting', async () => {
    const config = writeConfig('dicom:\n  port: 99999\n');
    const r = await run(ENTRYPOINT, [], { env: { PACS_AI_GATEWAY_CONFIG: config } });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/dicom\.port: /).and.to.contain(config);
    expect(r.stdout).not.to.contain('gateway started');
  });

  it('exits 2 with the path when there is no config file', async () => {
    const r = await run(ENTRYPOINT, [], { env: { PACS_AI_GATEWAY_CONFIG: '/nonexistent/config.yaml' } });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('/nonexistent/config.yaml');
  });

  it('passes other commands through (check-config of the shipped container config)', async () => {
    const r = await run(ENTRYPOINT, ['check-config'], { env: { PACS_AI_GATEWAY_CONFIG: join(REPO_ROOT, 'docker', 'config.yaml') } });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('configuration OK');
  });
});
