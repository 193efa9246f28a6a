import type { HostResolver } from '@flowspark/webhooks';

/**
 * Outgoing requests to tenants' webhook endpoints, and the DNS lookups that check where they go.
 * Both are ports: tests put fakes in their place (no network), production uses fetch and DNS over
 * HTTPS (Workers have no DNS API).
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

/** A and AAAA records through DNS over HTTPS (JSON), CNAMEs followed by the resolver. */
const dohResolve: HostResolver = async (name) => {
  const lookups = await Promise.all(
    (['A', 'AAAA'] as const).map(async (type) => {
      const res = await fetch(`${DOH}?name=${encodeURIComponent(name)}&type=${type}`, {
        headers: { accept: 'application/dns-json' },
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) throw new Error(`DNS lookup failed (${res.status})`);
      const body = (await res.json()) as { Status: number; Answer?: { type: number; data: string }[] };
      // 1: A, 28: AAAA (CNAME records, type 5, are the chain to them).
      return (body.Answer ?? []).filter((a) => a.type === 1 || a.type === 28).map((a) => a.data);
    }),
  );
  return lookups.flat();
};

export const hostResolver = (): HostResolver => resolver ?? dohResolve;
