/**
 * IPv4 / IPv6 parsing and network membership for `cidr`. Addresses become 8 sixteen-bit
 * groups; an IPv4 address is stored as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so an IPv4
 * network also matches the mapped spelling of its addresses, and the reverse.
 */

export type Ip = readonly number[]; // 8 groups of 16 bits

function parseV4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    bytes.push(n);
  }
  return bytes;
}

export function parseIp(text: string): { ip: Ip; v4: boolean } | null {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.length === 0 || s.length > 64) return null;
  if (!s.includes(':')) {
    const b = parseV4(s);
    if (b === null) return null;
    return { ip: [0, 0, 0, 0, 0, 0xffff, (b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!], v4: true };
  }
  // IPv6, possibly with `::` and a dotted IPv4 tail (rewritten as two hex groups).
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const b = parseV4(s.slice(lastColon + 1));
    if (b === null) return null;
    s = `${s.slice(0, lastColon + 1)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  if (head === null) return null;
  let ip: number[];
  if (halves.length === 2) {
    const rest = parseGroups(halves[1]!);
    if (rest === null || head.length + rest.length > 7) return null;
    ip = [...head, ...Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    if (head.length !== 8) return null;
    ip = head;
  }
  const v4 = ip.slice(0, 6).every((g, i) => (i === 5 ? g === 0xffff : g === 0));
  return { ip, v4 };
}

let lastText: string | null = null;
let lastParsed: { ip: Ip; v4: boolean } | null = null;

/**
 * parseIp keeping its last answer: every `cidr` test of an event's rules parses the same field
 * value (a dozen private-range filters on one IpAddress), and an answer is never changed.
 */
export function parseIpRepeated(text: string): { readonly ip: Ip; readonly v4: boolean } | null {
  if (text !== lastText) {
    lastParsed = parseIp(text);
    lastText = text;
  }
  return lastParsed;
}

export interface Network {
  readonly base: Ip;
  /** Prefix length over the 128-bit (mapped) form. */
  readonly bits: number;
}

export function parseNetwork(text: string): Network | null {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const parsed = parseIp(addr);
  if (parsed === null) return null;
  const v4Syntax = !addr.includes(':');
  const maxBits = v4Syntax ? 32 : 128;
  let prefix = maxBits;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > maxBits) return null;
  }
  return { base: parsed.ip, bits: v4Syntax ? 96 + prefix : prefix };
}

export function inNetwork(ip: Ip, net: Network): boolean {
  let remaining = net.bits;
  for (let g = 0; g < 8 && remaining > 0; g++) {
    const take = Math.min(16, remaining);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((ip[g]! & mask) !== (net.base[g]! & mask)) return false;
    remaining -= take;
  }
  return true;
}
