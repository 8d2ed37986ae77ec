/** Creates an onnxruntime-node session with execution providers best first, falling back by hand. */
import { cpus } from 'node:os';
import ort from 'onnxruntime-node';
import type { ExecutionProvider } from './model-spec.js';

export interface OnnxSessionOptions {
  path: string;
  /** Best first. onnxruntime has no fallback of its own: `['cuda','cpu']` throws when CUDA is missing. */
  providers: readonly ExecutionProvider[];
  /** Intra-op threads for the CPU provider. */
  intraOpThreads: number;
}

export interface OnnxSession {
  session: ort.InferenceSession;
  provider: ExecutionProvider;
  device: string;
  version: string;
  /** Why earlier providers were skipped, one reason per provider, e.g. "CUDA provider not available: …". */
  fallbacks: string[];
}

/**
 * Tries each provider alone, in order. Measured on onnxruntime-node 1.30: a session created with
 * `['cuda','cpu']` throws "Failed to load shared library" when the CUDA provider is not installed instead of using
 * the CPU, so each provider gets its own attempt and the reasons are kept for the log.
 */
export async function createOnnxSession(options: OnnxSessionOptions): Promise<OnnxSession> {
  const fallbacks: string[] = [];
  let lastError: unknown;
  for (const provider of options.providers) {
    try {
      const session = await ort.InferenceSession.create(options.path, sessionOptions(provider, options.intraOpThreads));
      return { session, provider, device: deviceName(provider, options.intraOpThreads), version: ortVersion(), fallbacks };
    } catch (err) {
      lastError = err;
      fallbacks.push(`${providerLabel(provider)} provider not available: ${firstLine(err)}`);
    }
  }
  // Every provider failed: the last reason is the one that matters (e.g. a corrupt model file fails on CPU too).
  throw new Error(fallbacks.join('; '), { cause: lastError });
}

function sessionOptions(provider: ExecutionProvider, threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider === 'cuda' ? { name: 'cuda', deviceId: 0 } : 'cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    // The CPU provider's own spinning threads would burn the cores the DICOM receiver needs between batches.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

function deviceName(provider: ExecutionProvider, threads: number): string {
  if (provider === 'cuda') return 'cuda:0';
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `cpu: ${model} × ${threads} threads`;
}

function providerLabel(provider: ExecutionProvider): string {
  return provider === 'cuda' ? 'CUDA' : 'CPU';
}

function ortVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

/** onnxruntime's messages run over many lines with a native backtrace; the first line says what failed. */
function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]?.trim() ?? text;
}
