/**
 * The spool: one Part-10 file per instance under `<dataDir>/spool/<study UID>/<SOP instance UID>.dcm`.
 * Writes go to a temp file, are fsynced, renamed into place, and the directory is fsynced: a file that exists
 * under its final name is complete, whatever crashed when.
 */
import { randomUUID } from 'node:crypto';
import { close, fdatasync, mkdirSync, openSync, readdirSync, rmSync, writev } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { GatewayError, errnoCode } from '../errors.js';
import type { Uid } from '../dicom/index.js';
import { DirSyncer } from './dir-sync.js';

/**
 * Coalesce PDV fragments into writes of about this size: large enough to keep syscalls few, small enough that
 * most of an instance is already written (overlapping the network) when its last fragment arrives.
 */
const WRITE_BATCH_BYTES = 256 * 1024;

/** …or this many fragments, so a peer sending tiny PDVs cannot pile up buffer objects. */
const MAX_BATCH_CHUNKS = 512;

const writevP = promisify(writev);
const fdatasyncP = promisify(fdatasync);
const closeP = promisify(close);

export class Spool {
  readonly root: string;
  private readonly tmpDir: string;
  private readonly dirSync = new DirSyncer();
  private readonly knownDirs = new Set<string>();

  constructor(dataDir: string) {
    this.root = join(dataDir, 'spool');
    this.tmpDir = join(this.root, '.tmp');
    mkdirSync(this.tmpDir, { recursive: true });
    // Temp files left by a crash hold no acknowledged data (nothing is acknowledged before its rename).
    for (const name of readdirSync(this.tmpDir)) rmSync(join(this.tmpDir, name), { force: true });
  }

  /** Path relative to the spool root; both parts are validated UIDs, so no traversal is possible. */
  relativePath(studyUid: Uid, sopInstanceUid: Uid): string {
    return join(studyUid, `${sopInstanceUid}.dcm`);
  }

  absolutePath(relative: string): string {
    return join(this.root, relative);
  }

  /** Opens a new temp file (synchronously: an open is microseconds, and the caller's writes are synchronous). */
  createTempFile(): SpoolFile {
    const path = join(this.tmpDir, `${randomUUID()}.part`);
    try {
      return new SpoolFile(path, openSync(path, 'wx', 0o640), this);
    } catch (err) {
      throw storageError(err, 'create a temp file in the spool', path);
    }
  }

  /**
   * Renames a complete (fsynced) temp file to its final place. Resolves once renamed, with `durable`: the
   * directory fsync, which the caller may overlap with other work but must await before acknowledging.
   */
  async commit(tempPath: string, relative: string): Promise<{ durable: Promise<void> }> {
    const finalPath = join(this.root, relative);
    const dir = join(finalPath, '..');
    try {
      if (!this.knownDirs.has(dir)) {
        const created = await mkdir(dir, { recursive: true });
        if (created !== undefined) await this.dirSync.sync(this.root);
        this.knownDirs.add(dir);
      }
      await rename(tempPath, finalPath);
    } catch (err) {
      throw storageError(err, 'move a received instance into the spool', finalPath);
    }
    const durable = this.dirSync.sync(dir).catch((err: unknown) => {
      throw storageError(err, 'fsync the spool directory', dir);
    });
    durable.catch(() => {}); // handled by whoever awaits it; never an unhandled rejection
    return { durable };
  }

  /**
   * Writes an object the gateway produced (a result SR) durably under `results/<study UID>/<name>.dcm`, the same
   * way received instances are written. Returns its path relative to the spool root.
   */
  async writeResult(studyUid: Uid, sopInstanceUid: Uid, bytes: Buffer): Promise<string> {
    const relative = join('results', studyUid, `${sopInstanceUid}.dcm`);
    const file = this.createTempFile();
    file.write(bytes);
    try {
      await file.finish();
      const { durable } = await file.commitAs(relative);
      await durable;
    } catch (err) {
      await file.discard();
      throw err;
    }
    return relative;
  }

  forgetDir(relativeDir: string): void {
    this.knownDirs.delete(join(this.root, relativeDir));
  }
}

/** A temp file being written; buffers small writes and flushes them in large ones. */
export class SpoolFile {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private flushing: Promise<void> | undefined;
  private failure: unknown;
  private closed = false;
  bytesWritten = 0;

  constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly spool: Spool,
  ) {}

  /** Returns false when the caller should await `drain()` (a flush is running and the buffer is full). */
  write(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered >= WRITE_BATCH_BYTES || this.chunks.length >= MAX_BATCH_CHUNKS) {
      if (this.flushing === undefined) void this.startFlush();
      else return false;
    }
    return true;
  }

  async drain(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    if (this.buffered >= WRITE_BATCH_BYTES || this.chunks.length >= MAX_BATCH_CHUNKS) await this.startFlush();
  }

  /** Writes what is left, fsyncs and closes. Throws a storage GatewayError. */
  async finish(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    if (this.buffered > 0) await this.startFlush();
    if (this.failure !== undefined) {
      await this.discard();
      throw storageError(this.failure, 'write a received instance', this.path);
    }
    try {
      await fdatasyncP(this.fd);
      this.closed = true;
      await closeP(this.fd);
    } catch (err) {
      await this.discard();
      throw storageError(err, 'fsync a received instance', this.path);
    }
  }

  /** Closes and deletes the temp file; never throws. */
  async discard(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await closeP(this.fd).catch(() => {});
    }
    await unlink(this.path).catch(() => {});
  }

  commitAs(relative: string): Promise<{ durable: Promise<void> }> {
    return this.spool.commit(this.path, relative);
  }

  /** Runs one flush and marks it in flight until it settles (the marker is cleared asynchronously, never early). */
  private startFlush(): Promise<void> {
    const p: Promise<void> = this.flush().finally(() => {
      if (this.flushing === p) this.flushing = undefined;
    });
    this.flushing = p;
    return p;
  }

  private async flush(): Promise<void> {
    const chunks = this.chunks;
    const length = this.buffered;
    this.chunks = [];
    this.buffered = 0;
    try {
      if (this.failure === undefined) {
        await writeAll(this.fd, chunks, length);
        this.bytesWritten += length;
      }
    } catch (err) {
      this.failure = err;
    }
  }
}

/**
 * writev until every byte is written. A short write (the disk filled up mid-write) is retried with the rest,
 * which then fails with the real errno (ENOSPC), so the peer gets the right status.
 */
async function writeAll(fd: number, chunks: Buffer[], length: number): Promise<void> {
  let pending = chunks;
  let left = length;
  while (left > 0) {
    const { bytesWritten } = await writevP(fd, pending);
    if (bytesWritten === 0) throw Object.assign(new Error('write made no progress'), { code: 'ENOSPC' });
    left -= bytesWritten;
    pending = skipBytes(pending, bytesWritten);
  }
}

function skipBytes(chunks: Buffer[], n: number): Buffer[] {
  let skip = n;
  const rest: Buffer[] = [];
  for (const c of chunks) {
    if (skip >= c.length) skip -= c.length;
    else {
      rest.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
  }
  return rest;
}

function storageError(err: unknown, action: string, path: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const errno = errnoCode(err);
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return new GatewayError('GW_ERR_STORAGE_FULL', `no space left to ${action}: free space in dataDir or raise retention`, {
      context: { path, errno },
      cause: err,
    });
  }
  return new GatewayError('GW_ERR_STORAGE_FAILED', `failed to ${action}`, {
    context: { path, ...(errno === undefined ? {} : { errno }) },
    cause: err,
  });
}
