/** node:tls options for our listeners and our outgoing connections, from the material read by tls-files. */
import { isIP } from 'node:net';
import type { ConnectionOptions, SecureContextOptions, TlsOptions } from 'node:tls';
import type { TlsClientFiles, TlsMaterial } from './tls-files.js';

/** TLS 1.2 is the floor (BCP 195, PS3.15 Annex B.9 profiles); 1.3 is offered when both sides have it. */
export const MIN_TLS_VERSION = 'TLSv1.2';

/** A TLS listener as config gives it (`dicom.tls`, `hl7.tls`); files are read when it starts listening. */
export interface TlsListenerConfig {
  port: number;
  certFile: string;
  keyFile: string;
  caFile?: string | undefined;
  /** Refuse the handshake of a client without a certificate signed by caFile. */
  requireClientCert: boolean;
}

/** An outgoing connection's TLS settings (`tls` of a destination). */
export interface TlsClientConfig extends TlsClientFiles {
  /** Name the peer's certificate must carry (and SNI); default: the destination host. */
  servername?: string | undefined;
  /** Verify the peer's certificate chain and name. Default true; false only for tests against throwaway peers. */
  rejectUnauthorized?: boolean | undefined;
}

/**
 * Server options: a client certificate is asked for when we have a CA to check it against; it is required
 * (handshake refused without a valid one) only with requireClientCert. An optional one that does not verify
 * leaves the peer anonymous: the allow-lists decide.
 */
export function serverTlsOptions(material: TlsMaterial, options: { requireClientCert: boolean; handshakeTimeoutMs: number }): TlsOptions {
  return {
    ...serverSecureContext(material),
    requestCert: options.requireClientCert || material.ca !== undefined,
    rejectUnauthorized: options.requireClientCert,
    handshakeTimeout: options.handshakeTimeoutMs,
  };
}

/** What a listener's certificate is made of: also what `setSecureContext` takes on reload. */
export function serverSecureContext(material: TlsMaterial): SecureContextOptions {
  return { ...material, minVersion: MIN_TLS_VERSION };
}

/** Client options for `tls.connect` to `host:port`. An IP host without servername is checked against the certificate's IP entries. */
export function clientTlsOptions(material: TlsMaterial, host: string, port: number, config: TlsClientConfig): ConnectionOptions {
  const servername = config.servername ?? (isIP(host) === 0 ? host : undefined);
  return {
    ...material,
    host,
    port,
    minVersion: MIN_TLS_VERSION,
    rejectUnauthorized: config.rejectUnauthorized ?? true,
    // SNI must be a DNS name (RFC 6066 §3); the identity check uses servername when given, else the host.
    ...(servername === undefined ? {} : { servername }),
  };
}
