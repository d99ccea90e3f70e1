/**
 * IP addresses and CIDR blocks for search `ip=10.0.0.0/8` and eval `cidrmatch` (spl-and-rba.md
 * §2.1, §2.4), on the engine's one IP parser (`src/engine/ip.ts`, shared with Sigma's `|cidr`):
 * IPv4 is held in its IPv4-mapped IPv6 form, so one prefix test serves both families.
 */
import { inNetwork, parseIp, parseNetwork, type Network } from '../../../engine/ip.js';

export type Cidr = Network;

/** `10.0.0.0/8`, `2001:db8::/32`; a bare address is a /32 or /128 block. Null when malformed. */
export function parseCidr(text: string): Cidr | null {
  return parseNetwork(text.trim());
}

/** True when `text` looks like a CIDR block (address plus `/n`), the form search treats as a range. */
export function isCidrText(text: string): boolean {
  return text.includes('/') && parseCidr(text) !== null;
}

/** True when the address `ip` lies inside `cidr`. */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  const parsed = parseIp(ip);
  return parsed !== null && inNetwork(parsed.ip, cidr);
}
