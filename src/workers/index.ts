/** Typed request/reply over worker_threads with one crash policy (worker-client.ts): the host side and `serve` for the worker file. */
export { transferring, type Method, type Protocol, type Transferring } from './protocol.js';
export { serve, type Handlers, type Service } from './serve.js';
export { WorkerCallError, WorkerClient, type CallOptions, type CrashCause, type WorkerClientOptions, type WorkerCrash } from './worker-client.js';
