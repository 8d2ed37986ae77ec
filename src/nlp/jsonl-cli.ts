// `pacs-ai-gateway nlp --jsonl`: reads {"id","text","targets"?} lines, writes {"id","findings","targets"} lines.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { analyzeReport } from './report-analyzer.js';
import type { NerModel } from './ner-model.js';

export interface JsonlOptions {
  /** The NER model; null runs the rules alone. */
  ner: NerModel | null;
  /** Longest accepted input line in characters; longer lines get an error line (default 1,000,000). */
  maxLineChars?: number;
}

export interface JsonlSummary {
  lines: number;
  ok: number;
  errors: number;
}

interface Request {
  id: string | number | undefined;
  text: string;
  targets: string[] | undefined;
}

/** Parses one input line into a request, or returns the reason it is not one. */
function parseLine(line: string): Request | { id: string | number | undefined; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { id: undefined, error: `not JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { id: undefined, error: 'each line must be a JSON object {"id", "text", "targets"?}' };
  }
  const o = value as Record<string, unknown>;
  const id = typeof o.id === 'string' || typeof o.id === 'number' ? o.id : undefined;
  if (o.id !== undefined && id === undefined) return { id: undefined, error: '"id" must be a string or a number' };
  if (typeof o.text !== 'string') return { id, error: '"text" must be a string' };
  if (o.targets !== undefined && (!Array.isArray(o.targets) || !o.targets.every((t) => typeof t === 'string'))) {
    return { id, error: '"targets" must be an array of strings' };
  }
  return { id, text: o.text, targets: o.targets as string[] | undefined };
}

/**
 * Reads JSON lines from input and writes one JSON line per non-blank input line to output, in order. A bad line
 * gives {"id"?, "error"} and processing goes on. Output honours back-pressure. Resolves when input ends.
 */
export async function runNlpJsonl(input: Readable, output: Writable, options: JsonlOptions): Promise<JsonlSummary> {
  const summary: JsonlSummary = { lines: 0, ok: 0, errors: 0 };
  const maxLineChars = options.maxLineChars ?? 1_000_000;
  const write = async (obj: unknown): Promise<void> => {
    if (!output.write(`${JSON.stringify(obj)}\n`)) await once(output, 'drain');
  };
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '') continue;
    summary.lines++;
    if (line.length > maxLineChars) {
      summary.errors++;
      await write({ error: `line longer than ${maxLineChars} characters` });
      continue;
    }
    const req = parseLine(line);
    if ('error' in req) {
      summary.errors++;
      await write(req.id === undefined ? { error: req.error } : { id: req.id, error: req.error });
      continue;
    }
    try {
      const result = await analyzeReport(req.text, { ner: options.ner, targets: req.targets ?? [] });
      summary.ok++;
      await write({ id: req.id ?? null, findings: result.findings, targets: result.targets ?? [] });
    } catch (err) {
      summary.errors++;
      await write({ id: req.id ?? null, error: `analysis failed: ${(err as Error).message}` });
    }
  }
  return summary;
}
