/**
 * RFC 5424 syslog messages carrying a DICOM audit message, as IHE ITI TF-2 3.20 (Record Audit Event [ITI-20])
 * asks: facility 10 (security/authorization), severity 5 (notice) for a success and 4 (warning) for a failure,
 * MSGID "IHE+RFC-3881" (the same for every event: the event is in the XML), no structured data, the XML as a
 * UTF-8 MSG with its BOM (RFC 5424 6.4). RFC 5425 4.3 frames each message by octet counting.
 */

/** RFC 5424 6.2.1 facility 10 "security/authorization messages" (ITI TF-2 3.20.4.1.2). */
export const AUDIT_FACILITY = 10;
export const APP_NAME = 'pacs-ai-gateway';
/** ITI TF-2 3.20.4.1.2: the MSGID of a DICOM/RFC 3881 audit message. */
export const AUDIT_MSGID = 'IHE+RFC-3881';
const BOM = '\ufeff';

export interface SyslogHeader {
  /** HOSTNAME: this node's name. */
  hostname: string;
  /** PROCID: the process id. */
  procId: string;
}

/** RFC 5424 6.2.1 severity: 5 notice when the event succeeded, 4 warning when it failed (ITI TF-2 3.20.4.1.2). */
export function severityFor(outcome: number): 4 | 5 {
  return outcome === 0 ? 5 : 4;
}

/** One SYSLOG-MSG (RFC 5424 6): `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - BOM MSG`. */
export function syslogMessage(header: SyslogHeader, at: Date, severity: number, xml: string): string {
  const pri = AUDIT_FACILITY * 8 + severity;
  return `<${pri}>1 ${at.toISOString()} ${headerField(header.hostname, 255)} ${APP_NAME} ${headerField(header.procId, 128)} ${AUDIT_MSGID} - ${BOM}${xml}`;
}

/** RFC 5425 4.3 octet-counting frame: `MSG-LEN SP SYSLOG-MSG`, the length in octets of the UTF-8 message. */
export function octetCountingFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

/** A header field is 1..max printable US-ASCII characters (RFC 5424 6: PRINTUSASCII, %d33-126); "-" when empty. */
function headerField(text: string, max: number): string {
  const clean = text.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return clean === '' ? '-' : clean;
}
