/**
 * The host's side of one worker thread (`serve.ts` is the other): typed calls by method name, matched to replies by
 * id, with transfer lists, per-call AbortSignal, and a bounded graceful `close()`.
 *
 * Crash policy, the same for every worker in the gateway:
 * - When the worker exits unasked (any exit code), throws out of its event loop, or fails its setup, every call it
 *   had not answered rejects with GW_ERR_WORKER_FAILED naming the worker and the cause ("database writer worker
 *   exited with code 3"). A call is never resolved unless the worker answered it, so a write the worker may or may
 *   not have committed is reported as failed: the caller says failure (C-STORE A702) and the sender retries, which
 *   the database treats as a replacement — a duplicate is harmless, a false Success loses an image.
 * - The crash is reported once through `onCrash` (the owner logs it; the rejected calls are logged where handled).
 * - The next call starts a fresh worker (lazily: nothing is spawned for nobody). After `restarts.max` restarts
 *   within `restarts.windowMs`, one more crash leaves the worker failed for good: every call rejects with that
 *   reason and `failure` says why, so a worker that dies on start-up is not respawned in a tight loop.
 * - A handler that throws is not a crash: that call alone rejects (WorkerCallError) and the worker serves on.
 * Calls are posted at once, also to a worker still setting up: `serve()` holds them until its setup is done.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';
import { GatewayError } from '../errors.js';
import type { FromWorker, Method, Protocol, ToWorker } from './protocol.js';

export interface WorkerClientOptions {
  /** Names the worker in errors and crash reports, e.g. 'database writer'. */
  name: string;
  script: URL;
  workerData?: unknown;
  /** Restarts allowed within the window; one crash more and the worker stays failed. Default 3 within 60 s. */
  restarts?: { max: number; windowMs: number };
  /** Told of each crash, once, before the next call may restart the worker. Must not throw. */
  onCrash?: (crash: WorkerCrash) => void;
}

export type CrashCause = { kind: 'exit'; exitCode: number } | { kind: 'error'; error: Error } | { kind: 'init-failed'; message: string };

export interface WorkerCrash {
  worker: string;
  cause: CrashCause;
  /** The cause in words, e.g. 'exited with code 3'. */
  reason: string;
  /** What the unanswered calls were rejected with. */
  error: GatewayError;
  /** Calls that were in flight and rejected. */
  rejectedCalls: number;
  /** False when this crash used up the restarts: the worker stays failed. */
  willRestart: boolean;
}

export interface CallOptions {
  /** Moved to the worker, not copied: detached here. */
  transfer?: readonly TransferListItem[];
  /** Rejects the call with `signal.reason` and asks the worker's handler to stop (its own signal fires). */
  signal?: AbortSignal;
}

/** A handler in the worker threw: this call failed, the worker still serves. `remoteCode` is the thrown error's code. */
export class WorkerCallError extends Error {
  constructor(
    message: string,
    readonly worker: string,
    readonly method: string,
    readonly remoteCode: string | undefined,
  ) {
    super(message);
    this.name = 'WorkerCallError';
  }
}

interface Pending<P extends Protocol> {
  resolve: (reply: P[Method<P>]['reply']) => void;
  reject: (err: unknown) => void;
  method: string;
  detach: () => void;
}

/** One worker thread's lifetime: a crash ends it, a later call starts the next one. */
interface Incarnation<P extends Protocol, R> {
  worker: Worker;
  pending: Map<number, Pending<P>>;
  ready: Promise<R>;
  settleReady: { resolve: (ready: R) => void; reject: (err: Error) => void };
  /** Set once it crashed or is being closed by us: later events from it are not crashes. */
  over: boolean;
  exited: Promise<void>;
  onIdle: Array<() => void>;
}

const DEFAULT_RESTARTS = { max: 3, windowMs: 60_000 };

export class WorkerClient<P extends Protocol, R = unknown> {
  private current: Incarnation<P, R> | undefined;
  private nextId = 1;
  private crashTimes: number[] = [];
  private failed: GatewayError | undefined;
  private closed = false;

  constructor(private readonly options: WorkerClientOptions) {}

  /** Starts the worker if it is not running; resolves with what its setup reported, rejects with why it failed. */
  start(): Promise<R> {
    const run = this.incarnation();
    return run instanceof Error ? Promise.reject(run) : run.ready;
  }

