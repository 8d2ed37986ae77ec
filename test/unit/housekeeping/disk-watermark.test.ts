import { expect } from 'chai';
import { DiskWatermark } from '../../../src/housekeeping/disk-watermark.js';
import { silentLogger } from '../../../src/log.js';

describe('housekeeping/disk-watermark', () => {
  it('refuses below storage.minFreeBytes with the numbers in the reason, and recovers above it', async () => {
    let free = 5000;
    const disk = new DiskWatermark(async () => free, 1000, silentLogger);
    await disk.check();
    expect(disk.refusal).to.equal(undefined);
    free = 999;
    await disk.check();
    expect(disk.refusal).to.equal('free disk space 999 bytes is below storage.minFreeBytes (1000)');
    free = 1000;
    await disk.check();
    expect(disk.refusal).to.equal(undefined);
  });

  it('keeps its state when free space cannot be read', async () => {
    let fail = false;
    const disk = new DiskWatermark(
      async () => {
        if (fail) throw new Error('EIO');
        return 10;
      },
      1000,
      silentLogger,
    );
    await disk.check();
    fail = true;
    await disk.check();
    expect(disk.refusal).to.match(/below storage\.minFreeBytes/);
  });
});
