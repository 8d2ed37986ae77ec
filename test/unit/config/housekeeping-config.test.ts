import { expect } from 'chai';
import { validateConfig } from '../../../src/config/load.js';

describe('config: housekeeping', () => {
  it('defaults: retention off (no limit), the other jobs scheduled, disk checked every 10 s', () => {
    const r = validateConfig({}, 'test');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const hk = r.config.housekeeping;
    expect(hk.retention.maxAgeDays).to.equal(undefined);
    expect(hk.retention.maxTotalBytes).to.equal(undefined);
    expect(hk.diskCheck.schedule).to.equal('*/10 * * * * *');
    expect(hk.outboxSweep.keepDeliveredDays).to.equal(30);
  });

  it('an invalid cron expression fails validation with its key named and the field that is wrong', () => {
    const r = validateConfig({ housekeeping: { retention: { schedule: '61 3 * * *', maxAgeDays: 30 }, dbMaintenance: { schedule: 'nightly' } } }, 'test');
    expect(r.ok).to.equal(false);
    if (r.ok) return;
    const byPath = Object.fromEntries(r.problems.map((p) => [p.path, p.reason]));
    expect(Object.keys(byPath).sort()).to.deep.equal(['housekeeping.dbMaintenance.schedule', 'housekeeping.retention.schedule']);
    expect(byPath['housekeeping.retention.schedule']).to.match(/"61 3 \* \* \*" is not a cron expression.*minute/);
    expect(byPath['housekeeping.dbMaintenance.schedule']).to.match(/expected 5 or 6 fields/);
  });

  it('accepts a seconds field, and rejects unknown keys and non-positive limits', () => {
    expect(validateConfig({ housekeeping: { diskCheck: { schedule: '*/1 * * * * *' } } }, 'test').ok).to.equal(true);
    const r = validateConfig({ housekeeping: { retention: { maxAgeDays: 0, keepForever: true } } }, 'test');
    expect(r.ok ? [] : r.problems.map((p) => p.path).sort()).to.deep.equal(['housekeeping.retention.keepForever', 'housekeeping.retention.maxAgeDays']);
  });
});
