import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { classifyAddress, refusalOf } from '../../src/monitor/address.js';

// The expected categories are written out here from the IANA special-purpose registries, not
// taken from the code under test.
const CASES: [string, string][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['172.32.0.1', 'public'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'metadata'],
  ['169.254.170.2', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['169.254.1.1', 'link-local'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['100.128.0.1', 'public'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.2.10', 'reserved'],
  ['8.8.8.8', 'public'],
  ['1.1.1.1', 'public'],
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['::ffff:8.8.8.8', 'public'],
  ['::127.0.0.1', 'loopback'],
  ['::ffff:0:127.0.0.1', 'loopback'],
  ['64:ff9b::127.0.0.1', 'loopback'],
  ['64:ff9b::a9fe:a9fe', 'metadata'],
  ['64:ff9b::808:808', 'public'],
  ['64:ff9b:1::1', 'private'],
  ['2002:a00:1::1', 'private'],
  ['2002:808:808::1', 'public'],
  ['2001::1', 'reserved'],
  ['2001:db8::1', 'reserved'],
  ['fd00:ec2::254', 'metadata'],
  ['fd12:3456::1', 'private'],
  ['fc00::1', 'private'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['ff02::1', 'multicast'],
  ['100::1', 'reserved'],
  ['1::', 'reserved'],
  ['2606:4700:4700::1111', 'public'],
  ['2a00:1450:4001:80b::200e', 'public'],
];

describe('classifyAddress', () => {
  it.each(CASES)('%s is %s', (ip, category) => {
    expect(classifyAddress(ip).category).toBe(category);
  });

  it('rejects what is not an IP address', () => {
    expect(() => classifyAddress('localhost')).toThrow(/not an IP address/);
  });

  it('names the embedded IPv4 address of a mapped IPv6 one', () => {
    expect(classifyAddress('::ffff:7f00:1').reason).toMatch(/IPv4-mapped IPv6 of 127\.0\.0\.1: loopback/);
  });

  it('agrees with net.BlockList on the boundaries of every IPv4 range and on random addresses', () => {
    // An independent matcher: Node's BlockList, fed the ranges from the registry.
    const ranges: [string, number, string][] = [
      ['0.0.0.0', 8, 'unspecified'],
      ['10.0.0.0', 8, 'private'],
      ['100.64.0.0', 10, 'cgnat'],
      ['127.0.0.0', 8, 'loopback'],
      ['169.254.0.0', 16, 'link-local'],
      ['172.16.0.0', 12, 'private'],
      ['192.0.0.0', 24, 'reserved'],
      ['192.0.2.0', 24, 'reserved'],
      ['192.88.99.0', 24, 'reserved'],
      ['192.168.0.0', 16, 'private'],
      ['198.18.0.0', 15, 'private'],
      ['198.51.100.0', 24, 'reserved'],
      ['203.0.113.0', 24, 'reserved'],
      ['224.0.0.0', 4, 'multicast'],
      ['240.0.0.0', 4, 'reserved'],
    ];
    const special = new Set([
      '169.254.169.254',
      '169.254.170.2',
      '169.254.170.23',
      '169.254.0.23',
      '100.100.100.200',
      '192.0.0.192',
      '168.63.129.16',
      '255.255.255.255',
    ]);
    const lists = ranges.map(([net, bits, category]) => {
      const list = new BlockList();
      list.addSubnet(net, bits, 'ipv4');
      return { list, category };
    });
    const expected = (ip: string) => lists.find((l) => l.list.check(ip, 'ipv4'))?.category ?? 'public';
    const toText = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
    const toNum = (ip: string) => ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
    const samples: string[] = [];
    for (const [net, bits] of ranges) {
      const first = toNum(net);
      const last = first + 2 ** (32 - bits) - 1;
      for (const n of [first - 1, first, first + 1, last - 1, last, last + 1]) {
        if (n >= 0 && n < 2 ** 32) samples.push(toText(n));
      }
    }
    for (let i = 0; i < 20_000; i++) samples.push(toText(Math.floor(Math.random() * 2 ** 32)));
    const mismatches: string[] = [];
    for (const ip of samples) {
      if (special.has(ip)) continue;
      const want = expected(ip);
      // The same address mapped into IPv6 is judged the same.
      for (const form of [ip, `::ffff:${ip}`]) {
        const got = classifyAddress(form).category;
        if (got !== want) mismatches.push(`${form}: ${got}, expected ${want}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(samples.length).toBeGreaterThan(20_000);
  });
});

describe('refusalOf', () => {
  it('allows public addresses', () => {
    expect(refusalOf('8.8.8.8', false)).toBeNull();
    expect(refusalOf('2606:4700:4700::1111', false)).toBeNull();
  });

  it('refuses internal addresses unless private targets are allowed', () => {
    for (const ip of [
      '127.0.0.1',
      '10.0.0.1',
      '::1',
      '::ffff:127.0.0.1',
      'fd12::1',
      '100.64.0.1',
      '169.254.1.1',
    ]) {
      expect(refusalOf(ip, false)).toMatchObject({ allowable: true });
      expect(refusalOf(ip, true)).toBeNull();
    }
  });

  it('refuses metadata, unspecified, multicast, broadcast and reserved addresses even when private ones are allowed', () => {
    for (const ip of [
      '169.254.169.254',
      'fd00:ec2::254',
      '100.100.100.200',
      '0.0.0.0',
      '::',
      '224.0.0.1',
      '255.255.255.255',
      '240.0.0.1',
      '::ffff:169.254.169.254',
    ]) {
      expect(refusalOf(ip, true)).toMatchObject({ allowable: false });
    }
  });
});
