/**
 * The HTTP endpoints: health, metrics, the JSON API and the status page. Plain node:http; the handlers it calls
 * are injected, so this module knows nothing of the database. With a token configured, /metrics and /api/*
 * need it as a bearer header; /healthz, /readyz and the page shell (which holds no data) stay open.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOn } from '../listen.js';
import type { Logger } from '../log.js';
import { isLoopbackAddress, normalizeAddress } from '../net/index.js';
import { bearerAuth, tokenId, type AuthVerdict } from './bearer-auth.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './status-page.js';

export interface HealthReport {
  ok: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
  /** /readyz: each image model with the engine, provider and device it runs on. */
  models?: Array<{ id: string; version: string; state: string; engine?: string; provider?: string; device?: string; error?: string }>;
}

export interface StudyListItem {
  studyInstanceUid: string;
  accessionNumber: string;
  modalities: string[];
  instanceCount: number;
  /** receiving | complete | analyzing | analyzed | delivered | failed */
  status: string;
  receivedAt: string;
  completedAt: string | null;
  ai: Array<{
    modelId: string;
    modelVersion: string;
    finding: { code: string; scheme: string; meaning: string };
    probability: number;
    flagged: boolean;
    backend: string;
    device: string;
    ms: number;
    instancesAnalyzed: number;
    /** The summary image as PNG (GET, bearer token as for /api): a flagged result's, when stored; else null. */
    summaryImage: string | null;
  }>;
  deliveries: Array<{ id: number; destination: string; kind: string; state: string; attempts: number; lastError: string | null; deliveredAt: string | null }>;
  /** Each result SR (an image model's, the report findings'): its current revision and the ones it replaced, newest first. */
  results: ResultRevisionsView[];
  /** The newest report linked to the study (by Study Instance UID or accession), null when none arrived. */
  report: { resultStatus: string; receivedAt: string } | null;
  reportFindings: Array<{ code: string; scheme: string; label: string; certainty: string }>;
  concordance: Array<{ code: string; scheme: string; meaning: string; state: string; report: string; ai: { flagged: boolean; probability: number; modelId: string } }>;
  lastError?: string;
  /** When retention last deleted the study's instance files (results and deliveries stay); null if never. */
  purgedAt: string | null;
}

/** One SR revision of a result, as /api/studies shows it. */
export interface RevisionView {
  sopInstanceUid: string;
  revision: number;
  /** initial | re-analysis | report-corrected */
  reason: string;
  createdAt: string;
}

/** A result (study, image model or report findings) with its current SR and the SRs it replaced. */
export interface ResultRevisionsView {
  /** image-ai | report-findings */
  kind: string;
  modelId: string;
  modelVersion: string;
  current: RevisionView;
  /** Earlier revisions, newest first; they stay in the PACS, replaced by the current one. */
  history: RevisionView[];
}

export interface OutboxListItem {
  id: number;
  kind: string;
  destination: string;
  studyInstanceUid: string;
  state: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** One gateway node of the cluster (`GET /api/nodes`; on SQLite the one node). */
export interface NodeStatus {
  name: string;
  roles: string[];
  host: string;
  version: string;
  pid: number;
  startedAt: string;
  heartbeatAt: string;
  stoppedAt: string | null;
  /** up: heartbeat recent; stopped: a clean stop; gone: no heartbeat for three intervals (killed, or cut off). */
  state: 'up' | 'stopped' | 'gone';
}

/** `GET /api/status`: what `pacs-ai-gateway status` prints. */
export interface StatusReport {
  nodes: NodeStatus[];
  studies: { receiving: number; complete: number; purged: number };
  jobs: Record<string, number>;
  outbox: Array<{ destination: string; kind: string; pending: number; sending: number; delivered: number; dead: number }>;
  deadLetters: number;
  lastErrors: Array<{ source: string; id: number; studyInstanceUid: string; destination?: string; state: string; attempts: number; error: string; at: string }>;
}

/** One delivery destination and how its outbox is doing (GET /api/destinations). */
export interface DestinationHealth {
  name: string;
  kind: 'dicom' | 'hl7';
  /** host:port, with the AE title for DICOM (AE@host:port). */
  address: string;
  /** Items waiting or being sent. */
  pending: number;
  dead: number;
  lastDeliveredAt: string | null;
  /** The newest error of an item not yet delivered, null when none. */
  lastError: string | null;
  lastErrorAt: string | null;
}

/** `/api/studies/{Study Instance UID}/summary/{SOP Instance UID}.png`: UIDs are digits and dots (PS3.5 9.1). */
const SUMMARY_PATH = /^\/api\/studies\/([0-9.]{1,64})\/summary\/([0-9.]{1,64})\.png$/;

export interface HttpOptions {
  host: string;
  port: number;
  /** When set, required as `Authorization: Bearer …` on /metrics and /api/*. */
  authToken?: string;
}

/** Who called the API: the token's id (never the token) or `anonymous`, and the client address. */
export interface ApiCaller {
  user: string;
  address: string;
}

/** API use the audit trail records (PS3.15 A.5.3.6, A.5.3.12): reads of study data, resends, refused tokens. */
export type ApiAccess =
  | { kind: 'read'; path: string; caller: ApiCaller; studies: Array<{ studyInstanceUid: string; accessionNumber?: string }> }
  | { kind: 'resend'; outboxId: number; caller: ApiCaller; ok: boolean }
  | { kind: 'unauthorized'; path: string; caller: ApiCaller; reason: 'missing' | 'invalid' };

export interface HttpDeps {
  health: () => Promise<HealthReport>;
  /** Ready to do its job: health, models loaded, disk above its watermark. */
  ready: () => Promise<HealthReport>;
  listStudies: (query: { limit: number; offset: number }) => Promise<StudyListItem[]>;
  listOutbox: (query: { state?: string; limit: number }) => Promise<OutboxListItem[]>;
  /** Re-sends a dead (or pending) outbox row now; false when there is no such row to resend. */
  resendOutbox: (id: number) => Promise<boolean>;
  status: () => Promise<StatusReport>;
  listDestinations: () => Promise<DestinationHealth[]>;
  listNodes: () => Promise<NodeStatus[]>;
  /** A study's summary image as PNG (`GET /api/studies/{study}/summary/{uid}.png`); undefined when there is none. */
  summaryImage: (studyInstanceUid: string, sopInstanceUid: string) => Promise<Buffer | undefined>;
  metrics: { contentType: string; text: () => Promise<string> };
  /** Told of every API read of study data, resend and refused token (the audit trail). Must not throw. */
  onAccess?: (access: ApiAccess) => void;
  log: Logger;
}

export class HttpServer {
  private readonly server: Server;
  private readonly authorize: (req: IncomingMessage) => AuthVerdict;
  /** The audit trail's name for whoever passed the token check. */
  private readonly user: string;

