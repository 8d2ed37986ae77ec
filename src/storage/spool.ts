/**
 * The spool seam: where received instances and the gateway's result SRs are kept, by key (spool-key.ts). The flows,
 * housekeeping and the composition root see only these interfaces; `LocalSpool` (a folder, the embedded default)
 * implements them, and a shared spool (NFS, S3) is another class behind the same methods.
 *
 * Durability: an object is visible under its key only once complete and durable (`commitAs` + its `durable`, or
 * `write`); nothing is acknowledged before. A temp file left by a crash is never visible under a key.
 */

/** A new object being received: written in order, finished (durable), then committed under a key or discarded. */
export interface SpoolTempFile {
  /** Returns false when the caller should await `drain()` before writing more. */
  write(chunk: Buffer): boolean;
  drain(): Promise<void>;
  /** Writes what is buffered and makes the bytes durable (fsync). Throws a storage GatewayError. */
  finish(): Promise<void>;
  /** Up to `length` bytes of the finished file from `position` (fewer at its end). */
  read(position: number, length: number): Promise<Buffer>;
  /** Whether the object stored under `key` holds the same dataset (meta headers aside); false when unreadable. */
  sameDatasetAs(key: string): Promise<boolean>;
  /**
   * Makes the finished file visible under `key`, replacing what was there. Resolves once visible, with `durable`:
   * the caller may overlap it with other work but must await it before acknowledging.
   */
  commitAs(key: string): Promise<{ durable: Promise<void> }>;
  /** Deletes the temp file; never throws. */
  discard(): Promise<void>;
}

export interface SpoolEntry {
  sizeBytes: number;
}

export interface SpoolRemoval {
  /** Keys deleted now or already absent. */
  removed: number;
  /** Keys that could not be deleted, with why (the caller logs them). */
  failed: Array<{ key: string; reason: string }>;
}

export interface Spool {
  /** Opens a temp file; synchronous because the SCP starts writing into it at once (an open is microseconds). */
  createTempFile(): SpoolTempFile;
  /** Writes a whole object (a result SR) durably under `key`, as a received instance is written. */
  write(key: string, bytes: Buffer): Promise<void>;
  /** The object's bytes. Throws a storage GatewayError when it cannot be read (absent included). */
  read(key: string): Promise<Buffer>;
  /**
   * Runs `use` with a local file path holding the object, for code that reads files by path (the DICOM SCU, the
   * slice decoders in worker threads). The path is valid only until `use` settles: an object store downloads to a
   * temp file and deletes it afterwards; the local folder passes its own file.
   */
  withLocalFile<T>(key: string, use: (path: string) => Promise<T>): Promise<T>;
  /** Undefined when nothing is stored under `key`. */
  stat(key: string): Promise<SpoolEntry | undefined>;
  /** Deletes the objects (absent ones count as removed) and the folders they leave empty. */
  remove(keys: readonly string[]): Promise<SpoolRemoval>;
  /** Proves the spool takes a new object now (health check); throws with the reason when it does not. */
  probe(): Promise<void>;
  /** Bytes a writer may still add (the disk watermark and the metrics). */
  freeBytes(): Promise<number>;
}
