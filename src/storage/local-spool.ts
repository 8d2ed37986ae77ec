/**
 * The spool as a local folder (the embedded default): one Part-10 file per key under `<dataDir>/spool/`. Writes go
 * to a temp file in `.tmp/`, are fsynced, renamed into place, and the directory is fsynced (group-committed): a
 * file that exists under its final name is complete, whatever crashed when.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, readFile, rename, rmdir, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayError, describeError, errnoCode } from '../errors.js';
import { sameDataset } from './compare.js';
import { DirSyncer } from './dir-sync.js';
import { LocalTempFile, type TempFileContent, type TempFileOwner } from './local-temp-file.js';
import type { Spool, SpoolEntry, SpoolRemoval, SpoolTempFile } from './spool.js';
import { checkSpoolKey, keyDir } from './spool-key.js';
import { storageError } from './storage-error.js';

export class LocalSpool implements Spool {
  readonly root: string;
  private readonly tmpDir: string;
  private readonly dirSync = new DirSyncer();
  /** Directories known to exist: the hot path skips the mkdir. `remove` forgets what it may delete. */
  private readonly knownDirs = new Set<string>();
  private readonly owner: TempFileOwner = {
    commit: (tempPath, key, what) => this.commit(tempPath, key, what),
    sameDataset: (key, tempPath) => sameDataset(this.pathOf(key), tempPath).catch(() => false),
  };

  /**
   * `node` (cluster.nodeName) when several nodes share the spool: each writes its temp files in a folder of its own
   * (`.tmp/<node>/`), so a node clearing its crash leftovers at start never touches a file another node is writing.
   */
  constructor(dataDir: string, options: { node?: string } = {}) {
    this.root = join(dataDir, 'spool');
    this.tmpDir = options.node === undefined ? join(this.root, '.tmp') : join(this.root, '.tmp', options.node);
    mkdirSync(this.tmpDir, { recursive: true });
    // Temp files left by a crash hold no acknowledged data (nothing is acknowledged before its rename). Files only:
    // on a shared spool the folders beside them are the other nodes'.
    for (const entry of readdirSync(this.tmpDir, { withFileTypes: true })) if (!entry.isDirectory()) rmSync(join(this.tmpDir, entry.name), { force: true });
  }

  createTempFile(): SpoolTempFile {
    return this.openTemp('a received instance');
  }

  /**
   * Writes a result SR. A failure is GW_ERR_RESULT_WRITE_FAILED, worded as the result write it is (it was reported
   * as "no space left to write a received instance" before), with the storage error as its cause.
   */
  async write(key: string, bytes: Buffer): Promise<void> {
    checkSpoolKey(key);
    let file: SpoolTempFile | undefined;
    try {
      file = this.openTemp('a result SR');
      file.write(bytes);
      await file.finish();
      const { durable } = await file.commitAs(key);
      await durable;
    } catch (err) {
      await file?.discard();
      const errno = err instanceof GatewayError ? err.context.errno : errnoCode(err);
      throw new GatewayError('GW_ERR_RESULT_WRITE_FAILED', `a result SR could not be written to the spool: ${describeError(err)}`, {
        context: { key, ...(typeof errno === 'string' ? { errno } : {}) },
        cause: err,
      });
    }
  }

  private openTemp(what: TempFileContent): LocalTempFile {
    const path = join(this.tmpDir, `${randomUUID()}.part`);
    try {
      return new LocalTempFile(path, openSync(path, 'wx', 0o640), this.owner, what);
    } catch (err) {
      throw storageError(err, `create a temp file in the spool for ${what}`, path);
    }
  }

  async read(key: string): Promise<Buffer> {
    const path = this.pathOf(key);
    try {
      return await readFile(path);
    } catch (err) {
      throw storageError(err, 'read a spool file', path);
    }
  }

  async withLocalFile<T>(key: string, use: (path: string) => Promise<T>): Promise<T> {
    return use(this.pathOf(key));
  }

  async stat(key: string): Promise<SpoolEntry | undefined> {
    const path = this.pathOf(key);
    try {
      const s = await stat(path);
      return s.isFile() ? { sizeBytes: s.size } : undefined;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw storageError(err, 'stat a spool file', path);
    }
  }

  async remove(keys: readonly string[]): Promise<SpoolRemoval> {
    const result: SpoolRemoval = { removed: 0, failed: [] };
    const dirs = new Set<string>();
    for (const key of keys) {
      try {
        const path = this.pathOf(key);
        dirs.add(join(this.root, keyDir(key)));
        await unlink(path);
        result.removed += 1;
      } catch (err) {
        const errno = errnoCode(err);
        if (errno === 'ENOENT') result.removed += 1;
        else result.failed.push({ key, reason: errno ?? (err as Error).message });
      }
    }
    // Forget before deleting, so a late instance recreates its folder instead of renaming into a deleted one.
    for (const dir of dirs) this.knownDirs.delete(dir);
    for (const dir of dirs) await rmdir(dir).catch(() => {}); // only when empty (ENOTEMPTY otherwise)
    return result;
  }

  async probe(): Promise<void> {
    const path = join(this.tmpDir, `health-${randomUUID()}`);
    try {
      await writeFile(path, 'ok');
    } finally {
      // A write that fails on a full disk has still created the file: remove it either way, or every health check
      // while the disk is full leaves one behind.
      await unlink(path).catch(() => {});
    }
  }

  async freeBytes(): Promise<number> {
    const s = await statfs(this.root);
    return s.bavail * s.bsize;
  }

  /**
   * Renames a finished (fsynced) temp file to its final place. Resolves once renamed, with `durable`: the
   * directory fsync, which the caller may overlap with other work but must await before acknowledging.
   */
  private async commit(tempPath: string, key: string, what: TempFileContent): Promise<{ durable: Promise<void> }> {
    const finalPath = this.pathOf(key);
    const dir = join(this.root, keyDir(key));
    try {
      await this.ensureDir(dir);
      await rename(tempPath, finalPath).catch(async (err: unknown) => {
        // Retention removed the folder after we last saw it: create it again, once.
        if (errnoCode(err) !== 'ENOENT') throw err;
        this.knownDirs.delete(dir);
        await this.ensureDir(dir);
        await rename(tempPath, finalPath);
      });
    } catch (err) {
      throw storageError(err, `move ${what} into the spool`, finalPath);
    }
    const durable = this.dirSync.sync(dir).catch((err: unknown) => {
      throw storageError(err, 'fsync the spool directory', dir);
    });
    durable.catch(() => {}); // handled by whoever awaits it; never an unhandled rejection
    return { durable };
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    const created = await mkdir(dir, { recursive: true });
    if (created !== undefined) {
      // A new folder is an entry in its parent: fsync the parent, and the root when `results/` was new as well.
      const parent = join(dir, '..');
      await this.dirSync.sync(parent);
      if (created !== dir && parent !== this.root) await this.dirSync.sync(this.root);
    }
    this.knownDirs.add(dir);
  }

  /** Keys are checked here, where they become paths: nothing outside the spool folder can be named. */
  private pathOf(key: string): string {
    return join(this.root, checkSpoolKey(key));
  }
}
