import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDatasetHeader } from '../../../src/dicom/dataset-header.js';
import { buildFileMetaHeader } from '../../../src/dicom/part10.js';
import { decodePData } from '../../../src/dicom/pdu.js';
import { PduReader } from '../../../src/dicom/pdu-reader.js';
import { findSopUids, openDataset, parseMetaHeader, planContexts, readMeta } from '../../../src/dicom/scu-file.js';
import { MAX_SEND_FRAGMENT, fragmentBlock, fragmentBytesFor } from '../../../src/dicom/scu-pdata.js';
import { CORPUS } from '../../helpers/fixtures.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const ELE = '1.2.840.10008.1.2.1';
const ILE = '1.2.840.10008.1.2';
const J2K = '1.2.840.10008.1.2.4.90';

function part10(dataset: Buffer, fields: Partial<{ sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string }> = {}): Buffer {
  return Buffer.concat([
    buildFileMetaHeader({ sopClassUid: CT, sopInstanceUid: '1.2.3.4', transferSyntaxUid: ELE, ...fields }),
    dataset,
  ]);
}

/** (0008,0060) CS "CT" in explicit VR LE: a tiny real dataset. */
const DATASET = Buffer.from([0x08, 0x00, 0x60, 0x00, 0x43, 0x53, 0x02, 0x00, 0x43, 0x54]);

