import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, isPublicAddress, subscribes } from './index';

const dns = (table: Record<string, string[]>) => async (name: string) => {
  if (!(name in table)) throw new Error('NXDOMAIN');
  return table[name]!;
};
const resolve = dns({
  'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'rebind.example.com': ['93.184.216.34', '10.0.0.7'],
  'inside.example.com': ['192.168.1.10'],
  'meta.example.com': ['169.254.169.254'],
  'v6local.example.com': ['fd00:ec2::254'],
  'empty.example.com': [],
});

describe('webhook URLs', () => {
  it('accept https on public hosts and addresses', async () => {
    for (const url of ['https://hooks.example.com/in', 'https://93.184.216.34/x', 'https://[2606:4700::1111]/x']) {
      expect(await checkWebhookUrl(url, resolve), url).toMatchObject({ ok: true });
    }
  });

  it('refuse http, credentials, local names, private and special addresses, also behind a DNS name', async () => {
    const refused = [
      'http://hooks.example.com/in',
      'ftp://hooks.example.com/in',
      'https://user:pw@hooks.example.com/in',
      'https://localhost/x',
      'https://api.localhost/x',
      'https://printer.local/x',
      'https://metadata.google.internal/computeMetadata/v1',
      'https://intranet/x',
      'https://127.0.0.1/x',
      'https://2130706433/x', // 127.0.0.1 in decimal
      'https://0x7f.1/x', // and in hex
      'https://0177.0.0.1/x', // and in octal
      'https://10.1.2.3/x',
      'https://172.20.0.1/x',
      'https://192.168.0.1/x',
      'https://100.64.0.1/x',
      'https://169.254.169.254/latest/meta-data',
      'https://0.0.0.0/x',
      'https://224.0.0.1/x',
      'https://[::1]/x',
      'https://[::]/x',
      'https://[fe80::1]/x',
      'https://[fc00::1]/x',
      'https://[fd00:ec2::254]/x',
      'https://[::ffff:10.0.0.1]/x',
      'https://[::ffff:7f00:1]/x',
      'https://[64:ff9b::a00:1]/x',
      'https://[2001:db8::1]/x',
      'https://rebind.example.com/x',
      'https://inside.example.com/x',
      'https://meta.example.com/x',
      'https://v6local.example.com/x',
      'https://empty.example.com/x',
      'https://nowhere.example.com/x',
      'not a url',
    ];
    for (const url of refused) expect((await checkWebhookUrl(url, resolve)).ok, url).toBe(false);
  });

  it('judge addresses by range', () => {
    expect(isPublicAddress('8.8.8.8')).toBe(true);
    expect(isPublicAddress('2001:4860:4860::8888')).toBe(true);
    expect(isPublicAddress('198.18.0.1')).toBe(false);
    expect(isPublicAddress('::ffff:8.8.8.8')).toBe(true);
    expect(isPublicAddress('2002:0a00:0001::1')).toBe(false);
    expect(isPublicAddress('garbage')).toBe(false);
  });

  it('subscriptions match exact types and billing.*', () => {
    expect(subscribes(['job.done'], 'job.done')).toBe(true);
    expect(subscribes(['job.done'], 'job.failed')).toBe(false);
    expect(subscribes(['billing.*'], 'billing.invoice.paid')).toBe(true);
    expect(subscribes(['billing.*'], 'job.failed')).toBe(false);
  });
});
