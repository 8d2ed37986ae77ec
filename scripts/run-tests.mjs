#!/usr/bin/env node
// Runs the compiled mocha suites (dist/test/**/*.test.js) and ends with the line CI reads: "N passed, N failed".
// Usage: node scripts/run-tests.mjs [unit|socket|interop|e2e ...] [--grep PATTERN]
// Areas: unit (no sockets or processes), socket (raw sockets against our own servers and clients, no outside
// program), interop (real peers: DCMTK, Orthanc, python-hl7, openssl), e2e (the built daemon as a process).
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Mocha from 'mocha';

const args = process.argv.slice(2);
let grep;
const areas = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--grep') grep = args[++i];
  else areas.push(args[i]);
}
const roots = (areas.length > 0 ? areas : ['unit', 'socket', 'interop', 'e2e']).map((a) => resolve('dist/test', a));

function collect(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const mocha = new Mocha({ timeout: 60_000, reporter: 'spec', ...(grep ? { grep } : {}) });
for (const root of roots) for (const file of collect(root)) mocha.addFile(file);
await mocha.loadFilesAsync();
const runner = mocha.run((failures) => {
  const { passes, failures: failed, pending } = runner.stats;
  process.stdout.write(`\n${passes} passed, ${failed} failed${pending ? `, ${pending} skipped` : ''}\n`);
  process.exitCode = failures > 0 || passes === 0 ? 1 : 0;
});
