import { isIPv4, isIPv6 } from 'node:net';

/**
 * What kind of address an IP is, for the SSRF guard.
 *
 * - `public`: globally routable unicast; always allowed.
 * - `loopback`, `private`, `link-local`, `cgnat`: internal networks; refused unless the operator
 *   allows private targets (`--monitor-allow-private`).
 * - `metadata`, `unspecified`, `multicast`, `broadcast`, `reserved`: refused always. Cloud
 *   metadata services hand out credentials; `0.0.0.0` and `::` connect to the local host on
 *   Linux; the rest are not hosts one can monitor.
 */
export type AddressCategory =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved';

/** How {@link classifyAddress} sees an address. */
export interface AddressClass {
  category: AddressCategory;
  /** Why, in words: `private (10.0.0.0/8)`, `IPv4-mapped IPv6 of 127.0.0.1: loopback (127.0.0.0/8)`. */
  reason: string;
}

/** Categories an operator may allow with `allowPrivate`; every other non-public one is refused always. */
export const ALLOWABLE_CATEGORIES: ReadonlySet<AddressCategory> = new Set([
  'loopback',
  'private',
  'link-local',
  'cgnat',
]);

interface Range {
  /** Network address as a bigint (IPv4: 32 bits; IPv6: 128 bits). */
  net: bigint;
  bits: number;
  category: AddressCategory;
  label: string;
}

function v4(text: string): bigint {
  let n = 0n;
  for (const part of text.split('.')) n = (n << 8n) | BigInt(Number(part));
  return n;
}

