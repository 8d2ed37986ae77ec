import { expect } from 'chai';
import type { Uid } from '../../../src/dicom/index.js';
import { GatewayError } from '../../../src/errors.js';
import { type ContentItem } from '../../../src/results/index.js';
import { Codes, FindingCodes } from '../../../src/results/sr/codes.js';
import { encodeContentItem, parseContentItem, RelationshipType } from '../../../src/results/sr/content-items.js';

const uid = (s: string): Uid => s as Uid;

function roundTrip(item: ContentItem): ContentItem {
  // Through JSON, as a naturalized dataset that dcmjs wrote and read would be: plain data, no shared references.
  return parseContentItem(JSON.parse(JSON.stringify(encodeContentItem(item))));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof GatewayError ? err.code : `not a GatewayError: ${String(err)}`;
  }
  return undefined;
}

describe('results/sr content items', () => {
  it('round-trips a CONTAINER tree holding every value type', () => {
    const tree: ContentItem = {
      relationship: RelationshipType.Contains,
      valueType: 'CONTAINER',
      name: Codes.MeasurementGroup,
      continuity: 'SEPARATE',
      templateId: '1501',
      children: [
        { relationship: RelationshipType.HasObsContext, valueType: 'TEXT', name: Codes.TrackingIdentifier, value: 'lesion 1 — ünïcode' },
        { relationship: RelationshipType.HasObsContext, valueType: 'UIDREF', name: Codes.TrackingUniqueIdentifier, value: uid('2.25.1234') },
        { relationship: RelationshipType.Contains, valueType: 'CODE', name: Codes.Finding, value: FindingCodes.Nodule },
        { relationship: RelationshipType.Contains, valueType: 'NUM', name: Codes.CertaintyOfFinding, value: 0.25, unit: Codes.NoUnits },
        {
          relationship: RelationshipType.Contains,
          valueType: 'IMAGE',
          name: Codes.Source,
          sopClassUid: uid('1.2.840.10008.5.1.4.1.1.2'),
          sopInstanceUid: uid('1.2.3.4'),
          frameNumbers: [1, 3],
          children: [{ relationship: RelationshipType.HasConceptMod, valueType: 'TEXT', name: Codes.Comment, value: 'nested under an IMAGE' }],
        },
        { relationship: RelationshipType.Contains, valueType: 'IMAGE', sopClassUid: uid('1.2.840.10008.5.1.4.1.1.2'), sopInstanceUid: uid('1.2.3.5') },
      ],
    };
    expect(roundTrip(tree)).to.deep.equal(tree);
  });

  it('writes a NUM as a ≤ 16-character decimal string, adding Floating Point Value only when the string is not exact', () => {
    const exact = encodeContentItem({ relationship: 'CONTAINS', valueType: 'NUM', name: Codes.CertaintyOfFinding, value: 0.5, unit: Codes.NoUnits });
    const long = encodeContentItem({ relationship: 'CONTAINS', valueType: 'NUM', name: Codes.CertaintyOfFinding, value: 1 / 3, unit: Codes.NoUnits });
    const exactMv = (exact.MeasuredValueSequence as Array<Record<string, unknown>>)[0];
    const longMv = (long.MeasuredValueSequence as Array<Record<string, unknown>>)[0];
    expect(exactMv).to.include({ NumericValue: '0.5' }).and.not.have.property('FloatingPointValue');
    expect(String(longMv?.NumericValue).length).to.be.at.most(16);
    expect(longMv?.FloatingPointValue).to.equal(1 / 3);
    const back = roundTrip({ relationship: 'CONTAINS', valueType: 'NUM', name: Codes.CertaintyOfFinding, value: 1 / 3, unit: Codes.NoUnits });
    expect(back.valueType === 'NUM' && back.value).to.equal(1 / 3);
  });

  it('puts code values over 16 characters in Long Code Value and reads them back', () => {
    const longCode = { value: '1234567890123456789', scheme: 'SCT', meaning: 'an 18+ digit SNOMED CT id' };
    const item = encodeContentItem({ relationship: 'CONTAINS', valueType: 'CODE', name: Codes.Finding, value: longCode });
    const concept = (item.ConceptCodeSequence as Array<Record<string, unknown>>)[0];
    expect(concept).to.include({ LongCodeValue: longCode.value }).and.not.have.property('CodeValue');
    const back = roundTrip({ relationship: 'CONTAINS', valueType: 'CODE', name: Codes.Finding, value: longCode });
    expect(back.valueType === 'CODE' && back.value).to.deep.equal(longCode);
  });

  it('refuses a code meaning longer than LO allows, before anything is written', () => {
    const meaning = 'x'.repeat(65);
    expect(() => encodeContentItem({ relationship: 'CONTAINS', valueType: 'CODE', name: Codes.Finding, value: { value: '1', scheme: 'SCT', meaning } })).to.throw(RangeError, /LO/);
  });

  describe('malformed input fails with GW_ERR_DATASET_UNREADABLE naming the attribute', () => {
    const good = (): Record<string, unknown> =>
      JSON.parse(JSON.stringify(encodeContentItem({ relationship: 'CONTAINS', valueType: 'CODE', name: Codes.Finding, value: FindingCodes.Nodule })));

    it('not an item at all', () => {
      expect(codeOf(() => parseContentItem('CONTAINS'))).to.equal('GW_ERR_DATASET_UNREADABLE');
      expect(codeOf(() => parseContentItem([good()]))).to.equal('GW_ERR_DATASET_UNREADABLE');
    });

    it('unknown relationship or value type', () => {
      expect(codeOf(() => parseContentItem({ ...good(), RelationshipType: 'IS A' }))).to.equal('GW_ERR_DATASET_UNREADABLE');
      expect(codeOf(() => parseContentItem({ ...good(), ValueType: 'WAVEFORM' }))).to.equal('GW_ERR_DATASET_UNREADABLE');
    });

    it('CODE without its concept, or a concept without a code value', () => {
      const noConcept = good();
      delete noConcept.ConceptCodeSequence;
      expect(codeOf(() => parseContentItem(noConcept))).to.equal('GW_ERR_DATASET_UNREADABLE');
      const noValue = good();
      noValue.ConceptNameCodeSequence = [{ CodingSchemeDesignator: 'DCM', CodeMeaning: 'Finding' }];
      let field: unknown;
      try {
        parseContentItem(noValue);
      } catch (err) {
        field = err instanceof GatewayError ? err.context.field : undefined;
      }
      expect(field).to.equal('ContentSequence[0].ConceptNameCodeSequence[0].CodeValue');
    });

    it('a UIDREF that is not a UID, a NUM without a number', () => {
      const uidref = JSON.parse(JSON.stringify(encodeContentItem({ relationship: 'CONTAINS', valueType: 'UIDREF', name: Codes.TrackingUniqueIdentifier, value: uid('1.2') })));
      expect(codeOf(() => parseContentItem({ ...uidref, UID: '1.02.abc' }))).to.equal('GW_ERR_DATASET_UNREADABLE');
      const num = JSON.parse(JSON.stringify(encodeContentItem({ relationship: 'CONTAINS', valueType: 'NUM', name: Codes.CertaintyOfFinding, value: 1, unit: Codes.NoUnits })));
      num.MeasuredValueSequence[0].NumericValue = 'high';
      expect(codeOf(() => parseContentItem(num))).to.equal('GW_ERR_DATASET_UNREADABLE');
    });
  });
});
