import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvRecords, parseNegex, parseZhSet } from '../../../src/nlp/evaluation.js';
import { FROZEN_SPLIT_RULE, frozenManifest, isFrozenTest, splitOf, type FrozenManifest } from '../../../src/nlp/frozen-split.js';
import { CORPUS, REPO_ROOT } from '../../helpers/fixtures.js';

// The manifest of the frozen test split (issue 13) and its hash. If this test fails, the split or its rule changed:
// that voids every frozen-test figure measured so far. Do not "fix" it by updating the hash.
const MANIFEST = join(REPO_ROOT, 'test/fixtures/nlp/frozen-test-split.json');
const MANIFEST_SHA256 = 'b080ce287884f407203e32855f49d99839312ecde95f4541f36241eef42da660';

describe('nlp/frozen-split: the frozen test split does not move', () => {
  it('the committed manifest has its recorded sha256', () => {
    expect(createHash('sha256').update(readFileSync(MANIFEST)).digest('hex')).to.equal(MANIFEST_SHA256);
  });

  it('the rule, applied to the corpus ids, gives exactly the manifest', () => {
    const reports = new Set(csvRecords(readFileSync(join(CORPUS, 'reports/openi/indiana_reports.csv'), 'utf8')).map((r) => r.uid));
    const openi = csvRecords(readFileSync(join(CORPUS, 'reports/openi/openi_gld_std14.csv'), 'utf8'))
      .map((g) => (g.filename as string).replace(/^CXR/u, '')).filter((u) => reports.has(u));
    const negex = parseNegex(readFileSync(join(CORPUS, 'reports/negex/rsAnnotations-1-120-random.tsv'), 'utf8')).map((r) => r.line);
    const zh = parseZhSet(readFileSync(join(REPO_ROOT, 'test/fixtures/nlp/zh-labelled.tsv'), 'utf8')).map((r) => r.id);
    const committed = JSON.parse(readFileSync(MANIFEST, 'utf8')) as FrozenManifest;
    expect(frozenManifest({ openi, negex, zh })).to.deep.equal(committed);
    expect(committed.rule).to.equal(FROZEN_SPLIT_RULE);
    expect([committed.openi.length, committed.negex.length, committed.zh.length]).to.deep.equal([472, 391, 83]);
  });

  it('never takes an item of the former dev parts', () => {
    for (let uid = 0; uid < 4000; uid += 5) {
      expect(isFrozenTest('openi', uid)).to.equal(false);
      expect(isFrozenTest('openi', uid + 1)).to.equal(false);
      expect(isFrozenTest('negex', uid)).to.equal(false);
    }
    expect(splitOf('openi', 5)).to.equal('dev');
  });
});

describe('eval:nlp refuses item-by-item listings of the frozen test split', () => {
  it('exits 2 on --errors test, before reading any corpus file', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/bench/eval-nlp.js'), '--errors', 'test'], { encoding: 'utf8' });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/refused/u);
    expect(r.stdout).to.equal('');
  });
});
