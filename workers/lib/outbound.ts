import type { TxtResolver } from '@flowspark/sso';
import type { HostResolver } from '@flowspark/webhooks';

/**
 * Outgoing requests to tenants' webhook endpoints, and the DNS lookups that check where they go (and
 * that prove an organization's SSO domain). All are ports: tests put fakes in their place (no
 * network), production uses fetch and DNS over HTTPS (Workers have no DNS API).
 */
let webhookFetch: typeof fetch | null = null;
let resolver: HostResolver | null = null;

export const setWebhookFetch = (fn: typeof fetch | null) => {
  webhookFetch = fn;
};
export const setHostResolver = (fn: HostResolver | null) => {
  resolver = fn;
};

export const outboundFetch = (): typeof fetch => webhookFetch ?? fetch;

const DOH = 'https://cloudflare-dns.com/dns-query';

/** One DNS over HTTPS (JSON) query: the answers of the given record type number. */
const dohQuery = async (name: string, type: 'A' | 'AAAA' | 'TXT', typeNumber: number): Promise<string[]> => {
  const res = await fetch(`${DOH}?name=${encodeURIComponent(name)}&type=${type}`, {
    headers: { accept: 'application/dns-json' },
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`DNS lookup failed (${res.status})`);
  const body = (await res.json()) as { Status: number; Answer?: { type: number; data: string }[] };
  // Other types in the answer (CNAME, 5) are the chain to the records asked for.
  return (body.Answer ?? []).filter((a) => a.type === typeNumber).map((a) => a.data);
};

/** A and AAAA records through DNS over HTTPS (JSON), CNAMEs followed by the resolver. */
const dohResolve: HostResolver = async (name) =>
  (await Promise.all([dohQuery(name, 'A', 1), dohQuery(name, 'AAAA', 28)])).flat();

export const hostResolver = (): HostResolver => resolver ?? dohResolve;

/** TXT records, for proving a domain (SSO domain verification); tests put a fake in its place. */
let txtResolver: TxtResolver | null = null;

export const setTxtResolver = (fn: TxtResolver | null) => {
  txtResolver = fn;
};

export const resolveTxt = (): TxtResolver => txtResolver ?? ((name) => dohQuery(name, 'TXT', 16));
