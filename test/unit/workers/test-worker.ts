/** Test worker for worker-client.test.ts: each method exercises one part of the protocol or the crash policy. */
import { threadId, workerData } from 'node:worker_threads';
import { GatewayError } from '../../../src/errors.js';
import { serve, transferring, type Transferring } from '../../../src/workers/index.js';

export type TestProtocol = {
  echo: { request: string; reply: string };
  /** Doubles the values in place and moves the buffer back. */
  double: { request: Float32Array; reply: Float32Array };
  /** Answers after `ms`, or 'aborted' once the caller aborts. */
  wait: { request: { ms: number }; reply: 'done' | 'aborted' };
  /** Ends the thread with this exit code. */
  exit: { request: { code: number }; reply: never };
  fail: { request: string; reply: never };
  threadId: { request: null; reply: number };
};

export interface TestWorkerData {
  failInit?: boolean;
}

serve<TestProtocol, { threadId: number }>(() => {
  if ((workerData as TestWorkerData | undefined)?.failInit === true) throw new Error('model file is truncated');
  return {
    ready: { threadId },
    handlers: {
      echo: (text) => text,
      double,
      wait: ({ ms }, signal) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => resolve('done'), ms);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve('aborted');
          });
        }),
      exit: ({ code }) => process.exit(code),
      fail: (why) => {
        throw new GatewayError('GW_ERR_DATASET_UNREADABLE', why);
      },
      threadId: () => threadId,
    },
  };
});

function double(values: Float32Array): Transferring<Float32Array> {
  for (let i = 0; i < values.length; i++) values[i] = (values[i] ?? 0) * 2;
  return transferring(values, [values.buffer as ArrayBuffer]);
}
