import { expect } from 'chai';
import { decodeHl7Bytes, encodeHl7Text, resolveCharset } from '../../../src/hl7/charset.js';

const encodingOf = (msh18: string[]): string | undefined => {
  const r = resolveCharset(msh18);
  return r.kind === 'known' ? r.encoding : r.kind;
};

describe('hl7/charset', () => {
  it('maps HL7 table 0211 names (and common IANA names) to decoders', () => {
    expect(encodingOf(['8859/1'])).to.equal('windows-1252');
    expect(encodingOf(['8859/15'])).to.equal('iso-8859-15');
    expect(encodingOf(['UNICODE UTF-8'])).to.equal('utf-8');
    expect(encodingOf(['GB 18030-2000'])).to.equal('gb18030');
    expect(encodingOf(['KS X 1001'])).to.equal('euc-kr');
    expect(encodingOf(['ISO IR87'])).to.equal('iso-2022-jp');
    expect(encodingOf(['', 'ISO IR87'])).to.equal('iso-2022-jp');
    expect(encodingOf(['Shift_JIS'])).to.equal('shift_jis');
    expect(encodingOf([''])).to.equal('none');
    expect(encodingOf(['UNICODE UTF-16'])).to.equal('unsupported');
    expect(encodingOf(['KLINGON'])).to.equal('unsupported');
  });

  it('reads valid UTF-8 as UTF-8 even when MSH-18 says 8859/1 (dcm4che OMI^O23 does this)', () => {
    const r = decodeHl7Bytes(Buffer.from('a – b', 'utf8'), resolveCharset(['8859/1']));
    expect(r.ok && r.text).to.equal('a – b');
    expect(r.ok && r.encoding).to.equal('utf-8');
  });

  it('reads non-UTF-8 bytes in the declared charset', () => {
    const latin1 = decodeHl7Bytes(Buffer.from('4dfc6c6c6572', 'hex'), resolveCharset(['8859/1']));
    expect(latin1.ok && latin1.text).to.equal('Müller');
    const gb = decodeHl7Bytes(Buffer.from('d6d0a2e3', 'hex'), resolveCharset(['GB 18030-2000']));
    expect(gb.ok && gb.text).to.equal('中€');
  });

  it('reads ISO-2022-JP as declared although its 7-bit bytes are valid UTF-8', () => {
    const r = decodeHl7Bytes(Buffer.from('1b2442467c4b5c1b2842', 'hex'), resolveCharset(['', 'ISO IR87']));
    expect(r.ok && r.text).to.equal('日本');
  });

  it('assumes windows-1252 for 8-bit bytes without MSH-18, and says so', () => {
    const r = decodeHl7Bytes(Buffer.from('4dfc6c6c6572', 'hex'), { kind: 'none' });
    expect(r).to.deep.equal({ ok: true, text: 'Müller', encoding: 'windows-1252', assumed: true });
  });

  it('fails with a code for an unsupported charset and for bytes invalid in the declared one', () => {
    const unsupported = decodeHl7Bytes(Buffer.from([0xff, 0xfe]), resolveCharset(['KLINGON']));
    expect(!unsupported.ok && unsupported.code).to.equal('GW_ERR_HL7_CHARSET_UNSUPPORTED');
    const invalid = decodeHl7Bytes(Buffer.from([0x41, 0x81]), resolveCharset(['Shift_JIS']));
    expect(!invalid.ok && invalid.code).to.equal('GW_ERR_HL7_UNDECODABLE');
  });

  it('encodes text as UTF-8, in single-byte charsets, and ASCII in multi-byte ones; refuses what does not fit', () => {
    expect(encodeHl7Text('Müller', 'utf-8')?.toString('hex')).to.equal('4dc3bc6c6c6572');
    expect(encodeHl7Text('Müller', 'windows-1252')?.toString('hex')).to.equal('4dfc6c6c6572');
    expect(encodeHl7Text('Ω', 'windows-1252')).to.equal(undefined);
    expect(encodeHl7Text('ACK', 'gb18030')?.toString()).to.equal('ACK');
    expect(encodeHl7Text('中', 'gb18030')).to.equal(undefined);
  });
});
