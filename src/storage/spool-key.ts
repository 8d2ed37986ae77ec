/**
 * Spool keys: where an object lives in the spool, relative to its root, built only from checked UIDs:
 * `<study UID>/<SOP instance UID>.dcm` for a received instance, `results/<study UID>/<SOP instance UID>.dcm` for a
 * result SR. The same keys name local files, NFS files or S3 objects, and they are what the index rows store.
 */
import { GatewayError } from '../errors.js';
import type { Uid } from '../dicom/index.js';

/** PS3.5 9.1: digits and dots, no empty component, at most 64 characters (checked on the UID parts below). */
const UID = '[0-9]+(?:\\.[0-9]+)*';
const KEY = new RegExp(`^(?:results/)?(${UID})/(${UID})\\.dcm$`);
const MAX_UID_CHARS = 64;

export function instanceKey(studyUid: Uid, sopInstanceUid: Uid): string {
  return `${studyUid}/${sopInstanceUid}.dcm`;
}

export function resultKey(studyUid: Uid, sopInstanceUid: Uid): string {
  return `results/${studyUid}/${sopInstanceUid}.dcm`;
}

export function isSpoolKey(key: string): boolean {
  const m = KEY.exec(key);
  return m !== null && (m[1] as string).length <= MAX_UID_CHARS && (m[2] as string).length <= MAX_UID_CHARS;
}

/**
 * Throws unless `key` has one of the two shapes above: no `..`, no absolute path, nothing but UIDs. Keys come from
 * checked UIDs or from our own index rows, so a bad one is our bug, refused before it can name a file.
 */
export function checkSpoolKey(key: string): string {
  if (!isSpoolKey(key)) throw new GatewayError('GW_ERR_INTERNAL', 'not a spool key (expected [results/]<study UID>/<SOP instance UID>.dcm)', { context: { key } });
  return key;
}

/** The folder part of a key (`1.2/3.4.dcm` → `1.2`). */
export function keyDir(key: string): string {
  return key.slice(0, key.lastIndexOf('/'));
}
