/**
 * The worker thread's side of `WorkerClient`: set up once (open the database, load the model), report ready or the
 * reason it could not, then answer calls by method name. Nothing throws out of the message listener: a handler's
 * failure becomes that call's rejection and the worker serves on.
 */
import { parentPort } from 'node:worker_threads';
import { errorFields, Transferring, type FromWorker, type Method, type Protocol, type ToWorker } from './protocol.js';

/** One handler per method; `signal` fires when the caller aborted. Return `transferring(reply, buffers)` to move buffers. */
export type Handlers<P extends Protocol> = {
  [M in Method<P>]: (request: P[M]['request'], signal: AbortSignal) => Reply<P[M]['reply']> | Promise<Reply<P[M]['reply']>>;
};

type Reply<T> = T | Transferring<T>;

export interface Service<P extends Protocol, R> {
  handlers: Handlers<P>;
  /** Sent to the host once set up (what `WorkerClient.start()` resolves with). */
  ready: R;
  /** Runs on a graceful close, after the calls in flight have settled. */
  close?: () => void | Promise<void>;
  /** One call at a time in arrival order (an engine that already uses every core only thrashes when overlapped). */
  serial?: boolean;
}

/** Serves `setup()`'s handlers on this worker thread's parent port. Call once, at the top of the worker file. */
export function serve<P extends Protocol, R>(setup: () => Service<P, R> | Promise<Service<P, R>>): void {
  const port = parentPort;
  if (port === null) throw new Error('serve() must run in a worker thread');
  const send = (m: FromWorker<P, R>, transfer: readonly ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  const inFlight = new Map<number, { abort: AbortController; done: Promise<void> }>();
  let service: Service<P, R> | undefined;
  let early: Array<ToWorker<P>> = [];
  let chain: Promise<void> = Promise.resolve();

  const call = (id: number, method: Method<P>, request: P[Method<P>]['request']): void => {
    const abort = new AbortController();
    const run = async (): Promise<void> => {
      try {
        const handler = service?.handlers[method];
        if (handler === undefined) throw new Error(`worker has no method ${method}`);
        const out = await handler(request, abort.signal);
        if (out instanceof Transferring) send({ type: 'reply', id, ok: true, reply: out.value }, out.transfer);
        else send({ type: 'reply', id, ok: true, reply: out });
      } catch (err) {
        send({ type: 'reply', id, ok: false, ...errorFields(err) });
      } finally {
        inFlight.delete(id);
      }
    };
    const done = service?.serial === true ? (chain = chain.then(run)) : run();
    inFlight.set(id, { abort, done });
  };

  const close = async (): Promise<void> => {
    await Promise.allSettled([...inFlight.values()].map((c) => c.done));
    // Closing anyway: a failed dispose must not keep the thread alive or crash it first.
    await Promise.resolve(service?.close?.()).catch(() => undefined);
    port.close();
  };

  const dispatch = (m: ToWorker<P>): void => {
    if (m.type === 'call') call(m.id, m.method, m.request);
    else if (m.type === 'cancel') inFlight.get(m.id)?.abort.abort();
    else void close();
  };

  // Listen at once: calls sent while setup runs wait in `early`, so the host never has to await ready to send.
  port.on('message', (m: ToWorker<P>) => (service === undefined ? early.push(m) : dispatch(m)));
  Promise.resolve()
    .then(setup)
    .then(
      (s) => {
        service = s;
        send({ type: 'ready', ready: s.ready });
        const queued = early;
        early = [];
        queued.forEach(dispatch);
      },
      (err: unknown) => {
        send({ type: 'init-failed', message: errorFields(err).message });
        port.close();
      },
    );
}
