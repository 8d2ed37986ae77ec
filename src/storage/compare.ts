/** Compares the datasets of two Part-10 files, ignoring their meta headers (which name who sent them). */
import { open, type FileHandle } from 'node:fs/promises';
import { readFileHead, readFileMeta } from '../dicom/index.js';

const CHUNK = 1024 * 1024;

/** @throws Error when the file has no readable File Meta Information (callers treat that as "not the same") */
async function datasetOffset(handle: FileHandle): Promise<number> {
  const { head, size } = await readFileHead(handle);
  const read = readFileMeta(head, size);
  if (read.kind === 'invalid') throw new Error(read.detail);
  return read.meta.datasetOffset;
}

export async function sameDataset(pathA: string, pathB: string): Promise<boolean> {
  const opened = await Promise.allSettled([open(pathA, 'r'), open(pathB, 'r')]);
  const [a, b] = opened.map((o) => (o.status === 'fulfilled' ? o.value : undefined));
  if (a === undefined || b === undefined) {
    // One is missing (a first copy, or purged): close the other rather than leave it to the garbage collector.
    await Promise.all([a?.close(), b?.close()]);
    const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    throw failed?.reason;
  }
  try {
    const [offA, offB] = await Promise.all([datasetOffset(a), datasetOffset(b)]);
    const [statA, statB] = await Promise.all([a.stat(), b.stat()]);
    if (statA.size - offA !== statB.size - offB) return false;
    const bufA = Buffer.alloc(CHUNK);
    const bufB = Buffer.alloc(CHUNK);
    for (let pos = 0; pos < statA.size - offA; pos += CHUNK) {
      const [ra, rb] = await Promise.all([a.read(bufA, 0, CHUNK, offA + pos), b.read(bufB, 0, CHUNK, offB + pos)]);
      if (ra.bytesRead !== rb.bytesRead || !bufA.subarray(0, ra.bytesRead).equals(bufB.subarray(0, rb.bytesRead))) return false;
    }
    return true;
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}
