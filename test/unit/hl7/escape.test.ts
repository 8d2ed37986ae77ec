import { expect } from 'chai';
import { DEFAULT_DELIMITERS, escapeHl7, unescapeHl7, type Hl7Delimiters } from '../../../src/hl7/escape.js';

const d = DEFAULT_DELIMITERS;

describe('hl7/escape', () => {
  it('decodes the delimiter escapes \\F\\ \\S\\ \\T\\ \\R\\ \\E\\', () => {
    expect(unescapeHl7('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f', d)).to.equal('a|b^c&d~e\\f');
  });

  it('decodes \\Xhh…\\ as bytes in the message charset, joining consecutive escapes', () => {
    expect(unescapeHl7('\\X41\\', d)).to.equal('A');
    expect(unescapeHl7('M\\XC3BC\\ller', d)).to.equal('Müller');
    expect(unescapeHl7('M\\XC3\\\\XBC\\ller', d)).to.equal('Müller');
    // not UTF-8: read in the next charset (dcm4che SIU^S12 escapes latin-1 bytes in an otherwise UTF-8 message)
    expect(unescapeHl7('OPERA\\XC7\\\\XC3\\O', d)).to.equal('OPERAÇÃO');
    expect(unescapeHl7('\\XD6D0\\', d, { hexEncodings: ['gb18030'] })).to.equal('中');
    expect(unescapeHl7('a\\X0D\\\\X0A\\b', d)).to.equal('a\r\nb');
  });

  it('turns \\.br\\ and \\.sp\\ into newlines and drops highlighting and other formatting', () => {
    expect(unescapeHl7('line 1\\.br\\line 2', d)).to.equal('line 1\nline 2');
    expect(unescapeHl7('a\\.sp2\\b', d)).to.equal('a\n\nb');
    expect(unescapeHl7('\\H\\IMPRESSION\\N\\: \\.in+4\\\\.ce\\normal', d)).to.equal('IMPRESSION: normal');
  });

  it('keeps unknown and unterminated sequences as written', () => {
    expect(unescapeHl7('\\Q\\x', d)).to.equal('\\Q\\x');
    expect(unescapeHl7('C:\\temp', d)).to.equal('C:\\temp');
    expect(unescapeHl7('\\Zlocal\\', d)).to.equal('\\Zlocal\\');
  });

  it('uses the message’s own delimiters', () => {
    const custom: Hl7Delimiters = { field: '#', component: '$', repetition: '%', escape: '@', subcomponent: '*' };
    expect(unescapeHl7('x@F@y@S@z@E@w|^', custom)).to.equal('x#y$z@w|^');
    expect(escapeHl7('x#y$z@w|^', custom)).to.equal('x@F@y@S@z@E@w|^');
  });

  it('round-trips any text through escape and unescape', () => {
    const texts = ['a|b^c~d\\e&f', 'line 1\nline 2', 'tab\there', 'bell\x07 del\x7f', 'Müller 患者 ✓', '', '\\.br\\ literally'];
    for (const t of texts) expect(unescapeHl7(escapeHl7(t, d), d), JSON.stringify(t)).to.equal(t);
    expect(escapeHl7('a\r\nb', d)).to.equal('a\\.br\\b');
    expect(escapeHl7('a\nb', d, { lineBreak: 'hex' })).to.equal('a\\X0D\\\\X0A\\b');
    expect(escapeHl7('x\x1cy\x0b', d)).to.equal('x\\X1C\\y\\X0B\\');
  });

  it('handles the v2.7 truncation character \\P\\ when declared', () => {
    const v27: Hl7Delimiters = { ...d, truncation: '#' };
    expect(unescapeHl7('a\\P\\b', v27)).to.equal('a#b');
    expect(escapeHl7('a#b', v27)).to.equal('a\\P\\b');
    expect(unescapeHl7('a\\P\\b', d)).to.equal('a\\P\\b');
  });
});
