/** Which source addresses may open an MLLP connection: a list of IPs and CIDR blocks. Pure, testable without sockets. */
import { BlockList, isIP } from 'node:net';

/** Strips the IPv4-mapped IPv6 prefix that dual-stack sockets report (::ffff:127.0.0.1). */
export function normalizePeerAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : address;
}

/** An allow-list of peers. An empty list admits nobody; `0.0.0.0/0` and `::/0` admit everyone. */
export class HostAllowList {
  private readonly list = new BlockList();

  /** @throws RangeError naming the entry when one is neither an IP address nor a CIDR block (config validates first). */
  constructor(readonly entries: readonly string[]) {
    for (const entry of entries) {
      const [addr = '', bits, extra] = entry.split('/');
      const version = isIP(addr);
      const max = version === 4 ? 32 : 128;
      if (version === 0 || extra !== undefined || (bits !== undefined && (!/^\d+$/.test(bits) || Number(bits) > max))) {
        throw new RangeError(`hl7.allowedHosts: "${entry}" is not an IP address or CIDR block (such as 127.0.0.1 or 10.20.0.0/16)`);
      }
      const type = version === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) this.list.addAddress(addr, type);
      else this.list.addSubnet(addr, Number(bits), type);
    }
  }

  /** Whether a socket's remote address is on the list. */
  allows(address: string): boolean {
    const addr = normalizePeerAddress(address);
    const version = isIP(addr);
    if (version === 0) return false;
    return this.list.check(addr, version === 4 ? 'ipv4' : 'ipv6');
  }
}
