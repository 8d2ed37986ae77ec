import { expect } from 'chai';
import { administrativeSex, birthDateTime, xpnFromDicomName } from '../../../src/results/oru-patient.js';
import { accessionIssuerFromSource, oruPatientFromSource } from '../../../src/results/index.js';
import { sourceContextFromDataset } from '../../../src/results/sr/source-context.js';
import { sourceDataset } from './sr-fixtures.js';

describe('results/oru-patient', () => {
  it('reads the patient from the stored header: ID, issuer and qualifiers, PN alphabetic group, birth date and time, sex', () => {
    const source = sourceContextFromDataset(
      sourceDataset({
        PatientName: [{ Alphabetic: 'Doe^Jane^Q^Dr.^Jr.', Ideographic: '山田^太郎' }],
        IssuerOfPatientID: 'HOSP ',
        IssuerOfPatientIDQualifiersSequence: [{ UniversalEntityID: '1.2.840.99.2', UniversalEntityIDType: 'ISO', IdentifierTypeCode: 'MR' }],
        PatientBirthDate: '1970.01.02',
        PatientBirthTime: '08:30',
        PatientSex: 'f',
      }),
    );
    expect(oruPatientFromSource(source)).to.deep.equal({
      id: 'PAT-001',
      issuer: { namespaceId: 'HOSP', universalId: '1.2.840.99.2', universalIdType: 'ISO' },
      identifierTypeCode: 'MR',
      name: 'Doe^Jane^Q^Dr.^Jr.',
      birthDate: '19700102',
      birthTime: '0830',
      sex: 'F',
    });
  });

  it('leaves out what the header lacks: no issuer, no qualifiers, no sex, a PN written as a plain string', () => {
    const p = oruPatientFromSource(sourceContextFromDataset(sourceDataset({ PatientName: 'Roe^Richard=ロー^リチャード', PatientBirthDate: '' })));
    expect(p).to.deep.equal({ id: 'PAT-001', name: 'Roe^Richard', birthDate: '', sex: '' });
  });

  it('reads the Issuer of Accession Number Sequence as an HD', () => {
    const source = sourceContextFromDataset(sourceDataset({ IssuerOfAccessionNumberSequence: [{ LocalNamespaceEntityID: 'RIS', UniversalEntityID: '1.2.840.99.1', UniversalEntityIDType: 'ISO' }] }));
    expect(accessionIssuerFromSource(source)).to.deep.equal({ namespaceId: 'RIS', universalId: '1.2.840.99.1', universalIdType: 'ISO' });
    expect(accessionIssuerFromSource(sourceContextFromDataset(sourceDataset()))).to.equal(undefined);
  });

  it('PN → XPN swaps prefix and suffix and drops the empty tail', () => {
    expect(xpnFromDicomName('Doe^Jane^Q^Dr.^Jr.')).to.deep.equal(['Doe', 'Jane', 'Q', 'Jr.', 'Dr.']);
    expect(xpnFromDicomName('Doe^^^^III')).to.deep.equal(['Doe', '', '', 'III']);
    expect(xpnFromDicomName('Doe^^^Mr')).to.deep.equal(['Doe', '', '', '', 'Mr']);
    expect(xpnFromDicomName('Doe^Jane')).to.deep.equal(['Doe', 'Jane']);
    expect(xpnFromDicomName('')).to.deep.equal([]);
  });

  it('sex M/F/O pass through (table 0001), anything else is empty; birth date needs a full DA', () => {
    expect(['M', 'F', 'O', 'U', '', 'X'].map(administrativeSex)).to.deep.equal(['M', 'F', 'O', '', '', '']);
    expect(birthDateTime('19700102', undefined)).to.equal('19700102');
    expect(birthDateTime('19700102', '083015.5')).to.equal('19700102083015.5');
    expect(birthDateTime('19700102', 'noon')).to.equal('19700102');
    expect(birthDateTime('1970', '0830')).to.equal('');
  });
});
