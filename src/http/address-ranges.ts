/**
 * CIDR ranges of private addresses an operator lets production sources reach
 * (`CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS`, e.g. `10.0.0.0/8,fd00::/8`): an on-premises EHR behind a
 * VPN lives on a private network, and the SSRF guard (url-policy.ts) would otherwise refuse it.
 * Only what is listed opens up; everything else not public stays refused.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { embeddedIpv4, expandIpv6 } from './addresses.ts';

export interface AddressRanges {
  /** The ranges as given (`10.0.0.0/8`), in order: for the start-up log and error messages. */
  readonly cidrs: readonly string[];
  /**
   * True when `address` (an IP literal, brackets allowed) is inside one of the ranges. An
   * IPv4-mapped or NAT64 IPv6 address is also judged by the IPv4 address it carries, as
   * `isPublicAddress` (addresses.ts) judges it.
   */
  has(address: string): boolean;
}

export interface Cidr {
  readonly family: 'ipv4' | 'ipv6';
  readonly network: string;
  readonly prefix: number;
}

/** The empty allow list: the default, and what sandbox-only policies carry. */
export const NO_ADDRESS_RANGES: AddressRanges = Object.freeze({ cidrs: Object.freeze([]), has: () => false });

/**
 * Parse one `address/prefix`. Strict on purpose, since it widens the SSRF guard: a prefix is
 * required (`/32` for one host), the address must be the network itself (`10.1.0.0/16`, not
 * `10.1.2.3/16`, which usually means a typo), and IPv6 zone ids are refused.
 * Throws an Error whose message is the reason.
 */
export function parseCidr(text: string): Cidr {
  const match = /^([^/\s]+)\/(\d{1,3})$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a CIDR range such as 10.0.0.0/8 or fd00::/8`);
  const network = (match[1] as string).toLowerCase();
  const prefix = Number(match[2]);
  const family = isIPv4(network) ? 'ipv4' : isIPv6(network) && !network.includes('%') ? 'ipv6' : null;
  if (!family) throw new Error(`"${text}" does not start with an IPv4 or IPv6 address`);
  const bits = family === 'ipv4' ? 32 : 128;
  if (prefix > bits) throw new Error(`"${text}" has a prefix longer than ${bits} bits`);
  const value = family === 'ipv4' ? ipv4Value(network) : ipv6Value(network);
  const hostBits = BigInt(bits - prefix);
  const base = (value >> hostBits) << hostBits;
  if (base !== value) {
    throw new Error(`"${text}" has host bits set; the range is ${formatAddress(base, family)}/${prefix}`);
  }
  return { family, network, prefix };
}

/** Parse a comma-separated list (spaces around entries allowed); '' or unset is the empty list. */
export function parseAddressRanges(list: string | undefined): AddressRanges {
  if (list === undefined || list.trim() === '') return NO_ADDRESS_RANGES;
  const ranges = list.split(',').map((entry, index) => {
    const text = entry.trim();
    if (text === '') throw new Error(`entry ${index + 1} is empty`);
    return { text, cidr: parseCidr(text) };
  });
  const blocks = new BlockList();
  for (const { cidr } of ranges) blocks.addSubnet(cidr.network, cidr.prefix, cidr.family);
  const inside = (ip: string): boolean => {
    if (isIPv4(ip)) return blocks.check(ip, 'ipv4');
    if (!isIPv6(ip)) return false;
    if (blocks.check(ip, 'ipv6')) return true;
    const embedded = embeddedIpv4(ip);
    return embedded !== null && blocks.check(embedded, 'ipv4');
  };
  return Object.freeze({
    cidrs: Object.freeze(ranges.map(({ text }) => text)),
    has: (address: string) => inside(address.replace(/^\[|\]$/g, '').toLowerCase()),
  });
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6Value(address: string): bigint {
  const groups = expandIpv6(address);
  if (!groups) throw new Error(`"${address}" is not an IPv6 address`);
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

/** An address value back to text (IPv6 uncompressed: this only appears in error messages). */
function formatAddress(value: bigint, family: 'ipv4' | 'ipv6'): string {
  const [count, width, radix] = family === 'ipv4' ? [4, 8n, 10] : [8, 16n, 16];
  const parts: string[] = [];
  for (let i = count - 1; i >= 0; i--)
    parts.push(((value >> (BigInt(i) * width)) & ((1n << width) - 1n)).toString(radix));
  return parts.join(family === 'ipv4' ? '.' : ':');
}
