/**
 * The delivery flow: one queue worker per configured destination (C-STORE for DICOM, MLLP for HL7), woken when
 * rows are queued for it or an operator resends one. A dead peer only delays its own rows.
 */
import type { GatewayConfig } from '../../config/index.js';
import type { NewOutboxItem, OutboxItem } from '../../db/index.js';
import type { MllpSendKind } from '../../hl7/index.js';
import type { Logger } from '../../log.js';
import { QueueWorker, type Clock, type Queue } from '../../queue/index.js';
import type { Spool } from '../../storage/index.js';
import { deliveryHandler, logDelivery, type SendOutcome } from './outbox-delivery.js';
import { dicomSender, hl7Sender } from './senders.js';


/** What the deliveries count (GatewayMetrics). */
export interface DeliveryMetrics {
  outboxSent: (destination: string, kind: string, ok: boolean) => void;
  hl7Sent: (destination: string, kind: MllpSendKind) => void;
}

export interface DeliveriesDeps {
  config: Pick<GatewayConfig, 'dicom' | 'hl7' | 'outbox'>;
  outbox: Queue<OutboxItem, NewOutboxItem>;
  /** Who holds the leases: stable across restarts of this node. */
  owner: string;
  /** cluster.leaseSeconds, in ms: the worker extends it every half while a send runs. */
  leaseMs: number;
  spool: Pick<Spool, 'withLocalFile'>;
  metrics: DeliveryMetrics;
  /** An item was delivered, or given up as a dead letter (the audit trail's Export record). Must not throw. */
  finished?: (item: OutboxItem, outcome: { ok: true } | { ok: false; reason: string }) => void;
  clock: Clock;
  log: Logger;
}

export class Deliveries {
  private readonly byDestination = new Map<string, QueueWorker<OutboxItem>>();

  constructor(private readonly deps: DeliveriesDeps) {
    const { config, outbox, metrics } = deps;
    const log = deps.log.child({ component: 'outbox' });
    const policy = { baseMs: config.outbox.baseDelayMs, maxMs: config.outbox.maxDelayMs, maxAttempts: config.outbox.maxAttempts, maxAgeMs: config.outbox.maxAgeHours * 3_600_000 };
    const timeouts = { connectTimeoutMs: config.outbox.connectTimeoutMs, dimseTimeoutMs: config.outbox.dimseTimeoutMs, ackTimeoutMs: config.hl7.ackTimeoutMs };
    const add = (destination: string, send: (item: OutboxItem) => Promise<SendOutcome>, order: { concurrency: number; inOrder: boolean }): void => {
      this.byDestination.set(
        destination,
        new QueueWorker<OutboxItem>({
          queue: outbox,
          partition: destination,
          owner: deps.owner,
          ...order,
          leaseMs: deps.leaseMs,
          policy,
          handle: deliveryHandler(send),
          onSettled: (item, outcome, settlement) => {
            logDelivery(log, item, settlement);
            metrics.outboxSent(destination, item.kind, outcome.kind === 'done');
            if (settlement.kind === 'done') deps.finished?.(item, { ok: true });
            else if (settlement.kind === 'dead') deps.finished?.(item, { ok: false, reason: outcome.kind === 'done' ? 'dead letter' : outcome.reason });
          },
          clock: deps.clock,
          log,
        }),
      );
    };
    for (const dest of config.dicom.destinations) add(dest.name, dicomSender(dest, config.dicom.aeTitle, deps.spool, timeouts), { concurrency: config.outbox.concurrency, inOrder: false });
    // HL7 in order, one at a time: a RIS sees results in the sequence they were made.
    for (const dest of config.hl7.destinations) add(dest.name, hl7Sender(dest, timeouts, deps.log.child({ component: 'hl7' }), (kind) => metrics.hl7Sent(dest.name, kind)), { concurrency: 1, inOrder: true });
  }

  /** Rows this node left `sending` at its last stop are due again; every destination looks at its rows. */
  async start(): Promise<void> {
    await Promise.all([...this.byDestination.values()].map((d) => d.start()));
  }

  /** Rows were queued for these destinations: deliver them now. */
  notify(destinations: readonly string[]): void {
    for (const name of destinations) this.byDestination.get(name)?.notify();
  }

  /** Operator resend (CLI or API): the row becomes due now. False when there is no such row to resend. */
  async resend(id: number): Promise<boolean> {
    const resent = await this.deps.outbox.resend(id, this.deps.clock.now());
    if (resent !== undefined) this.notify([resent.partition]);
    return resent !== undefined;
  }

  /** Resolves once the sends in hand have settled. */
  async stop(): Promise<void> {
    await Promise.all([...this.byDestination.values()].map((d) => d.stop()));
  }
}
