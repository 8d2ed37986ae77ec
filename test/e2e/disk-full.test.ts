/**
 * A full disk (a small tmpfs as dataDir): the sender gets a failure status, the daemon stays up and keeps
 * answering, and what was stored before stays intact.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { echoscu, generateCtSeries, storeResponses, storescu } from '../helpers/dcmtk.js';
import { listFiles, rejection, runCleanups, tempDir } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { requirePeers } from '../helpers/peers.js';
import { LocalSpool } from '../../src/storage/local-spool.js';
import { GatewayError } from '../../src/errors.js';

describe('e2e: disk full', function () {
  this.timeout(120_000);
  let mountPoint: string | undefined;
  let gw: TestGateway | undefined;

  before(function () {
    requirePeers(this, 'storescu', 'mount', '/usr/bin/python3');
    mountPoint = tempDir('pag-tmpfs-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint]);
    } catch (err) {
      mountPoint = undefined;
      if (process.env.CI) throw new Error(`cannot mount a tmpfs (CI runs as root): ${(err as Error).message}`);
      this.skip();
    }
  });
  after(async () => {
    await gw?.stop();
    if (mountPoint !== undefined) execFileSync('umount', [mountPoint]);
    runCleanups();
  });

  it('answers Out of Resources when the spool fills, keeps serving, and damages nothing stored', async () => {
    gw = await startGateway({ dataDir: join(mountPoint as string, 'var') });
    const files = await generateCtSeries(12, 11); // 12 × 525 kB into 4 MB
    const r = await storescu(gw.dicomPort, files);
    const statuses = storeResponses(r.stdout + r.stderr);
    const ok = statuses.filter((s) => s === 'Success').length;
    expect(ok, r.stdout).to.be.at.least(2).and.below(12);
    expect(r.stdout + r.stderr).to.match(/Refused: OutOfResources|Status: 0xa70[0-2]|Out of Resources/i);

    expect((await echoscu(gw.dicomPort)).code).to.equal(0);
    // failed stores removed their temp files, so there may be room again: healthy, or unhealthy saying why
    const health = await gw.getJson<{ checks: Record<string, { ok: boolean; detail?: string }> }>('/healthz');
    if (health.status !== 200) {
      expect(health.status).to.equal(503);
      expect(health.body.checks.spool?.detail).to.match(/ENOSPC|no space/i);
    }

    // every file that was stored is whole: its pixel data equals the source's
    const stored = listFiles(join(gw.dataDir, 'spool')).filter((f) => f.endsWith('.dcm'));
    expect(stored.length).to.equal(ok);
    for (const f of stored) {
      const mine = readFileSync(f);
      const src = files.map((s) => readFileSync(s)).find((b) => b.subarray(-4096).equals(mine.subarray(-4096)));
      expect(src, f).to.not.equal(undefined);
    }
    expect(listFiles(join(gw.dataDir, 'spool', '.tmp'))).to.deep.equal([]);
  });

  it('names a result SR that cannot be written on a full disk as such (GW_ERR_RESULT_WRITE_FAILED), not as a received instance', async () => {
    await gw?.stop();
    gw = undefined;
    const spool = new LocalSpool(join(mountPoint as string, 'results-full'));
    // Fill what is left of the 4 MB tmpfs; the write that hits ENOSPC is allowed to fail part-way.
    try {
      writeFileSync(join(mountPoint as string, 'filler'), Buffer.alloc(8 * 1024 * 1024));
    } catch {
      // ENOSPC: the disk is full now
    }
    const err = await rejection(spool.write('results/1.2.3/1.2.3.4.dcm', Buffer.alloc(256 * 1024, 1)));
    expect(err).to.be.instanceOf(GatewayError);
    expect((err as GatewayError).code).to.equal('GW_ERR_RESULT_WRITE_FAILED');
    expect((err as GatewayError).context).to.include({ key: 'results/1.2.3/1.2.3.4.dcm', errno: 'ENOSPC' });
    expect(err.message).to.match(/^a result SR could not be written to the spool: no space left to write a result SR/);
    expect(err.message).to.not.match(/received instance/);
    expect(listFiles(join(mountPoint as string, 'results-full', 'spool', '.tmp'))).to.deep.equal([]);
  });
});
