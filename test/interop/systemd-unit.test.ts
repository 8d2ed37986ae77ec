/**
 * The shipped unit file: `systemd-analyze verify` has nothing to say about it, and it keeps the hardening the
 * issue asks for (and none that breaks V8 or onnxruntime).
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runCleanups, tempDir } from '../helpers/fixtures.js';
import { requirePeers, run } from '../helpers/peers.js';

const UNIT_NAME = 'pacs-ai-gateway.service';
const UNIT = join(REPO_ROOT, 'systemd', UNIT_NAME);

/**
 * A copy of the unit that can be verified on this machine. `verify` checks that ExecStart's program exists and
 * is executable; the unit names /usr/bin/node (Debian's and NodeSource's path) and the install folder
 * /opt/pacs-ai-gateway, neither of which need exist where the tests run. Only those two paths are rewritten, to
 * this Node and this checkout; everything else is verified exactly as shipped. The copy keeps the file name,
 * because the unit's name comes from it.
 */
function verifiableCopy(extra = ''): string {
  const text = readFileSync(UNIT, 'utf8').replaceAll('/usr/bin/node', process.execPath).replaceAll('/opt/pacs-ai-gateway', REPO_ROOT);
  const file = join(tempDir('pag-unit-'), UNIT_NAME);
  writeFileSync(file, text + extra);
  return file;
}

/** Every line `systemd-analyze verify` prints about our unit (by unit name or file path). */
async function verifyProblems(file: string): Promise<{ code: number | null; lines: string[] }> {
  const r = await run('systemd-analyze', ['verify', file]);
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes('pacs-ai-gateway') || l.includes(file));
  return { code: r.code, lines };
}

/** `Key=value` lines of the unit (comments and section headers left out); a key may repeat. */
function directives(): Array<[string, string]> {
  return readFileSync(UNIT, 'utf8')
    .split('\n')
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}

describe('interop: systemd unit', function () {
  this.timeout(60_000);
  after(runCleanups);

  it('systemd-analyze verify prints no warning about the unit', async function () {
    requirePeers(this, 'systemd-analyze');
    const { code, lines } = await verifyProblems(verifiableCopy());
    expect(lines, lines.join('\n')).to.deep.equal([]);
    expect(code).to.equal(0);
  });

  it('the check above can fail: an unknown key and a bad value are reported', async function () {
    requirePeers(this, 'systemd-analyze');
    const { lines } = await verifyProblems(verifiableCopy('\n[Service]\nProtectHomeDirs=yes\nRestart=sometimes\n'));
    expect(lines.join('\n')).to.match(/Unknown key/).and.to.match(/sometimes/);
  });

  it('runs as its own user with the required hardening, writable state only, and no W^X rule', () => {
    const d = directives();
    const value = (key: string): string[] => d.filter(([k]) => k === key).map(([, v]) => v);
    expect(value('User')).to.deep.equal(['pacs-ai-gateway']);
    expect(value('Type')).to.deep.equal(['notify']);
    expect(value('NotifyAccess')).to.deep.equal(['all']);
    expect(value('ProtectSystem')).to.deep.equal(['strict']);
    expect(value('ProtectHome')).to.deep.equal(['yes']);
    expect(value('PrivateTmp')).to.deep.equal(['yes']);
    expect(value('NoNewPrivileges')).to.deep.equal(['yes']);
    expect(value('ReadWritePaths')).to.deep.equal(['/var/lib/pacs-ai-gateway']);
    expect(value('StateDirectory')).to.deep.equal(['pacs-ai-gateway']);
    expect(value('Restart')).to.deep.equal(['on-failure']);
    expect(value('StandardOutput')).to.deep.equal(['journal']);
    expect(value('Environment')).to.include('PACS_AI_GATEWAY_CONFIG=/etc/pacs-ai-gateway/config.yaml');
    // V8 writes and then executes JIT code: this rule would kill the daemon at its first compiled function.
    expect(value('MemoryDenyWriteExecute')).to.deep.equal([]);
    // Ports above 1024 only: no capability is needed.
    expect(value('CapabilityBoundingSet')).to.deep.equal(['']);
  });
});
