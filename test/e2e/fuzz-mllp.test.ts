/**
 * Seeded fuzzing of the MLLP listener and report intake of the daemon running as a process (issue 15): a few
 * hundred hostile cases (test/helpers/fuzz-mllp.ts) with valid ORU canaries that must get AA within 1 s.
 */
import { expect } from 'chai';
import { runCleanups } from '../helpers/fixtures.js';
import { fuzzSeed, latencySummary, traceRss } from '../helpers/fuzz.js';
import { startFuzzDaemon, FUZZ_MAX_MESSAGE_BYTES, type FuzzDaemon } from '../helpers/fuzz-daemon.js';
import { fuzzMllp, verifyStoredMessages } from '../helpers/fuzz-mllp.js';
import { timedValidOru } from '../helpers/hl7-hostile.js';

/**
 * RSS bound: 4 cases in flight, each buffering at most one frame (hl7.maxMessageBytes, 1 MiB, held as one growing
 * buffer, so up to 2 MiB while it grows) plus its parse (a few times the frame), about 16 MiB together; the rest is
 * V8 heap and SQLite page-cache noise. 96 MiB above the start catches a leak per case or an unbounded frame.
 */
const RSS_GROWTH_LIMIT_KIB = 96 * 1024;

describe('e2e: MLLP listener fuzzing (seeded)', function () {
  this.timeout(180_000);
  let daemon: FuzzDaemon | undefined;
  after(async () => {
    await daemon?.stop();
    runCleanups();
  });

  it('300 hostile cases: the daemon lives, RSS stays bounded, every canary ORU gets AA within 1 s, every AA is stored', async () => {
    const seed = fuzzSeed(15_002);
    console.log(`      MLLP fuzz seed ${seed} (FUZZ_SEED=${seed} replays it)`);
    daemon = await startFuzzDaemon();
    const port = daemon.hl7Port ?? -1;
    await fuzzMllp(port, { cases: 40, seed: seed + 1, maxMessageBytes: FUZZ_MAX_MESSAGE_BYTES });
    const rss = traceRss(daemon.pid);
    const run = await fuzzMllp(port, { cases: 300, seed, maxMessageBytes: FUZZ_MAX_MESSAGE_BYTES, canaryLimitMs: 1000 });
    const last = await timedValidOru(port, `LAST-${seed}`);
    const mem = rss.stop();
    const lat = latencySummary(run.canaryMs);
    console.log(`      kinds ${JSON.stringify(run.kinds)}; AA ${run.accepted.length}; RSS ${mem.startKiB} → peak ${mem.peakKiB} → ${mem.endKiB} KiB; canary p50 ${lat.p50.toFixed(0)} p99 ${lat.p99.toFixed(0)} max ${lat.max.toFixed(0)} ms`);

    expect(daemon.child.exitCode, 'daemon exit code').to.equal(null);
    expect(last.code, 'a valid ORU after the run').to.equal('AA');
    expect(Object.keys(run.kinds).length, 'case kinds drawn').to.equal(8);
    expect(run.defects, 'defects').to.deep.equal([]);
    expect(lat.count).to.equal(30);
    expect(run.accepted.length, 'frames answered AA').to.be.greaterThan(60);
    expect(verifyStoredMessages(daemon.dataDir, run.accepted), 'acknowledged messages lost or altered').to.deep.equal([]);
    expect(mem.peakKiB - mem.startKiB, `RSS growth (KiB): ${JSON.stringify(mem)}`).to.be.lessThan(RSS_GROWTH_LIMIT_KIB);
    expect(daemon.errorLines(), 'error-level log lines (hostile input must only cause warnings)').to.deep.equal([]);
  });
});
