/**
 * The AI-flags ORU^R01 as a RIS receives it: a DICOM header written by pydicom (python3-pydicom) is read the way
 * the results flow reads a study's stored instance, the ORU is built from it and delivered by our MLLP client to
 * python3-hl7's asyncio receiver, which parses it and prints the fields a RIS matches on. Asserted against
 * pydicom's own decomposition of the patient name: prefix and suffix survive DICOM PN → HL7 XPN → parsed back.
 * A corrected result arrives as `C` and names the SR it replaces.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { MllpClient } from '../../src/hl7/index.js';
import { silentLogger } from '../../src/log.js';
import { accessionIssuerFromSource, buildAiFlagsOru, oruPatientFromSource, sourceContextFromPart10, type AiFlagsOruInput } from '../../src/results/index.js';
import { runCleanups, tempDir } from '../helpers/fixtures.js';
import { requirePeers, run, spawnPeer } from '../helpers/peers.js';

const PYTHON = '/usr/bin/python3';

/** Writes a CT header (no pixels) with pydicom and prints pydicom's reading of its patient name parts. */
const PY_WRITE_HEADER = `
import json, sys
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2'
meta.MediaStorageSOPInstanceUID = '1.2.826.0.1.3680043.9.7433.9.1'
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = Dataset()
ds.file_meta = meta
ds.SpecificCharacterSet = 'ISO_IR 192'
ds.SOPClassUID = meta.MediaStorageSOPClassUID
ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
ds.StudyInstanceUID = '1.2.826.0.1.3680043.9.7433.9'
ds.SeriesInstanceUID = '1.2.826.0.1.3680043.9.7433.9.2'
ds.Modality = 'CT'
ds.PatientName = 'Müller-Lüdenscheidt^Anna^Maria^Prof. Dr.^MBA'
ds.PatientID = 'MRN-0042'
ds.IssuerOfPatientID = 'ST_MARY'
q = Dataset()
q.UniversalEntityID = '1.2.840.99.7.1'
q.UniversalEntityIDType = 'ISO'
q.IdentifierTypeCode = 'MR'
ds.IssuerOfPatientIDQualifiersSequence = [q]
ds.PatientBirthDate = '19610415'
ds.PatientSex = 'F'
ds.AccessionNumber = 'ACC-7731'
i = Dataset()
i.LocalNamespaceEntityID = 'RIS_MAIN'
ds.IssuerOfAccessionNumberSequence = [i]
ds.is_little_endian = True
ds.is_implicit_VR = False
ds.save_as(sys.argv[1], write_like_original=False)
pn = ds.PatientName
print(json.dumps({'family': pn.family_name, 'given': pn.given_name, 'middle': pn.middle_name, 'prefix': pn.name_prefix, 'suffix': pn.name_suffix}))
`;

/** python3-hl7's asyncio receiver: prints its port, then per message one MSG line (JSON) of the fields a RIS reads. */
const PY_RIS = `
import asyncio, json
from hl7.mllp import start_hl7_server
def comps(msg, seg, field, n):
    return [msg.unescape(str(msg['%s.F%d.R1.C%d' % (seg, field, c)])) for c in range(1, n + 1)]
def fields(msg):
    pid, obr = msg.segment('PID'), msg.segment('OBR')
    return {
        'controlId': str(msg.segment('MSH')(10)),
        'segments': [str(s(0)) for s in msg],
        'pid3': comps(msg, 'PID', 3, 5), 'pid3authority': [str(msg['PID.F3.R1.C4.S%d' % s]) for s in (1, 2, 3)],
        'pid5': comps(msg, 'PID', 5, 5), 'pid7': str(pid(7)), 'pid8': str(pid(8)),
        'orc': [str(msg.segment('ORC')(1)), comps(msg, 'ORC', 3, 2), str(msg.segment('ORC')(5))],
        'obr3': comps(msg, 'OBR', 3, 2), 'obr18': msg.unescape(str(obr(18))), 'obr25': str(obr(25)),
        'obr27priority': str(msg['OBR.F27.R1.C6']), 'tq1priority': str(msg['TQ1.F9.R1.C1']),
        'obx': [[str(msg['OBX%d.F2' % n]), str(msg['OBX%d.F3.R1.C1' % n]), str(msg['OBX%d.F3.R1.C2' % n]), str(msg['OBX%d.F4' % n]),
                 msg.unescape(str(msg['OBX%d.F5' % n])), str(msg['OBX%d.F11' % n])] for n in range(1, len(msg.segments('OBX')) + 1)],
    }
async def handle(reader, writer):
    try:
        while not writer.is_closing():
            msg = await reader.readmessage()
            print('MSG ' + json.dumps(fields(msg)), flush=True)
            writer.writemessage(msg.create_ack())
            await writer.drain()
    except asyncio.IncompleteReadError:
        writer.close()
async def main():
    server = await start_hl7_server(handle, '127.0.0.1', 0, encoding='utf-8')
    print('PORT', server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
`;

