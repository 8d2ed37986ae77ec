/**
 * Rules for the HTTP bearer token: where it is required (a listener off loopback), its shape, and reading it
 * from `http.authTokenFile` so the secret can live outside the YAML (mode 0600, owned by the service user).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** RFC 6750 b64token characters, so the token travels in an Authorization header unchanged. */
export const AUTH_TOKEN_PATTERN = /^[A-Za-z0-9\-._~+/]+=*$/;
export const AUTH_TOKEN_MIN_CHARS = 16;
export const AUTH_TOKEN_RULE = `at least ${AUTH_TOKEN_MIN_CHARS} characters of A–Z a–z 0–9 - . _ ~ + / (make one with: openssl rand -hex 32)`;

export function isValidAuthToken(token: string): boolean {
  return token.length >= AUTH_TOKEN_MIN_CHARS && token.length <= 1024 && AUTH_TOKEN_PATTERN.test(token);
}

/** Reads the token file: its first line, trimmed. A problem is a sentence for `http.authTokenFile`. */
export function readAuthTokenFile(path: string): { ok: true; token: string } | { ok: false; reason: string } {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    return { ok: false, reason: `cannot read the token file ${absolute}: ${(err as Error).message}` };
  }
  const token = (text.split(/\r?\n/, 1)[0] ?? '').trim();
  if (!isValidAuthToken(token)) return { ok: false, reason: `the first line of ${absolute} must be the token: ${AUTH_TOKEN_RULE}` };
  return { ok: true, token };
}
