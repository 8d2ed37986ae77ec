/**
 * Seeded fuzzing of the HTTP listener of the daemon running as a process (issue 15): a few hundred malformed or
 * odd requests on raw sockets (test/helpers/fuzz-http.ts); no 5xx where the client is at fault, precise 4xx
 * answers, and GET /healthz plus an authenticated API read keep answering between them.
 */
import { expect } from 'chai';
import { runCleanups } from '../helpers/fixtures.js';
import { fuzzSeed, latencySummary, traceRss } from '../helpers/fuzz.js';
import { startFuzzDaemon, FUZZ_TOKEN, type FuzzDaemon } from '../helpers/fuzz-daemon.js';
import { fuzzHttp } from '../helpers/fuzz-http.js';

/**
 * RSS bound: Node's HTTP parser caps a request head at 16 KiB (--max-http-header-size) and no route reads a body,
 * so 4 requests in flight hold well under 1 MiB; 64 MiB above the start is V8 and allocator noise, and still
 * catches a per-request leak over 300 cases.
 */
const RSS_GROWTH_LIMIT_KIB = 64 * 1024;

describe('e2e: HTTP listener fuzzing (seeded)', function () {
  this.timeout(180_000);
  let daemon: FuzzDaemon | undefined;
  after(async () => {
    await daemon?.stop();
    runCleanups();
  });

  it('300 malformed requests: the daemon lives, RSS stays bounded, no 5xx for a client fault, precise 4xx, canaries fast', async () => {
    const seed = fuzzSeed(15_003);
    console.log(`      HTTP fuzz seed ${seed} (FUZZ_SEED=${seed} replays it)`);
    daemon = await startFuzzDaemon();
    await fuzzHttp(daemon.httpPort, { cases: 40, seed: seed + 1, token: FUZZ_TOKEN });
    const rss = traceRss(daemon.pid);
    const run = await fuzzHttp(daemon.httpPort, { cases: 300, seed, token: FUZZ_TOKEN, canaryLimitMs: 1000 });
    const mem = rss.stop();
    const lat = latencySummary(run.canaryMs);
    console.log(`      kinds ${JSON.stringify(run.kinds)}; RSS ${mem.startKiB} → peak ${mem.peakKiB} → ${mem.endKiB} KiB; canary p50 ${lat.p50.toFixed(0)} p99 ${lat.p99.toFixed(0)} max ${lat.max.toFixed(0)} ms`);

    expect(daemon.child.exitCode, 'daemon exit code').to.equal(null);
    expect(Object.keys(run.kinds).length, 'case kinds drawn').to.equal(10);
    expect(run.defects, 'defects').to.deep.equal([]);
    expect(lat.count).to.equal(60);
    expect(mem.peakKiB - mem.startKiB, `RSS growth (KiB): ${JSON.stringify(mem)}`).to.be.lessThan(RSS_GROWTH_LIMIT_KIB);
    expect(daemon.errorLines(), 'error-level log lines (hostile input must only cause warnings)').to.deep.equal([]);
  });
});
