/**
 * Sample precision written inside a compressed frame (JPEG SOF, JPEG-LS SOF55, JPEG 2000 SIZ). DCMTK's encoders
 * keep a High Bit above Bits Stored − 1 and compress the whole word, GDCM's rewrite High Bit: the precision tells
 * the decoder which of the two it holds.
 */

/** Bits per sample declared by the codestream's frame header, or undefined if none is found in its first bytes. */
export function codestreamPrecision(frame: Uint8Array): number | undefined {
  if (frame.length < 4 || frame[0] !== 0xff) return undefined;
  if (frame[1] === 0x4f) return j2kPrecision(frame);
  if (frame[1] === 0xd8) return jpegPrecision(frame);
  return undefined;
}

/** T.81 B.2.2 / T.87 C.2.2: SOFn (C0–CF except C4, C8, CC) or SOF55 (F7): FF Mn, Lf(2), P(1). */
function jpegPrecision(f: Uint8Array): number | undefined {
  let i = 2;
  const limit = Math.min(f.length - 4, 1 << 16);
  while (i < limit) {
    if (f[i] !== 0xff) return undefined;
    const marker = f[i + 1] as number;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const isSof = (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
    if (isSof) return f[i + 4];
    if (marker === 0xda) return undefined; // start of scan before any frame header
    i += 2 + (((f[i + 2] as number) << 8) | (f[i + 3] as number));
  }
  return undefined;
}

/** T.800 A.5.1: SOC, then SIZ: FF51 Lsiz Rsiz Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz Csiz, Ssiz⁰ = depth − 1 (bit 7 = signed). */
function j2kPrecision(f: Uint8Array): number | undefined {
  if (f.length < 43 || f[2] !== 0xff || f[3] !== 0x51) return undefined;
  return ((f[42] as number) & 0x7f) + 1;
}
