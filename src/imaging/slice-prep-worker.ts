/**
 * Worker thread of `SlicePreparer`: decodes and preprocesses instances off the main thread, where a 30 ms J2K
 * decode would stall every DICOM association the daemon is serving. Tensors go back as transferred buffers.
 * A file that cannot be read (deleted by retention, I/O error) rejects that request only; the worker lives on.
 */
import { serve, transferring } from '../workers/index.js';
import { prepareSlices } from './slice-prep.js';
import type { SlicePrepProtocol } from './slice-prep-pool.js';

serve<SlicePrepProtocol, null>(() => ({
  ready: null,
  handlers: {
    prepare: async ({ path, spec, frame }) => {
      const result = await prepareSlices(path, spec, frame);
      return transferring(result, result.kind === 'prepared' ? result.tensors.map((t) => t.buffer as ArrayBuffer) : []);
    },
  },
}));
