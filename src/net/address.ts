/**
 * Peer addresses and allow-lists of IPs and CIDR blocks, as the transports (DICOM, HL7) admit peers and the config
 * check validates their lists: one parser, so a list the config accepts is the list enforced at run time.
 */
import { BlockList, isIP } from 'node:net';

type Family = 'ipv4' | 'ipv6';

/** One allow-list entry: a single address (`prefixBits` undefined) or a CIDR block. */
export interface AddressBlock {
  address: string;
  family: Family;
  prefixBits: number | undefined;
}

export type AddressBlockResult = { ok: true; block: AddressBlock } | { ok: false; reason: string };

/** What an allow-list entry may be, for messages. */
export const ADDRESS_BLOCK_RULE = 'an IP address or CIDR block such as 127.0.0.1 or 10.20.0.0/16';

const IPV4_MAPPED_PREFIX = '::ffff:';

/** Strips the IPv4-mapped IPv6 prefix that dual-stack sockets report (`::ffff:127.0.0.1` → `127.0.0.1`), any case. */
export function normalizeAddress(address: string): string {
  const rest = address.slice(IPV4_MAPPED_PREFIX.length);
  return address.toLowerCase().startsWith(IPV4_MAPPED_PREFIX) && isIP(rest) === 4 ? rest : address;
}

function familyOf(address: string): Family | undefined {
  const version = isIP(address);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
}

/** Parses `10.20.0.0/16`, `fd00::/8`, `127.0.0.1` or `::1`; the reason names the entry and what is allowed. */
export function parseAddressBlock(entry: string): AddressBlockResult {
  const [address = '', bits, extra] = entry.split('/');
  const family = familyOf(address);
  const maxBits = family === 'ipv4' ? 32 : 128;
  if (family === undefined || extra !== undefined || (bits !== undefined && (!/^\d+$/.test(bits) || Number(bits) > maxBits))) {
    return { ok: false, reason: `"${entry}" is not ${ADDRESS_BLOCK_RULE}` };
  }
  return { ok: true, block: { address, family, prefixBits: bits === undefined ? undefined : Number(bits) } };
}

/** An allow-list of peer addresses. Empty admits nobody; `0.0.0.0/0` and `::/0` admit everyone. */
export class AddressAllowList {
  private readonly list = new BlockList();

  /**
   * @param setting the config key the entries come from, named in the error
   * @throws RangeError naming the setting and the entry when one does not parse (config validation runs first)
   */
  constructor(
    readonly entries: readonly string[],
    setting: string,
  ) {
    for (const entry of entries) {
      const parsed = parseAddressBlock(entry);
      if (!parsed.ok) throw new RangeError(`${setting}: ${parsed.reason}`);
      const { address, family, prefixBits } = parsed.block;
      if (prefixBits === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, prefixBits, family);
    }
  }

  /** Whether a socket's remote address is on the list (IPv4-mapped IPv6 counts as the IPv4 address). */
  allows(address: string): boolean {
    const addr = normalizeAddress(address);
    const family = familyOf(addr);
    return family !== undefined && this.list.check(addr, family);
  }
}

const LOOPBACK = new AddressAllowList(['127.0.0.0/8', '::1'], 'loopback');

/** Whether an address is this host's loopback (127.0.0.0/8, ::1, ::ffff:127.x), so reachable only from here. */
export function isLoopbackAddress(address: string): boolean {
  return LOOPBACK.allows(address);
}
