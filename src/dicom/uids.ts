/** DICOM UIDs the gateway speaks, and the UID syntax check every network UID passes before use. */
import { STORAGE_SOP_CLASSES } from './storage-sop-classes.js';

declare const uidBrand: unique symbol;
/** A UID that passed `parseUid`: digits and dots, ≤ 64 chars, no leading zeros (PS3.5 §9.1). Safe in a path. */
export type Uid = string & { readonly [uidBrand]: true };

const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** Returns the UID without DICOM padding, or undefined when it is not a valid UID. */
export function parseUid(value: string | undefined): Uid | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.replace(/[\0 ]+$/, '');
  if (trimmed.length === 0 || trimmed.length > 64 || !UID_PATTERN.test(trimmed)) return undefined;
  return trimmed as Uid;
}

export const APPLICATION_CONTEXT_NAME = '1.2.840.10008.3.1.1.1';
export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

/** Our implementation identity, sent in every association and file meta header (2.25 UUID-derived root). */
export const IMPLEMENTATION_CLASS_UID = '2.25.47003532712718004924466290398106262337';
export const IMPLEMENTATION_VERSION_NAME = 'PACSAIGW_010';

export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JpegBaseline: '1.2.840.10008.1.2.4.50',
  JpegExtended: '1.2.840.10008.1.2.4.51',
  JpegLossless: '1.2.840.10008.1.2.4.57',
  JpegLosslessSV1: '1.2.840.10008.1.2.4.70',
  JpegLsLossless: '1.2.840.10008.1.2.4.80',
  JpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  Jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  Jpeg2000: '1.2.840.10008.1.2.4.91',
  RleLossless: '1.2.840.10008.1.2.5',
} as const;

/** Transfer syntaxes we accept for storage: stored as received, never transcoded. */
export const STORAGE_TRANSFER_SYNTAXES: ReadonlySet<string> = new Set(Object.values(TransferSyntax));

const STORAGE_SOP_CLASS_UIDS: ReadonlySet<string> = new Set(STORAGE_SOP_CLASSES.map((c) => c.uid));

/**
 * Whether the SCP stores this SOP class: the explicit list of PS3.4 Table B.5-1 plus the retired storage classes,
 * never a UID prefix, since prefixes such as 1.2.840.10008.5.1.4.34. also hold UPS and RT machine verification, which
 * are not storage (scripts/data/storage-sop-classes.md).
 */
export function isStorageSopClass(uid: string): boolean {
  return STORAGE_SOP_CLASS_UIDS.has(uid);
}

/**
 * Storage SOP classes that are not images, so cannot be IMAGE content items (PS3.3 C.18.4; DCMTK's dsrdump rejects
 * them): SR and Key Object Selection (88.x), presentation states (11.x), waveforms (9.x), encapsulated documents
 * (104.x), RT objects other than RT Image (481.2 and up).
 */
const NON_IMAGE_SOP_CLASS = /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.(88|11|9|104)\.|^1\.2\.840\.10008\.5\.1\.4\.1\.1\.481\.([2-9]|\d\d)/;

/** Whether instances of this storage SOP class may be referenced as images by an SR. */
export function isImageSopClass(sopClassUid: string): boolean {
  return !NON_IMAGE_SOP_CLASS.test(sopClassUid);
}
