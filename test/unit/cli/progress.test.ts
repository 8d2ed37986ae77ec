import { expect } from 'chai';
import { ProgressBar } from '../../../src/cli/progress.js';
import { parseDicomAddress } from '../../../src/cli/dicom-target.js';

describe('cli: progress bar and addresses', () => {
  it('draws a bar on a terminal and nothing on a pipe', () => {
    let tty = '';
    const bar = new ProgressBar({ isTTY: true, columns: 60, write: (t: string) => (tty += t) }, 4);
    bar.tick(true);
    bar.tick(false);
    expect(bar.render()).to.equal('[##########----------] 2/4 files, 1 failed');
    expect(tty).to.contain('\r[#####---------------] 1/4 files');
    let piped = '';
    const quiet = new ProgressBar({ isTTY: false, write: (t: string) => (piped += t) }, 4);
    quiet.tick(true);
    quiet.finish();
    expect(quiet.active).to.equal(false);
    expect(piped).to.equal('');
  });

  it('parses AE@HOST:PORT, IPv6 in brackets, and says what is wrong otherwise', () => {
    expect(parseDicomAddress('ORTHANC@10.20.0.15:4242')).to.include({ aeTitle: 'ORTHANC', host: '10.20.0.15', port: 4242 });
    expect(parseDicomAddress('PACS@[::1]:104')).to.include({ host: '::1', port: 104 });
    expect(() => parseDicomAddress('PACS@host')).to.throw(/not AE@HOST:PORT/);
    expect(() => parseDicomAddress('THIS-AE-IS-FAR-TOO-LONG@h:104')).to.throw(/not an AE title/);
    expect(() => parseDicomAddress('PACS@h:70000')).to.throw(/outside 1–65535/);
  });
});
