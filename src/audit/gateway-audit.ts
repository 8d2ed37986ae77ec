/**
 * The audit trail as the composition root uses it: one method per gateway event, each building its record
 * (gateway-events.ts) and queueing it. The transports and flows know nothing of this module: they raise their own
 * typed events and src/app passes them here.
 */
import type { AssociationSummary, ScpEvent, StoreHandler } from '../dicom/index.js';
import type { AuditRecord } from './audit-event.js';
import {
  apiLoginFailed,
  applicationActivity,
  instancesAccessed,
  instancesReceived,
  messageImported,
  nodeAuthentication,
  resultExported,
  tlsReloaded,
  type ApiCaller,
  type AuditedStudy,
  type Delivery,
  type GatewayIdentity,
  type ReceivedMessage,
} from './gateway-events.js';
import { ReceivedInstancesAudit } from './received-instances.js';

/** What the HTTP API reports (src/http HttpDeps.onAccess), restated here so this area does not import http. */
export type ApiAccessEvent =
  | { kind: 'read'; path: string; caller: ApiCaller; studies: AuditedStudy[] }
  | { kind: 'resend'; outboxId: number; caller: ApiCaller; ok: boolean }
  | { kind: 'unauthorized'; path: string; caller: ApiCaller; reason: 'missing' | 'invalid' };

/** Most studies named in one API-read record (about 6 KB: under the 8 KB a collector SHOULD accept, RFC 5425 4.3.1); a page of 1,000 studies is 63 records. */
export const STUDIES_PER_ACCESS_RECORD = 16;

/**
 * A caller reading the same study again within this window is not recorded again: the status page polls the API
 * every 5 s, which would otherwise write ~25 records a second for one open page (docs/audit.md). The first read of
 * each study by each caller and address in a window is always recorded.
 */
export const REPEAT_READ_WINDOW_MS = 15 * 60_000;
/** Bounds the memory of reads already recorded; beyond it, expired entries are dropped first. */
const MAX_REMEMBERED_READS = 50_000;

export class GatewayAudit {
  private readonly received: ReceivedInstancesAudit;
  /** `${user} ${address} ${path|study}` → when it was last recorded (ms). */
  private readonly recentReads = new Map<string, number>();

  constructor(
    private readonly sink: { record(r: AuditRecord): void },
    private readonly id: GatewayIdentity,
    studyOf: (sopInstanceUid: string) => Promise<string | undefined>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.received = new ReceivedInstancesAudit({ studyOf, emit: (sender, study) => this.sink.record(instancesReceived(this.id, sender, study, this.now())) });
  }

  applicationStarted(launcher: string): void {
    this.sink.record(applicationActivity(this.id, 'start', launcher, this.now()));
  }

  applicationStopped(launcher: string): void {
    this.sink.record(applicationActivity(this.id, 'stop', launcher, this.now()));
  }

  /** The SCP's events: associations accepted and refused, connections closed at accept. */
  scpEvent(e: ScpEvent): void {
    const at = this.now();
    if (e.type === 'association-accepted') this.sink.record(nodeAuthentication(this.id, { name: e.callingAeTitle, address: e.peerAddress }, { accepted: true }, at));
    else if (e.type === 'association-rejected') this.sink.record(nodeAuthentication(this.id, { name: e.callingAeTitle, address: e.peerAddress }, { accepted: false, reason: e.detail }, at));
    else if (e.type === 'connection-refused') this.sink.record(nodeAuthentication(this.id, { name: '', address: e.peerAddress }, { accepted: false, reason: e.reason }, at));
  }

  /** Wraps the SCP's store handler so stored instances are tallied per association and study. */
  storeHandler(inner: StoreHandler): StoreHandler {
    return this.received.wrap(inner);
  }

  associationEnded(summary: AssociationSummary): void {
    this.received.associationEnded(summary);
  }

  delivered(d: Delivery): void {
    this.sink.record(resultExported(this.id, d, this.now()));
  }

  messageStored(m: ReceivedMessage): void {
    this.sink.record(messageImported(this.id, m, this.now()));
  }

  apiAccess(e: ApiAccessEvent): void {
    const at = this.now();
    switch (e.kind) {
      case 'read': {
        const studies = this.notRecentlyRead(e.caller, e.path, e.studies, at.getTime());
        if (studies === undefined) return;
        // Chunked: one record stays well inside a collector's message size (docs/audit.md).
        const chunks = studies.length === 0 ? [[]] : chunk(studies, STUDIES_PER_ACCESS_RECORD);
        for (const studies of chunks) this.sink.record(instancesAccessed(e.caller, 'R', e.path, studies, 0, at));
        return;
      }
      case 'resend':
        this.sink.record(instancesAccessed(e.caller, 'U', `outbox:${e.outboxId}:resend`, [], e.ok ? 0 : 4, at));
        return;
      case 'unauthorized':
        this.sink.record(apiLoginFailed(e.caller, e.reason === 'missing' ? `no bearer token for ${e.path}` : `wrong bearer token for ${e.path}`, at));
    }
  }

  /** The studies this caller has not read within the window (undefined: nothing new, not even a read of an empty list). */
  private notRecentlyRead(caller: ApiCaller, path: string, studies: AuditedStudy[], nowMs: number): AuditedStudy[] | undefined {
    const fresh = (key: string): boolean => {
      const last = this.recentReads.get(key);
      if (last !== undefined && nowMs - last < REPEAT_READ_WINDOW_MS) return false;
      this.recentReads.delete(key); // re-inserted last: the map stays in time order for pruning
      this.recentReads.set(key, nowMs);
      return true;
    };
    const who = `${caller.user} ${caller.address}`;
    const out = studies.length === 0 ? (fresh(`${who} path ${path}`) ? [] : undefined) : studies.filter((st) => fresh(`${who} study ${st.studyInstanceUid}`));
    for (const [key, t] of this.recentReads) {
      if (this.recentReads.size <= MAX_REMEMBERED_READS && nowMs - t < REPEAT_READ_WINDOW_MS) break;
      this.recentReads.delete(key);
    }
    return out !== undefined && out.length === 0 && studies.length > 0 ? undefined : out;
  }

  tlsReload(listener: string, outcome: { ok: true } | { ok: false; reason: string }): void {
    this.sink.record(tlsReloaded(this.id, listener, outcome, this.now()));
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
