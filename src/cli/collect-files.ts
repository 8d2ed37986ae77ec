/** The files `send` is given: named files as they are, directories walked recursively in name order. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from './exit-codes.js';

export interface InputFile {
  path: string;
  /** Found by walking a directory (a non-DICOM file there is skipped, not a failure). */
  fromDirectory: boolean;
}

export async function collectFiles(args: readonly string[]): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const arg of args) {
    let s;
    try {
      s = await stat(arg);
    } catch {
      throw new UsageError(`${arg}: no such file or directory`);
    }
    if (s.isDirectory()) await walk(arg, out);
    else out.push({ path: arg, fromDirectory: false });
  }
  return out;
}

async function walk(dir: string, out: InputFile[]): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push({ path: p, fromDirectory: true });
  }
}
