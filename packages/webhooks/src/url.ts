/**
 * Where a webhook may be sent: an `https` URL on a public host. Refused: other schemes, credentials
 * in the URL, `localhost` and other local names, and any address that is not public (loopback,
 * private, carrier-grade NAT, link-local, metadata, unique-local, multicast, reserved, documentation;
 * IPv4 and IPv6, IPv4-mapped and NAT64 forms, and the decimal, octal and hex spellings of IPv4, which
 * the URL parser turns into dotted form), whether written in the URL or reached through a DNS name
 * (every address the name resolves to must be public). Checked when an endpoint is saved and again
 * before each delivery, so a name that later resolves elsewhere (DNS rebinding) is caught.
 */

/** Resolves a host name to its IPv4 and IPv6 addresses (DNS over HTTPS in production). */
export type HostResolver = (name: string) => Promise<string[]>;

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa|onion)$/i;
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata', 'instance-data']);

const v4Parts = (address: string): number[] | null => {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  const numbers = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN));
  return numbers.every((n) => n >= 0 && n <= 255) ? numbers : null;
};

/** Whether a dotted IPv4 address is public (not in any special-purpose range). */
export const isPublicIpv4 = (address: string): boolean => {
  const p = v4Parts(address);
  if (!p) return false;
  const [a, b, c] = p as [number, number, number, number];
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false; // this network, private, loopback, multicast/reserved
  if (a === 100 && b >= 64 && b <= 127) return false; // carrier-grade NAT
  if (a === 169 && b === 254) return false; // link-local, cloud metadata
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false; // IETF protocol assignments, TEST-NET-1
  if (a === 198 && (b === 18 || b === 19)) return false; // benchmarking
  if (a === 198 && b === 51 && c === 100) return false; // TEST-NET-2
  if (a === 203 && b === 0 && c === 113) return false; // TEST-NET-3
  return true;
};

/** The eight 16-bit groups of an IPv6 address (with an embedded IPv4 tail), or null. */
const v6Groups = (address: string): number[] | null => {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = v4Parts(text.slice(lastColon + 1));
    if (!v4) return null;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string) =>
    part ? part.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : Number.NaN)) : [];
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill(0), ...rest];
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return null;
  if (tail.length) groups.splice(6, 2, ...tail);
  return groups;
};

/** Whether an IPv6 address is public; IPv4-mapped, -compatible and NAT64 forms are judged by their IPv4. */
export const isPublicIpv6 = (address: string): boolean => {
  const g = v6Groups(address);
  if (!g) return false;
  const embedded = `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) return isPublicIpv4(embedded); // ::ffff:a.b.c.d, ::a.b.c.d, ::, ::1
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return isPublicIpv4(embedded); // NAT64
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return false; // unique local (fd00:ec2::254 metadata included)
  if ((first & 0xffc0) === 0xfe80) return false; // link-local
  if ((first & 0xff00) === 0xff00) return false; // multicast
  if (first === 0x2001 && g[1] === 0x0db8) return false; // documentation
  if (first === 0x2002) return isPublicIpv4(`${g[1]! >> 8}.${g[1]! & 255}.${g[2]! >> 8}.${g[2]! & 255}`); // 6to4
  return (first & 0xe000) === 0x2000; // global unicast only
};

export const isPublicAddress = (address: string): boolean =>
  address.includes(':') ? isPublicIpv6(address) : isPublicIpv4(address);

/**
 * Checks a webhook URL: its form, its host, and (for a name) every address it resolves to. The
 * reason is an error message for the `url` field.
 */
export const checkWebhookUrl = async (raw: string, resolve: HostResolver): Promise<UrlCheck> => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'Must be an absolute URL' };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: 'Must be an https URL' };
  if (url.username || url.password) return { ok: false, reason: 'Must not contain credentials' };
  const host = url.hostname.replace(/\.$/, '');
  if (host.startsWith('[')) {
    return isPublicIpv6(host.slice(1, -1)) ? { ok: true, url } : { ok: false, reason: 'Must be a public address' };
  }
  if (v4Parts(host)) return isPublicIpv4(host) ? { ok: true, url } : { ok: false, reason: 'Must be a public address' };
  if (!host.includes('.') || LOCAL_NAMES.test(host) || METADATA_NAMES.has(host.toLowerCase())) {
    return { ok: false, reason: 'Must be a public host name' };
  }
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    return { ok: false, reason: 'The host name could not be resolved' };
  }
  if (addresses.length === 0) return { ok: false, reason: 'The host name does not resolve' };
  if (!addresses.every(isPublicAddress)) return { ok: false, reason: 'The host name resolves to a non-public address' };
  return { ok: true, url };
};
