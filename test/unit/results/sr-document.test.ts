import { expect } from 'chai';
import dcmjs from 'dcmjs';
import { join } from 'node:path';
import { GatewayError } from '../../../src/errors.js';
import { buildFindingsSr, sourceContextFromPart10 } from '../../../src/results/index.js';
import { Codes, FindingCodes } from '../../../src/results/sr/codes.js';
import { COMPREHENSIVE_3D_SR_SOP_CLASS, DEMO_DISCLAIMER, parseFindingsSr } from '../../../src/results/sr/sr-document.js';
import { readSourceContext, sourceContextFromDataset } from '../../../src/results/sr/source-context.js';
import { CORPUS } from '../../helpers/fixtures.js';
import { CT_IMAGE, INSTANCES, SERIES_A, SERIES_B, sourceDataset, srInput, STUDY_UID } from './sr-fixtures.js';

type Item = Record<string, unknown>;

/** The written dataset as dcmjs reads it back, for header checks. */
function header(part10: Buffer): { meta: Item; dataset: Item } {
  const ab = part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.byteLength) as ArrayBuffer;
  const dict = dcmjs.data.DicomMessage.readFile(ab);
  return { meta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.meta), dataset: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict) };
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof GatewayError ? err.code : `not a GatewayError: ${String(err)}`;
  }
  return undefined;
}

