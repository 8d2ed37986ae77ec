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
  // Each segment unpacks into its own contiguous plane (runs become fill/copy calls), then one pass interleaves.
  const planes: Uint8Array[] = [];
  for (let s = 0; s < segments; s++) {
    const start = offsets[s] as number;
    const end = s + 1 < segments ? (offsets[s + 1] as number) : frame.length;
    if (start < 64 || end > frame.length || end < start) return { kind: 'failed', reason: `RLE segment ${s + 1} has offsets ${start}..${end} outside the frame` };
    const plane = new Uint8Array(pixels);
    const written = unpackSegment(frame, start, end, plane);
    if (written < pixels) return { kind: 'failed', reason: `RLE segment ${s + 1} decodes to ${written} bytes, ${pixels} needed` };
    planes.push(plane);
  }
  return { kind: 'ok', bytes: interleave(planes, pixels, bytesPerSample) };
}

/** Segment order is sample by sample, most significant byte first; the output is little-endian words by pixel. */
function interleave(planes: Uint8Array[], pixels: number, bytesPerSample: number): Uint8Array {
  const stride = planes.length;
  if (stride === 1) return planes[0] as Uint8Array;
  const out = new Uint8Array(pixels * stride);
  for (let s = 0; s < stride; s++) {
    const plane = planes[s] as Uint8Array;
    const sample = Math.floor(s / bytesPerSample);
    const at = sample * bytesPerSample + (bytesPerSample - 1 - (s % bytesPerSample));
    for (let p = 0, o = at; p < pixels; p++, o += stride) out[o] = plane[p] as number;
  }
  return out;
}

/** PackBits (PS3.5 G.3.2): header n ≥ 0 copies n+1 literals, −127…−1 repeats the next byte 1−n times, −128 is a no-op. */
function unpackSegment(src: Uint8Array, start: number, end: number, out: Uint8Array): number {
  const pixels = out.length;
  let i = start;
  let k = 0;
  while (i < end && k < pixels) {
    const n = ((src[i++] as number) << 24) >> 24;
    if (n >= 0) {
      const run = Math.min(n + 1, end - i, pixels - k);
      out.set(src.subarray(i, i + run), k);
      i += n + 1;
      k += run;
    } else if (n !== -128) {
      if (i >= end) break;
      const run = Math.min(1 - n, pixels - k);
      out.fill(src[i++] as number, k, k + run);
      k += run;
    }
  }
  return k;
}
