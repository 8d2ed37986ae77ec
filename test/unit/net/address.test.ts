import { expect } from 'chai';
import { AddressAllowList, isLoopbackAddress, normalizeAddress, parseAddressBlock } from '../../../src/net/index.js';

describe('net/address', () => {
  it('strips the IPv4-mapped IPv6 prefix in any case, and leaves other addresses alone', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).to.equal('127.0.0.1');
    expect(normalizeAddress('::FFFF:10.1.2.3')).to.equal('10.1.2.3');
    for (const a of ['127.0.0.1', '::1', 'fd00::1', '::ffff:7f00:1', '', 'not-an-ip']) expect(normalizeAddress(a), a).to.equal(a);
  });

  it('parses addresses and IPv4/IPv6 CIDR blocks', () => {
    expect(parseAddressBlock('10.20.0.0/16')).to.deep.equal({ ok: true, block: { address: '10.20.0.0', family: 'ipv4', prefixBits: 16 } });
    expect(parseAddressBlock('fd00::/8')).to.deep.equal({ ok: true, block: { address: 'fd00::', family: 'ipv6', prefixBits: 8 } });
    expect(parseAddressBlock('::1')).to.deep.equal({ ok: true, block: { address: '::1', family: 'ipv6', prefixBits: undefined } });
    expect(parseAddressBlock('::/128').ok).to.equal(true);
  });

  it('refuses a host name, a prefix past the family, a second slash, a partial address, with the entry named', () => {
    for (const bad of ['localhost', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', '1.2.3', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8a', '']) {
      const r = parseAddressBlock(bad);
      expect(r.ok, bad).to.equal(false);
      if (!r.ok) expect(r.reason).to.equal(`"${bad}" is not an IP address or CIDR block such as 127.0.0.1 or 10.20.0.0/16`);
    }
  });

  it('admits listed addresses and CIDR blocks, IPv4-mapped IPv6 included', () => {
    const list = new AddressAllowList(['127.0.0.1', '10.20.0.0/16', '::1', 'fd00::/8'], 'hl7.allowedHosts');
    expect(['127.0.0.1', '::ffff:127.0.0.1', '10.20.3.4', '::1', 'fd12::5'].map((a) => list.allows(a))).to.deep.equal([true, true, true, true, true]);
    expect(['127.0.0.2', '10.21.0.1', '::2', 'fe80::1', '', 'not-an-ip'].map((a) => list.allows(a))).to.deep.equal([false, false, false, false, false, false]);
  });

  it('matches an IPv4-mapped entry against the plain IPv4 peer', () => {
    expect(new AddressAllowList(['::ffff:10.0.0.1'], 'dicom.allowedPeers').allows('10.0.0.1')).to.equal(true);
  });

  it('admits nobody when empty and everybody with 0.0.0.0/0 and ::/0', () => {
    expect(new AddressAllowList([], 'x').allows('127.0.0.1')).to.equal(false);
    const any = new AddressAllowList(['0.0.0.0/0', '::/0'], 'x');
    expect([any.allows('192.0.2.1'), any.allows('2001:db8::1')]).to.deep.equal([true, true]);
  });

  it('throws a RangeError naming the setting and the entry for an invalid one', () => {
    expect(() => new AddressAllowList(['127.0.0.1', '10.0.0.0/33'], 'hl7.allowedHosts')).to.throw(RangeError, 'hl7.allowedHosts: "10.0.0.0/33" is not an IP address');
  });

  it('knows loopback: 127.0.0.0/8, ::1 and their IPv4-mapped form', () => {
    expect(['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1'].map(isLoopbackAddress)).to.deep.equal([true, true, true, true]);
    expect(['0.0.0.0', '::', '10.20.0.5', '::ffff:10.0.0.1', 'localhost'].map(isLoopbackAddress)).to.deep.equal([false, false, false, false, false]);
  });
});
