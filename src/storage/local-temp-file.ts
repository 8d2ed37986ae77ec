/** A temp file in the local spool being written: buffers small writes and flushes them in large ones. */
import { close, fdatasync, writev } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { SpoolTempFile } from './spool.js';
import { storageError } from './storage-error.js';

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

/** What a temp file needs from its spool: the rename into place and the comparison with a stored file. */
export interface TempFileOwner {
  commit(tempPath: string, key: string, what: TempFileContent): Promise<{ durable: Promise<void> }>;
  sameDataset(key: string, tempPath: string): Promise<boolean>;
}

/** What the file holds, for error messages: an operator must see whether intake or a result write failed. */
export type TempFileContent = 'a received instance' | 'a result SR';

export class LocalTempFile implements SpoolTempFile {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private flushing: Promise<void> | undefined;
  private failure: unknown;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly fd: number,
    private readonly owner: TempFileOwner,
    private readonly what: TempFileContent = 'a received instance',
  ) {}

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

  async finish(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    if (this.buffered > 0) await this.startFlush();
    if (this.failure !== undefined) {
      await this.discard();
      throw storageError(this.failure, `write ${this.what}`, this.path);
    }
    try {
      await fdatasyncP(this.fd);
      this.closed = true;
      await closeP(this.fd);
    } catch (err) {
      await this.discard();
      throw storageError(err, `fsync ${this.what}`, this.path);
    }
  }

  async read(position: number, length: number): Promise<Buffer> {
    const handle = await open(this.path, 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, position);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  sameDatasetAs(key: string): Promise<boolean> {
    return this.owner.sameDataset(key, this.path);
  }

  commitAs(key: string): Promise<{ durable: Promise<void> }> {
    return this.owner.commit(this.path, key, this.what);
  }

  async discard(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await closeP(this.fd).catch(() => {});
    }
    await unlink(this.path).catch(() => {});
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
      if (this.failure === undefined) await writeAll(this.fd, chunks, length);
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
