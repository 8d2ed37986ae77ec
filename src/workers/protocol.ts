/** What a host and its worker thread say to each other: the typed protocol of methods and the messages on the wire. */

/**
 * A worker's methods: name → request and reply. Declare it as a `type` alias (interfaces lack the index signature),
 * e.g. `type WriterProtocol = { write: { request: InstanceRecord; reply: StudyProgress } }`.
 */
export type Protocol = Record<string, { request: unknown; reply: unknown }>;

export type Method<P extends Protocol> = keyof P & string;

/** Host → worker. `cancel` asks the handler to stop (its AbortSignal fires); `close` ends the worker after in-flight calls. */
export type ToWorker<P extends Protocol> =
  | { type: 'call'; id: number; method: Method<P>; request: P[Method<P>]['request'] }
  | { type: 'cancel'; id: number }
  | { type: 'close' };

/** Worker → host. `code` carries a GatewayError's code across the thread boundary (cloning drops own properties). */
export type FromWorker<P extends Protocol, R> =
  | { type: 'ready'; ready: R }
  | { type: 'init-failed'; message: string }
  | { type: 'reply'; id: number; ok: true; reply: P[Method<P>]['reply'] }
  | { type: 'reply'; id: number; ok: false; message: string; code?: string };

/** A reply with the buffers to move (not copy) to the other thread; build it with `transferring`. */
export class Transferring<T> {
  constructor(
    readonly value: T,
    readonly transfer: readonly ArrayBuffer[],
  ) {}
}

/** Marks `value` to be sent with `transfer` moved across: they are detached on the sending side. */
export function transferring<T>(value: T, transfer: readonly ArrayBuffer[]): Transferring<T> {
  return new Transferring(value, transfer);
}

/** The text and code of a thrown value, for a message that crosses the thread boundary. */
export function errorFields(err: unknown): { message: string; code?: string } {
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  return code === undefined ? { message } : { message, code };
}
