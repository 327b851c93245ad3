import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_ADDRESS_RANGES, parseAddressRanges, parseCidr } from './address-ranges.ts';

describe('CIDR ranges an operator allows (CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS)', () => {
  it('parses IPv4 and IPv6 ranges', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8'), { family: 'ipv4', network: '10.0.0.0', prefix: 8 });
    assert.deepEqual(parseCidr('192.168.4.17/32'), { family: 'ipv4', network: '192.168.4.17', prefix: 32 });
    assert.deepEqual(parseCidr('0.0.0.0/0'), { family: 'ipv4', network: '0.0.0.0', prefix: 0 });
    assert.deepEqual(parseCidr('fd00::/8'), { family: 'ipv6', network: 'fd00::', prefix: 8 });
    assert.deepEqual(parseCidr('FD12:3456::/32'), { family: 'ipv6', network: 'fd12:3456::', prefix: 32 });
    assert.deepEqual(parseCidr('::1/128'), { family: 'ipv6', network: '::1', prefix: 128 });
    assert.deepEqual(parseCidr('::ffff:10.0.0.0/104'), {
      family: 'ipv6',
      network: '::ffff:10.0.0.0',
      prefix: 104,
    });
  });

  it('refuses malformed ranges with the reason', () => {
    for (const [text, reason] of [
      ['10.0.0.0', /not a CIDR range/],
      ['10.0.0.0/', /not a CIDR range/],
      ['/8', /not a CIDR range/],
      ['10.0.0.0/8/8', /not a CIDR range/],
      ['10.0.0.0/-1', /not a CIDR range/],
      ['10.0.0.0/1000', /not a CIDR range/],
      ['10.0.0.0/33', /longer than 32 bits/],
      ['fd00::/129', /longer than 128 bits/],
      ['10.0.0/8', /IPv4 or IPv6 address/],
      ['256.0.0.0/8', /IPv4 or IPv6 address/],
      ['010.0.0.0/8', /IPv4 or IPv6 address/],
      ['ehr.example.org/32', /IPv4 or IPv6 address/],
      ['fe80::%eth0/64', /IPv4 or IPv6 address/],
      ['[fd00::]/8', /IPv4 or IPv6 address/],
      ['10.1.2.3/8', /host bits set/],
      ['fd00::1/8', /host bits set/],
      ['10 .0.0.0/8', /not a CIDR range/],
    ] as const) {
      assert.throws(() => parseCidr(text), reason, text);
    }
  });

  it('parses a comma-separated list, spaces allowed, and refuses empty entries', () => {
    const ranges = parseAddressRanges(' 10.0.0.0/8, 127.0.0.0/8 ,fd00::/8');
    assert.deepEqual(ranges.cidrs, ['10.0.0.0/8', '127.0.0.0/8', 'fd00::/8']);
    assert.equal(parseAddressRanges(undefined), NO_ADDRESS_RANGES);
    assert.equal(parseAddressRanges('  '), NO_ADDRESS_RANGES);
    assert.throws(() => parseAddressRanges('10.0.0.0/8,,fd00::/8'), /entry 2 is empty/);
    assert.throws(() => parseAddressRanges('10.0.0.0/8,'), /entry 2 is empty/);
    assert.throws(
      () => parseAddressRanges('10.0.0.0/8,10.1.2.3/16'),
      /^Error: "10\.1\.2\.3\/16" has host bits set; the range is 10\.1\.0\.0\/16$/,
    );
    assert.throws(() => parseCidr('fd00::1/8'), /the range is fd00:0:0:0:0:0:0:0\/8$/);
  });

  it('knows which addresses are inside, IPv4-mapped and NAT64 forms by the IPv4 they carry', () => {
    const ranges = parseAddressRanges('10.0.0.0/8,192.168.4.17/32,fd00::/8');
    for (const address of [
      '10.0.0.0',
      '10.1.2.3',
      '10.255.255.255',
      '192.168.4.17',
      'fd00::1',
      'fdff:ffff::1',
      '[fd12::5]',
      'FD00::ABCD',
      '::ffff:10.1.2.3',
      '::ffff:a01:203',
      '64:ff9b::10.1.2.3',
    ]) {
      assert.equal(ranges.has(address), true, address);
    }
    for (const address of [
      '11.0.0.1',
      '9.255.255.255',
      '192.168.4.18',
      '127.0.0.1',
      '169.254.169.254',
      'fc00::1',
      'fe80::1',
      '::1',
      '::ffff:127.0.0.1',
      'not-an-ip',
      '',
    ]) {
      assert.equal(ranges.has(address), false, address);
    }
    assert.equal(NO_ADDRESS_RANGES.has('10.1.2.3'), false);
  });
});
