/**
 * The Prometheus metrics of the gateway, in a registry of their own (never prom-client's global one).
 * Counters move as things happen (the composition root calls the record methods from transport events);
 * values kept in SQLite or on disk are read at scrape time through the injected sources.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const PREFIX = 'pacs_ai_gateway_';

/** What the metrics read at scrape time; the HTTP layer knows no database. */
export interface MetricsSources {
  openAssociations: () => number;
  jobCounts: () => Promise<ReadonlyArray<{ kind: string; state: string; count: number }>>;
  /** Every configured destination, with zeros when it has no rows. `pending` counts rows waiting or being sent. */
  outboxCounts: () => Promise<ReadonlyArray<{ destination: string; pending: number; dead: number }>>;
  diskFreeBytes: () => Promise<number>;
  /** Audit records waiting in the local queue; absent when the audit trail is off. */
  auditWaiting?: () => Promise<number>;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly associations: Counter<'outcome' | 'reason'>;
  private readonly associationsEnded: Counter<'outcome'>;
  private readonly instances: Counter;
  private readonly bytes: Counter;
  private readonly storeFailures: Counter<'status'>;
  private readonly inferenceSeconds: Histogram<'model'>;
  private readonly hl7In: Counter<'ack'>;
  private readonly hl7Out: Counter<'destination' | 'outcome'>;
  private readonly sends: Counter<'destination' | 'kind' | 'outcome'>;
  private readonly audit: Counter<'outcome' | 'event'>;
  private readonly auditConnected: Gauge;

