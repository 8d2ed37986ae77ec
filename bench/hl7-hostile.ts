/**
 * bench:hl7-hostile — where memory goes under hostile MLLP streams. Starts the gateway in this process (the same
 * Gateway as the daemon, with its real report intake), takes process.memoryUsage() after a forced GC, sends a
 * seeded mix of hostile streams (test/helpers/hl7-hostile.ts) with valid ORUs interleaved on other connections,
 * then GCs again and compares; `--snapshot` writes heap snapshots before and after for a closer look.
 * Usage: node --expose-gc dist/bench/hl7-hostile.js [--streams N] [--seed S] [--snapshot]
 */
import { writeHeapSnapshot } from 'node:v8';
import { validateConfig } from '../src/config/load.js';
import { Gateway } from '../src/app/index.js';
import { silentLogger } from '../src/log.js';
import { runHostileMix } from '../test/helpers/hl7-hostile.js';
import { tempDir } from '../test/helpers/fixtures.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);
function settle(): NodeJS.MemoryUsage {
  for (let k = 0; k < 3; k++) gc?.();
  return process.memoryUsage();
}
const line = (label: string, m: NodeJS.MemoryUsage): string => `${label}: rss ${mb(m.rss)} MB, heapUsed ${mb(m.heapUsed)} MB, external ${mb(m.external)} MB, arrayBuffers ${mb(m.arrayBuffers)} MB`;

const result = validateConfig({ dataDir: tempDir('pag-hostile-'), dicom: { port: 0 }, http: { port: 0 }, hl7: { port: 0, maxConnections: 64 }, models: [], storage: { minFreeBytes: 0 } }, 'bench');
if (!result.ok) throw new Error(JSON.stringify(result.problems));
const gateway = new Gateway(result.config, silentLogger);
const ports = await gateway.start();
const port = ports.hl7 ?? -1;
const streams = arg('--streams', 400);
const seed = arg('--seed', 15);
// Warm-up: V8 compiles the paths, SQLite's cache and WAL reach their working size.
await runHostileMix(port, { streams: 40, seed: seed + 1, oversizeBytes: 2 << 20 });
const before = settle();
console.log(line('before', before));
if (process.argv.includes('--snapshot')) console.log('snapshot', writeHeapSnapshot());
let peak = before.rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
const t0 = performance.now();
const run = await runHostileMix(port, { streams, seed, oversizeBytes: 20 << 20 });
clearInterval(sampler);
const after = settle();
console.log(`${streams} streams in ${((performance.now() - t0) / 1000).toFixed(1)} s:`, JSON.stringify(run.streams));
console.log(`peak rss ${mb(peak)} MB`);
console.log(line('after ', after));
if (process.argv.includes('--snapshot')) console.log('snapshot', writeHeapSnapshot());
const slow = run.valid.filter((v) => v.code !== 'AA' || v.ms > 1000);
const worst = Math.max(...run.valid.map((v) => v.ms));
console.log(`valid ORUs: ${run.valid.length}, ACKed AA within 1 s: ${run.valid.length - slow.length}, slowest ${worst.toFixed(0)} ms`, slow.slice(0, 5));
await gateway.stop();
