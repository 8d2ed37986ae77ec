/** Who `echo` and `send` talk to: `AE@HOST:PORT`, or the name of a configured `dicom.destinations` entry. */
import type { GatewayConfig, TlsClientSettings } from '../config/index.js';
import { parseAeTitle, type AeTitle } from '../net/index.js';
import { UsageError } from './exit-codes.js';

export interface DicomTarget {
  aeTitle: AeTitle;
  host: string;
  port: number;
  /** How to name it in messages: the destination name or AE@HOST:PORT. */
  label: string;
  /** A configured destination's TLS settings: `echo` and `send` reach it the way the daemon does. */
  tls?: TlsClientSettings | undefined;
}

/** Parses `AE@HOST:PORT` (`AE@[::1]:104` for IPv6). Throws UsageError saying what is wrong. */
export function parseDicomAddress(text: string): DicomTarget {
  const m = /^([^@]+)@(\[[^\]]+\]|[^:@[\]]+):(\d{1,5})$/.exec(text);
  if (m === null) throw new UsageError(`"${text}" is not AE@HOST:PORT (e.g. ORTHANC@10.20.0.15:4242)`);
  const [, aeText = '', rawHost = '', portText = ''] = m;
  const ae = parseAeTitle(aeText);
  if (!ae.ok) throw new UsageError(ae.reason);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new UsageError(`port ${portText} is outside 1–65535`);
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  return { aeTitle: ae.aeTitle, host, port, label: text };
}

/** A configured destination by name, else an address. */
export function resolveDicomTarget(text: string, config: Readonly<GatewayConfig>): DicomTarget {
  const dest = config.dicom.destinations.find((d) => d.name === text);
  if (dest !== undefined) {
    const label = `${dest.name} (${dest.aeTitle}@${dest.host}:${dest.port}${dest.tls === undefined ? '' : ', TLS'})`;
    return { aeTitle: dest.aeTitle, host: dest.host, port: dest.port, label, tls: dest.tls };
  }
  if (!text.includes('@')) {
    const names = config.dicom.destinations.map((d) => d.name);
    throw new UsageError(`no destination named "${text}" in dicom.destinations${names.length > 0 ? ` (configured: ${names.join(', ')})` : ''}; or give AE@HOST:PORT`);
  }
  return parseDicomAddress(text);
}
