/**
 * The audit trail as a receiver sees it: RFC 5425 octet-counted frames split into RFC 5424 messages, their parts,
 * and the DICOM audit message schema check with xmllint (docs/audit/dicom-audit-message.rng).
 */
import { join } from 'node:path';
import { REPO_ROOT } from './fixtures.js';
import { run } from './peers.js';

export const AUDIT_SCHEMA = join(REPO_ROOT, 'docs', 'audit', 'dicom-audit-message.rng');

export interface ParsedSyslog {
  pri: number;
  version: string;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: string;
  /** MSG without its BOM: the audit message XML. */
  xml: string;
  hadBom: boolean;
}

/** Splits a byte stream of `MSG-LEN SP SYSLOG-MSG` frames (RFC 5425 4.3); throws on a malformed frame. */
export function splitOctetCountedFrames(bytes: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    const space = bytes.indexOf(0x20, at);
    const len = Number(bytes.toString('ascii', at, space));
    if (space < 0 || !Number.isInteger(len) || len <= 0) throw new Error(`bad frame length at byte ${at}`);
    out.push(bytes.toString('utf8', space + 1, space + 1 + len));
    at = space + 1 + len;
  }
  return out;
}

/** The RFC 5424 6 fields of one SYSLOG-MSG. */
export function parseSyslog(message: string): ParsedSyslog {
  const m = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\]) ([\s\S]*)$/.exec(message);
  if (m === null) throw new Error(`not an RFC 5424 message: ${message.slice(0, 120)}`);
  const msg = m[9] as string;
  const hadBom = msg.startsWith('\ufeff');
  return { pri: Number(m[1]), version: m[2] as string, timestamp: m[3] as string, hostname: m[4] as string, appName: m[5] as string, procId: m[6] as string, msgId: m[7] as string, structuredData: m[8] as string, xml: hadBom ? msg.slice(1) : msg, hadBom };
}

/** Validates XML documents against the shipped schema, one xmllint run for all; returns xmllint's verdict per document. */
export async function validateAuditXml(docs: string[], dir: string): Promise<Array<{ ok: boolean; output: string }>> {
  const { writeFileSync } = await import('node:fs');
  const files = docs.map((xml, i) => {
    const f = join(dir, `audit-${i}.xml`);
    writeFileSync(f, xml);
    return f;
  });
  const r = await run('xmllint', ['--noout', '--relaxng', AUDIT_SCHEMA, ...files]);
  const output = r.stdout + r.stderr;
  return files.map((f) => ({ ok: new RegExp(`^${escapeRe(f)} validates$`, 'm').test(output), output: output.split('\n').filter((l) => l.includes(f)).join('\n') }));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
