/**
 * Cross-checks the generated storage SOP class table (src/dicom/storage-sop-classes.ts) with pydicom (Debian
 * python3-pydicom): every row is a SOP class of pydicom's PS3.6 registry with the same name and retired flag, and
 * pydicom's own list of storage UIDs differs from our current (non-retired) rows only by the exclusions documented
 * in scripts/data/storage-sop-classes.md. A newer pydicom with storage classes we lack fails here: update the extract.
 */
import { expect } from 'chai';
import type { Context } from 'mocha';
import { STORAGE_SOP_CLASSES } from '../../src/dicom/storage-sop-classes.js';
import { run } from '../helpers/peers.js';

/** pydicom's storage UIDs (the auto-generated block of pydicom/uid.py) and its PS3.6 registry, as JSON. */
const DUMP = `
import json, re, pydicom, pydicom.uid as u
from pydicom._uid_dict import UID_dictionary
src = open(u.__file__, encoding='utf-8').read()
marker = 'auto-generated Storage SOP Class UIDs'
if marker not in src:
    raise SystemExit('pydicom/uid.py has no "' + marker + '" block')
block = src.split(marker, 1)[1]
storage = sorted(set(re.findall(r"""^\\w+ = UID\\(['"]([0-9.]+)['"]\\)""", block, re.M)))
registry = {k: [v[0], v[1], v[3]] for k, v in UID_dictionary.items()}
print(json.dumps({'version': pydicom.__version__, 'storage': storage, 'registry': registry}))
`;

interface PydicomDump {
  version: string;
  storage: string[];
  /** UID → [name, type, "Retired" or ""]. */
  registry: Record<string, [string, string, string]>;
}

/** What scripts/data/storage-sop-classes.md excludes on purpose, each with the reason. */
const EXCLUDED: Array<{ why: string; matches: (uid: string) => boolean }> = [
  { why: 'Media Storage Directory (DICOMDIR): media only', matches: (u) => u === '1.2.840.10008.1.3.10' },
  {
    why: 'Non-Patient Object Storage (PS3.4 Annex GG): no Study Instance UID',
    matches: (u) => /^1\.2\.840\.10008\.5\.1\.4\.(38|39|43|44|45)\.1$/.test(u) || /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.200\.(1|3|7)$/.test(u),
  },
  { why: 'DICOS and DICONDE: outside PS3.4', matches: (u) => /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.(501|601)\./.test(u) },
];

async function pydicom(ctx: Context): Promise<PydicomDump> {
  const probe = await run('/usr/bin/python3', ['-c', 'import pydicom']).catch(() => ({ code: 1 }));
  if (probe.code !== 0) {
    if (process.env.CI) throw new Error('python3-pydicom missing under CI (.ci/run must install it)');
    ctx.skip();
  }
  const r = await run('/usr/bin/python3', ['-c', DUMP], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`pydicom dump failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as PydicomDump;
}

describe('interop: storage SOP class table against pydicom', function () {
  this.timeout(60_000);
  let dump: PydicomDump;
  before(async function () {
    dump = await pydicom(this);
  });

  it('names every row as pydicom\'s PS3.6 registry does, with the same retired flag', () => {
    for (const c of STORAGE_SOP_CLASSES) {
      const entry = dump.registry[c.uid];
      expect(entry, `${c.uid} in pydicom ${dump.version}'s registry`).to.not.equal(undefined);
      const [name, type, retired] = entry as [string, string, string];
      expect({ name, type, retired: retired === 'Retired' }, c.uid).to.deep.equal({ name: c.name, type: 'SOP Class', retired: c.retired });
    }
  });

  it("equals pydicom's storage list, except the documented exclusions (non-patient objects, DICOMDIR, DICOS/DICONDE)", () => {
    const current = new Set(STORAGE_SOP_CLASSES.filter((c) => !c.retired).map((c) => c.uid));
    const theirs = new Set(dump.storage);
    expect([...current].filter((u) => !theirs.has(u)), `ours, not in pydicom ${dump.version}'s storage list`).to.deep.equal([]);
    const missing = [...theirs].filter((u) => !current.has(u));
    const unexplained = missing.filter((u) => !EXCLUDED.some((e) => e.matches(u)));
    expect(unexplained.map((u) => `${u} ${dump.registry[u]?.[0] ?? ''}`), `pydicom ${dump.version} storage classes missing from scripts/data/storage-sop-classes.tsv`).to.deep.equal([]);
    // Each exclusion still names something pydicom lists, so the rules above are not dead.
    for (const e of EXCLUDED) expect(missing.some((u) => e.matches(u)), e.why).to.equal(true);
  });
});
