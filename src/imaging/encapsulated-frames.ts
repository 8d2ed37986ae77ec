/** Groups the fragments of encapsulated Pixel Data into frames (PS3.5 A.4), with or without an offset table. */

export type FrameSplit = { kind: 'ok'; frames: Uint8Array[] } | { kind: 'failed'; reason: string };

export interface EncapsulatedPixels {
  fragments: Uint8Array[];
  basicOffsetTable: number[];
  /** Offset of each fragment's item tag from the first fragment's, the unit both offset tables use. */
  fragmentOffsets: number[];
  extendedOffsets: number[] | undefined;
}

/**
 * The compressed bytes of each frame. Order of evidence: the Extended Offset Table, then the Basic Offset Table,
 * then "one frame, all fragments", then "one fragment per frame", and last, for codestreams with a start marker
 * (JPEG SOI FFD8, JPEG 2000 SOC FF4F), a new frame at each fragment that begins with one.
 */
export function splitFrames(pixels: EncapsulatedPixels, numberOfFrames: number): FrameSplit {
  const { fragments, fragmentOffsets } = pixels;
  if (fragments.length === 0) return { kind: 'failed', reason: 'encapsulated Pixel Data has no fragments' };
  const table = pixels.extendedOffsets ?? (pixels.basicOffsetTable.length > 0 ? pixels.basicOffsetTable : undefined);
  if (table !== undefined) {
    if (table.length !== numberOfFrames) {
      return { kind: 'failed', reason: `offset table has ${table.length} entries for ${numberOfFrames} frames` };
    }
    const starts: number[] = [];
    for (const offset of table) {
      const index = fragmentOffsets.indexOf(offset);
      if (index < 0) return { kind: 'failed', reason: `offset table entry ${offset} does not point at a fragment` };
      starts.push(index);
    }
    return groupAt(fragments, starts);
  }
  if (numberOfFrames === 1) return { kind: 'ok', frames: [concat(fragments)] };
  if (fragments.length === numberOfFrames) return { kind: 'ok', frames: fragments };
  const starts: number[] = [];
  fragments.forEach((f, i) => {
    if (startsCodestream(f)) starts.push(i);
  });
  if (starts.length === numberOfFrames && starts[0] === 0) return groupAt(fragments, starts);
  return { kind: 'failed', reason: `cannot tell which of ${fragments.length} fragments belong to which of ${numberOfFrames} frames (no offset table)` };
}

function startsCodestream(f: Uint8Array): boolean {
  // JPEG / JPEG-LS SOI (ITU-T T.81 B.2.1), JPEG 2000 codestream SOC (T.800 A.4.1)
  return f.length >= 2 && f[0] === 0xff && (f[1] === 0xd8 || f[1] === 0x4f);
}

function groupAt(fragments: Uint8Array[], starts: number[]): FrameSplit {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < starts.length; i++) {
    const from = starts[i] as number;
    const to = i + 1 < starts.length ? (starts[i + 1] as number) : fragments.length;
    if (to <= from) return { kind: 'failed', reason: 'offset table is not increasing' };
    frames.push(concat(fragments.slice(from, to)));
  }
  return { kind: 'ok', frames };
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
