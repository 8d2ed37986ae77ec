/**
 * AI result SRs built from real corpus images, checked by the peers' own readers: dicom3tools `dciodvfy` (zero
 * errors; its warnings printed), DCMTK `dsrdump` (reads it and shows the TID 1500 tree) and pydicom (SOP class,
 * evidence, and every IMAGE reference listed in the evidence and naming the source instance).
 */
import { expect } from 'chai';
import dcmjs from 'dcmjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFindingsSr, type FindingsSr } from '../../src/results/index.js';
import { DEMO_DISCLAIMER } from '../../src/results/sr/sr-document.js';
import { FindingCodes } from '../../src/results/sr/codes.js';
import { readSourceContext } from '../../src/results/sr/source-context.js';
import { CORPUS, runCleanups, tempDir } from '../helpers/fixtures.js';
import type { ReportFinding } from '../../src/nlp/index.js';
import { studyFindings } from '../../src/flows/results/report-sr.js';
import { requirePeers, run } from '../helpers/peers.js';

/** Corpus images of different modalities, syntaxes and header quirks (PROVENANCE.md). */
const SOURCES = [
  'pydicom__CT_small.dcm', // CT, explicit LE
  'pydicom__MR_small.dcm', // MR, explicit LE
  'dcm4che__MR01.dcm', // MR, implicit LE
  'highdicom__dx_image.dcm', // DX for presentation
  'pydicom__ExplVR_BigEnd.dcm', // big endian, ACR-NEMA "1997.04.24" study date
  'pydicom__SC_rgb_rle_2frame.dcm', // multi-frame, RLE
];

const PYDICOM_SCRIPT = `
import json, sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
images, texts = [], []
def walk(items):
    for it in items:
        if it.ValueType == 'IMAGE':
            ref = it.ReferencedSOPSequence[0]
            images.append([ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID])
        if it.ValueType == 'TEXT':
            texts.append(it.TextValue)
        if 'ContentSequence' in it:
            walk(it.ContentSequence)
walk(ds.ContentSequence)
evidence = [[s.SeriesInstanceUID, r.ReferencedSOPClassUID, r.ReferencedSOPInstanceUID]
            for st in ds.CurrentRequestedProcedureEvidenceSequence
            for s in st.ReferencedSeriesSequence for r in s.ReferencedSOPSequence]
print(json.dumps({'sopClass': ds.SOPClassUID, 'study': ds.StudyInstanceUID, 'series': ds.SeriesInstanceUID,
                  'charset': ds.SpecificCharacterSet, 'evidenceStudies': [st.StudyInstanceUID for st in ds.CurrentRequestedProcedureEvidenceSequence],
                  'evidence': evidence, 'images': images, 'texts': texts}))
`;

/** What a revision adds to the document (PS3.3 C.12.1, C.17.2), as pydicom reads it. */
const REVISION_SCRIPT = `
import json, sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
p = ds.PredecessorDocumentsSequence[0]
s = p.ReferencedSeriesSequence[0]
r = s.ReferencedSOPSequence[0]
print(json.dumps({'offset': ds.TimezoneOffsetFromUTC, 'instance': int(ds.InstanceNumber),
                  'predecessor': [p.StudyInstanceUID, s.SeriesInstanceUID, r.ReferencedSOPClassUID, r.ReferencedSOPInstanceUID],
                  'accession': ds.ReferencedRequestSequence[0].AccessionNumber}))
`;

interface PydicomView {
  sopClass: string;
  study: string;
  series: string;
  charset: string;
  evidenceStudies: string[];
  evidence: Array<[string, string, string]>;
  images: Array<[string, string]>;
  texts: string[];
}

interface SourceIds {
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
}

