/** Who is at the other end of a TLS connection, in words for logs and names for allow-lists; TLS failures in words. */
import { Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';

export interface TlsPeerIdentity {
  /** The certificate chain verified against our CAs. */
  authorized: boolean;
  /** Why not, when a certificate was presented but not verified (OpenSSL's code). */
  authorizationError?: string;
  /** Subject in one line (`CN=modality-1, O=Hospital`); '' when the peer sent no certificate. */
  subject: string;
  /** Subject CN and subjectAltName DNS / email / IP entries: what allow-lists match. */
  names: string[];
  protocol: string | null;
}

/** The peer's certificate as seen after the handshake; `names` is empty for an anonymous peer. */
export function tlsPeerIdentity(socket: TLSSocket): TlsPeerIdentity {
  const cert = socket.getPeerCertificate() as PeerCertificate | Record<string, never>;
  const protocol = socket.getProtocol();
  const authorizationError = socket.authorizationError === null || socket.authorizationError === undefined ? undefined : String(socket.authorizationError);
  if (!('subject' in cert) || cert.subject === undefined) {
    return { authorized: false, subject: '', names: [], protocol, ...(authorizationError === undefined ? {} : { authorizationError }) };
  }
  const subject = Object.entries(cert.subject)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
  const cn = cert.subject.CN;
  const names = [...(Array.isArray(cn) ? cn : cn === undefined ? [] : [cn])];
  for (const entry of (cert.subjectaltname ?? '').split(', ')) {
    const m = /^(DNS|email|IP Address):(.+)$/.exec(entry);
    if (m?.[2] !== undefined) names.push(m[2]);
  }
  return { authorized: socket.authorized, subject, names, protocol, ...(authorizationError === undefined ? {} : { authorizationError }) };
}

/** Whether an identity proves one of `allowed` (verified certificate, name listed). */
export function identityMatches(identity: TlsPeerIdentity | undefined, allowed: string): boolean {
  return identity !== undefined && identity.authorized && identity.names.includes(allowed);
}

const CERT_WORDS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the peer certificate is not signed by a CA we trust (check tls.caFile)',
  UNABLE_TO_GET_ISSUER_CERT: 'the peer certificate is not signed by a CA we trust (check tls.caFile)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the peer certificate is not signed by a CA we trust (check tls.caFile)',
  SELF_SIGNED_CERT_IN_CHAIN: 'the peer certificate is not signed by a CA we trust (check tls.caFile)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the peer certificate is self-signed and not in tls.caFile',
  CERT_HAS_EXPIRED: 'the peer certificate has expired',
  CERT_NOT_YET_VALID: 'the peer certificate is not valid yet (check both clocks)',
  ERR_TLS_CERT_ALTNAME_INVALID: "the peer certificate's names do not include the host we connected to (set tls.servername, or fix the certificate's subjectAltName)",
  ERR_SSL_WRONG_VERSION_NUMBER: 'the peer does not speak TLS (a plain client on the TLS port, or a plain server)',
  ERR_SSL_HTTP_REQUEST: 'the peer sent HTTP, not TLS',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'the peer offers only TLS versions below 1.2',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'the handshake did not complete in time',
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: 'the client sent no certificate and one is required (requireClientCert)',
  ERR_SSL_CERTIFICATE_VERIFY_FAILED: 'the peer certificate is not signed by a CA in caFile, or has expired',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the peer requires a client certificate (set tls.certFile and tls.keyFile)',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'the peer refused the handshake (no common protocol version or cipher, or it requires a client certificate)',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the peer does not trust the CA of our client certificate',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the peer refused our client certificate',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'the peer does not accept TLS 1.2 or later',
  ECONNRESET: 'the peer closed the connection during the handshake (it may require a client certificate, or not trust ours)',
};

/** The TLS failure codes that are about a certificate or the handshake, as opposed to the network. */
export function isTlsFailure(code: string | undefined): boolean {
  return code !== undefined && code !== 'ECONNRESET' && (code in CERT_WORDS || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || /CERT/.test(code));
}

/**
 * A listener's failed handshake (`tlsClientError`) in words, with the peer's address. When a client certificate
 * fails verification Node completes the handshake, then destroys the socket and reports a bare ECONNRESET: the
 * verification error is on `authorizationError`, and the address only on the wrapped TCP socket (`_parent`,
 * undocumented; '' if a later Node drops it).
 */
export function describeHandshakeFailure(err: Error & { code?: string }, socket: TLSSocket): { peerAddress: string; reason: string } {
  const peerAddress = socket.remoteAddress ?? tcpSocketOf(socket)?.remoteAddress ?? '';
  const verify = socket.authorizationError === null || socket.authorizationError === undefined ? undefined : String(socket.authorizationError);
  const reason =
    verify !== undefined && err.code === 'ECONNRESET'
      ? `the client certificate is not accepted: ${CERT_WORDS[verify]?.replace('peer certificate', 'client certificate').replace(/ \(check tls\.caFile\)/, ' (caFile)') ?? verify} (${verify})`
      : describeTlsFailure(err);
  return { peerAddress, reason };
}

/**
 * The TCP socket a listener's TLSSocket wraps (`_parent`, undocumented: undefined if Node drops it). It is what
 * the server's 'connection' event saw, so a listener can recognise, in 'tlsClientError', a socket it refused itself.
 */
export function tcpSocketOf(socket: TLSSocket): Socket | undefined {
  const parent: unknown = (socket as TLSSocket & { _parent?: unknown })._parent;
  return parent instanceof Socket ? parent : undefined;
}

/** One line for a failed handshake: what it means, then OpenSSL's own words (without file and line) and code. */
export function describeTlsFailure(err: Error & { code?: string }): string {
  const words = err.code === undefined ? undefined : CERT_WORDS[err.code];
  // "80…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl/record/ssl3_record.c:350:" → "wrong version number"
  const short = /SSL routines:[^:]*:([^:]+):/.exec(err.message)?.[1] ?? err.message.trim();
  const raw = `${err.code ?? 'no code'}: ${short}`;
  return words === undefined ? raw : `${words} (${raw})`;
}
