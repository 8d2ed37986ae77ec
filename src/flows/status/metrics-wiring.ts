/**
 * Connects the metrics (src/http/metrics.ts) to what they count: the transports' events, turned into record
 * calls here because transports know nothing of http, and the scrape-time sources read from SQLite and disk.
 */
import type { GatewayConfig } from '../../config/index.js';
import type { JobsReader, OutboxReader } from '../../db/index.js';
import { isSuccessOrWarning, type ScpEvent } from '../../dicom/index.js';
import type { GatewayMetrics, MetricsSources } from '../../http/index.js';
import type { Spool } from '../../storage/index.js';

export interface MetricsSourceDeps {
  config: Pick<GatewayConfig, 'dicom' | 'hl7'>;
  jobs: JobsReader;
  outbox: OutboxReader;
  spool: Pick<Spool, 'freeBytes'>;
  openAssociations: () => number;
}

export function metricsSources(deps: MetricsSourceDeps): MetricsSources {
  return {
    openAssociations: deps.openAssociations,
    jobCounts: () => deps.jobs.countByKindAndState(),
    outboxCounts: async () => {
      // Configured destinations first, so an idle one reads 0 rather than vanishing from dashboards.
      const counts = new Map<string, { destination: string; pending: number; dead: number }>();
      for (const d of [...deps.config.dicom.destinations, ...deps.config.hl7.destinations]) counts.set(d.name, { destination: d.name, pending: 0, dead: 0 });
      for (const row of await deps.outbox.countByDestinationAndState()) {
        const c = counts.get(row.destination) ?? { destination: row.destination, pending: 0, dead: 0 };
        if (row.state === 'pending' || row.state === 'sending') c.pending += row.count;
        else if (row.state === 'dead') c.dead += row.count;
        counts.set(row.destination, c);
      }
      return [...counts.values()];
    },
    diskFreeBytes: () => deps.spool.freeBytes(),
  };
}

export function recordScpEvent(metrics: GatewayMetrics, event: ScpEvent): void {
  switch (event.type) {
    case 'association-accepted':
      metrics.associationAccepted();
      return;
    case 'association-rejected':
      metrics.associationRejected(event.reason);
      return;
    case 'store-answered':
      metrics.storeAnswered({ ok: isSuccessOrWarning(event.status), status: event.status, datasetBytes: event.datasetBytes });
  }
}
