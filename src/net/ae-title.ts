/**
 * The Application Entity title that names a DICOM peer (PS3.5 Table 6.2-1, VR AE): checked once where it enters
 * (config, command line, SCU options, A-ASSOCIATE-RQ) and carried as `AeTitle` after. In this leaf, not in dicom,
 * because the config check validates AE titles and config may not import dicom (dicom imports config's types).
 */

/** An AE title that passed `parseAeTitle`: trimmed, 1–16 printable ASCII characters without backslash. */
export type AeTitle = string & { readonly __brand: 'AeTitle' };

export type AeTitleResult = { ok: true; aeTitle: AeTitle } | { ok: false; reason: string };

export const AE_TITLE_RULE = '1–16 printable ASCII characters without backslash, not only spaces';

const MAX_AE_TITLE_CHARS = 16;

/**
 * Checks an AE title and drops its leading and trailing spaces (PS3.5 §6.2: not significant; the wire pads the
 * 16-byte field with spaces). The reason quotes the value and says what is wrong with it.
 */
export function parseAeTitle(text: string): AeTitleResult {
  const aeTitle = text.trim();
  const fault =
    aeTitle === ''
      ? 'it is empty or only spaces'
      : aeTitle.length > MAX_AE_TITLE_CHARS
        ? `it has ${aeTitle.length} characters, more than ${MAX_AE_TITLE_CHARS}`
        : // PS3.5 Table 6.2-1: default character repertoire, no backslash (the value delimiter), no control characters
          /^[\x20-\x5b\x5d-\x7e]+$/.test(aeTitle)
          ? undefined
          : 'it has a backslash, a control character or a character outside ASCII';
  if (fault === undefined) return { ok: true, aeTitle: aeTitle as AeTitle };
  return { ok: false, reason: `${JSON.stringify(text)} is not an AE title: ${fault} (${AE_TITLE_RULE})` };
}
