/** CIDR parsing for `|cidr`: IPv4 and IPv6, host bits must be zero. */

export type CidrResult = { ok: true; network: string } | { ok: false; message: string };

export function parseCidr(text: string): CidrResult {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? null : text.slice(slash + 1);
  const v4 = parseIpv4(addr);
  const bytes = v4 ?? parseIpv6(addr);
  if (bytes === null) return { ok: false, message: `'${text}' is not an IPv4 or IPv6 network` };
  const bits = bytes.length * 8;
  if (prefixText !== null && !/^\d{1,3}$/.test(prefixText)) return { ok: false, message: `bad prefix length in '${text}'` };
  const prefix = prefixText === null ? bits : Number(prefixText);
  if (prefix > bits) return { ok: false, message: `prefix /${prefix} is longer than ${bits} bits in '${text}'` };
  for (let bit = prefix; bit < bits; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) {
      return { ok: false, message: `'${text}' has host bits set (network address expected)` };
    }
  }
  return { ok: true, network: `${v4 !== null ? formatIpv4(bytes) : formatIpv6(bytes)}/${prefix}` };
}

export function parseIpv4(text: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

export function parseIpv6(text: string): number[] | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length < 2) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const pieces = s.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 === null) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function formatIpv4(bytes: readonly number[]): string {
  return bytes.join('.');
}

/** RFC 5952 text form: lowercase, longest zero run (≥2 groups) compressed. */
function formatIpv6(bytes: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
