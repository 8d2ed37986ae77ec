/**
 * Seeded fuzzing, shared by the three listener fuzzers (fuzz-dicom.ts, fuzz-mllp.ts, fuzz-http.ts), their tests
 * and bench/fuzz.ts: the seed (FUZZ_SEED overrides it, so a failing run can be replayed), a small PRNG wrapper,
 * byte-level mutators, socket writes, the daemon's RSS from /proc and latency percentiles.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { seededRandom, writePieces } from './hl7-hostile.js';

/** The seed of a fuzz run: FUZZ_SEED when set (a replay), else `fallback`. */
export function fuzzSeed(fallback: number): number {
  const raw = process.env.FUZZ_SEED;
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`FUZZ_SEED must be an integer, got "${raw}"`);
  return n;
}

/** Draws from one seeded stream: every choice a fuzzer makes comes from here, so a seed replays a run. */
export class Rng {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = seededRandom(seed);
  }
  float(): number {
    return this.next();
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick() from an empty list');
    return items[this.int(items.length)] as T;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/**
 * The generator of case `n` of a run: its own stream derived from (seed, n), so a case's bytes do not depend on
 * how parallel cases interleaved, and `FUZZ_SEED=s` replays case n exactly.
 */
export function caseRng(seed: number, n: number): Rng {
  return new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(n + 1, 0x85ebca6b)) >>> 0);
}

export const MUTATIONS = ['bit-flips', 'truncate', 'duplicate-slice', 'random-splice', 'byte-set'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** One structure-blind mutation of `input` (a copy; the input is untouched), and which one it was. */
export function mutate(input: Buffer, rng: Rng, only?: Mutation): { bytes: Buffer; mutation: Mutation } {
  const mutation = only ?? rng.pick(MUTATIONS);
  const b = Buffer.from(input);
  const at = (): number => rng.int(Math.max(1, b.length));
  switch (mutation) {
    case 'bit-flips': {
      for (let k = 1 + rng.int(8); k > 0; k--) {
        const i = at();
        b[i] = (b[i] as number) ^ (1 << rng.int(8));
      }
      return { bytes: b, mutation };
    }
    case 'truncate':
      return { bytes: b.subarray(0, at()), mutation };
    case 'duplicate-slice': {
      const start = at();
      const end = Math.min(b.length, start + 1 + rng.int(64));
      const copies = 1 + rng.int(16);
      return { bytes: Buffer.concat([b.subarray(0, end), ...Array.from({ length: copies }, () => b.subarray(start, end)), b.subarray(end)]), mutation };
    }
    case 'random-splice': {
      const i = at();
      return { bytes: Buffer.concat([b.subarray(0, i), rng.bytes(1 + rng.int(32)), b.subarray(i)]), mutation };
    }
    case 'byte-set': {
      // Values that break length and count arithmetic: 0, 0x7f, 0x80, 0xff.
      for (let k = 1 + rng.int(4); k > 0; k--) b[at()] = rng.pick([0x00, 0x7f, 0x80, 0xff]);
      return { bytes: b, mutation };
    }
  }
}

/** How a case's bytes go onto the socket: in one write, one byte at a time, or in random small pieces. */
export type WritePace = 'whole' | 'one-byte' | 'pieces';

export function paced(bytes: Buffer, pace: WritePace, rng: Rng): Buffer[] {
  if (pace === 'whole' || bytes.length === 0) return [bytes];
  // One-byte writes are capped: the point is many tiny reads, not minutes of them.
  if (pace === 'one-byte') {
    const ones: Buffer[] = Array.from(bytes.subarray(0, 600), (x) => Buffer.from([x]));
    return bytes.length > 600 ? [...ones, bytes.subarray(600)] : ones;
  }
  const out: Buffer[] = [];
  for (let off = 0; off < bytes.length; ) {
    const n = 1 + rng.int(97);
    out.push(bytes.subarray(off, off + n));
    off += n;
  }
  return out;
}

export { writePieces };

/** A TCP connection to 127.0.0.1:port that never throws at the caller: undefined when refused. */
export async function tryConnect(port: number): Promise<Socket | undefined> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  socket.on('error', () => {});
  try {
    await Promise.race([once(socket, 'connect'), once(socket, 'close').then(() => Promise.reject(new Error('closed')))]);
    return socket;
  } catch {
    socket.destroy();
    return undefined;
  }
}

/** Resolves after `ms`, or when the socket closes, whichever is first. */
export function closedOrAfter(socket: Socket, ms: number): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      socket.off('close', finish);
      resolve();
    }
    socket.on('close', finish);
  });
}

/** Resident set size of a process in KiB (VmRSS in /proc/<pid>/status); Linux only. */
export function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS in /proc/${pid}/status (has the process exited?)`);
  return Number(m[1]);
}

export interface RssTrace {
  startKiB: number;
  peakKiB: number;
  endKiB: number;
}

/** Samples a process's RSS every `everyMs` from now until stop(). */
export function traceRss(pid: number, everyMs = 50): { stop(): RssTrace } {
  const startKiB = rssKiB(pid);
  let peakKiB = startKiB;
  const timer = setInterval(() => {
    try {
      peakKiB = Math.max(peakKiB, rssKiB(pid));
    } catch {
      // exited: the liveness check reports it
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const endKiB = rssKiB(pid);
      return { startKiB, peakKiB: Math.max(peakKiB, endKiB), endKiB };
    },
  };
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function latencySummary(ms: readonly number[]): LatencySummary {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number): number => (s.length === 0 ? 0 : (s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] as number));
  return { count: s.length, p50: q(0.5), p99: q(0.99), max: s.length === 0 ? 0 : (s[s.length - 1] as number) };
}

/** What a listener's fuzz run did and found; a defect is one line naming the case (seed and number) and what broke. */
export interface FuzzRun {
  listener: 'dicom' | 'mllp' | 'http';
  seed: number;
  cases: number;
  /** Cases per generator kind. */
  kinds: Record<string, number>;
  /** Canary latencies in ms (valid traffic interleaved with the hostile cases). */
  canaryMs: number[];
  defects: string[];
}

export function countKind(run: Pick<FuzzRun, 'kinds'>, kind: string): void {
  run.kinds[kind] = (run.kinds[kind] ?? 0) + 1;
}

/** Runs `cases` case bodies `parallel` at a time, in case order per worker, each case numbered. */
export async function runCases(cases: number, parallel: number, body: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases) await body(next++);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}
