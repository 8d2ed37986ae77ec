/** The IHE ATNA audit trail (docs/audit.md): DICOM audit messages over RFC 5425 syslog, queued in SQLite first. */
export { AuditTrail, type AuditMetrics, type AuditQueue, type AuditTrailOptions } from './audit-trail.js';
export { GatewayAudit, type ApiAccessEvent } from './gateway-audit.js';
export type { ApiCaller, AuditedStudy, Delivery, GatewayIdentity, ReceivedMessage } from './gateway-events.js';