describe('dicom/scu-file: SCU inputs, contexts and fragments', () => {
  describe('parseMetaHeader: the meta group and the dataset\'s own SOP UIDs', () => {
    it('finds the UIDs and where the dataset starts', () => {
      const file = part10(DATASET, { transferSyntaxUid: J2K });
      const r = parseMetaHeader(file, file.length);
      expect(r.kind).to.equal('ok');
      if (r.kind !== 'ok') return;
      expect(r.meta.sopClassUid).to.equal(CT);
      expect(r.meta.sopInstanceUid).to.equal('1.2.3.4');
      expect(r.meta.transferSyntaxUid).to.equal(J2K);
      expect(file.subarray(r.meta.datasetOffset).equals(DATASET)).to.equal(true);
      expect(r.meta.datasetLength).to.equal(DATASET.length);
    });

    it('passes on the meta reader\'s refusal', () => {
      const r = parseMetaHeader(DATASET, DATASET.length);
      expect(r.kind === 'invalid' && r.detail).to.match(/not a Part-10 file/);
    });
  });

  describe('readMeta on the shared corpus', () => {
    const dir = join(CORPUS, 'dicom');
    const names = readdirSync(dir).filter((f) => f.endsWith('.dcm')).sort();

    it('reads every Part-10 file, with the dataset where (0002,0000) says', async () => {
      for (const name of names.filter((n) => n !== 'pydicom__no_meta.dcm')) {
        const r = await readMeta({ path: join(dir, name) });
        expect(r.kind, name).to.equal('ok');
        if (r.kind !== 'ok') continue;
        const bytes = readFileSync(join(dir, name));
        expect(r.meta.datasetOffset, name).to.equal(144 + bytes.readUInt32LE(140));
        expect(r.meta.datasetOffset + r.meta.datasetLength, name).to.equal(bytes.length);
      }
    });

    it('reads the SOP UIDs from the dataset itself in every transfer syntax, as dicom-parser does', async () => {
      for (const name of names.filter((n) => n !== 'pydicom__no_meta.dcm')) {
        const r = await readMeta({ path: join(dir, name) });
        if (r.kind !== 'ok') throw new Error(name);
        const dataset = readFileSync(join(dir, name)).subarray(r.meta.datasetOffset);
        const reference = readDatasetHeader(dataset, r.meta.transferSyntaxUid, true);
        if (reference.kind !== 'ok') throw new Error(`${name}: reference parser: ${reference.kind}`);
        expect(findSopUids(dataset, r.meta.transferSyntaxUid), name).to.deep.equal({
          sopClassUid: reference.header.sopClassUid,
          sopInstanceUid: reference.header.sopInstanceUid,
        });
      }
    });

    it('sends the dataset\'s SOP instance when the meta header names another one, and says so', async () => {
      const r = await readMeta({ path: join(dir, 'pydicom__rtdose.dcm') });
      if (r.kind !== 'ok') throw new Error('unreadable');
      expect(r.meta.sopInstanceUid).to.equal('1.9.999.999.99.9.9999.9999.20030818153516');
      expect(r.meta.metaMismatch).to.match(/SOP instance 1\.2\.999\.999\.99\.9\.9999\.9999\.20030818153516 in the meta header/);
    });

    it('calls a file without a meta header invalid, and a missing file too, without throwing', async () => {
      const r = await readMeta({ path: join(dir, 'pydicom__no_meta.dcm') });
      expect(r.kind === 'invalid' && r.detail).to.match(/DICM/);
      const missing = await readMeta({ path: join(dir, 'does-not-exist.dcm') });
      expect(missing.kind === 'invalid' && missing.detail).to.match(/cannot read the file: .*ENOENT/);
    });

    it('streams a dataset in blocks that add up to the bytes after the meta header', async () => {
      const path = join(dir, 'pydicom__CT_small.dcm');
      const r = await readMeta({ path });
      if (r.kind !== 'ok') throw new Error('unreadable');
      const source = await openDataset({ path }, r.meta);
      const blocks: Buffer[] = [];
      for (let got = 0; got < source.length; ) {
        const b = await source.read(4096);
        blocks.push(b);
        got += b.length;
      }
      await source.close();
      expect(Buffer.concat(blocks).equals(readFileSync(path).subarray(r.meta.datasetOffset))).to.equal(true);
    });
  });

  describe('planContexts (PS3.8 §9.3.2.2)', () => {
    it('proposes one context per (SOP class, transfer syntax), with odd ids and only the file\'s own transfer syntax', () => {
      const plan = planContexts([
        { sopClassUid: CT, transferSyntaxUid: ELE },
        { sopClassUid: CT, transferSyntaxUid: ELE },
        undefined,
        { sopClassUid: CT, transferSyntaxUid: J2K },
        { sopClassUid: MR, transferSyntaxUid: ILE },
      ]);
      expect(plan.contexts).to.deep.equal([
        { id: 1, abstractSyntax: CT, transferSyntaxes: [ELE] },
        { id: 3, abstractSyntax: CT, transferSyntaxes: [J2K] },
        { id: 5, abstractSyntax: MR, transferSyntaxes: [ILE] },
      ]);
      expect(plan.contextIds).to.deep.equal([1, 1, undefined, 3, 5]);
    });

    it('stops at 128 contexts (ids up to 255) and leaves the rest without one', () => {
      const metas = Array.from({ length: 130 }, (_, i) => ({ sopClassUid: `1.2.3.${i}`, transferSyntaxUid: ELE }));
      const plan = planContexts(metas);
      expect(plan.contexts).to.have.length(128);
      expect(plan.contexts.at(-1)?.id).to.equal(255);
      expect(plan.contextIds.slice(126)).to.deep.equal([253, 255, undefined, undefined]);
    });
  });

  describe('P-DATA fragments (PS3.8 §9.3.5, Annex D.1)', () => {
    it('fits the peer\'s max length including the 6-byte PDV header, in even sizes', () => {
      expect(fragmentBytesFor(16384)).to.equal(16378);
      expect(fragmentBytesFor(16385)).to.equal(16378);
      expect(fragmentBytesFor(0)).to.equal(MAX_SEND_FRAGMENT);
      expect(fragmentBytesFor(64 * 1024 * 1024)).to.equal(MAX_SEND_FRAGMENT);
    });

    it('cuts a block into PDUs no larger than the peer allows, flags only the last, and loses no byte', () => {
      const data = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251));
      const peerMax = 4096;
      const parts = fragmentBlock(7, false, data, fragmentBytesFor(peerMax), true);
      const reader = new PduReader(peerMax);
      const pdus = reader.push(Buffer.concat(parts));
      const pdvs = pdus.flatMap((p) => decodePData(p.body));
      expect(pdus.every((p) => p.type === 4 && p.body.length <= peerMax)).to.equal(true);
      expect(pdvs.map((p) => p.isLast)).to.deep.equal(pdvs.map((_, i) => i === pdvs.length - 1));
      expect(pdvs.every((p) => p.contextId === 7 && !p.isCommand)).to.equal(true);
      expect(Buffer.concat(pdvs.map((p) => p.data)).equals(data)).to.equal(true);
    });

    it('leaves the last flag off a block that does not end the message, and sends an empty last fragment for an empty one', () => {
      const mid = fragmentBlock(1, false, Buffer.alloc(10), 100, false);
      expect(decodePData(Buffer.concat(mid).subarray(6))[0]?.isLast).to.equal(false);
      const empty = fragmentBlock(1, true, Buffer.alloc(0), 100, true);
      expect(empty).to.have.length(1);
      const pdv = decodePData((empty[0] as Buffer).subarray(6))[0];
      expect(pdv?.isLast && pdv.isCommand && pdv.data.length === 0).to.equal(true);
    });
  });
});
