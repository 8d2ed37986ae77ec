/**
 * Wiring of the audit trail (src/audit) when `audit.enabled`: its queue on the gateway's database, its metrics,
 * and the translation of what the flows and transports report into audit events.
 */
import { hostname, userInfo } from 'node:os';
import { AuditTrail, GatewayAudit, type AuditQueue, type Delivery } from '../audit/index.js';
import type { GatewayConfig } from '../config/index.js';
import type { InstancesStore, OutboxItem } from '../db/index.js';
import type { GatewayMetrics } from '../http/index.js';
import type { Logger } from '../log.js';
import type { Clock } from '../queue/index.js';
import { readDatasetHeader, readFileMeta } from '../dicom/index.js';
import type { Spool } from '../storage/index.js';

/** How long a stop waits for the queue to empty, the stop record included, before leaving the rest for the next start. */
const AUDIT_DRAIN_MS = 5_000;

export interface Audit {
  trail: AuditTrail;
  events: GatewayAudit;
  queue: AuditQueue;
}

export function openAudit(
  config: Pick<GatewayConfig, 'audit' | 'dicom'>,
  deps: { queue: AuditQueue; instances: Pick<InstancesStore, 'find'>; metrics: Pick<GatewayMetrics, 'auditQueued' | 'auditSent' | 'auditDropped' | 'auditCollectorConnected'>; owner: string; clock: Clock; log: Logger },
): Audit | undefined {
  const { audit } = config;
  if (!audit.enabled || audit.collector === undefined) return undefined;
  const { metrics } = deps;
  const host = hostname();
  const { queue } = deps;
  const trail = new AuditTrail({
    collector: { host: audit.collector.host, port: audit.collector.port, tls: audit.collector.tls, connectTimeoutMs: audit.collector.connectTimeoutMs },
    source: { sourceId: audit.sourceId ?? host, enterpriseSiteId: audit.enterpriseSiteId },
    syslog: { hostname: host, procId: String(process.pid) },
    queue,
    retryMaxMs: audit.retryMaxDelayMs,
    drainMs: AUDIT_DRAIN_MS,
    owner: deps.owner,
    clock: deps.clock,
    log: deps.log.child({ component: 'audit' }),
    metrics: { queued: (e) => metrics.auditQueued(e), sent: (e) => metrics.auditSent(e), dropped: (e) => metrics.auditDropped(e), collectorConnected: (c) => metrics.auditCollectorConnected(c) },
  });
  const events = new GatewayAudit(trail, { aeTitle: config.dicom.aeTitle, host: audit.sourceId ?? host, pid: process.pid }, async (uid) => (await deps.instances.find(uid))?.studyInstanceUid);
  return { trail, events, queue };
}

/** The operating-system user that started the daemon: the Application Launcher of PS3.15 A.5.3.1. */
export function launcherName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? 'unknown'}`;
  }
}

/**
 * An outbox row as an Export record's subject: where it went, which study and patient it is about. PS3.15 A.5.3.7
 * wants the patient named: an ORU carries it in PID-3; a DICOM object's is read from the file that was sent (the
 * spool key is the row's payload), with its SOP class and accession. An unreadable file still gets its record.
 */
export async function deliveryOf(config: Pick<GatewayConfig, 'dicom' | 'hl7'>, spool: Pick<Spool, 'read'>, item: OutboxItem, outcome: Delivery['outcome']): Promise<Delivery> {
  const dicom = config.dicom.destinations.find((d) => d.name === item.destination);
  const hl7 = config.hl7.destinations.find((d) => d.name === item.destination);
  const host = dicom !== undefined ? `${dicom.aeTitle}@${dicom.host}:${dicom.port}` : hl7 !== undefined ? `${hl7.host}:${hl7.port}` : item.destination;
  const ids: { patientId: string; accessionNumber: string; sopClassUid?: string } | undefined = item.kind === 'hl7' ? hl7Identifiers(item.payload) : await dicomIdentifiers(spool, item.payload);
  return {
    kind: item.kind,
    destination: item.destination,
    host,
    study: { studyInstanceUid: item.studyInstanceUid, accessionNumber: ids?.accessionNumber || undefined },
    patientId: ids?.patientId || undefined,
    ...(ids?.sopClassUid === undefined ? {} : { sopClassUid: ids.sopClassUid }),
    outcome,
  };
}

/** Patient ID, accession and SOP class of a result object in the spool; undefined when it cannot be read. */
async function dicomIdentifiers(spool: Pick<Spool, 'read'>, key: string): Promise<{ patientId: string; accessionNumber: string; sopClassUid: string } | undefined> {
  try {
    const bytes = await spool.read(key);
    const meta = readFileMeta(bytes, bytes.length);
    if (meta.kind !== 'ok') return undefined;
    const header = readDatasetHeader(bytes.subarray(meta.meta.datasetOffset), meta.meta.transferSyntaxUid, true);
    return header.kind === 'ok' ? { patientId: header.header.patientId, accessionNumber: header.header.accessionNumber, sopClassUid: header.header.sopClassUid } : undefined;
  } catch {
    return undefined; // retention removed it, or the disk failed: the record is written without these
  }
}

/** PID-3 and OBR-3 (first components) of an ORU we built: its delimiters are in MSH-1 and MSH-2. */
function hl7Identifiers(text: string): { patientId: string; accessionNumber: string } {
  const field = text.charAt(3) || '|';
  const component = text.charAt(4) || '^';
  const segments = text.split(/\r\n?|\n/);
  const first = (name: string, n: number): string => segments.find((s) => s.startsWith(`${name}${field}`))?.split(field)[n]?.split(component)[0] ?? '';
  return { patientId: first('PID', 3), accessionNumber: first('OBR', 3) };
}
