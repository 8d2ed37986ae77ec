/** Test worker for worker-host.test.ts: doubles its input; n = 99 makes it exit, workerData.failInit makes loading fail. */
import { workerData } from 'node:worker_threads';
import { serveWorker } from '../../../src/ai/worker-protocol.js';

serveWorker(async () => {
  if ((workerData as { failInit?: boolean }).failInit === true) throw new Error('weights file is truncated');
  return {
    ready: { engine: 'onnxruntime-node', provider: 'cpu', device: 'test', version: '0', outputsPerImage: 1 },
    async run(batch, n) {
      if (n === 99) process.exit(3);
      if (n === 98) throw new Error('kernel not registered');
      return batch.map((v) => v * 2);
    },
    close: async () => {},
  };
});
