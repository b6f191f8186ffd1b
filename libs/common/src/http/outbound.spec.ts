import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nonPublicAddress, postPinned, resolveTarget } from './outbound.js';
import type { Resolver } from './outbound.js';

describe('nonPublicAddress', () => {
  it.each([
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '192.0.2.1',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd12::1', 'ff02::1', 'fec0::1',
    // IPv4 embedded in IPv6 (the forms probed): IPv4-compatible, SIIT, 6to4, NAT64, mapped
    '::127.0.0.1', '::7f00:1', '::ffff:0:7f00:1', '2002:7f00:1::1', '64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe', '::a9fe:a9fe', '::ffff:127.0.0.1', '::ffff:a9fe:a9fe',
    '64:ff9b:1::a9fe:a9fe', '2001::1', '[::1]',
  ])('refuses %s', (address) => {
    expect(nonPublicAddress(address)).toEqual(expect.any(String));
  });

  it.each(['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', '[2606:4700::1111]'])('accepts %s', (address) => {
    expect(nonPublicAddress(address)).toBeUndefined();
  });

  it('refuses what is not an address', () => {
    expect(nonPublicAddress('example.com')).toMatch(/not an IP address/);
  });
});

describe('resolveTarget', () => {
  const dns = (answers: Record<string, string[]>): Resolver => async (host) => {
    const list = answers[host];
    if (!list) throw new Error('ENOTFOUND');
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

  it('judges every address a name resolves to: one internal address among public ones is refused', async () => {
    const resolve = dns({ 'hooks.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'], 'mixed.example': ['93.184.215.14', '169.254.169.254'] });
    await expect(resolveTarget('hooks.example', resolve)).resolves.toEqual({ addresses: [{ address: '93.184.215.14', family: 4 }, { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 }] });
    await expect(resolveTarget('mixed.example', resolve)).resolves.toMatchObject({ problem: expect.stringContaining('169.254.169.254') });
    await expect(resolveTarget('nowhere.example', resolve)).resolves.toMatchObject({ addresses: [], problem: expect.stringMatching(/does not resolve/) });
    await expect(resolveTarget('[64:ff9b::7f00:1]', resolve)).resolves.toMatchObject({ problem: expect.stringContaining('127.0.0.1') });
  });
});

describe('postPinned', () => {
  const seen: { host?: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ host: req.headers.host, body });
      res.writeHead(204).end();
    });
  });
  beforeAll(() => new Promise<void>((r) => server.listen(0, '127.0.0.1', r)));
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('connects to the address it was given, never resolving the name again (no rebinding between check and connect)', async () => {
    const { port } = server.address() as AddressInfo;
    // a name no resolver knows: only the pinned address can be reached
    const url = new URL(`http://hooks.invalid:${port}/events`);
    const res = await postPinned(url, { address: '127.0.0.1', family: 4 }, { 'content-type': 'application/json' }, '{"a":1}', 5_000);
    expect(res.status).toBe(204);
    expect(seen.at(-1)).toEqual({ host: `hooks.invalid:${port}`, body: '{"a":1}' });
  });

  it('fails, rather than going elsewhere, when the pinned address does not answer', async () => {
    await expect(postPinned(new URL('http://localhost:9/x'), { address: '127.0.0.1', family: 4 }, {}, '', 2_000)).rejects.toThrow();
  });
});
