/** `pacs-ai-gateway nlp --jsonl`: batch report NER from stdin to stdout. */
import { loadNerModel, runNlpJsonl } from '../nlp/index.js';

export async function nlpCommand(opts: { modelDir?: string; rulesOnly?: boolean }): Promise<void> {
  const ner = opts.rulesOnly === true ? null : await loadNerModel(opts.modelDir === undefined ? {} : { modelDir: opts.modelDir });
  const summary = await runNlpJsonl(process.stdin, process.stdout, { ner });
  await ner?.dispose();
  // Bad lines get an {"error"} line each and processing goes on: the exit code stays 0.
  process.stderr.write(`${summary.lines} lines, ${summary.ok} ok, ${summary.errors} errors\n`);
}
