import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLocalHostName, isPublicAddress } from './addresses.ts';

describe('which addresses a production EHR endpoint may use', () => {
  it('refuses private, loopback, link-local, CGNAT, metadata and other special ranges', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.5',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '[::1]',
      'fe80::1',
      'fc00::1',
      'fd00:ec2::254',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::10.0.0.1',
      '::127.0.0.1',
      'not-an-ip',
    ]) {
      assert.equal(isPublicAddress(address), false, address);
    }
  });

  it('accepts public IPv4 and IPv6 addresses, mapped ones included', () => {
    for (const address of [
      '93.184.215.14',
      '8.8.8.8',
      '172.32.0.1',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
      '[2001:4860:4860::8888]',
    ]) {
      assert.equal(isPublicAddress(address), true, address);
    }
  });

  it('knows local names without asking DNS', () => {
    for (const host of [
      'localhost',
      'app.localhost',
      'metadata.google.internal',
      'printer.local',
      '[::1]',
      '10.0.0.5',
    ]) {
      assert.equal(isLocalHostName(host), true, host);
    }
    for (const host of [
      'fhir-ehr.cerner.com',
      'authorization.cerner.com',
      '8.8.8.8',
      'internal-looking.example.com',
    ]) {
      assert.equal(isLocalHostName(host), false, host);
    }
  });
});