function v6(text: string): bigint {
  // Drop a zone id (fe80::1%eth0): the zone does not change what the address is.
  let s = text.split('%')[0]!.toLowerCase();
  // An IPv4 dotted quad in the last 32 bits (::ffff:1.2.3.4) is rewritten as two hex groups.
  const colon = s.lastIndexOf(':');
  if (s.includes('.', colon)) {
    const n = v4(s.slice(colon + 1));
    s = `${s.slice(0, colon + 1)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const parse = (part: string) => (part ? part.split(':').map((g) => BigInt(Number.parseInt(g, 16))) : []);
  const [head = '', rest] = s.split('::');
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const groups = [...left, ...new Array<bigint>(8 - left.length - right.length).fill(0n), ...right];
  let n = 0n;
  for (const g of groups) n = (n << 16n) | g;
  return n;
}

function range(cidr: string, category: AddressCategory, label?: string): Range {
  const [addr, bits] = cidr.split('/') as [string, string];
  return {
    net: addr.includes(':') ? v6(addr) : v4(addr),
    bits: Number(bits),
    category,
    label: label ? `${label}, ${cidr}` : cidr,
  };
}

function inRange(n: bigint, width: number, r: Range): boolean {
  const shift = BigInt(width - r.bits);
  return n >> shift === r.net >> shift;
}

// Checked in order, first match wins: the metadata addresses sit inside link-local, private and
// CGNAT ranges and must be named (and refused even when private targets are allowed).
const METADATA_V4 = [
  range('169.254.169.254/32', 'metadata', 'AWS, GCP, Azure, Oracle, OpenStack, …'),
  range('169.254.170.2/32', 'metadata', 'AWS ECS task metadata'),
  range('169.254.170.23/32', 'metadata', 'AWS EKS pod identity'),
  range('169.254.0.23/32', 'metadata', 'Tencent Cloud'),
  range('100.100.100.200/32', 'metadata', 'Alibaba Cloud'),
  range('192.0.0.192/32', 'metadata', 'Oracle Cloud'),
  range('168.63.129.16/32', 'metadata', 'Azure WireServer'),
];

const V4: Range[] = [
  ...METADATA_V4,
  range('255.255.255.255/32', 'broadcast'),
  range('0.0.0.0/8', 'unspecified', '"this network"'),
  range('10.0.0.0/8', 'private'),
  range('172.16.0.0/12', 'private'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'private', 'benchmarking'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local'),
  range('100.64.0.0/10', 'cgnat'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved'),
  range('192.0.0.0/24', 'reserved', 'IETF protocol assignments'),
  range('192.0.2.0/24', 'reserved', 'documentation'),
  range('198.51.100.0/24', 'reserved', 'documentation'),
  range('203.0.113.0/24', 'reserved', 'documentation'),
  range('192.88.99.0/24', 'reserved', '6to4 relay anycast'),
];

const V6: Range[] = [
  range('fd00:ec2::254/128', 'metadata', 'AWS'),
  range('fd00:ec2::23/128', 'metadata', 'AWS EKS pod identity'),
  range('fd20:ce::254/128', 'metadata', 'GCP'),
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('64:ff9b:1::/48', 'private', 'local-use NAT64'),
  range('100::/64', 'reserved', 'discard-only'),
  range('2001::/32', 'reserved', 'Teredo'),
  range('2001:db8::/32', 'reserved', 'documentation'),
  range('3fff::/20', 'reserved', 'documentation'),
  range('fc00::/7', 'private', 'unique local'),
  range('fec0::/10', 'private', 'site-local'),
  range('fe80::/10', 'link-local'),
  range('ff00::/8', 'multicast'),
];

/**
 * IPv6 forms that carry an IPv4 address the packets end up at. Each is judged by the IPv4
 * address it embeds, so `::ffff:127.0.0.1` is loopback and `64:ff9b::a00:1` (NAT64 of 10.0.0.1)
 * is private.
 */
const EMBEDDING: { range: Range; name: string; extract(n: bigint): bigint }[] = [
  { range: range('::ffff:0:0/96', 'reserved'), name: 'IPv4-mapped IPv6', extract: (n) => n & 0xffffffffn },
  {
    range: range('::ffff:0:0:0/96', 'reserved'),
    name: 'IPv4-translated IPv6',
    extract: (n) => n & 0xffffffffn,
  },
  { range: range('64:ff9b::/96', 'reserved'), name: 'NAT64', extract: (n) => n & 0xffffffffn },
  { range: range('::/96', 'reserved'), name: 'IPv4-compatible IPv6', extract: (n) => n & 0xffffffffn },
  { range: range('2002::/16', 'reserved'), name: '6to4', extract: (n) => (n >> 80n) & 0xffffffffn },
];

const GLOBAL_UNICAST_V6 = range('2000::/3', 'public');

const NAMES: Record<AddressCategory, string> = {
  public: 'public',
  loopback: 'loopback',
  private: 'private network',
  'link-local': 'link-local',
  cgnat: 'carrier-grade NAT',
  metadata: 'cloud metadata service',
  unspecified: 'unspecified address',
  multicast: 'multicast',
  broadcast: 'broadcast',
  reserved: 'reserved',
};

function describe(r: Range): AddressClass {
  return { category: r.category, reason: `${NAMES[r.category]} (${r.label})` };
}

function v4Text(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
}

function classifyV4(n: bigint): AddressClass {
  for (const r of V4) {
    if (inRange(n, 32, r)) return describe(r);
  }
  return { category: 'public', reason: 'public' };
}

/**
 * Classifies an IP address (IPv4, or IPv6 with or without a zone id). Throws a TypeError for
 * anything that is not an IP address.
 *
 * @example
 * classifyAddress('::ffff:7f00:1');
 * // { category: 'loopback', reason: 'IPv4-mapped IPv6 of 127.0.0.1: loopback (127.0.0.0/8)' }
 */
export function classifyAddress(ip: string): AddressClass {
  if (isIPv4(ip)) return classifyV4(v4(ip));
  if (!isIPv6(ip)) throw new TypeError(`@apilens/server: "${ip}" is not an IP address`);
  const n = v6(ip);
  for (const r of V6) {
    if (inRange(n, 128, r)) return describe(r);
  }
  for (const e of EMBEDDING) {
    if (inRange(n, 128, e.range)) {
      const inner = e.extract(n);
      const c = classifyV4(inner);
      return { category: c.category, reason: `${e.name} of ${v4Text(inner)}: ${c.reason}` };
    }
  }
  // Outside 2000::/3 nothing is assigned as global unicast; refusing it leaves no odd prefix to try.
  if (!inRange(n, 128, GLOBAL_UNICAST_V6)) {
    return { category: 'reserved', reason: 'reserved (outside global unicast, 2000::/3)' };
  }
  return { category: 'public', reason: 'public' };
}

/** Why an address is refused, and whether `allowPrivate` would admit it. */
export interface Refusal {
  reason: string;
  allowable: boolean;
}

/**
 * Why connecting to `ip` is refused, or `null` when it is allowed.
 * `allowPrivate` admits the {@link ALLOWABLE_CATEGORIES}; metadata and the rest stay refused.
 */
export function refusalOf(ip: string, allowPrivate: boolean): Refusal | null {
  const c = classifyAddress(ip);
  if (c.category === 'public') return null;
  const allowable = ALLOWABLE_CATEGORIES.has(c.category);
  if (allowPrivate && allowable) return null;
  return { reason: c.reason, allowable };
}
