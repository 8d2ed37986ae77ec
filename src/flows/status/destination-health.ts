/** What GET /api/destinations shows: every configured destination with its outbox numbers (zeros when idle). */
import type { GatewayConfig } from '../../config/index.js';
import type { OutboxReader } from '../../db/index.js';
import type { DestinationHealth } from '../../http/index.js';

export async function listDestinationHealth(config: Pick<GatewayConfig, 'dicom' | 'hl7'>, outbox: OutboxReader): Promise<DestinationHealth[]> {
  const stats = new Map((await outbox.destinationStats()).map((s) => [s.destination, s]));
  const configured = [
    ...config.dicom.destinations.map((d) => ({ name: d.name, kind: 'dicom' as const, address: `${d.aeTitle}@${d.host}:${d.port}` })),
    ...config.hl7.destinations.map((d) => ({ name: d.name, kind: 'hl7' as const, address: `${d.host}:${d.port}` })),
  ];
  return configured.map((d) => {
    const s = stats.get(d.name);
    return { ...d, pending: s?.pending ?? 0, dead: s?.dead ?? 0, lastDeliveredAt: s?.lastDeliveredAt ?? null, lastError: s?.lastError ?? null, lastErrorAt: s?.lastErrorAt ?? null };
  });
}
