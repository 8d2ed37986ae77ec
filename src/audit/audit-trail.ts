/**
 * The audit trail: each event becomes a DICOM audit message in an RFC 5424 syslog message, is written to the
 * local queue (SQLite, src/db audit_records) at once, and is sent to the collector over TLS by a QueueWorker that
 * retries with back-off for as long as it takes. `record` never throws and never waits on the network: an audit
 * problem must not stop a C-STORE, an ACK or an API answer. A full queue drops the new record (the oldest are
 * kept), counted in the metrics and logged.
 */
import { describeError } from '../errors.js';
import type { AuditEnqueue, AuditQueueItem, NewAuditRecord } from '../db/index.js';
import type { Logger } from '../log.js';
import { QueueWorker, type Clock, type Queue } from '../queue/index.js';
import type { AuditRecord } from './audit-event.js';
import { auditMessageXml, type AuditSource } from './audit-xml.js';
import { octetCountingFrame, severityFor, syslogMessage, type SyslogHeader } from './syslog.js';
import { SyslogTlsClient, type CollectorAddress } from './syslog-tls-client.js';

/** What the trail reports to the metrics (src/http GatewayMetrics). */
export interface AuditMetrics {
  queued(eventId: string): void;
  sent(eventId: string): void;
  dropped(eventId: string): void;
  collectorConnected(connected: boolean): void;
}

export interface AuditQueue extends Queue<AuditQueueItem, NewAuditRecord> {
  add(item: NewAuditRecord, nowMs: number): Promise<AuditEnqueue>;
  waiting(): Promise<number>;
}

export interface AuditTrailOptions {
  collector: CollectorAddress;
  source: AuditSource;
  syslog: SyslogHeader;
  queue: AuditQueue;
  /** Longest wait between two tries of one record. */
  retryMaxMs: number;
  /** How long `stop()` waits for the queue to empty (the stop record among them) before it leaves the rest queued. */
  drainMs: number;
  owner: string;
  clock: Clock;
  log: Logger;
  metrics: AuditMetrics;
}

/** Records in flight at once: all share the one socket, in order of claim; more claims per wake-up, fewer wake-ups. */
const CONCURRENCY = 16;
const LEASE_MS = 60_000;
/** A dropped record is logged at most this often (with the count since the last line). */
const DROP_LOG_INTERVAL_MS = 60_000;

export class AuditTrail {
  private readonly client: SyslogTlsClient;
  private readonly worker: QueueWorker<AuditQueueItem>;
  private readonly partition: string;
  private reachable = true;
  private droppedSinceLog = 0;
  private lastDropLogMs = Number.NEGATIVE_INFINITY;
  private drainWaiter: (() => void) | undefined;
  /** Records being written to the queue: stop() waits for them (the stop record is one). */
  private readonly adding = new Set<Promise<void>>();

  constructor(private readonly o: AuditTrailOptions) {
    const { collector, log } = o;
    this.partition = `${collector.host}:${collector.port}`;
    this.client = new SyslogTlsClient(collector, (connected, reason) => {
      o.metrics.collectorConnected(connected);
      if (connected) log.info('audit collector connected', { collector: this.partition });
      else log.warn('audit collector connection lost', { code: 'GW_ERR_AUDIT_COLLECTOR', collector: this.partition, reason });
    });
    this.worker = new QueueWorker<AuditQueueItem>({
      queue: o.queue,
      partition: this.partition,
      owner: o.owner,
      concurrency: CONCURRENCY,
      leaseMs: LEASE_MS,
      // Audit records never become dead letters: they wait for the collector, bounded by the queue size.
      policy: { baseMs: 250, maxMs: o.retryMaxMs, maxAttempts: Number.MAX_SAFE_INTEGER },
      handle: (item) => this.send(item),
      onSettled: (item, outcome) => {
        if (outcome.kind === 'done') o.metrics.sent(item.eventId);
        if (this.drainWaiter !== undefined) void this.wakeDrainWhenEmpty();
      },
      clock: o.clock,
      log: log.child({ component: 'audit' }),
    });
  }

  /** Sends what an earlier run left queued, then whatever is recorded. */
  start(): Promise<void> {
    return this.worker.start();
  }

  /** Records not yet sent. */
  waiting(): Promise<number> {
    return this.o.queue.waiting();
  }

  /** Queues one record. Never throws: a record that cannot be queued is logged and counted as dropped. */
  record(record: AuditRecord): void {
    const p = this.add(record).finally(() => this.adding.delete(p));
    this.adding.add(p);
  }

  private async add(record: AuditRecord): Promise<void> {
    const eventId = record.eventId.code;
    try {
      const message = syslogMessage(this.o.syslog, record.at, severityFor(record.outcome), auditMessageXml(record, this.o.source));
      const added = await this.o.queue.add({ collector: this.partition, eventId, message }, this.o.clock.now());
      if (added.kind === 'dropped') {
        this.dropped(eventId, `the audit queue is full (${added.waiting} records waiting, audit.maxQueuedRecords)`);
        return;
      }
      this.o.metrics.queued(eventId);
      this.worker.notify();
    } catch (err) {
      this.dropped(eventId, describeError(err));
    }
  }

  private async wakeDrainWhenEmpty(): Promise<void> {
    const waiting = await this.o.queue.waiting().catch(() => 1);
    if (waiting === 0) this.drainWaiter?.();
  }

  /** Waits up to drainMs for the queue to empty (the stop record is usually last), then stops sending and closes. */
  async stop(): Promise<void> {
    await Promise.all([...this.adding]);
    if ((await this.o.queue.waiting().catch(() => 0)) > 0) {
      this.worker.notify();
      await new Promise<void>((resolve) => {
        const timer = this.o.clock.setTimeout(() => resolve(), this.o.drainMs);
        this.drainWaiter = () => {
          timer.cancel();
          resolve();
        };
      });
      this.drainWaiter = undefined;
    }
    await this.worker.stop();
    await this.client.close();
    const left = await this.o.queue.waiting().catch(() => 0);
    if (left > 0) this.o.log.warn('audit records left queued at stop: sent at the next start', { code: 'GW_ERR_AUDIT_COLLECTOR', waiting: left });
  }

  private async send(item: AuditQueueItem): Promise<{ kind: 'done' } | { kind: 'retry'; reason: string }> {
    try {
      await this.client.send(octetCountingFrame(item.message));
    } catch (err) {
      const reason = describeError(err);
      // One line per outage, not one per record and retry.
      if (this.reachable) this.o.log.warn('audit collector unreachable: records stay queued', { code: 'GW_ERR_AUDIT_COLLECTOR', collector: this.partition, reason });
      this.reachable = false;
      return { kind: 'retry', reason };
    }
    this.reachable = true;
    return { kind: 'done' };
  }

  private dropped(eventId: string, reason: string): void {
    this.o.metrics.dropped(eventId);
    this.droppedSinceLog += 1;
    const now = this.o.clock.now();
    if (now - this.lastDropLogMs < DROP_LOG_INTERVAL_MS) return;
    this.o.log.error('audit record dropped', { code: 'GW_ERR_AUDIT_QUEUE_FULL', eventId, dropped: this.droppedSinceLog, reason });
    this.lastDropLogMs = now;
    this.droppedSinceLog = 0;
  }
}
