#!/usr/bin/env node
// Enforces the dependency direction of docs/architecture.md and forbids import cycles between areas.
// Transports (dicom, hl7, http) and engines (ai, nlp, imaging) import neither each other nor db/queue/results/flows;
// each flow (src/flows/<name>) is an area of its own and imports no other flow: the composition root (app) connects
// them. An area imports another only through its index.ts, and its index.ts exports only what other areas import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve('src');
// 'flows' in a list stands for every src/flows/<name> area.
const FORBIDDEN = {
  dicom: ['db', 'queue', 'results', 'hl7', 'http', 'ai', 'nlp', 'imaging', 'studies', 'storage', 'housekeeping'],
  hl7: ['db', 'queue', 'results', 'dicom', 'http', 'ai', 'nlp', 'imaging', 'studies', 'storage', 'housekeeping'],
  http: ['db', 'queue', 'results', 'dicom', 'hl7', 'ai', 'nlp', 'imaging', 'studies', 'storage', 'housekeeping'],
  ai: ['db', 'results', 'dicom', 'hl7', 'http', 'nlp', 'housekeeping'],
  nlp: ['db', 'results', 'dicom', 'hl7', 'http', 'ai', 'imaging', 'housekeeping'],
  imaging: ['db', 'results', 'hl7', 'http', 'ai', 'nlp', 'housekeeping'],
  // db's writer thread runs the study row's SQL, which belongs to study completion (studies), so studies sits below db
  db: ['results', 'dicom', 'hl7', 'http', 'ai', 'nlp', 'imaging', 'storage', 'housekeeping'],
  studies: ['db', 'flows', 'app', 'results', 'dicom', 'hl7', 'http', 'ai', 'nlp', 'imaging', 'storage', 'housekeeping', 'cli'],
  // housekeeping (scheduled upkeep) works on db and storage; the composition root (app) wires it
  housekeeping: ['results', 'dicom', 'hl7', 'http', 'ai', 'nlp', 'imaging', 'studies', 'cli'],
  // config embeds the model-spec schema of ai (a leaf: zod only), nothing else
  config: ['results', 'dicom', 'hl7', 'http', 'nlp', 'imaging', 'studies', 'storage', 'db', 'housekeeping'],
  // TLS files, options and peer identity: shared by both transports and the config check, so a leaf
  tls: ['config', 'results', 'dicom', 'hl7', 'http', 'ai', 'nlp', 'imaging', 'studies', 'storage', 'db', 'housekeeping'],
  // peer addresses and IP/CIDR allow-lists: shared by both transports and the config check, so a leaf
  net: ['config', 'tls', 'results', 'dicom', 'hl7', 'http', 'ai', 'nlp', 'imaging', 'studies', 'storage', 'db', 'housekeeping', 'cli'],
  // the durable queue seam and its worker loop: a leaf (interfaces, back-off, clock); engines implement it in db
  queue: ['config', 'results', 'dicom', 'hl7', 'http', 'ai', 'nlp', 'imaging', 'studies', 'storage', 'db', 'housekeeping', 'cli', 'tls', 'net', 'workers', 'flows', 'app'],
  results: ['flows', 'app', 'http', 'ai', 'nlp', 'imaging', 'studies', 'storage', 'db', 'housekeeping'],
  storage: ['flows', 'app'],
  // a flow may use engines, transports, stores, studies, results, the work loops and config; never another flow
  flows: ['flows', 'app', 'cli', 'housekeeping'],
  // request/reply over worker_threads for db, imaging and ai: a leaf
  workers: ['config', 'results', 'dicom', 'hl7', 'http', 'ai', 'nlp', 'imaging', 'studies', 'storage', 'db', 'housekeeping', 'tls', 'cli', 'flows', 'app'],
  // the audit trail (docs/audit.md): builds records from what app hands it; uses queue, db's audit queue, tls and
  // dicom's handler types. No transport or flow knows it: they raise their own events and app passes them on.
  audit: ['flows', 'app', 'cli', 'http', 'hl7', 'ai', 'nlp', 'imaging', 'results', 'storage', 'studies', 'housekeeping'],
};
for (const area of ['dicom', 'hl7', 'http', 'ai', 'nlp', 'imaging', 'db', 'housekeeping', 'config', 'tls']) FORBIDDEN[area].push('flows', 'app');
for (const area of Object.keys(FORBIDDEN)) if (area !== 'audit') FORBIDDEN[area].push('audit');

const forbidden = (from, to) => {
  const rules = FORBIDDEN[from.startsWith('flows/') ? 'flows' : from] ?? [];
  return rules.includes(to) || (to.startsWith('flows/') && rules.includes('flows'));
};

function files(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
/** The first folder under src, or two for src/flows/<name> (each flow is its own area). */
function areaOf(file) {
  const parts = relative(SRC, file).split('/');
  if (parts.length === 1) return '(root)';
  return parts[0] === 'flows' && parts.length > 2 ? `flows/${parts[1]}` : parts[0];
}

const problems = [];
const edges = new Map();
/** Per area index.ts, the names other areas import from it. */
const importedNames = new Map();
for (const file of files(SRC)) {
  const from = areaOf(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/import\s+(?:type\s+)?(?:\{([^}]*)\}|\* as \w+|\w+)\s+from '(\.[^']+)'|export\s+(?:type\s+)?\{[^}]*\}\s+from '(\.[^']+)'/g)) {
    const target = resolve(dirname(file), m[2] ?? m[3]).replace(/\.js$/, '.ts');
    const to = areaOf(target);
    if (to === from || to === '(root)') continue;
    if (forbidden(from, to)) problems.push(`${relative(SRC, file)} imports ${to} (forbidden for ${from})`);
    if (!/\/index\.ts$/.test(target)) problems.push(`${relative(SRC, file)} imports ${relative(SRC, target)}: use ${to}/index.ts`);
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from).add(to);
    if (!importedNames.has(target)) importedNames.set(target, new Set());
    for (const name of namesIn(m[1] ?? '')) importedNames.get(target).add(name);
  }
}

/** `a, type B, c as d` → a, B, c (with `values`, the type-only names are left out) */
function namesIn(list, { values = false } = {}) {
  return list
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '' && !(values && n.startsWith('type ')))
    .map((n) => n.replace(/^type\s+/, '').split(/\s+as\s+/)[0]);
}

// Unused exports: a value (function, class, constant) an area's index.ts exports that no other area imports. Tests and
// benches do not count: they import the module itself. Types are left out (a signature's types are part of the API
// even where no caller names them). Checked for every area (each has an index.ts).
const TRIMMED_AREAS = ['app', 'flows', 'hl7', 'config', 'storage', 'housekeeping', 'queue', 'studies', 'workers', 'net', 'audit', 'db', 'dicom', 'nlp', 'tls', 'http', 'ai', 'imaging', 'results', 'cli'];
for (const index of files(SRC).filter((f) => f.endsWith('/index.ts'))) {
  const area = areaOf(index);
  if (!TRIMMED_AREAS.includes(area.split('/')[0]) || relative(SRC, dirname(index)) !== area) continue;
  const used = importedNames.get(index) ?? new Set();
  const text = readFileSync(index, 'utf8');
  const exported = [...text.matchAll(/export\s+\{([^}]*)\}/g)].flatMap((m) => namesIn(m[1], { values: true }));
  const unused = exported.filter((n) => !used.has(n));
  if (unused.length > 0) problems.push(`src/${area}/index.ts exports what no other area imports: ${unused.join(', ')}`);
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