describe('results/sr AI result document (Comprehensive 3D SR)', () => {
  it('round-trips: build → Part-10 bytes → parse gives the UIDs, evidence and TID 1500 content back', () => {
    const input = srInput();
    const sr = buildFindingsSr(input);
    const parsed = parseFindingsSr(sr.part10);
    expect(parsed).to.include({
      sopClassUid: COMPREHENSIVE_3D_SR_SOP_CLASS,
      sopInstanceUid: sr.sopInstanceUid,
      seriesInstanceUid: sr.seriesInstanceUid,
      studyInstanceUid: STUDY_UID,
      contentDateTime: '20261130120000',
    });
    expect(parsed.evidence).to.deep.equal(INSTANCES);
    const { report } = parsed;
    expect(report.findings.map((f) => [f.finding.value, f.presence, f.probability])).to.deep.equal([
      [FindingCodes.Nodule.value, 'present', 0.9731],
      [FindingCodes.PleuralEffusion.value, 'absent', 0.01234568], // written 1.234568 %: kept to 1e-8
    ]);
    expect(report.findings[0]?.sourceImages.map((i) => i.sopInstanceUid)).to.deep.equal(INSTANCES.map((i) => i.sopInstanceUid));
    expect(report.findings[1]?.sourceImages.map((i) => i.sopInstanceUid)).to.deep.equal([INSTANCES[2]?.sopInstanceUid]);
    expect(report.findings[0]?.algorithm).to.deep.equal({ name: 'demo-nodule-cnn', version: '1.0.0' });
    expect(report.observer).to.include({ name: 'demo-nodule-cnn', modelName: 'demo-nodule-cnn', manufacturer: 'pacs-ai-gateway project' });
    expect(report.procedureReported).to.deep.equal(Codes.ImagingProcedure);
    expect(report.comments).to.deep.equal([DEMO_DISCLAIMER]);
  });

  it('is deterministic: the same input gives identical bytes and UIDs', () => {
    const a = buildFindingsSr(srInput());
    const b = buildFindingsSr(srInput());
    expect(a.part10.equals(b.part10)).to.equal(true);
    expect([a.sopInstanceUid, a.seriesInstanceUid]).to.deep.equal([b.sopInstanceUid, b.seriesInstanceUid]);
  });

  it('a new model version gives new SOP, series, tracking and device UIDs; a new kind only a new SOP Instance UID', () => {
    const base = buildFindingsSr(srInput());
    const input = srInput();
    const v2 = buildFindingsSr({ ...input, model: { ...input.model, version: '1.0.1' } });
    const kind = buildFindingsSr({ ...input, kind: 'image-ai-rerun-check' });
    expect(v2.sopInstanceUid).to.not.equal(base.sopInstanceUid);
    expect(v2.seriesInstanceUid).to.not.equal(base.seriesInstanceUid);
    const r1 = parseFindingsSr(base.part10).report;
    const r2 = parseFindingsSr(v2.part10).report;
    expect(r2.findings[0]?.trackingUid).to.not.equal(r1.findings[0]?.trackingUid);
    expect(r2.observer.uid).to.not.equal(r1.observer.uid);
    expect(kind.sopInstanceUid).to.not.equal(base.sopInstanceUid);
    expect(kind.seriesInstanceUid).to.equal(base.seriesInstanceUid);
    for (const u of [base.sopInstanceUid, base.seriesInstanceUid, r1.findings[0]?.trackingUid ?? '']) {
      expect(u).to.match(/^2\.25\.[1-9][0-9]*$/).and.have.length.at.most(64);
    }
  });

  it('writes a new series in the source study, with the source patient and every Type 2 attribute present', () => {
    const sr = buildFindingsSr(srInput());
    const { meta, dataset } = header(sr.part10);
    expect(meta).to.include({ TransferSyntaxUID: '1.2.840.10008.1.2.1', MediaStorageSOPInstanceUID: sr.sopInstanceUid, ImplementationVersionName: 'PACSAIGW_010' });
    expect(dataset).to.include({
      SpecificCharacterSet: 'ISO_IR 192',
      StudyInstanceUID: STUDY_UID,
      Modality: 'SR',
      SeriesDescription: 'AI demo-nodule-cnn 1.0.0',
      PatientID: 'PAT-001',
      AccessionNumber: 'ACC-42',
      CompletionFlag: 'COMPLETE',
      VerificationFlag: 'UNVERIFIED',
      PreliminaryFlag: 'FINAL',
      ContentDate: '20261130',
      ContentTime: '120000',
    });
    expect(dataset.SeriesInstanceUID).to.not.be.oneOf([SERIES_A, SERIES_B]);
    expect(dataset.PatientName).to.deep.equal([{ Alphabetic: 'Doe^Jane' }]);
    for (const type2 of ['PatientSex', 'StudyID', 'ReferringPhysicianName', 'ReferencedPerformedProcedureStepSequence', 'PerformedProcedureCodeSequence']) {
      expect(dataset, type2).to.have.property(type2);
    }
    expect(dataset).to.not.have.property('Rows'); // only patient/study modules travel from the source
    const equipment = (dataset.ContributingEquipmentSequence as Item[])[0];
    expect(equipment).to.include({ Manufacturer: 'pacs-ai-gateway project', ManufacturerModelName: 'demo-nodule-cnn', SoftwareVersions: '1.0.0' });
    expect((equipment?.PurposeOfReferenceCodeSequence as Item[])[0]).to.include({ CodeValue: '109102', CodingSchemeDesignator: 'DCM' });
  });

  it('groups Current Requested Procedure Evidence by series, each instance once', () => {
    const sr = buildFindingsSr(srInput({ referencedInstances: [...INSTANCES, ...INSTANCES] }));
    const evidence = header(sr.part10).dataset.CurrentRequestedProcedureEvidenceSequence as Item[];
    expect(evidence).to.have.length(1);
    const series = evidence[0]?.ReferencedSeriesSequence as Item[];
    expect(series.map((s) => [s.SeriesInstanceUID, (s.ReferencedSOPSequence as Item[]).length])).to.deep.equal([
      [SERIES_A, 2],
      [SERIES_B, 1],
    ]);
  });

  it('names no disclaimer for a non-demo model, and takes Procedure reported from the source study', () => {
    const procedure = { CodeValue: '25045-6', CodingSchemeDesignator: 'LN', CodeMeaning: 'CT unspecified body region' };
    const input = srInput({ source: sourceContextFromDataset(sourceDataset({ ProcedureCodeSequence: [procedure] })) });
    const sr = buildFindingsSr({ ...input, model: { ...input.model, demo: false } });
    const { report } = parseFindingsSr(sr.part10);
    expect(report.comments).to.deep.equal([]);
    expect(report.procedureReported).to.deep.equal({ value: '25045-6', scheme: 'LN', meaning: 'CT unspecified body region' });
    expect(JSON.stringify(header(sr.part10).dataset)).to.not.include('synthetic');
  });

  it('rewrites ACR-NEMA dates and times from the source into DA/TM, and empties unreadable ones', () => {
    const ctx = sourceContextFromDataset(sourceDataset({ StudyDate: '1997.04.24', StudyTime: '14:04:38', PatientBirthDate: 'unknown' }));
    expect(ctx.attributes).to.include({ StudyDate: '19970424', StudyTime: '140438', PatientBirthDate: '' });
  });

  it('reads the source context from a corpus Part-10 file, pixel data unread', async () => {
    const ctx = await readSourceContext(join(CORPUS, 'dicom', 'pydicom__CT_small.dcm'));
    expect(ctx.studyInstanceUid).to.equal('1.3.6.1.4.1.5962.1.2.1.20040119072730.12322');
    expect(ctx.attributes).to.have.property('PatientID', '1CT1');
    expect(ctx.attributes).to.not.have.property('PixelData');
  });

  it('keeps non-ASCII text inside sequences, in the source and in the SR (dcmjs 0.50 reads items as windows-1252)', () => {
    const meaning = 'Thorax nativ — Übersicht';
    const nat = { ...sourceDataset(), SpecificCharacterSet: 'ISO_IR 192', PatientName: [{ Alphabetic: 'Müller^Zoë' }], ProcedureCodeSequence: [{ CodeValue: 'CT-THX', CodingSchemeDesignator: '99LOCAL', CodeMeaning: meaning }] };
    const meta = dcmjs.data.DicomMetaDictionary.denaturalizeDataset({ TransferSyntaxUID: '1.2.840.10008.1.2.1', MediaStorageSOPClassUID: CT_IMAGE, MediaStorageSOPInstanceUID: '1.2.3' });
    const dict = new dcmjs.data.DicomDict(meta);
    dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(nat);
    const more = dcmjs.data.ReadBufferStream.prototype.more;
    const source = sourceContextFromPart10(new Uint8Array(dict.write()));
    expect(dcmjs.data.ReadBufferStream.prototype.more, 'work-around restored').to.equal(more);
    expect(source.procedureCode?.meaning).to.equal(meaning);
    const parsed = parseFindingsSr(buildFindingsSr(srInput({ source })).part10);
    expect(parsed.report.procedureReported.meaning).to.equal(meaning);
    expect(parsed.report.comments).to.deep.equal([DEMO_DISCLAIMER]);
  });

  describe('refuses input it cannot turn into a valid SR', () => {
    it('a referenced instance that is not an image, or an invalid UID', () => {
      const sr = { sopClassUid: '1.2.840.10008.5.1.4.1.1.88.33', sopInstanceUid: '1.2.3', seriesInstanceUid: '1.2.4' };
      expect(() => buildFindingsSr(srInput({ referencedInstances: [sr] }))).to.throw(RangeError, /not an image/);
      const bad = { sopClassUid: CT_IMAGE, sopInstanceUid: '1.2.03', seriesInstanceUid: '1.2.4' };
      expect(errorCode(() => buildFindingsSr(srInput({ referencedInstances: [bad] })))).to.equal('GW_ERR_UID_INVALID');
    });

    it('a finding citing an instance outside referencedInstances, or the same finding twice', () => {
      const input = srInput();
      expect(() => buildFindingsSr({ ...input, findings: [{ finding: FindingCodes.Nodule, presence: 'present', probability: 0.5, sourceInstanceUids: ['9.9.9'] }] })).to.throw(
        RangeError,
        /not in referencedInstances/,
      );
      const twice = { finding: FindingCodes.Nodule, presence: 'present' as const, probability: 0.5 };
      expect(() => buildFindingsSr({ ...input, findings: [twice, twice] })).to.throw(RangeError, /twice/);
    });

    it('a content date/time that is not DICOM DT, and a source without a Study Instance UID', () => {
      expect(() => buildFindingsSr(srInput({ contentDateTime: '2026-11-30T12:00:00Z' }))).to.throw(RangeError, /DT/);
      expect(errorCode(() => sourceContextFromDataset(sourceDataset({ StudyInstanceUID: undefined })))).to.equal('GW_ERR_UID_INVALID');
    });

    it('bytes that are not Part-10, as source or as SR', () => {
      expect(errorCode(() => sourceContextFromPart10(Buffer.from('not dicom')))).to.equal('GW_ERR_DATASET_UNREADABLE');
      const sr = buildFindingsSr(srInput()).part10;
      expect(errorCode(() => parseFindingsSr(sr.subarray(0, 100)))).to.equal('GW_ERR_DATASET_UNREADABLE');
    });
  });
});
