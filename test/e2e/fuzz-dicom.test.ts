/**
 * Seeded fuzzing of the DICOM SCP of the daemon running as a process (issue 15): a few hundred hostile cases
 * (test/helpers/fuzz-dicom.ts) with valid C-STORE canaries between them. FUZZ_SEED replays a run.
 */
import { expect } from 'chai';
import { echoscu } from '../helpers/dcmtk.js';
import { runCleanups } from '../helpers/fixtures.js';
import { fuzzSeed, latencySummary, traceRss } from '../helpers/fuzz.js';
import { startFuzzDaemon, FUZZ_MAX_PDU_BYTES, type FuzzDaemon } from '../helpers/fuzz-daemon.js';
import { fuzzDicom, verifyStoredInstances } from '../helpers/fuzz-dicom.js';
import { requirePeers } from '../helpers/peers.js';

/**
 * RSS bound: 4 cases in flight, each holding at most one PDU (dicom.maxPduBytes, 256 KiB) and a spool write batch
 * (256 KiB), is about 2 MiB; the rest is V8 heap growth and SQLite's page cache under churn. 96 MiB above the
 * start leaves room for that noise while still catching a per-case leak (300 cases × ≥ 320 KiB) or an announced
 * PDU being buffered (the oversize case announces up to 64 MiB).
 */
const RSS_GROWTH_LIMIT_KIB = 96 * 1024;

describe('e2e: DICOM SCP fuzzing (seeded)', function () {
  this.timeout(180_000);
  let daemon: FuzzDaemon | undefined;
  after(async () => {
    await daemon?.stop();
    runCleanups();
  });

  it('300 hostile cases: the daemon lives, RSS stays bounded, canaries stay fast, every Success is stored byte for byte', async function () {
    requirePeers(this, 'echoscu');
    const seed = fuzzSeed(15_001);
    console.log(`      DICOM fuzz seed ${seed} (FUZZ_SEED=${seed} replays it)`);
    daemon = await startFuzzDaemon();
    // warm-up on another seed: compiled code and SQLite's cache reach their working size before RSS is taken
    await fuzzDicom(daemon.dicomPort, { cases: 40, seed: seed + 1, maxPduBytes: FUZZ_MAX_PDU_BYTES });
    const rss = traceRss(daemon.pid);
    const run = await fuzzDicom(daemon.dicomPort, { cases: 300, seed, maxPduBytes: FUZZ_MAX_PDU_BYTES, canaryLimitMs: 2000 });
    const echo = await echoscu(daemon.dicomPort);
    const mem = rss.stop();
    const lat = latencySummary(run.canaryMs);
    console.log(`      kinds ${JSON.stringify(run.kinds)}; accepted ${run.accepted.length}; RSS ${mem.startKiB} → peak ${mem.peakKiB} → ${mem.endKiB} KiB; canary p50 ${lat.p50.toFixed(0)} p99 ${lat.p99.toFixed(0)} max ${lat.max.toFixed(0)} ms`);

    expect(daemon.child.exitCode, 'daemon exit code').to.equal(null);
    expect(echo.code, `echoscu after the run: ${echo.stderr}`).to.equal(0);
    expect(Object.keys(run.kinds).length, 'case kinds drawn').to.equal(11);
    expect(run.defects, 'defects').to.deep.equal([]);
    expect(lat.count).to.equal(30);
    expect(run.accepted.length, 'C-STOREs answered Success').to.be.greaterThan(30);
    expect(verifyStoredInstances(daemon.dataDir, run.accepted), 'accepted instances lost or altered').to.deep.equal([]);
    expect(mem.peakKiB - mem.startKiB, `RSS growth (KiB): ${JSON.stringify(mem)}`).to.be.lessThan(RSS_GROWTH_LIMIT_KIB);
    expect(daemon.errorLines(), 'error-level log lines (hostile input must only cause warnings)').to.deep.equal([]);
  });
});
