import { expect } from 'chai';
import { parseAeTitle } from '../../../src/net/index.js';

describe('net/ae-title', () => {
  it('accepts 1–16 printable characters and drops leading and trailing spaces (the wire pads with them)', () => {
    for (const [text, ae] of [['PACS', 'PACS'], ['  STORE SCP  ', 'STORE SCP'], ['ABCDEFGHIJKLMNOP', 'ABCDEFGHIJKLMNOP'], ['ABCDEFGHIJKLMNOP  ', 'ABCDEFGHIJKLMNOP'], ['a-b_c.d*1', 'a-b_c.d*1']]) {
      expect(parseAeTitle(text as string), text).to.deep.equal({ ok: true, aeTitle: ae });
    }
  });

  it('refuses a backslash, a control character, non-ASCII, 17 characters, and blank titles, saying which', () => {
    const reasons = ['A\\B', 'A\tB', 'A\nB', 'ÄRZTE', 'SEVENTEEN_CHARS__', '', '    '].map((t) => {
      const r = parseAeTitle(t);
      return r.ok ? 'accepted' : r.reason;
    });
    expect(reasons).to.deep.equal([
      '"A\\\\B" is not an AE title: it has a backslash, a control character or a character outside ASCII (1–16 printable ASCII characters without backslash, not only spaces)',
      '"A\\tB" is not an AE title: it has a backslash, a control character or a character outside ASCII (1–16 printable ASCII characters without backslash, not only spaces)',
      '"A\\nB" is not an AE title: it has a backslash, a control character or a character outside ASCII (1–16 printable ASCII characters without backslash, not only spaces)',
      '"ÄRZTE" is not an AE title: it has a backslash, a control character or a character outside ASCII (1–16 printable ASCII characters without backslash, not only spaces)',
      '"SEVENTEEN_CHARS__" is not an AE title: it has 17 characters, more than 16 (1–16 printable ASCII characters without backslash, not only spaces)',
      '"" is not an AE title: it is empty or only spaces (1–16 printable ASCII characters without backslash, not only spaces)',
      '"    " is not an AE title: it is empty or only spaces (1–16 printable ASCII characters without backslash, not only spaces)',
    ]);
  });
});
