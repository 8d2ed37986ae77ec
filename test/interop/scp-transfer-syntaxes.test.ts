/**
 * Each transfer syntax the SCP accepts, made from one synthetic CT by DCMTK/GDCM encoders (the corpus has
 * no JPEG lossless .57/.70 file), sent by dcmsend in its own syntax and stored byte-identical to storescp +B.
 */
import { expect } from 'chai';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sameDataset } from '../../src/storage/compare.js';
import { dcmsend, generateCtSeries, startStorescp, storescu, type Storescp } from '../helpers/dcmtk.js';
import { listFiles, runCleanups, tempDir } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { hasCommand, requirePeers, run } from '../helpers/peers.js';

const VARIANTS: Array<{ name: string; ts: string; cmd: string; args: string[]; sendArgs?: string[] }> = [
  // dcmsend converts implicit to explicit LE: storescu -xi proposes only implicit
  { name: 'implicit VR LE', ts: '1.2.840.10008.1.2', cmd: 'dcmconv', args: ['+ti'], sendArgs: ['-xi'] },
  // dcmsend would convert BE to LE: storescu -xb proposes big endian first, so it travels as BE
  { name: 'explicit VR BE', ts: '1.2.840.10008.1.2.2', cmd: 'dcmconv', args: ['+tb'], sendArgs: ['-xb'] },
  { name: 'deflated', ts: '1.2.840.10008.1.2.1.99', cmd: 'dcmconv', args: ['+td'] },
  { name: 'JPEG lossless SV1', ts: '1.2.840.10008.1.2.4.70', cmd: 'dcmcjpeg', args: [] },
  { name: 'JPEG lossless process 14', ts: '1.2.840.10008.1.2.4.57', cmd: 'dcmcjpeg', args: ['+el'] },
  { name: 'JPEG-LS lossless', ts: '1.2.840.10008.1.2.4.80', cmd: 'dcmcjpls', args: [] },
  { name: 'RLE lossless', ts: '1.2.840.10008.1.2.5', cmd: 'dcmcrle', args: [] },
  { name: 'JPEG 2000 lossless', ts: '1.2.840.10008.1.2.4.90', cmd: 'gdcmconv', args: ['--j2k'] },
];

describe('interop: SCP stores every transfer syntax byte-exact', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  let ref: Storescp;
  let source: string;

  before(async function () {
    requirePeers(this, 'dcmsend', 'storescp', 'dcmconv', 'dcmcjpeg', 'dcmcjpls', 'dcmcrle', 'gdcmconv', 'dcmdump', '/usr/bin/python3');
    gw = await startGateway();
    ref = await startStorescp();
    [source] = (await generateCtSeries(1, 3)) as [string];
  });
  after(async () => {
    await gw?.stop();
    await ref?.stop();
    runCleanups();
  });

  for (const v of VARIANTS) {
    it(`${v.name} (${v.ts})`, async function () {
      if (!hasCommand(v.cmd)) this.skip();
      const file = join(tempDir(), 'variant.dcm');
      const made = await run(v.cmd, [...v.args, source, file]);
      expect(made.code, made.stderr).to.equal(0);
      const meta = await run('dcmdump', ['-q', '-Un', '-M', '+P', '0002,0010', file]);
      expect(meta.stdout).to.contain(`[${v.ts}]`);
      for (const f of readdirSync(ref.dir)) rmSync(join(ref.dir, f));
      const send = (port: number, calledAe: string) =>
        v.sendArgs === undefined ? dcmsend(port, [file], { calledAe }) : storescu(port, [file], { calledAe, extra: v.sendArgs });
      const toRef = await send(ref.port, 'REFSCP');
      expect(toRef.code, toRef.stderr).to.equal(0);
      const toUs = await send(gw.dicomPort, 'AIGATEWAY');
      expect(toUs.code, toUs.stderr).to.equal(0);
      let refFile = join(ref.dir, readdirSync(ref.dir)[0] as string);
      const refTs = await run('dcmdump', ['-q', '-Un', '-M', '+P', '0002,0010', refFile]);
      // storescp does not accept every syntax we do (not .57): then the reference is the sent file itself
      if (!refTs.stdout.includes(`[${v.ts}]`)) refFile = file;
      const ours = listFiles(join(gw.dataDir, 'spool')).filter((f) => f.endsWith('.dcm'));
      const stored = await run('dcmdump', ['-q', '-Un', '-M', '+P', '0002,0010', ...ours]);
      expect(stored.stdout, 'stored in the syntax it was sent in').to.contain(`[${v.ts}]`);
      const matches = await Promise.all(ours.map((o) => sameDataset(refFile, o)));
      expect(matches.includes(true), 'one stored dataset equals the reference').to.equal(true);
    });
  }
});
