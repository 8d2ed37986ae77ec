/**
 * Seeded fuzzing of the HTTP listener on raw sockets (what fetch() would refuse to send): mutated request lines
 * and headers, odd request targets, unknown methods, bad or repeated bearer tokens, lied Content-Length, broken
 * chunked bodies, oversize headers, pipelined requests, byte-by-byte writes, abrupt closes and random bytes.
 * Every answer is checked: no 5xx for a malformed request (RFC 9110 §15.5: the client's fault is a 4xx), and our
 * own 4xx answers say precisely what was wrong. Canaries: GET /healthz and an authenticated GET /api/studies.
 */
import { caseRng, closedOrAfter, countKind, mutate, paced, runCases, tryConnect, writePieces, type FuzzRun, type Rng, type WritePace } from './fuzz.js';

export const HTTP_FUZZ_KINDS = ['request-mutated', 'odd-target', 'odd-method', 'auth-variants', 'content-length-lie', 'chunked-broken', 'header-oversize', 'pipelined', 'abrupt-close', 'random-bytes'] as const;
export type HttpFuzzKind = (typeof HTTP_FUZZ_KINDS)[number];

export interface HttpFuzzOptions {
  cases: number;
  seed: number;
  token: string;
  parallel?: number;
  canaryEvery?: number;
  canaryLimitMs?: number;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const TARGETS = [
  '/api/studies?limit=-1',
  '/api/studies?limit=99999999999999999999999&offset=-5',
  '/api/studies?offset=1e309',
  '/api/outbox?state=%3Cscript%3E&limit=abc',
  '/api/outbox/abc/resend',
  '/api/outbox/99999999999999999999/resend',
  '/api/%',
  '/api/%zz%',
  '/%00',
  '/..%2f..%2fetc%2fpasswd',
  '/../../etc/passwd',
  '//api//studies',
  '/api/studies#frag',
  '*',
  'http://[',
  'http://[::1',
  'http://127.0.0.1:80/api/studies',
  'http://a b/',
  'https://%zz/',
  '/api/studies?\u00e9=\u00e9',
  '/\u00ff\u00fe',
  '/metrics?x=' + 'y'.repeat(4000),
];

const METHODS = ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT', 'get', 'G@T', 'POST', 'PROPFIND', 'X'.repeat(300)];

const PATHS = ['/healthz', '/readyz', '/metrics', '/api/studies', '/api/outbox', '/api/status', '/api/destinations', '/api/outbox/1/resend', '/', '/nope'];

function request(method: string, target: string, headers: string[], body = ''): Buffer {
  return Buffer.from(`${method} ${target} HTTP/1.1\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`, 'latin1');
}

interface CasePlan {
  bytes: Buffer;
  pace: WritePace;
  abrupt?: boolean;
  /** Methods of pipelined requests, in order. */
  methods?: string[];
}

function plan(kind: HttpFuzzKind, rng: Rng, token: string): CasePlan {
  const pace: WritePace = rng.chance(0.1) ? 'one-byte' : rng.chance(0.2) ? 'pieces' : 'whole';
  const host = 'Host: 127.0.0.1';
  const auth = `Authorization: Bearer ${token}`;
  const close = 'Connection: close';
  const path = rng.pick(PATHS);
  switch (kind) {
    case 'request-mutated':
      return { bytes: mutate(request('GET', path, [host, auth, close]), rng).bytes, pace };
    case 'odd-target':
      return { bytes: request('GET', rng.pick(TARGETS), [host, auth, close]), pace };
    case 'odd-method':
      return { bytes: request(rng.pick(METHODS), path, [host, auth, close]), pace };
    case 'auth-variants': {
      const value = rng.pick(['Bearer', 'Bearer ', `Bearer  ${token}`, `bearer ${token}`, `Basic ${Buffer.from(`u:${token}`).toString('base64')}`, `Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Bearer ${'\u00e9'.repeat(40)}`, `Bearer ${token}\t`, 'Bearer ' + 'A'.repeat(8000)]);
      const headers = rng.chance(0.3) ? [host, `Authorization: ${value}`, auth, close] : [host, `Authorization: ${value}`, close];
      return { bytes: request('GET', rng.pick(['/api/studies', '/metrics', '/api/status']), headers), pace };
    }
    case 'content-length-lie': {
      const body = 'x'.repeat(rng.int(64));
      const cl = rng.pick([`${body.length + 1 + rng.int(1000)}`, '-1', 'abc', `${body.length}, ${body.length + 1}`, '99999999999999999999']);
      return { bytes: request('POST', '/api/outbox/1/resend', [host, auth, `Content-Length: ${cl}`, close], body), pace, abrupt: rng.chance(0.5) };
    }
    case 'chunked-broken': {
      const chunks = rng.pick(['zz\r\nabc\r\n0\r\n\r\n', '5\r\nab\r\n0\r\n\r\n', 'ffffffffffffffff\r\n', '3\r\nabc\r\n', '-1\r\n\r\n']);
      return { bytes: request('POST', '/api/outbox/1/resend', [host, auth, 'Transfer-Encoding: chunked', rng.chance(0.3) ? 'Content-Length: 3' : 'X-A: b', close], chunks), pace };
    }
    case 'header-oversize': {
      const n = 1 + rng.int(8);
      return { bytes: request('GET', path, [host, auth, ...Array.from({ length: n }, (_, i) => `X-Fill-${i}: ${'z'.repeat(3000 + rng.int(6000))}`), close]), pace: 'whole' };
    }
    case 'pipelined': {
      const methods = Array.from({ length: 2 + rng.int(4) }, () => rng.pick(['GET', 'HEAD']));
      const reqs = methods.map((m) => request(m, rng.pick(PATHS.filter((p) => !p.endsWith('resend'))), [host, auth]));
      return { bytes: Buffer.concat([...reqs, request('GET', '/healthz', [host, close])]), pace, methods: [...methods, 'GET'] };
    }
    case 'abrupt-close': {
      const bytes = request('GET', path, [host, auth, close]);
      return { bytes: bytes.subarray(0, rng.int(bytes.length)), pace, abrupt: true };
    }
    case 'random-bytes':
      return { bytes: rng.bytes(1 + rng.int(4096)), pace };
  }
}

/**
 * Splits what came back into HTTP/1.1 answers (Content-Length framed; our server always sends one). `methods`:
 * the methods of pipelined requests in order, since an answer to HEAD has a Content-Length but no body.
 */
export function parseAnswers(raw: Buffer, methods: readonly string[] = []): HttpAnswer[] {
  const out: HttpAnswer[] = [];
  let off = 0;
  for (;;) {
    const end = raw.indexOf('\r\n\r\n', off, 'latin1');
    if (end < 0) return out;
    const [statusLine = '', ...lines] = raw.toString('latin1', off, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (m === null) return out;
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const length = methods[out.length] === 'HEAD' ? 0 : Number(headers['content-length'] ?? 0);
    out.push({ status: Number(m[1]), headers, body: raw.toString('utf8', end + 4, end + 4 + length) });
    off = end + 4 + length;
  }
}

/** Whether an answer to a malformed or refused request is right and says what was wrong; undefined when it is. */
export function answerProblem(a: HttpAnswer, requestBytes: Buffer, head = false): string | undefined {
  const requestLine = requestBytes.toString('latin1').split('\r\n')[0] ?? '';
  const isProbe = /^\S+ \/(healthz|readyz)[ ?]/.test(requestLine);
  if (a.status >= 500 && !(isProbe && a.status === 503)) return `answered ${a.status} to a client's request: ${a.body.slice(0, 200)}`;
  if (a.status < 400) return undefined;
  if (a.status === 401 && !/^Bearer realm=/.test(a.headers['www-authenticate'] ?? '')) return '401 without a Bearer challenge (RFC 6750 §3)';
  // Our own refusals are JSON with an `error` in words; Node's parser answers 400/413/431 with no body, which is fine.
  if (!head && a.headers['content-type']?.startsWith('application/json') === true) {
    let body: { error?: unknown };
    try {
      body = JSON.parse(a.body) as { error?: unknown };
    } catch {
      return `${a.status} with a JSON content type but no JSON body`;
    }
    if (typeof body.error !== 'string' || body.error.length < 10) return `${a.status} without an error in words: ${a.body.slice(0, 200)}`;
    if (a.status === 405 && !/method .+ not allowed/.test(body.error)) return `405 not naming the method: ${body.error}`;
    if (a.status === 404 && !/no such endpoint|no dead or pending outbox item/.test(body.error)) return `404 not naming what is missing: ${body.error}`;
  }
  return undefined;
}

async function runCase(port: number, { bytes, pace, abrupt, methods }: CasePlan, rng: Rng): Promise<HttpAnswer[]> {
  const socket = await tryConnect(port);
  if (socket === undefined) return [];
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  try {
    await writePieces(socket, paced(bytes, pace, rng));
    if (abrupt === true) return [];
    // `Connection: close` on every generated request: the server closes when it has answered.
    await closedOrAfter(socket, 1500);
    return parseAnswers(Buffer.concat(chunks), methods);
  } finally {
    socket.destroy();
  }
}

async function timedGet(port: number, path: string, token?: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0 };
  } catch {
    return { status: 0, ms: performance.now() - t0 };
  }
}