  constructor(
    private readonly options: HttpOptions,
    private readonly deps: HttpDeps,
  ) {
    this.authorize = bearerAuth(options.authToken);
    this.user = tokenId(options.authToken);
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        deps.log.error('http handler failed', { url: req.url, err: (err as Error).message });
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error', detail: (err as Error).message });
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5000;
    this.server.requestTimeout = 30_000;
  }

  listen(): Promise<number> {
    return listenOn(this.server, this.options, this.deps.log, 'http');
  }


  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req.url ?? '/');
    if (url === undefined) {
      // Node's parser passes an absolute-form target (RFC 9112 §3.2.2) it does not check: "http://[" is the
      // client's error, a 400, not a 500 from new URL() throwing.
      this.deps.log.warn('http request with an invalid target', { target: (req.url ?? '').slice(0, 200) });
      sendJson(res, 400, { error: `the request target is not a valid URL (RFC 9112 §3.2): ${JSON.stringify((req.url ?? '').slice(0, 200))}` });
      return;
    }
    const isProbe = url.pathname === '/healthz' || url.pathname === '/readyz';
    // Without a token the listener is on loopback, and a browser on this host is the only way in: a page whose DNS
    // name was rebound to 127.0.0.1 still sends its own name as Host, so only loopback names are served.
    if (this.options.authToken === undefined && !isProbe && !isLoopbackHostHeader(req.headers.host)) {
      this.deps.log.warn('http request for another host name refused', { code: 'GW_ERR_HTTP_HOST_NOT_ALLOWED', path: url.pathname, host: req.headers.host });
      sendJson(res, 403, { error: `host name "${req.headers.host ?? ''}" is not served without http.authToken: use 127.0.0.1, localhost or [::1], or set a token`, code: 'GW_ERR_HTTP_HOST_NOT_ALLOWED' });
      return;
    }
    if ((url.pathname === '/metrics' || url.pathname.startsWith('/api/')) && !this.authorized(req, res, url)) return;
    const resend = /^\/api\/outbox\/(\d+)\/resend$/.exec(url.pathname);
    if (req.method === 'POST' && resend !== null) {
      if (!sameOrigin(req)) {
        // A page elsewhere must not make an operator's browser act on the gateway (CSRF); curl sends no Origin.
        this.deps.log.warn('http cross-origin request refused', { code: 'GW_ERR_HTTP_CROSS_ORIGIN', path: url.pathname, origin: req.headers.origin });
        sendJson(res, 403, { error: `requests from ${req.headers.origin} may not change the gateway`, code: 'GW_ERR_HTTP_CROSS_ORIGIN' });
        return;
      }
      const id = Number(resend[1]);
      const ok = await this.deps.resendOutbox(id);
      this.access({ kind: 'resend', outboxId: id, caller: this.caller(req), ok });
      if (ok) sendJson(res, 202, { id, state: 'pending' });
      else sendJson(res, 404, { error: `no dead or pending outbox item ${id}` });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: `method ${req.method} not allowed on ${url.pathname}` });
      return;
    }
    const summary = SUMMARY_PATH.exec(url.pathname);
    if (summary !== null) {
      const png = await this.deps.summaryImage(summary[1] as string, summary[2] as string);
      if (png === undefined) sendJson(res, 404, { error: `no summary image ${summary[2]} in study ${summary[1]}` });
      else {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
        res.end(req.method === 'HEAD' ? undefined : png);
      }
      return;
    }
    switch (url.pathname) {
      case '/': {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-length': Buffer.byteLength(STATUS_PAGE_HTML),
          'content-security-policy': STATUS_PAGE_CSP,
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
          'cache-control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : STATUS_PAGE_HTML);
        return;
      }
      case '/metrics': {
        const text = await this.deps.metrics.text();
        res.writeHead(200, { 'content-type': this.deps.metrics.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
        return;
      }
      case '/api/destinations':
        sendJson(res, 200, await this.deps.listDestinations());
        return;
      case '/api/outbox': {
        const state = url.searchParams.get('state') ?? undefined;
        const limit = clampInt(url.searchParams.get('limit'), 100, 1, 1000);
        const items = await this.deps.listOutbox({ ...(state === undefined ? {} : { state }), limit });
        this.access({ kind: 'read', path: url.pathname, caller: this.caller(req), studies: distinctStudies(items.map((i) => ({ studyInstanceUid: i.studyInstanceUid }))) });
        sendJson(res, 200, items);
        return;
      }
      case '/healthz':
      case '/readyz': {
        const report = await (url.pathname === '/healthz' ? this.deps.health() : this.deps.ready());
        sendJson(res, report.ok ? 200 : 503, report);
        return;
      }
      case '/api/status': {
        const report = await this.deps.status();
        this.access({ kind: 'read', path: url.pathname, caller: this.caller(req), studies: distinctStudies(report.lastErrors.map((e) => ({ studyInstanceUid: e.studyInstanceUid }))) });
        sendJson(res, 200, report);
        return;
      }
      case '/api/nodes': {
        sendJson(res, 200, await this.deps.listNodes());
        return;
      }
      case '/api/studies': {
        const limit = clampInt(url.searchParams.get('limit'), 100, 1, 1000);
        const offset = clampInt(url.searchParams.get('offset'), 0, 0, Number.MAX_SAFE_INTEGER);
        const studies = await this.deps.listStudies({ limit, offset });
        this.access({ kind: 'read', path: url.pathname, caller: this.caller(req), studies: studies.map((st) => ({ studyInstanceUid: st.studyInstanceUid, accessionNumber: st.accessionNumber })) });
        sendJson(res, 200, studies);
        return;
      }
      default:
        sendJson(res, 404, { error: `no such endpoint: ${url.pathname}` });
    }
  }

  private caller(req: IncomingMessage): ApiCaller {
    return { user: this.user, address: normalizeAddress(req.socket.remoteAddress ?? '') };
  }

  private access(access: ApiAccess): void {
    try {
      this.deps.onAccess?.(access);
    } catch (err) {
      this.deps.log.error('http access listener failed', { err: (err as Error).message });
    }
  }

  /** Answers 401 with a Bearer challenge (RFC 6750 §3) unless the request carries the token. */
  private authorized(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const verdict = this.authorize(req);
    if (verdict.ok) return true;
    // A wrong token is worth a warning (someone is guessing, or a probe has a stale secret); none is routine.
    this.access({ kind: 'unauthorized', path: url.pathname, caller: { user: 'unauthenticated', address: normalizeAddress(req.socket.remoteAddress ?? '') }, reason: verdict.error });
    if (verdict.error === 'invalid') this.deps.log.warn('http request with a wrong bearer token', { code: 'GW_ERR_HTTP_UNAUTHORIZED', path: url.pathname, peer: req.socket.remoteAddress });
    const challenge = verdict.error === 'invalid' ? 'Bearer realm="pacs-ai-gateway", error="invalid_token"' : 'Bearer realm="pacs-ai-gateway"';
    res.setHeader('www-authenticate', challenge);
    sendJson(res, 401, { error: verdict.error === 'invalid' ? 'the bearer token is not valid' : 'a bearer token is required (Authorization: Bearer <http.authToken>)', code: 'GW_ERR_HTTP_UNAUTHORIZED' });
    return false;
  }
}

/** One entry per study, in first-seen order (an outbox list names a study once per row). */
function distinctStudies(studies: Array<{ studyInstanceUid: string }>): Array<{ studyInstanceUid: string }> {
  const seen = new Set<string>();
  return studies.filter((st) => st.studyInstanceUid !== '' && !seen.has(st.studyInstanceUid) && seen.add(st.studyInstanceUid) !== undefined);
}

/** The request target as a URL; undefined when it cannot be one (a malformed absolute-form target). */
function requestUrl(target: string): URL | undefined {
  try {
    return new URL(target, 'http://localhost');
  } catch {
    return undefined;
  }
}

/** Host header naming this machine's loopback: 127.x.x.x, localhost or [::1], with or without a port. */
function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.toLowerCase().replace(/:\d+$/, '');
  return name === 'localhost' || isLoopbackAddress(name.replace(/^\[(.*)\]$/, '$1'));
}

/** True when the request has no Origin (not from a browser page) or comes from the page this server serves. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function clampInt(raw: string | null, fallback: number, min: number, max: number): number {
  if (raw === null || !/^\d+$/.test(raw)) return fallback;
  return Math.min(max, Math.max(min, Number(raw)));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
