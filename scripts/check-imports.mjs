#!/usr/bin/env node
// Enforces the dependency direction of docs/architecture.md and forbids import cycles between areas.
// Transports (dicom, hl7, http) and engines (ai, nlp, imaging) import neither each other nor db/pipeline/results;
// an area imports another only through its index.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve('src');
const FORBIDDEN = {
  dicom: ['db', 'pipeline', 'results', 'hl7', 'http', 'ai', 'nlp', 'imaging', 'studies', 'storage', 'housekeeping'],
  hl7: ['db', 'pipeline', 'results', 'dicom', 'http', 'ai', 'nlp', 'imaging', 'studies', 'storage', 'housekeeping'],
  http: ['db', 'pipeline', 'results', 'dicom', 'hl7', 'ai', 'nlp', 'imaging', 'studies', 'storage', 'housekeeping'],
  ai: ['db', 'pipeline', 'results', 'dicom', 'hl7', 'http', 'nlp', 'housekeeping'],
  nlp: ['db', 'pipeline', 'results', 'dicom', 'hl7', 'http', 'ai', 'imaging', 'housekeeping'],
  imaging: ['db', 'pipeline', 'results', 'hl7', 'http', 'ai', 'nlp', 'housekeeping'],
  db: ['pipeline', 'results', 'dicom', 'hl7', 'http', 'ai', 'nlp', 'imaging', 'studies', 'storage', 'housekeeping'],
  // housekeeping (scheduled upkeep) works on db and storage; pipeline wires it
  housekeeping: ['pipeline', 'results', 'dicom', 'hl7', 'http', 'ai', 'nlp', 'imaging', 'studies', 'cli'],
  // config embeds the model-spec schema of ai (a leaf: zod only), nothing else
  config: ['pipeline', 'results', 'dicom', 'hl7', 'http', 'nlp', 'imaging', 'studies', 'storage', 'db', 'housekeeping'],
  // TLS files, options and peer identity: shared by both transports and the config check, so a leaf
  // peer addresses and IP/CIDR allow-lists: shared by both transports and the config check, so a leaf
  net: ['config', 'tls', 'pipeline', 'results', 'dicom', 'hl7', 'http', 'ai', 'nlp', 'imaging', 'studies', 'storage', 'db', 'housekeeping', 'cli'],
  tls: ['config', 'pipeline', 'results', 'dicom', 'hl7', 'http', 'ai', 'nlp', 'imaging', 'studies', 'storage', 'db', 'housekeeping'],
};

function files(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const areaOf = (file) => relative(SRC, file).split('/').length > 1 ? relative(SRC, file).split('/')[0] : '(root)';

const problems = [];
const edges = new Map();
for (const file of files(SRC)) {
  const from = areaOf(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/from '(\.[^']+)'/g)) {
    const target = resolve(dirname(file), m[1]).replace(/\.js$/, '.ts');
    const to = areaOf(target);
    if (to === from || to === '(root)') continue;
    if ((FORBIDDEN[from] ?? []).includes(to)) problems.push(`${relative(SRC, file)} imports ${to} (forbidden for ${from})`);
    if (!/\/index\.ts$/.test(target)) problems.push(`${relative(SRC, file)} imports ${relative(SRC, target)}: use ${to}/index.ts`);
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from).add(to);
  }
}
// cycle check between areas
const state = new Map();
function visit(n, path) {
  if (state.get(n) === 'done') return;
  if (state.get(n) === 'active') { problems.push(`import cycle: ${[...path, n].join(' → ')}`); return; }
  state.set(n, 'active');
  for (const m of edges.get(n) ?? []) visit(m, [...path, n]);
  state.set(n, 'done');
}
for (const n of edges.keys()) visit(n, []);
if (problems.length > 0) {
  console.error(`dependency rules broken:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`imports ok (${edges.size} areas)`);
