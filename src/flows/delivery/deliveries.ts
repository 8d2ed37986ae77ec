/**
 * The delivery flow: one outbox worker per configured destination (C-STORE for DICOM, MLLP for HL7), woken when
 * rows are queued for it or an operator resends one. A dead peer only delays its own rows.
 */
import type { GatewayConfig } from '../../config/index.js';
import type { OutboxRepo } from '../../db/index.js';
import type { MllpSendKind } from '../../hl7/index.js';
import type { Logger } from '../../log.js';
import { OutboxDelivery, type OutboxDeliveryDeps } from '../../pipeline/index.js';
import type { Spool } from '../../storage/index.js';
import { dicomSender, hl7Sender } from './senders.js';

/** What the deliveries count (GatewayMetrics). */
export interface DeliveryMetrics {
  outboxSent: (destination: string, kind: string, ok: boolean) => void;
  hl7Sent: (destination: string, kind: MllpSendKind) => void;
}

export interface DeliveriesDeps {
  config: Pick<GatewayConfig, 'dicom' | 'hl7' | 'outbox'>;
  outbox: OutboxRepo;
  spool: Spool;
  metrics: DeliveryMetrics;
  log: Logger;
}

export class Deliveries {
  private readonly byDestination = new Map<string, OutboxDelivery>();

  constructor(private readonly deps: DeliveriesDeps) {
    const { config, outbox, metrics, log } = deps;
    const policy = { baseMs: config.outbox.baseDelayMs, maxMs: config.outbox.maxDelayMs, maxAttempts: config.outbox.maxAttempts };
    const timeouts = { connectTimeoutMs: config.outbox.connectTimeoutMs, dimseTimeoutMs: config.outbox.dimseTimeoutMs, ackTimeoutMs: config.hl7.ackTimeoutMs };
    const add = (destination: string, send: OutboxDeliveryDeps['send'], concurrency: number): void => {
      this.byDestination.set(
        destination,
        new OutboxDelivery({ destination, outbox, policy, maxAgeMs: config.outbox.maxAgeHours * 3_600_000, concurrency, log: log.child({ component: 'outbox' }), send,
          onSettled: (item, outcome) => metrics.outboxSent(destination, item.kind, outcome.kind === 'delivered') }),
      );
    };
    for (const dest of config.dicom.destinations) add(dest.name, dicomSender(dest, config.dicom.aeTitle, deps.spool, timeouts), config.outbox.concurrency);
    // HL7 in order, one at a time: a RIS sees results in the sequence they were made.
    for (const dest of config.hl7.destinations) add(dest.name, hl7Sender(dest, timeouts, log.child({ component: 'hl7' }), (kind) => metrics.hl7Sent(dest.name, kind)), 1);
  }

  /** Rows a stop left `sending` are due again; every destination looks at its rows. */
  start(): void {
    this.deps.outbox.requeueSending(Date.now());
    for (const d of this.byDestination.values()) d.notify();
  }

  /** Rows were queued for these destinations: deliver them now. */
  notify(destinations: readonly string[]): void {
    for (const name of destinations) this.byDestination.get(name)?.notify();
  }

  /** Operator resend (CLI or API): the row becomes due now. False when there is no such row to resend. */
  resend(id: number): boolean {
    if (!this.deps.outbox.resend(id, Date.now())) return false;
    const item = this.deps.outbox.get(id);
    if (item !== undefined) this.notify([item.destination]);
    return true;
  }

  /** Resolves once the sends in hand have settled. */
  async stop(): Promise<void> {
    await Promise.all([...this.byDestination.values()].map((d) => d.stop()));
  }
}