  /**
   * `node` (cluster.nodeName) labels every series, so a cluster's nodes can be told apart in one Prometheus. The
   * queue gauges read the shared database: each node reports the cluster's depth (aggregate them with max, not sum).
   */
  constructor(sources: MetricsSources, options: { node?: string } = {}) {
    const registers = [this.registry];
    if (options.node !== undefined) this.registry.setDefaultLabels({ node: options.node });
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    new Gauge({
      name: `${PREFIX}dicom_associations_open`,
      help: 'DICOM associations open now',
      registers,
      collect() {
        this.set(sources.openAssociations());
      },
    });
    this.associations = new Counter({
      name: `${PREFIX}dicom_associations_total`,
      help: 'DICOM association requests answered, by outcome (accepted/rejected) and PS3.8 reject reason (none when accepted)',
      labelNames: ['outcome', 'reason'],
      registers,
    });
    this.associationsEnded = new Counter({
      name: `${PREFIX}dicom_associations_ended_total`,
      help: 'DICOM associations closed, by how they ended (released, rejected, aborted, aborted-by-peer, closed-by-peer, timed-out)',
      labelNames: ['outcome'],
      registers,
    });
    this.instances = new Counter({ name: `${PREFIX}dicom_instances_received_total`, help: 'DICOM instances stored (C-STORE answered with success or a warning)', registers });
    this.bytes = new Counter({ name: `${PREFIX}dicom_received_bytes_total`, help: 'Dataset bytes received in C-STORE requests, stored or not', registers });
    this.storeFailures = new Counter({
      name: `${PREFIX}dicom_store_failures_total`,
      help: 'C-STORE requests answered with a failure, by DIMSE status (0xA700 out of resources, 0xA900 SOP class mismatch, 0xC000 cannot understand)',
      labelNames: ['status'],
      registers,
    });
    new Gauge({
      name: `${PREFIX}jobs`,
      help: 'Jobs in the durable queue, by kind and state',
      labelNames: ['kind', 'state'],
      registers,
      async collect() {
        const counts = await sources.jobCounts();
        this.reset();
        for (const j of counts) this.set({ kind: j.kind, state: j.state }, j.count);
      },
    });
    this.inferenceSeconds = new Histogram({
      name: `${PREFIX}inference_duration_seconds`,
      help: 'Time to analyse one study with one image model (decode, preprocess, inference), by model id',
      labelNames: ['model'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    new Gauge({
      name: `${PREFIX}outbox_depth`,
      help: 'Outbox items not yet delivered (pending or being sent), by destination',
      labelNames: ['destination'],
      registers,
      async collect() {
        const counts = await sources.outboxCounts();
        this.reset();
        for (const c of counts) this.set({ destination: c.destination }, c.pending);
      },
    });
    new Gauge({
      name: `${PREFIX}outbox_dead_letters`,
      help: 'Outbox items that gave up (dead letters, re-sendable), by destination',
      labelNames: ['destination'],
      registers,
      async collect() {
        const counts = await sources.outboxCounts();
        this.reset();
        for (const c of counts) this.set({ destination: c.destination }, c.dead);
      },
    });
    this.sends = new Counter({
      name: `${PREFIX}outbox_sends_total`,
      help: 'Delivery attempts from the outbox, by destination, kind (dicom/hl7) and outcome (delivered/failed)',
      labelNames: ['destination', 'kind', 'outcome'],
      registers,
    });
    this.hl7In = new Counter({
      name: `${PREFIX}hl7_messages_received_total`,
      help: 'HL7 messages received over MLLP, by the ACK code sent (AA, AE, AR; none when MSH-15 asked for no ACK)',
      labelNames: ['ack'],
      registers,
    });
    this.hl7Out = new Counter({
      name: `${PREFIX}hl7_messages_sent_total`,
      help: 'HL7 messages sent over MLLP, by destination and outcome (accepted, application-error, application-reject, timeout, connection-failed, protocol-error)',
      labelNames: ['destination', 'outcome'],
      registers,
    });
    this.audit = new Counter({
      name: `${PREFIX}audit_records_total`,
      help: 'Audit records (docs/audit.md), by outcome (queued, sent, dropped: refused by a full queue) and PS3.16 CID 400 event ID',
      labelNames: ['outcome', 'event'],
      registers,
    });
    this.auditConnected = new Gauge({ name: `${PREFIX}audit_collector_connected`, help: '1 while the TLS connection to the audit collector is up', registers });
    const auditWaiting = sources.auditWaiting;
    if (auditWaiting !== undefined) {
      new Gauge({
        name: `${PREFIX}audit_queue_depth`,
        help: 'Audit records waiting in the local queue for the collector',
        registers,
        async collect() {
          this.set(await auditWaiting());
        },
      });
    }
    new Gauge({
      name: `${PREFIX}disk_free_bytes`,
      help: 'Free bytes on the file system of dataDir',
      registers,
      async collect() {
        this.set(await sources.diskFreeBytes());
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text; reads the sources. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  associationAccepted(): void {
    this.associations.inc({ outcome: 'accepted', reason: 'none' });
  }

  /** `reason`: the PS3.8 reject reason, a closed set (never free text: label values must stay few). */
  associationRejected(reason: string): void {
    this.associations.inc({ outcome: 'rejected', reason });
  }

  associationEnded(outcome: string): void {
    this.associationsEnded.inc({ outcome });
  }

  storeAnswered(answer: { ok: boolean; status: number; datasetBytes: number }): void {
    this.bytes.inc(answer.datasetBytes);
    if (answer.ok) this.instances.inc();
    else this.storeFailures.inc({ status: `0x${answer.status.toString(16).toUpperCase().padStart(4, '0')}` });
  }

  studyAnalysed(modelId: string, seconds: number): void {
    this.inferenceSeconds.observe({ model: modelId }, seconds);
  }

  hl7Received(ack: string | undefined): void {
    this.hl7In.inc({ ack: ack ?? 'none' });
  }

  hl7Sent(destination: string, outcome: string): void {
    this.hl7Out.inc({ destination, outcome });
  }

  auditQueued(event: string): void {
    this.audit.inc({ outcome: 'queued', event });
  }

  auditSent(event: string): void {
    this.audit.inc({ outcome: 'sent', event });
  }

  auditDropped(event: string): void {
    this.audit.inc({ outcome: 'dropped', event });
  }

  auditCollectorConnected(connected: boolean): void {
    this.auditConnected.set(connected ? 1 : 0);
  }

  outboxSent(destination: string, kind: string, delivered: boolean): void {
    this.sends.inc({ destination, kind, outcome: delivered ? 'delivered' : 'failed' });
  }
}