interface RisView {
  controlId: string;
  segments: string[];
  pid3: string[];
  pid3authority: string[];
  pid5: string[];
  pid7: string;
  pid8: string;
  orc: [string, string[], string];
  obr3: string[];
  obr18: string;
  obr25: string;
  obr27priority: string;
  tq1priority: string;
  /** type, OBX-3.1, OBX-3.2, OBX-4, OBX-5, OBX-11 */
  obx: Array<[string, string, string, string, string, string]>;
}

/** Starts the python receiver; resolves with its port and a way to await the n-th parsed message. */
async function startRis(): Promise<{ child: ChildProcess; port: number; message: (n: number) => Promise<RisView> }> {
  const child = spawnPeer(PYTHON, ['-c', PY_RIS], { stdio: ['ignore', 'pipe', 'pipe'] });
  const views: RisView[] = [];
  let wake: () => void = () => {};
  let partial = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`python3-hl7 receiver exited (${code}): ${stderr}`)));
    child.stdout?.on('data', (d: Buffer) => {
      // print() may arrive in pieces: only whole lines count.
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const port = /^PORT (\d+)$/.exec(line)?.[1];
        if (port !== undefined) resolve(Number(port));
        if (line.startsWith('MSG ')) views.push(JSON.parse(line.slice(4)) as RisView);
        wake();
      }
    });
  });
  const message = async (n: number): Promise<RisView> => {
    while (views.length <= n) await new Promise<void>((resolve) => (wake = resolve));
    return views[n] as RisView;
  };
  return { child, port, message };
}

