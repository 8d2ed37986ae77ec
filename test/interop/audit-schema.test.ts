/**
 * Every audit event the gateway emits, as the XML it sends, validated with libxml2's `xmllint --relaxng` against the
 * DICOM audit message schema we ship (PS3.15 A.5.1, docs/audit/): zero errors for each, and a record the schema
 * forbids is refused (so the check can fail).
 */
import { expect } from 'chai';
import { auditMessageXml } from '../../src/audit/audit-xml.js';
import { everyAuditEvent, TEST_PATIENT_NAME } from '../helpers/audit-events.js';
import { validateAuditXml } from '../helpers/audit.js';
import { tempDir } from '../helpers/fixtures.js';
import { requirePeers } from '../helpers/peers.js';

describe('audit messages against the PS3.15 A.5.1 schema (xmllint)', function () {
  before(function () {
    requirePeers(this, 'xmllint');
  });

  it('every event type validates with zero errors, and none carries a patient name', async () => {
    const events = await everyAuditEvent();
    const docs = events.flatMap((e) => e.records.map((r) => ({ name: e.name, xml: auditMessageXml(r, { sourceId: 'gw.example', enterpriseSiteId: 'HOSP' }) })));
    expect(events.every((e) => e.records.length > 0), events.filter((e) => e.records.length === 0).map((e) => e.name).join(', ')).to.equal(true);
    const verdicts = await validateAuditXml(docs.map((d) => d.xml), tempDir('pag-audit-xml-'));
    verdicts.forEach((v, i) => expect(v.ok, `${docs[i]?.name}: ${v.output}\n${docs[i]?.xml}`).to.equal(true));
    for (const d of docs) expect(d.xml).not.to.include(TEST_PATIENT_NAME.split('^')[0]);
  });

  it('refuses a message the schema forbids (an outcome indicator outside 0/4/8/12)', async () => {
    const [start] = await everyAuditEvent();
    const xml = auditMessageXml(start!.records[0]!, { sourceId: 'gw.example' }).replace('EventOutcomeIndicator="0"', 'EventOutcomeIndicator="3"');
    const [verdict] = await validateAuditXml([xml], tempDir('pag-audit-xml-'));
    expect(verdict?.ok).to.equal(false);
  });
});
