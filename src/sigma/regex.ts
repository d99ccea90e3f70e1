/**
 * Sigma `|re` values: translate PCRE-isms to JavaScript (non-`u` mode, sigma.md §6.4), compile
 * check, and refuse patterns that could backtrack catastrophically (nested unbounded
 * quantifiers, overlapping alternatives under a repeated group).
 */

export type RegexResult =
  | { readonly ok: true; readonly source: string; readonly flags: string; readonly notes: readonly string[] }
  | { readonly ok: false; readonly code: string; readonly message: string };

const fail = (code: string, message: string): RegexResult => ({ ok: false, code, message });

/** Translates a PCRE/Python pattern; `flags` are the Sigma sub-modifier flags (i/m/s). */
export function translateRegex(pattern: string, sigmaFlags: string): RegexResult {
  const flags = new Set(sigmaFlags.split(''));
  const notes: string[] = [];
  let src = pattern;
  // Leading inline flag groups, e.g. `(?i)` or `(?is)`: JS has no inline flags.
  for (;;) {
    const m = /^\(\?([a-zA-Z]+)\)/.exec(src);
    if (m === null) break;
    for (const f of m[1]!) {
      if (f === 'i' || f === 'm' || f === 's') flags.add(f);
      else return fail('sigma.regex.untranslatable', `inline flag (?${f}) has no JavaScript equivalent`);
    }
    notes.push(`leading (?${m[1]}) turned into flags`);
    src = src.slice(m[0].length);
  }
  let out = '';
  let inClass = false;
  let prevWasQuantifier = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) return fail('sigma.regex.syntax', 'pattern ends with a lone backslash');
      if (n === 'A' && !inClass) { out += '^'; i++; prevWasQuantifier = false; continue; }
      if ((n === 'z' || n === 'Z') && !inClass) { out += '$'; i++; prevWasQuantifier = false; continue; }
      if (n === 'h' ) { out += inClass ? ' \\t' : '[ \\t]'; i++; prevWasQuantifier = false; continue; }
      if (n === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const literal = src.slice(i + 2, end < 0 ? src.length : end);
        out += literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? src.length : end + 1;
        prevWasQuantifier = false;
        continue;
      }
      if ('KGXRpPeCLlUuNgo'.includes(n) && !(n === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6)))) {
        if (n === 'e') { out += '\\x1b'; i++; prevWasQuantifier = false; continue; }
        return fail('sigma.regex.untranslatable', `escape \\${n} (at ${i}) has no JavaScript equivalent`);
      }
      if (n === 'x' && src[i + 2] === '{') return fail('sigma.regex.untranslatable', `escape \\x{...} (at ${i}) has no JavaScript equivalent`);
      out += c + n;
      i++;
      prevWasQuantifier = false;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const m = /^\[:(\^?)[a-z]+:\]/.exec(src.slice(i));
        if (m) return fail('sigma.regex.untranslatable', `POSIX class ${m[0]} (at ${i}) has no JavaScript equivalent`);
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is literal in PCRE but ends the class in JS.
      if (src[i + 1] === '^') { out += '^'; i++; }
      if (src[i + 1] === ']') { out += '\\]'; i++; }
      prevWasQuantifier = false;
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2);
      if (rest.startsWith('P<')) { out += '(?<'; i += 3; prevWasQuantifier = false; notes.push('(?P<name> turned into (?<name>'); continue; }
      const backref = /^P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest);
      if (backref) { out += `\\k<${backref[1]}>`; i += 2 + backref[0].length - 1; prevWasQuantifier = false; continue; }
      if (rest.startsWith('#')) {
        const end = src.indexOf(')', i);
        if (end < 0) return fail('sigma.regex.syntax', 'unterminated (?# comment');
        i = end;
        continue;
      }
      if (rest.startsWith('>')) return fail('sigma.regex.untranslatable', `atomic group (?> (at ${i}) has no JavaScript equivalent`);
      if (rest.startsWith('|')) return fail('sigma.regex.untranslatable', `branch-reset group (?| (at ${i}) has no JavaScript equivalent`);
      if (rest.startsWith('(')) return fail('sigma.regex.untranslatable', `conditional group (?( (at ${i}) has no JavaScript equivalent`);
      if (/^(R|[0-9+-]|&|P>)/.test(rest)) return fail('sigma.regex.untranslatable', `recursion (at ${i}) has no JavaScript equivalent`);
      if (/^[a-zA-Z^-]+[:)]/.test(rest) && !rest.startsWith('<')) {
        return fail('sigma.regex.untranslatable', `inline flag group (?${rest.split(/[:)]/)[0]} (at ${i}) is not at the start; JavaScript has no inline flags`);
      }
    }
    const isQuantifierChar = c === '*' || c === '+' || c === '?' || (c === '}' && /\{\d+(,\d*)?$/.test(out));
    if (c === '+' && prevWasQuantifier) {
      return fail('sigma.regex.untranslatable', `possessive quantifier (at ${i}) has no JavaScript equivalent`);
    }
    // `x*?` is lazy, so after a `?` modifier the next char is no longer a quantifier position.
    prevWasQuantifier = isQuantifierChar && !(c === '?' && prevWasQuantifier);
    out += c;
  }
  const flagString = ['i', 'm', 's'].filter((f) => flags.has(f)).join('');
  try {
    new RegExp(out, flagString);
  } catch (e) {
    return fail('sigma.regex.syntax', `invalid regular expression: ${(e as Error).message}`);
  }
  for (let round = 0; ; round++) {
    const risk = backtrackingRisk(out, flagString);
    if (risk === null) break;
    if (risk.rewrite === undefined || round >= 8) return fail('sigma.regex.redos', risk.message);
    out = out.slice(0, risk.rewrite.start) + risk.rewrite.text + out.slice(risk.rewrite.end);
    notes.push(risk.rewrite.note);
  }
  return { ok: true, source: out, flags: flagString, notes };
}