function sourceIds(path: string): SourceIds {
  const bytes = readFileSync(path);
  const dict = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, { untilTag: '7FE00010' });
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  return {
    sopClassUid: String(ds.SOPClassUID),
    sopInstanceUid: String(ds.SOPInstanceUID),
    seriesInstanceUid: String(ds.SeriesInstanceUID),
    studyInstanceUid: String(ds.StudyInstanceUID),
  };
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('interop: AI result SR validated by dciodvfy, dsrdump and pydicom', function () {
  this.timeout(120_000);
  let dir: string;

  before(function () {
    requirePeers(this, 'dciodvfy', 'dsrdump', '/usr/bin/python3');
    dir = tempDir('pag-sr-');
  });
  after(() => runCleanups());

  SOURCES.forEach((name, index) => {
    describe(name, () => {
      const demo = index % 2 === 0;
      let file: string;
      let src: SourceIds;
      let sr: FindingsSr;

      before(async () => {
        const path = join(CORPUS, 'dicom', name);
        src = sourceIds(path);
        sr = buildFindingsSr({
          source: await readSourceContext(path),
          referencedInstances: [{ sopClassUid: src.sopClassUid, sopInstanceUid: src.sopInstanceUid, seriesInstanceUid: src.seriesInstanceUid }],
          model: { id: 'demo-nodule-cnn', version: '1.0.0', manufacturer: 'pacs-ai-gateway project', demo },
          findings: [
            { finding: FindingCodes.Nodule, presence: 'present', probability: 0.91 },
            { finding: FindingCodes.PleuralEffusion, presence: 'absent', probability: 1 / 3 },
          ],
          kind: 'image-ai',
          contentDateTime: '20261130120000.250000',
          timezoneOffsetFromUtc: '-0500',
        });
        file = join(dir, `${name}.sr.dcm`);
        writeFileSync(file, sr.part10);
      });

      it('dciodvfy reports zero errors (warnings printed)', async () => {
        const r = await run('dciodvfy', [file]);
        const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim());
        for (const w of lines.filter((l) => l.startsWith('Warning'))) console.log(`        dciodvfy ${name}: ${w}`);
        expect(lines.filter((l) => l.startsWith('Error')), r.stderr).to.deep.equal([]);
        expect(lines).to.include('Comprehensive3DSR');
        expect(r.code, r.stderr).to.equal(0);
      });

      it('dsrdump reads it and shows the TID 1500 / IHE AIR tree', async () => {
        const r = await run('dsrdump', ['+Pc', '+Pu', file]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr.split('\n').filter((l) => l.startsWith('E:')), r.stderr).to.deep.equal([]);
        const out = r.stdout;
        expect(out).to.include('Comprehensive 3D SR Document');
        expect(out).to.match(/Completion Flag\s+: COMPLETE/).and.match(/Verification Flag\s+: UNVERIFIED/);
        for (const line of [
          '<CONTAINER:(126000,DCM,"Imaging Measurement Report")=SEPARATE>',
          '<has concept mod CODE:(121049,DCM,"Language of Content Item and Descendants")=(en-US,RFC5646,"English (United States)")>',
          '<has obs context CODE:(121005,DCM,"Observer Type")=(121007,DCM,"Device")>',
          '<has obs context TEXT:(121015,DCM,"Device Observer Model Name")="demo-nodule-cnn">',
          '<contains CONTAINER:(126010,DCM,"Imaging Measurements")=SEPARATE>',
          '<contains CONTAINER:(125007,DCM,"Measurement Group")=SEPARATE>',
          '<contains CODE:(121071,DCM,"Finding")=(27925004,SCT,"Nodule")>',
          '<contains CODE:(27925004,SCT,"Nodule")=(52101004,SCT,"Present")>',
          '<contains CODE:(60046008,SCT,"Pleural effusion")=(272519000,SCT,"Absent")>',
          '<contains NUM:(111012,DCM,"Certainty of Finding")="91" (%,UCUM,"Percent")>',
          '<has concept mod TEXT:(111003,DCM,"Algorithm Version")="1.0.0">',
        ]) {
          expect(out, line).to.include(line);
        }
        expect(out).to.match(new RegExp(`<contains IMAGE:\\(260753009,SCT,"Source"\\)=\\([^,]+,"${escape(src.sopInstanceUid)}"\\)>`));
        // the absent finding is named only by its evaluation: one "Finding" row, the present nodule's
        expect(out.match(/\(121071,DCM,"Finding"\)/g)).to.have.length(1);
        expect(out.includes('(121106,DCM,"Comment")="Demo model trained on synth'), 'disclaimer only for a demo model').to.equal(demo);
      });

      it('pydicom reads it: SOP class, same study, new series, every IMAGE reference in the evidence', async () => {
        const r = await run('/usr/bin/python3', ['-c', PYDICOM_SCRIPT, file]);
        expect(r.code, r.stderr).to.equal(0);
        const view = JSON.parse(r.stdout) as PydicomView;
        expect(view.sopClass).to.equal('1.2.840.10008.5.1.4.1.1.88.34');
        expect(view.charset).to.equal('ISO_IR 192');
        expect(view.study).to.equal(src.studyInstanceUid);
        expect(view.evidenceStudies).to.deep.equal([src.studyInstanceUid]);
        expect(view.series).to.equal(sr.seriesInstanceUid).and.not.equal(src.seriesInstanceUid);
        expect(view.evidence).to.deep.equal([[src.seriesInstanceUid, src.sopClassUid, src.sopInstanceUid]]);
        const listed = new Set(view.evidence.map(([, cls, inst]) => `${cls}|${inst}`));
        expect(view.images.length).to.be.greaterThan(0);
        for (const [cls, inst] of view.images) expect(listed.has(`${cls}|${inst}`), `IMAGE ${inst} in evidence`).to.equal(true);
        expect(view.texts.includes(DEMO_DISCLAIMER)).to.equal(demo);
      });
    });
  });
});

