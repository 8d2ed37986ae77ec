/**
 * RLE Lossless decoder (PS3.5 Annex G), in TypeScript: dcmjs-codecs' WASM RLE decoder accepts garbage without an
 * error and can trap on it, and this one checks every offset and run against the frame's bounds.
 */

export type RleResult = { kind: 'ok'; bytes: Uint8Array } | { kind: 'failed'; reason: string };

/**
 * Decodes one RLE frame into little-endian, colour-by-pixel sample bytes, as native Pixel Data of the same
 * image would hold them. Segments are ordered sample by sample, most significant byte first (PS3.5 G.2).
 */
export function decodeRleFrame(frame: Uint8Array, pixels: number, samplesPerPixel: number, bytesPerSample: number): RleResult {
  const expected = samplesPerPixel * bytesPerSample;
  if (frame.length < 64) return { kind: 'failed', reason: `RLE frame of ${frame.length} bytes is shorter than its 64-byte header` };
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== expected) {
    return { kind: 'failed', reason: `RLE header lists ${segments} segments; ${samplesPerPixel} samples of ${bytesPerSample} bytes need ${expected}` };
  }
  const offsets: number[] = [];
  for (let s = 0; s < segments; s++) offsets.push(view.getUint32(4 + 4 * s, true));
  const out = new Uint8Array(pixels * expected);
  const stride = expected;
  for (let s = 0; s < segments; s++) {
    const start = offsets[s] as number;
    const end = s + 1 < segments ? (offsets[s + 1] as number) : frame.length;
    if (start < 64 || end > frame.length || end < start) return { kind: 'failed', reason: `RLE segment ${s + 1} has offsets ${start}..${end} outside the frame` };
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // MSB segment first → highest byte of the LE word
    const written = unpackSegment(frame, start, end, out, sample * bytesPerSample + byteInSample, stride, pixels);
    if (written < pixels) return { kind: 'failed', reason: `RLE segment ${s + 1} decodes to ${written} bytes, ${pixels} needed` };
  }
  return { kind: 'ok', bytes: out };
}

/** PackBits (PS3.5 G.3.2): header n ≥ 0 copies n+1 literals, −127…−1 repeats the next byte 1−n times, −128 is a no-op. */
function unpackSegment(src: Uint8Array, start: number, end: number, out: Uint8Array, first: number, stride: number, pixels: number): number {
  let i = start;
  let k = 0;
  while (i < end && k < pixels) {
    const n = ((src[i++] as number) << 24) >> 24;
    if (n >= 0) {
      const run = Math.min(n + 1, end - i, pixels - k);
      for (let j = 0; j < run; j++) out[first + (k + j) * stride] = src[i + j] as number;
      i += n + 1;
      k += run;
    } else if (n !== -128) {
      if (i >= end) break;
      const value = src[i++] as number;
      const run = Math.min(1 - n, pixels - k);
      for (let j = 0; j < run; j++) out[first + (k + j) * stride] = value;
      k += run;
    }
  }
  return k;
}
