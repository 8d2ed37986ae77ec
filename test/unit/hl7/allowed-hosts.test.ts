import { expect } from 'chai';
import { HostAllowList } from '../../../src/hl7/allowed-hosts.js';

describe('hl7/allowed-hosts', () => {
  it('admits listed addresses and CIDR blocks, IPv4-mapped IPv6 included', () => {
    const list = new HostAllowList(['127.0.0.1', '10.20.0.0/16', '::1', 'fd00::/8']);
    expect(['127.0.0.1', '::ffff:127.0.0.1', '10.20.3.4', '::1', 'fd12::5'].map((a) => list.allows(a))).to.deep.equal([true, true, true, true, true]);
    expect(['127.0.0.2', '10.21.0.1', '::2', 'fe80::1', '', 'not-an-ip'].map((a) => list.allows(a))).to.deep.equal([false, false, false, false, false, false]);
  });

  it('admits nobody when empty and everybody with 0.0.0.0/0 and ::/0', () => {
    expect(new HostAllowList([]).allows('127.0.0.1')).to.equal(false);
    const any = new HostAllowList(['0.0.0.0/0', '::/0']);
    expect([any.allows('192.0.2.1'), any.allows('2001:db8::1')]).to.deep.equal([true, true]);
  });

  it('refuses entries that are neither an address nor a CIDR block', () => {
    for (const bad of ['localhost', '10.0.0.0/33', '10.0.0.0/8/1', '1.2.3']) expect(() => new HostAllowList([bad]), bad).to.throw(RangeError);
  });
});