describe('interop: AI-flags ORU^R01 to a python3-hl7 RIS', function () {
  this.timeout(60_000);
  let ris: ChildProcess | undefined;
  after(() => {
    ris?.kill('SIGTERM');
    runCleanups();
  });

  it('delivers PID/ORC/OBR/TQ1/OBX as v2.5.1 and IHE RAD lay them out; the name keeps prefix and suffix; a correction arrives as C', async function () {
    requirePeers(this, PYTHON);
    const file = join(tempDir(), 'ct.dcm');
    const written = await run(PYTHON, ['-c', PY_WRITE_HEADER, file]);
    expect(written.code, written.stderr).to.equal(0);
    const pydicomName = JSON.parse(written.stdout) as { family: string; given: string; middle: string; prefix: string; suffix: string };

    // What the results flow does with the study's stored instance (study-source.ts → ai-flags.ts).
    const source = sourceContextFromPart10(readFileSync(file), file);
    const input: AiFlagsOruInput = {
      accessionNumber: 'ACC-7731',
      accessionIssuer: accessionIssuerFromSource(source),
      studyInstanceUid: source.studyInstanceUid,
      patient: oruPatientFromSource(source),
      findings: [{ modelId: 'chest-ct-nodule-demo', modelVersion: '1.0.0', code: '786838002', scheme: 'SCT', meaning: 'Pulmonary nodule', flagged: true, probability: 0.91, srSopInstanceUid: '2.25.1001' }],
      discordances: [],
      demo: true,
      observedAt: new Date('2026-11-30T10:00:00Z'),
      receivingApplication: 'RIS',
      receivingFacility: 'HOSP',
    };
    const final = buildAiFlagsOru(input);
    const corrected = buildAiFlagsOru({ ...input, findings: [{ ...input.findings[0]!, flagged: false, probability: 0.12, srSopInstanceUid: '2.25.1002' }], resultStatus: 'C', corrects: { srSopInstanceUid: '2.25.1001' } });

    const started = await startRis();
    ris = started.child;
    const client = new MllpClient({ host: '127.0.0.1', port: started.port, connectTimeoutMs: 5_000, ackTimeoutMs: 10_000 }, { log: silentLogger });
    try {
      for (const oru of [final, corrected]) {
        const r = await client.send(oru.text);
        expect(r.kind, r.detail.message).to.equal('accepted');
        expect(r.detail.ack).to.deep.include({ code: 'AA', acknowledgedControlId: oru.controlId });
      }
    } finally {
      await client.close();
    }

    const got = await started.message(0);
    expect(got.controlId).to.equal(final.controlId);
    expect(got.segments).to.deep.equal(['MSH', 'PID', 'ORC', 'OBR', 'TQ1', 'OBX', 'OBX', 'OBX', 'OBX', 'OBX', 'OBX', 'OBX']);
    // PN family^given^middle^prefix^suffix → XPN family^given^middle^suffix^prefix, as pydicom reads the PN.
    expect(pydicomName).to.deep.equal({ family: 'Müller-Lüdenscheidt', given: 'Anna', middle: 'Maria', prefix: 'Prof. Dr.', suffix: 'MBA' });
    expect(got.pid5).to.deep.equal([pydicomName.family, pydicomName.given, pydicomName.middle, pydicomName.suffix, pydicomName.prefix]);
    expect(got.pid3[0]).to.equal('MRN-0042');
    expect(got.pid3authority).to.deep.equal(['ST_MARY', '1.2.840.99.7.1', 'ISO']);
    expect(got.pid3[4]).to.equal('MR');
    expect([got.pid7, got.pid8]).to.deep.equal(['19610415', 'F']);
    expect(got.orc).to.deep.equal(['RE', ['ACC-7731', 'RIS_MAIN'], 'CM']);
    expect(got.obr3).to.deep.equal(['ACC-7731', 'RIS_MAIN']);
    expect([got.obr18, got.obr25, got.tq1priority, got.obr27priority]).to.deep.equal(['ACC-7731', 'F', 'S', 'S']);
    expect(got.obx[0]).to.deep.equal(['HD', '110180', 'Study Instance UID', '', '1.2.826.0.1.3680043.9.7433.9', 'F']);
    expect(got.obx.filter((o) => o[3] === '1').map((o) => o[1] || o[2])).to.deep.equal(['786838002', '111012', '111001', '111003', 'SR Instance UID']);
    expect(got.obx.find((o) => o[2] === 'SR Instance UID')?.[4]).to.equal('2.25.1001');
    expect(got.obx.every((o) => o[5] === 'F')).to.equal(true);

    const fix = await started.message(1);
    expect(fix.controlId).to.equal(corrected.controlId);
    expect(fix.obr25).to.equal('C');
    expect(fix.tq1priority).to.equal('R');
    expect(fix.obx.every((o) => o[5] === 'C')).to.equal(true);
    expect(fix.obx.find((o) => o[1] === '121360')).to.deep.equal(['HD', '121360', 'Replaced report', '', '2.25.1001', 'C']);
    expect(fix.obx.find((o) => o[2] === 'SR Instance UID')?.[4]).to.equal('2.25.1002');
  });
});
