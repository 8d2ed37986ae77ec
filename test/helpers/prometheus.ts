/**
 * Parses Prometheus exposition text with the reference parser (Debian python3-prometheus-client,
 * `text_string_to_metric_families`), so a test sees /metrics as Prometheus would.
 */
import type { Context } from 'mocha';
import { run } from './peers.js';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: string;
  help: string;
  samples: PromSample[];
}

const PARSE = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({'name': f.name, 'type': f.type, 'help': f.documentation,
                'samples': [{'name': s.name, 'labels': s.labels, 'value': s.value if math.isfinite(s.value) else str(s.value)} for s in f.samples]})
print(json.dumps(out))
`;

/** Skips (locally) or fails (CI) when the parser is not installed. */
export async function requirePromParser(ctx: Context): Promise<void> {
  const r = await run('/usr/bin/python3', ['-c', 'import prometheus_client.parser']).catch(() => ({ code: 1 }));
  if (r.code === 0) return;
  if (process.env.CI) throw new Error('python3-prometheus-client missing under CI (.ci/run must install it)');
  ctx.skip();
}

/** Fails with the parser's message when the text is not valid exposition format. */
export async function parsePrometheus(text: string): Promise<PromFamily[]> {
  const r = await run('/usr/bin/python3', ['-c', PARSE], { input: text, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`prometheus_client could not parse /metrics: ${r.stderr}`);
  return JSON.parse(r.stdout) as PromFamily[];
}

/** The value of the sample with this name whose labels include `labels`; undefined when there is none. */
export function sampleValue(families: PromFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