describe('interop: a report-findings SR (local coding scheme, revision 2 with predecessor, request, timezone) passes dciodvfy and dsrdump', function () {
  this.timeout(60_000);
  before(function () {
    requirePeers(this, 'dciodvfy', 'dsrdump', '/usr/bin/python3');
  });
  after(() => runCleanups());

  it('declares 99PAG in the Coding Scheme Identification Sequence; Undetermined, Diameter, no probability, no source image', async () => {
    const path = join(CORPUS, 'dicom', 'pydicom__CT_small.dcm');
    const src = sourceIds(path);
    const findings = studyFindings([
      mention({ concept: 'lung-opacity', code: 'pag-lung-opacity', scheme: 'LOCAL', label: 'Lung opacity', certainty: 'uncertain' }),
      mention({ concept: 'lung-nodule', code: '786838002', scheme: 'SCT', label: 'Pulmonary nodule', certainty: 'present', sizeMm: 12 }),
    ]);
    const sr = buildFindingsSr({
      source: await readSourceContext(path),
      referencedInstances: [{ sopClassUid: src.sopClassUid, sopInstanceUid: src.sopInstanceUid, seriesInstanceUid: src.seriesInstanceUid }],
      model: { id: 'report-ner', version: '1.0.0', manufacturer: 'pacs-ai-gateway', demo: true },
      findings,
      kind: 'report-findings',
      codingSchemes: [{ designator: '99PAG', name: 'pacs-ai-gateway report concepts', uid: '2.25.1234' }],
      contentDateTime: '20261130120000.250000',
      // Revision 2 of the result (issue 12): the attributes a revision adds must pass dciodvfy too.
      timezoneOffsetFromUtc: '+0100',
      revision: { number: 2, predecessor: { studyInstanceUid: src.studyInstanceUid, seriesInstanceUid: '2.25.77', sopInstanceUid: '2.25.78' } },
      request: { accessionNumber: 'ACC-7', report: { controlId: 'MSG00042' } },
      personObserver: 'Radiologist^Anna^^Dr.^MD',
    });
    const file = join(tempDir(), 'report.sr.dcm');
    writeFileSync(file, sr.part10);
    const v = await run('dciodvfy', [file]);
    const lines = `${v.stdout}\n${v.stderr}`.split('\n').map((l) => l.trim());
    for (const w of lines.filter((l) => l.startsWith('Warning'))) console.log(`        dciodvfy report SR: ${w}`);
    expect(lines.filter((l) => l.startsWith('Error')), v.stderr).to.deep.equal([]);
    const dump = (await run('dsrdump', ['+Pc', file])).stdout;
    expect(dump).to.include('<contains CODE:(pag-lung-opacity,99PAG,"Lung opacity")=(373068000,SCT,"Undetermined")>');
    expect(dump).to.include('<contains NUM:(81827009,SCT,"Diameter")="12" (mm,UCUM,"millimeter")>');
    expect(dump).to.not.include('Certainty of Finding');
    expect(dump).to.not.include('"Source"');
    // the reading radiologist as a person observer (TID 1002/1003) before the device
    expect(dump).to.match(/has obs context CODE:\(121005,DCM,"Observer Type"\)=\(121006,DCM,"Person"\)>[\s\S]*has obs context PNAME:\(121008,DCM,"Person Observer Name"\)="Radiologist\^Anna\^\^Dr\.\^MD"[\s\S]*\(121007,DCM,"Device"\)/);
    const py = await run('/usr/bin/python3', ['-c', REVISION_SCRIPT, file]);
    expect(py.code, py.stderr).to.equal(0);
    expect(JSON.parse(py.stdout)).to.deep.equal({ offset: '+0100', instance: 2, predecessor: [src.studyInstanceUid, '2.25.77', '1.2.840.10008.5.1.4.1.1.88.34', '2.25.78'], accession: 'ACC-7' });
  });
});

function mention(m: Pick<ReportFinding, 'concept' | 'code' | 'scheme' | 'label' | 'certainty'> & { sizeMm?: number }): ReportFinding {
  return { anatomy: null, laterality: null, span: [0, 1], text: m.label, source: 'rules', cue: null, ...m, sizeMm: m.sizeMm ?? null };
}

