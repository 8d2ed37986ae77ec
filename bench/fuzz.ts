/**
 * fuzz — the listener fuzzers of `npm test` (test/helpers/fuzz-*.ts), longer: each listener of a fresh daemon
 * process gets N seeded hostile cases with valid canaries between them, then the issue 15 check on MLLP: after
 * 2,000 hostile HL7 streams (test/helpers/hl7-hostile.ts) RSS is within 20 % of where it started and every
 * interleaved valid ORU got AA within 1 s. Prints cases, defects, RSS start/peak/end and canary latency
 * p50/p99/max per listener, and PASS/FAIL per criterion; exits 1 on any FAIL.
 * Usage: node dist/bench/fuzz.js [--cases 2000] [--seed 15] [--streams 2000] [--parallel 4] [--listeners dicom,mllp,http]
 */
import { latencySummary, rssKiB, traceRss, type FuzzRun, type RssTrace } from '../test/helpers/fuzz.js';
import { FUZZ_MAX_MESSAGE_BYTES, FUZZ_MAX_PDU_BYTES, FUZZ_TOKEN, startFuzzDaemon, type FuzzDaemon } from '../test/helpers/fuzz-daemon.js';
import { fuzzDicom, verifyStoredInstances } from '../test/helpers/fuzz-dicom.js';
import { fuzzHttp } from '../test/helpers/fuzz-http.js';
import { fuzzMllp, verifyStoredMessages } from '../test/helpers/fuzz-mllp.js';
import { runHostileMix } from '../test/helpers/hl7-hostile.js';
import { runCleanups } from '../test/helpers/fixtures.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const cases = Number(arg('--cases', '2000'));
const seed = Number(arg('--seed', '15'));
const streams = Number(arg('--streams', '2000'));
const parallel = Number(arg('--parallel', '4'));
const listeners = arg('--listeners', 'dicom,mllp,http').split(',');

const mb = (kib: number): string => (kib / 1024).toFixed(1);
const verdicts: Array<{ criterion: string; pass: boolean }> = [];
function criterion(text: string, pass: boolean): void {
  verdicts.push({ criterion: text, pass });
  console.log(`  ${pass ? 'PASS' : 'FAIL'}  ${text}`);
}

function report(run: FuzzRun, mem: RssTrace, extraDefects: string[], seconds: number): void {
  const lat = latencySummary(run.canaryMs);
  const defects = [...run.defects, ...extraDefects];
  console.log(`\n${run.listener}: ${run.cases} cases, seed ${run.seed}, ${seconds.toFixed(1)} s`);
  console.log(`  kinds ${JSON.stringify(run.kinds)}`);
  console.log(`  defects ${defects.length}${defects.length > 0 ? `:\n    ${defects.slice(0, 20).join('\n    ')}` : ''}`);
  console.log(`  RSS start ${mb(mem.startKiB)} MiB, peak ${mb(mem.peakKiB)} MiB, end ${mb(mem.endKiB)} MiB`);
  console.log(`  canaries ${lat.count}: p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms, max ${lat.max.toFixed(1)} ms`);
  criterion(`${run.listener}: no defects in ${run.cases} cases`, defects.length === 0);
}

