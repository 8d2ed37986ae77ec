#!/usr/bin/env node
// Writes the weakly labelled dev sentences for the report-NER training data (issue 13; src/nlp/weak-labels.ts):
// one JSON object per line, {source, id, text, spans: [[start, end, TYPE]], reserved: [[start, end]]}. Frozen-test
// items and every sentence they share with dev items are left out. Also writes the sha256 of every frozen-test
// sentence key (hashes only, never a text), so that scripts/nlp/make_ner_data.py --exclude-keys drops any synthetic
// example that happens to say the same sentence ("No pneumothorax."). Needs a build (npm run build) first.
// Usage: node scripts/nlp/weak-labels.mjs [--out var/nlp/weak-labels.jsonl] [--keys var/nlp/frozen-sentence-keys.txt]
//        [--corpus corpus] [--manifest test/fixtures/nlp/frozen-test-split.json]
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const { frozenSentenceKeys, weakLabelRecords } = await import(join(root, 'dist/src/nlp/weak-labels.js'));
const out = resolve(arg('out', join(root, 'var/nlp/weak-labels.jsonl')));
const keysOut = resolve(arg('keys', join(root, 'var/nlp/frozen-sentence-keys.txt')));
const manifest = JSON.parse(readFileSync(resolve(arg('manifest', join(root, 'test/fixtures/nlp/frozen-test-split.json'))), 'utf8'));
const inputs = { corpusDir: resolve(arg('corpus', join(root, 'corpus'))), manifest, zhSetFile: join(root, 'test/fixtures/nlp/zh-labelled.tsv') };
const { records, stats } = await weakLabelRecords(inputs);
const sha = (k) => createHash('sha256').update(k, 'utf8').digest('hex');
const hashes = [...frozenSentenceKeys(inputs)].map(sha).sort();
mkdirSync(dirname(out), { recursive: true });
mkdirSync(dirname(keysOut), { recursive: true });
writeFileSync(out, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
writeFileSync(keysOut, hashes.join('\n') + '\n');
process.stdout.write(`${JSON.stringify(stats)}\nwrote ${records.length} sentences to ${out}, ${hashes.length} frozen-test sentence hashes to ${keysOut}\n`);
