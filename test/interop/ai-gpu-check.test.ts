import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/fixtures.js';

describe('bench/gpu-check.sh on a host without the CUDA provider', () => {
  it('fails with exit 2 saying "CUDA provider not available" instead of passing on the CPU', function () {
    const providerLib = join(REPO_ROOT, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so');
    if (existsSync(providerLib)) this.skip(); // a CUDA host: there the script is meant to pass
    const r = spawnSync('bash', [join(REPO_ROOT, 'bench/gpu-check.sh'), '--iterations', '1'], {
      cwd: REPO_ROOT,
      env: { ...process.env, GPU_CHECK_SKIP_BUILD: '1' }, // npm test has just built dist/
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr).to.match(/gpu-check: FAIL: .*CUDA provider not available/);
    expect(r.stdout).not.to.contain('PASS');
  });
});