async function withDaemon(name: string, body: (d: FuzzDaemon) => Promise<void>): Promise<void> {
  const daemon = await startFuzzDaemon();
  try {
    await body(daemon);
    criterion(`${name}: daemon alive, no error-level log line`, daemon.child.exitCode === null && daemon.errorLines().length === 0);
    for (const l of daemon.errorLines().slice(0, 5)) console.log(`    ${l}`);
  } finally {
    await daemon.stop();
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

console.log(`fuzz: ${cases} cases per listener (${listeners.join(', ')}), seed ${seed}, ${parallel} in parallel; ${streams} hostile HL7 streams for the issue check`);

if (listeners.includes('dicom')) {
  await withDaemon('dicom', async (d) => {
    await fuzzDicom(d.dicomPort, { cases: 40, seed: seed + 1, maxPduBytes: FUZZ_MAX_PDU_BYTES });
    const rss = traceRss(d.pid);
    const { value: run, seconds } = await timed(() => fuzzDicom(d.dicomPort, { cases, seed, parallel, maxPduBytes: FUZZ_MAX_PDU_BYTES }));
    report(run, rss.stop(), verifyStoredInstances(d.dataDir, run.accepted), seconds);
    console.log(`  C-STOREs answered Success: ${run.accepted.length}, all in the index and byte-identical in the spool unless listed above`);
  });
}

if (listeners.includes('mllp')) {
  await withDaemon('mllp', async (d) => {
    const port = d.hl7Port ?? -1;
    await fuzzMllp(port, { cases: 40, seed: seed + 1, maxMessageBytes: FUZZ_MAX_MESSAGE_BYTES });
    const rss = traceRss(d.pid);
    const { value: run, seconds } = await timed(() => fuzzMllp(port, { cases, seed, parallel, maxMessageBytes: FUZZ_MAX_MESSAGE_BYTES }));
    report(run, rss.stop(), verifyStoredMessages(d.dataDir, run.accepted), seconds);
    console.log(`  frames answered AA: ${run.accepted.length}, all stored unless listed above`);

    // The issue's check, on the same daemon after the fuzz run: the hostile stream mix with valid ORUs between.
    // Warm-up of 500 streams (another seed): the first few hundred streams take RSS to its working size (V8 heap
    // limits, malloc arenas after the bombs), e.g. 192 → 262 MiB, after which 3 × 1,000 more added 7 MiB. "Where it
    // started" is after that, so the check catches growth per stream, not the one-off high-water mark.
    const oversizeBytes = FUZZ_MAX_MESSAGE_BYTES + (1 << 20);
    const coldKiB = rssKiB(d.pid);
    await runHostileMix(port, { streams: 500, seed: seed + 2, oversizeBytes });
    console.log(`\nmllp, issue 15 check: RSS ${mb(coldKiB)} MiB before the 500-stream warm-up, ${mb(rssKiB(d.pid))} MiB after it`);
    const hostileRss = traceRss(d.pid);
    const { value: mix, seconds: mixSeconds } = await timed(() => runHostileMix(port, { streams, seed, oversizeBytes }));
    const mem = hostileRss.stop();
    const late = mix.valid.filter((v) => v.code !== 'AA' || v.ms > 1000);
    const lat = latencySummary(mix.valid.map((v) => v.ms));
    console.log(`mllp, issue 15 check: ${streams} hostile streams in ${mixSeconds.toFixed(1)} s ${JSON.stringify(mix.streams)}`);
    console.log(`  RSS start ${mb(mem.startKiB)} MiB, peak ${mb(mem.peakKiB)} MiB, end ${mb(mem.endKiB)} MiB (end/start ${(mem.endKiB / mem.startKiB).toFixed(3)})`);
    console.log(`  valid ORUs ${lat.count}: p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms, max ${lat.max.toFixed(1)} ms`);
    criterion(`mllp: after ${streams} hostile streams RSS within 20 % of its start (${mb(mem.startKiB)} → ${mb(mem.endKiB)} MiB)`, Math.abs(mem.endKiB - mem.startKiB) <= 0.2 * mem.startKiB);
    criterion(`mllp: every interleaved valid ORU got AA within 1 s (${mix.valid.length - late.length}/${mix.valid.length})`, late.length === 0 && mix.valid.length > 0);
  });
}

if (listeners.includes('http')) {
  await withDaemon('http', async (d) => {
    await fuzzHttp(d.httpPort, { cases: 40, seed: seed + 1, token: FUZZ_TOKEN });
    const rss = traceRss(d.pid);
    const { value: run, seconds } = await timed(() => fuzzHttp(d.httpPort, { cases, seed, parallel, token: FUZZ_TOKEN }));
    report(run, rss.stop(), [], seconds);
  });
}

runCleanups();
const failed = verdicts.filter((v) => !v.pass);
console.log(`\n${verdicts.length - failed.length}/${verdicts.length} criteria PASS${failed.length > 0 ? `; FAIL: ${failed.map((f) => f.criterion).join('; ')}` : ''}`);
process.exitCode = failed.length > 0 ? 1 : 0;