  /** Calls `method` in the worker; resolves with its reply. Rejections: see the crash policy in the header. */
  call<M extends Method<P>>(method: M, request: P[M]['request'], options: CallOptions = {}): Promise<P[M]['reply']> {
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const run = this.incarnation();
    if (run instanceof Error) return Promise.reject(run);
    const id = this.nextId++;
    return new Promise<P[M]['reply']>((resolve, reject) => {
      const onAbort = (): void => {
        if (!run.pending.delete(id)) return;
        reject(signal?.reason);
        if (!run.over) this.post(run, { type: 'cancel', id });
        this.checkIdle(run);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const detach = (): void => signal?.removeEventListener('abort', onAbort);
      // The worker answers id with method M's reply, so resolving the union with it is sound.
      run.pending.set(id, { resolve: resolve as (reply: P[Method<P>]['reply']) => void, reject, method, detach });
      try {
        run.worker.postMessage({ type: 'call', id, method, request } satisfies ToWorker<P>, options.transfer);
      } catch (err) {
        // Not cloneable, or a buffer already detached: nothing reached the worker.
        run.pending.delete(id);
        detach();
        reject(err);
      }
    });
  }

  /** Calls sent to the running worker and not yet answered. */
  get inFlight(): number {
    return this.current?.pending.size ?? 0;
  }

  /** Why the worker stays failed (restarts used up); undefined while it runs or may be restarted. */
  get failure(): GatewayError | undefined {
    return this.failed;
  }

  /**
   * Refuses new calls, waits up to `graceMs` for those in flight, then lets the worker finish (its `close` hook)
   * and terminates it if it has not exited by the deadline. Calls still unanswered reject with GW_ERR_SHUTTING_DOWN.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    this.closed = true;
    const run = this.current;
    this.current = undefined;
    if (run === undefined || run.over) return;
    run.over = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), options.graceMs ?? 0)));
    try {
      await Promise.race([this.idle(run), run.exited, deadline]); // a worker that dies meanwhile will answer nothing
      this.post(run, { type: 'close' });
      if ((await Promise.race([run.exited, deadline])) === 'deadline') await run.worker.terminate();
    } finally {
      clearTimeout(timer);
    }
    this.rejectAll(run, new GatewayError('GW_ERR_SHUTTING_DOWN', `${this.options.name} worker was closed before it answered`, { context: { worker: this.options.name } }));
    run.settleReady.reject(new GatewayError('GW_ERR_SHUTTING_DOWN', `${this.options.name} worker was closed before it was ready`));
  }

  private incarnation(): Incarnation<P, R> | GatewayError {
    if (this.closed) return new GatewayError('GW_ERR_SHUTTING_DOWN', `${this.options.name} worker is closed`, { context: { worker: this.options.name } });
    if (this.failed !== undefined) return this.failed;
    return (this.current ??= this.spawn());
  }

  private spawn(): Incarnation<P, R> {
    const worker = new Worker(this.options.script, { workerData: this.options.workerData });
    const settleReady = { resolve: (_: R): void => {}, reject: (_: Error): void => {} };
    const ready = new Promise<R>((resolve, reject) => Object.assign(settleReady, { resolve, reject }));
    ready.catch(() => undefined); // nobody need await ready; a failed setup also rejects the calls
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const run: Incarnation<P, R> = { worker, pending: new Map(), ready, settleReady, over: false, exited, onIdle: [] };
    worker.on('message', (m: FromWorker<P, R>) => this.receive(run, m));
    worker.on('error', (error) => this.crashed(run, { kind: 'error', error }));
    worker.on('exit', (exitCode) => this.crashed(run, { kind: 'exit', exitCode }));
    return run;
  }

  private receive(run: Incarnation<P, R>, m: FromWorker<P, R>): void {
    if (m.type === 'ready') return run.settleReady.resolve(m.ready);
    if (m.type === 'init-failed') return this.crashed(run, { kind: 'init-failed', message: m.message });
    const p = run.pending.get(m.id);
    if (p === undefined) return; // aborted meanwhile
    run.pending.delete(m.id);
    p.detach();
    if (m.ok) p.resolve(m.reply);
    else p.reject(new WorkerCallError(m.message, this.options.name, p.method, m.code));
    this.checkIdle(run);
  }

  private crashed(run: Incarnation<P, R>, cause: CrashCause): void {
    if (run.over) return;
    run.over = true;
    if (this.current === run) this.current = undefined;
    void run.worker.terminate(); // after a failed setup or an uncaught error the thread may linger; end it
    const { name } = this.options;
    const { max, windowMs } = this.options.restarts ?? DEFAULT_RESTARTS;
    const now = Date.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < windowMs), now];
    const what = describeCause(cause);
    const context = { worker: name, ...(cause.kind === 'exit' ? { exitCode: cause.exitCode } : {}) };
    const causeError = cause.kind === 'error' ? cause.error : undefined;
    const error = new GatewayError('GW_ERR_WORKER_FAILED', `${name} worker ${what} before it answered`, { context, cause: causeError });
    const willRestart = this.crashTimes.length <= max;
    if (!willRestart) {
      const crashes = this.crashTimes.length === 1 ? '1 crash' : `${this.crashTimes.length} crashes`;
      this.failed = new GatewayError(
        'GW_ERR_WORKER_FAILED',
        `${name} worker stopped after ${crashes} within ${Math.round(windowMs / 1000)} s (last: ${what}); fix the cause and restart the gateway`,
        { context, cause: causeError },
      );
    }
    const rejectedCalls = run.pending.size;
    this.rejectAll(run, error);
    run.settleReady.reject(cause.kind === 'init-failed' ? new GatewayError('GW_ERR_WORKER_FAILED', `${name} worker ${what}`, { context }) : error);
    this.options.onCrash?.({ worker: name, cause, reason: what, error, rejectedCalls, willRestart });
  }

  private rejectAll(run: Incarnation<P, R>, err: Error): void {
    const calls = [...run.pending.values()];
    run.pending.clear();
    for (const p of calls) {
      p.detach();
      p.reject(err);
    }
    this.checkIdle(run);
  }

  private post(run: Incarnation<P, R>, m: ToWorker<P>): void {
    try {
      run.worker.postMessage(m);
    } catch {
      // the thread is already gone; its exit event settles what was pending
    }
  }

  private idle(run: Incarnation<P, R>): Promise<void> {
    return run.pending.size === 0 ? Promise.resolve() : new Promise((resolve) => run.onIdle.push(resolve));
  }

  private checkIdle(run: Incarnation<P, R>): void {
    if (run.pending.size > 0) return;
    const waiting = run.onIdle;
    run.onIdle = [];
    waiting.forEach((resolve) => resolve());
  }
}

function describeCause(cause: CrashCause): string {
  if (cause.kind === 'exit') return `exited with code ${cause.exitCode}`;
  if (cause.kind === 'error') return `failed: ${cause.error.message}`;
  return `failed to start: ${cause.message}`;
}
