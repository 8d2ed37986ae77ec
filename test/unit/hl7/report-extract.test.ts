import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHl7Message, type ParsedHl7Message } from '../../../src/hl7/message.js';
import { extractReport } from '../../../src/hl7/report-extract.js';
import { CORPUS } from '../../helpers/fixtures.js';

const parse = (text: string): ParsedHl7Message => {
  const r = parseHl7Message(text);
  if (!r.ok) throw new Error(JSON.stringify(r.problem));
  return r.message;
};

describe('hl7/report-extract', () => {
  it('ORU^R01: accession from OBR-3, procedure, OBR-25 status, text of TX/FT/CE OBX in order (repetitions as lines, escapes decoded)', () => {
    const report = extractReport(parse([
      'MSH|^~\\&|RIS|H|GW|H|20260101||ORU^R01|1|P|2.5.1',
      `OBR|1|PLACER1|ACC-77|71250^CT CHEST^CPT${'|'.repeat(21)}C`,
      'OBX|1|TX|R||FINDINGS: 8 mm nodule \\T\\ small effusion.~Second line.||||||P',
      'OBX|2|NM|SIZE||8|mm|||||F',
      'OBX|3|CE|IMP||RID1^Impression: no pneumothorax^RADLEX||||||F',
      'OBX|4|FT|R||Line A\\.br\\Line B||||||F',
    ].join('\r')));
    expect(report).to.deep.include({ accessionNumber: 'ACC-77', procedure: '71250^CT CHEST', resultStatus: 'C', studyInstanceUid: '' });
    expect(report?.text.split('\n')).to.deep.equal(['FINDINGS: 8 mm nodule & small effusion.', 'Second line.', 'Impression: no pneumothorax', 'Line A', 'Line B']);
  });

  it('MDM^T02: text from TX OBX, accession from TXA-12 when there is no OBR/ORC, status from OBX-11, Study UID from DCM 113014', () => {
    const report = extractReport(parse([
      'MSH|^~\\&|RIS|H|GW|H|20260101||MDM^T02^MDM_T02|2|P|2.5.1',
      'TXA|1|RAD|TX|20260101||||||||ACC-88|||||AU',
      'OBX|1|HD|113014^DICOM Study^DCM||1.2.3.4.5||||||F',
      'OBX|2|TX|REPORT||No focal consolidation. Possible small left effusion.||||||F',
    ].join('\r')));
    expect(report).to.deep.include({ accessionNumber: 'ACC-88', studyInstanceUid: '1.2.3.4.5', resultStatus: 'F' });
    expect(report?.text).to.equal('No focal consolidation. Possible small left effusion.');
  });

  it('Study UID from DCM 110180 "Study Instance UID", the row our own AI-flags ORU writes', () => {
    const report = extractReport(parse([
      'MSH|^~\\&|RIS|H|GW|H|20260101||ORU^R01^ORU_R01|5|P|2.5.1',
      'OBR|1||ACC-9|71250^CT CHEST|||||||||||||||||||||F',
      'OBX|1|HD|110180^Study Instance UID^DCM||1.2.3.99||||||F',
      'OBX|2|TX|REPORT||No nodule.||||||F',
    ].join('\r')));
    expect(report).to.deep.include({ accessionNumber: 'ACC-9', studyInstanceUid: '1.2.3.99', text: 'No nodule.' });
  });

  it('the reading radiologist as a DICOM PN: OBR-32 (CNN subcomponents), else the first OBX-16 (XCN); empty when neither names one', () => {
    const oru = (obr32: string, obx16: string): string =>
      ['MSH|^~\\&|RIS|H|GW|H|20260101||ORU^R01|6|P|2.5.1', `OBR|1||ACC-1|71250^CT CHEST|||||||||||||||||||||F|||||||${obr32}`, `OBX|1|TX|REPORT||Text.||||||F|||||${obx16}`].join('\r');
    expect(extractReport(parse(oru('5678&RADIOLOGIST&ANNA&M&MD&Dr.', '')))?.interpreter).to.equal('RADIOLOGIST^ANNA^M^Dr.^MD');
    expect(extractReport(parse(oru('', '1234^READER^BOB')))?.interpreter).to.equal('READER^BOB');
    expect(extractReport(parse(oru('', '')))?.interpreter).to.equal('');
  });

  it('an order or an ACK carries no report; the corpus MDM^T02 (a PDF, ED) gives its Study UID and no text', () => {
    expect(extractReport(parse('MSH|^~\\&|RIS|H|GW|H|20260101||ORM^O01|3|P|2.3\rORC|NW|1|ACC-1\r'))).to.equal(undefined);
    expect(extractReport(parse('MSH|^~\\&|RIS|H|GW|H|20260101||ACK^R01|4|P|2.5\rMSA|AA|1\r'))).to.equal(undefined);
    const mdm = extractReport(parse(readFileSync(join(CORPUS, 'hl7', 'fhirconverter__MDM-T02-01.hl7'), 'utf8').replace(/^\uFEFF/u, '').replace(/\r?\n/gu, '\r')));
    expect(mdm).to.deep.include({ accessionNumber: '1-1', studyInstanceUid: '1.2.840.317.5947431.51', text: '' });
  });
});