// ---------------------------------------------------------------------------------------------
// Catastrophic-backtracking check on a small parse of the (already valid) JS pattern.

interface RAtom {
  readonly kind: 'atom';
  /** JS source of a single-character matcher (char, class, escape, dot), or null for others. */
  readonly charSource: string | null;
  readonly group: RAlt | null;
}
interface RItem {
  readonly atom: RAtom;
  readonly min: number;
  readonly max: number; // Infinity for unbounded
  /** Source span of the quantifier (empty when none). */
  readonly quantStart: number;
  readonly quantEnd: number;
}
interface RAlt {
  readonly branches: RItem[][];
}

const UNBOUNDED_REPEAT_LIMIT = 10;

export interface BacktrackingRisk {
  readonly message: string;
  /** A language-preserving rewrite that removes the risk, when one is known. */
  readonly rewrite?: { readonly start: number; readonly end: number; readonly text: string; readonly note: string };
}

export function backtrackingRisk(source: string, flags: string): BacktrackingRisk | null {
  let pos = 0;
  const parseAlt = (): RAlt => {
    const branches: RItem[][] = [[]];
    while (pos < source.length) {
      const c = source[pos]!;
      if (c === ')') break;
      if (c === '|') { pos++; branches.push([]); continue; }
      const atom = parseAtom();
      if (atom === null) continue;
      const quantStart = pos;
      const [min, max] = parseQuantifier();
      branches.at(-1)!.push({ atom, min, max, quantStart, quantEnd: pos });
    }
    return { branches };
  };
  const parseAtom = (): RAtom | null => {
    const c = source[pos]!;
    if (c === '(') {
      pos++;
      let lookaround = false;
      if (source[pos] === '?') {
        const m = /^\?(:|=|!|<=|<!|<[A-Za-z_][A-Za-z0-9_]*>)/.exec(source.slice(pos));
        pos += m ? m[0].length : 1;
        const kind = m?.[1];
        lookaround = kind === '=' || kind === '!' || kind === '<=' || kind === '<!';
      }
      const inner = parseAlt();
      pos++; // ')'
      if (lookaround) return { kind: 'atom', charSource: null, group: { branches: [[]] } };
      return { kind: 'atom', charSource: null, group: inner };
    }
    if (c === '^' || c === '$') { pos++; return { kind: 'atom', charSource: null, group: { branches: [[]] } }; }
    if (c === '[') {
      const start = pos;
      pos++;
      if (source[pos] === '^') pos++;
      if (source[pos] === ']') pos++;
      while (pos < source.length && source[pos] !== ']') pos += source[pos] === '\\' ? 2 : 1;
      pos++;
      return { kind: 'atom', charSource: source.slice(start, pos), group: null };
    }
    if (c === '\\') {
      const n = source[pos + 1] ?? '';
      if (n === 'b' || n === 'B') { pos += 2; return { kind: 'atom', charSource: null, group: { branches: [[]] } }; }
      if (/[1-9]/.test(n) || n === 'k') {
        // Back-references: treat as an opaque single item.
        pos += 2;
        if (n === 'k') pos = source.indexOf('>', pos) + 1;
        else while (/[0-9]/.test(source[pos] ?? '')) pos++;
        return { kind: 'atom', charSource: '[\\s\\S]', group: null };
      }
      const m = /^\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|c[A-Za-z]|0[0-7]{0,2}|.)/s.exec(source.slice(pos));
      const len = m ? m[0].length : 2;
      const text = source.slice(pos, pos + len);
      pos += len;
      return { kind: 'atom', charSource: text, group: null };
    }
    pos++;
    return { kind: 'atom', charSource: c === '.' ? '.' : c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'), group: null };
  };
  const parseQuantifier = (): [number, number] => {
    let min = 1;
    let max = 1;
    const c = source[pos];
    if (c === '*') { min = 0; max = Infinity; pos++; }
    else if (c === '+') { min = 1; max = Infinity; pos++; }
    else if (c === '?') { min = 0; max = 1; pos++; }
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(pos));
      if (m) {
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        pos += m[0].length;
      }
    }
    if (source[pos] === '?') pos++; // lazy
    return [min, max];
  };
  let tree: RAlt;
  try {
    tree = parseAlt();
  } catch {
    return null;
  }
  const charSets = new Map<string, Uint8Array>();
  const setOf = (charSource: string): Uint8Array => {
    let set = charSets.get(charSource);
    if (set === undefined) {
      set = new Uint8Array(PROBES.length);
      let re: RegExp | null = null;
      try { re = new RegExp(`^(?:${charSource})$`, flags); } catch { re = null; }
      for (let k = 0; k < PROBES.length; k++) set[k] = re === null || re.test(PROBES[k]!) ? 1 : 0;
      charSets.set(charSource, set);
    }
    return set;
  };
  const unboundedInside = (alt: RAlt): boolean =>
    alt.branches.some((b) => b.some((it) => (it.max === Infinity && canMatchNonEmpty(it.atom)) || (it.atom.group !== null && unboundedInside(it.atom.group))));
  const canMatchNonEmpty = (atom: RAtom): boolean =>
    atom.charSource !== null || (atom.group !== null && atom.group.branches.some((b) => b.some((it) => it.max > 0 && canMatchNonEmpty(it.atom))));
  const firstSet = (items: readonly RItem[]): Uint8Array => {
    const acc = new Uint8Array(PROBES.length);
    for (const it of items) {
      const s = atomFirst(it.atom);
      for (let k = 0; k < acc.length; k++) acc[k]! |= s[k]!;
      if (it.min > 0 && canMatchNonEmpty(it.atom)) break;
    }
    return acc;
  };
  const atomFirst = (atom: RAtom): Uint8Array => {
    if (atom.charSource !== null) return setOf(atom.charSource);
    const acc = new Uint8Array(PROBES.length);
    for (const b of atom.group?.branches ?? []) {
      const s = firstSet(b);
      for (let k = 0; k < acc.length; k++) acc[k]! |= s[k]!;
    }
    return acc;
  };
  const intersects = (a: Uint8Array, b: Uint8Array): boolean => a.some((v, k) => v === 1 && b[k] === 1);
  let problem: BacktrackingRisk | null = null;
  const newlineSafe = (charSource: string): boolean => {
    if (flags.includes('s')) return true;
    try {
      const re = new RegExp(`^(?:${charSource})$`, flags);
      return !['\n', '\r', '\u2028', '\u2029'].some((c) => re.test(c));
    } catch {
      return false;
    }
  };
  // `(?:.*R){n,}` accepts the same strings as `(?:.*R){n}` when R holds simple atoms that
  // `.` also matches: the leading `.*` absorbs any further repetitions.
  const dotStarRewrite = (it: RItem, g: RAlt): BacktrackingRisk['rewrite'] => {
    if (g.branches.length !== 1 || it.min < 1 || it.max !== Infinity) return undefined;
    const [first, ...rest] = g.branches[0]!;
    if (first === undefined || first.atom.charSource !== '.' || first.max !== Infinity || rest.length === 0) return undefined;
    if (!rest.every((r) => r.atom.charSource !== null && r.max !== Infinity && newlineSafe(r.atom.charSource))) return undefined;
    return { start: it.quantStart, end: it.quantEnd, text: it.min === 1 ? '' : `{${it.min}}`, note: `repeated group '(?:.*…)${source.slice(it.quantStart, it.quantEnd)}' reduced to ${it.min === 1 ? 'one occurrence' : `{${it.min}}`} (same matches, no catastrophic backtracking)` };
  };
  const walk = (alt: RAlt): void => {
    for (const branch of alt.branches) {
      for (const it of branch) {
        const g = it.atom.group;
        if (g === null) continue;
        const repeated = it.max === Infinity || it.max >= UNBOUNDED_REPEAT_LIMIT;
        if (repeated && problem === null) {
          if (unboundedInside(g)) {
            const rewrite = dotStarRewrite(it, g);
            problem = {
              message: 'nested unbounded quantifiers (a repeated group containing `*`, `+` or `{n,}`) can backtrack catastrophically',
              ...(rewrite ? { rewrite } : {}),
            };
          } else if (g.branches.length > 1) {
            const firsts = g.branches.map((b) => firstSet(b));
            for (let x = 0; x < firsts.length && problem === null; x++) {
              for (let y = x + 1; y < firsts.length; y++) {
                if (intersects(firsts[x]!, firsts[y]!)) {
                  problem = { message: 'alternatives that can start with the same character under a repeated group can backtrack catastrophically' };
                  break;
                }
              }
            }
          }
        }
        walk(g);
      }
    }
  };
  walk(tree);
  return problem;
}

/** Characters used to approximate character classes: ASCII plus a few non-ASCII letters/spaces. */
const PROBES: readonly string[] = (() => {
  const out: string[] = [];
  for (let c = 0; c < 128; c++) out.push(String.fromCharCode(c));
  out.push('\u00e9', '\u00a0', '\u2013', '\u4e2d', '\u0416');
  return out;
})();
