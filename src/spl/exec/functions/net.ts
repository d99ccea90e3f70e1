/**
 * IP addresses and CIDR blocks for search `ip=10.0.0.0/8` and eval `cidrmatch` (spl-and-rba.md §2.1, §2.4).
 * Addresses become arrays of 16-bit words (2 for IPv4, 8 for IPv6) so one prefix test serves both.
 */

export interface Cidr {
  readonly words: readonly number[];
  readonly prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4Words(text: string): number[] | null {
  const m = IPV4.exec(text);
  if (m === null) return null;
  const bytes = [m[1], m[2], m[3], m[4]].map(Number);
  if (bytes.some((b) => b > 255)) return null;
  return [bytes[0]! * 256 + bytes[1]!, bytes[2]! * 256 + bytes[3]!];
}

function ipv6Words(text: string): number[] | null {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = ipv4Words(g);
        if (v4 === null) return null;
        out.push(...v4);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        out.push(Number.parseInt(g, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** The 16-bit words of an IPv4 or IPv6 address, or null when `text` is not one. */
export function ipWords(text: string): number[] | null {
  const t = text.trim();
  return t.includes(':') ? ipv6Words(t) : ipv4Words(t);
}

/** `10.0.0.0/8`, `2001:db8::/32`; a bare address is a /32 or /128 block. Null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const words = ipWords(addr);
  if (words === null) return null;
  const bits = words.length * 16;
  if (slash < 0) return { words, prefix: bits };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  return prefix <= bits ? { words, prefix } : null;
}

/** True when `text` looks like a CIDR block (address plus `/n`), the form search treats as a range. */
export function isCidrText(text: string): boolean {
  return text.includes('/') && parseCidr(text) !== null;
}

/** True when the address `ip` lies inside `cidr` (same address family only). */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  const words = ipWords(ip);
  if (words === null || words.length !== cidr.words.length) return false;
  let remaining = cidr.prefix;
  for (let i = 0; i < words.length && remaining > 0; i++) {
    const take = Math.min(16, remaining);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((words[i]! & mask) !== (cidr.words[i]! & mask)) return false;
    remaining -= take;
  }
  return true;
}