export async function fuzzHttp(port: number, options: HttpFuzzOptions): Promise<FuzzRun> {
  const run: FuzzRun = { listener: 'http', seed: options.seed, cases: options.cases, kinds: {}, canaryMs: [], defects: [] };
  const canaryEvery = options.canaryEvery ?? 10;
  const limitMs = options.canaryLimitMs ?? 1000;
  const canaries: Array<Promise<void>> = [];
  await runCases(options.cases, options.parallel ?? 4, async (n) => {
    const rng = caseRng(options.seed, n);
    const kind = rng.pick(HTTP_FUZZ_KINDS);
    countKind(run, kind);
    if (n % canaryEvery === 0) {
      for (const [path, token] of [['/healthz', undefined], ['/api/studies?limit=5', options.token]] as const) {
        canaries.push(
          timedGet(port, path, token).then((r) => {
            run.canaryMs.push(r.ms);
            if (r.status !== 200 || r.ms > limitMs) run.defects.push(`seed ${options.seed} case ${n}: canary GET ${path} got ${r.status} after ${r.ms.toFixed(0)} ms (200 within ${limitMs} ms expected)`);
          }),
        );
      }
    }
    const p = plan(kind, rng, options.token);
    const answers = await runCase(port, p, rng);
    for (const [i, a] of answers.entries()) {
      const problem = answerProblem(a, p.bytes, p.methods?.[i] === 'HEAD');
      if (problem !== undefined) run.defects.push(`seed ${options.seed} case ${n} (${kind}, ${JSON.stringify(p.bytes.toString('latin1').slice(0, 80))}): ${problem}`);
    }
  });
  await Promise.all(canaries);
  return run;
}
