/**
 * Bearer-token check for the HTTP API (RFC 6750). Tokens are compared as SHA-256 digests with
 * timingSafeEqual, so neither the content nor the length of the configured token leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type AuthVerdict = { ok: true } | { ok: false; error: 'missing' | 'invalid' };

/** Returns a checker for requests; with no token configured every request passes. */
export function bearerAuth(token: string | undefined): (req: IncomingMessage) => AuthVerdict {
  if (token === undefined) return () => ({ ok: true });
  const expected = digest(token);
  return (req) => {
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (match === null) return { ok: false, error: 'missing' };
    return timingSafeEqual(digest(match[1] as string), expected) ? { ok: true } : { ok: false, error: 'invalid' };
  };
}

/**
 * How the audit trail names the caller that used a token: a short SHA-256 fingerprint, never the token. It
 * changes when the token is rotated, so records show which token was in use.
 */
export function tokenId(token: string | undefined): string {
  return token === undefined ? 'anonymous' : `token-sha256:${digest(token).toString('hex').slice(0, 12)}`;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
