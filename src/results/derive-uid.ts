/**
 * Deterministic UIDs for result objects (docs/architecture.md, durability): the same study, model and kind always give the same UID, so
 * a re-run or a retry re-creates the same SOP Instance instead of a second document.
 *
 * Form: "2.25." + the decimal value of a UUID (PS3.5 §B.2, ITU-T X.667). The UUID is a name-based UUIDv8
 * (RFC 9562 §5.8, built like its Appendix B.2 SHA-256 example): the first 128 bits of SHA-256 over the UTF-8 of
 * the JSON array `["pacs-ai-gateway/uid/v1", ...parts]`, then version nibble 8 and variant bits 10. JSON keeps the
 * parts unambiguous ("a|b","c" ≠ "a","b|c"); the prefix keeps these names apart from any other use of SHA-256 UUIDs.
 * At most 44 characters, never a leading zero (the version bits make the number > 0).
 */
import { createHash } from 'node:crypto';
import { parseUid, type Uid } from '../dicom/index.js';

const NAMESPACE = 'pacs-ai-gateway/uid/v1';

/** The 2.25 UID named by `parts`; equal parts give an equal UID, any other parts a different one. */
export function deriveUid(...parts: readonly string[]): Uid {
  const digest = createHash('sha256').update(JSON.stringify([NAMESPACE, ...parts]), 'utf8').digest();
  const bytes = digest.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80; // version 8 (RFC 9562 §4.2)
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // variant 10 (RFC 9562 §4.1)
  const value = BigInt(`0x${bytes.toString('hex')}`);
  const uid = parseUid(`2.25.${value.toString(10)}`);
  if (uid === undefined) throw new Error('derived UID failed the UID syntax check'); // unreachable: ≤ 44 digits and dots
  return uid;
}

