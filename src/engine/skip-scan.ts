/**
 * A substring search that skips: for a set of ASCII needles that are all fairly long, a
 * Wu-Manber scan looks at two characters at the end of a window as long as the shortest needle
 * and, when that pair occurs in no needle's head, moves on by up to that length minus one. Keyword
 * searches read every value of every event, and the keywords most events see (Mimikatz commands,
 * nine characters and more) let this look at about one character in six instead of each one.
 *
 * Folded scans match as `text.toLowerCase().includes(needle)` would. For an ASCII needle only
 * three kinds of character lower-case to ASCII: A-Z, KELVIN SIGN (to `k`) and LATIN CAPITAL
 * LETTER I WITH DOT ABOVE (to `i` plus a combining dot, so only as a needle's last character).
 */

/** Needles this short or shorter give too little to skip by; an automaton scans those. */
export const SKIP_MIN_NEEDLE_LENGTH = 5;

const KELVIN = 0x212a;
const DOTTED_CAPITAL_I = 0x130;
/** What a text character outside ASCII counts as in a block: a code no eligible needle has. */
const OTHER = 0;

export interface SkipNeedle {
  /** ASCII, without NUL; lower case when the scan folds. */
  readonly needle: string;
  readonly id: number;
}

/** True when these needles suit a skip scan (ASCII, no NUL, all long enough). */
export function skipScanSuits(needles: readonly string[]): boolean {
  if (needles.length === 0) return false;
  for (const n of needles) {
    if (n.length < SKIP_MIN_NEEDLE_LENGTH) return false;
    for (let i = 0; i < n.length; i++) {
      const c = n.charCodeAt(i);
      if (c === 0 || c > 0x7f) return false;
    }
  }
  return true;
}

interface Candidate {
  readonly needle: string;
  readonly id: number;
}

export class SkipScanner {
  /** Window length: the shortest needle's. */
  private readonly window: number;
  /** Per block of two 7-bit codes: how far the window may move on (0: check the candidates). */
  private readonly shift: Uint8Array;
  /** Blocks that end some needle's head → the needles to check there. */
  private readonly candidates = new Map<number, Candidate[]>();

  constructor(
    needles: readonly SkipNeedle[],
    private readonly folded: boolean,
  ) {
    if (!skipScanSuits(needles.map((n) => n.needle))) throw new Error('SkipScanner: needles must be ASCII, without NUL, at least 5 long');
    const m = Math.min(...needles.map((n) => n.needle.length));
    this.window = m;
    // Shifts are at most m - 1; keep them in a byte.
    const most = Math.min(m - 1, 255);
    this.shift = new Uint8Array(1 << 14).fill(most);
    for (const { needle, id } of needles) {
      for (let j = 1; j < m; j++) {
        const block = (needle.charCodeAt(j - 1) << 7) | needle.charCodeAt(j);
        const s = m - 1 - j;
        if (s < this.shift[block]!) this.shift[block] = s;
      }
      const end = (needle.charCodeAt(m - 2) << 7) | needle.charCodeAt(m - 1);
      let list = this.candidates.get(end);
      if (list === undefined) this.candidates.set(end, (list = []));
      list.push({ needle, id });
    }
  }

  /** A text character as a 7-bit block code (case-folded when the scan folds). */
  private code(c: number): number {
    if (c < 0x80) return this.folded && c >= 65 && c <= 90 ? c + 32 : c;
    if (!this.folded) return OTHER;
    if (c === KELVIN) return 107; // k
    if (c === DOTTED_CAPITAL_I) return 105; // i (checked again where it lies)
    return OTHER;
  }

  scan(text: string, hit: (id: number) => void): void {
    const n = text.length;
    const m = this.window;
    const shift = this.shift;
    let i = m - 1;
    while (i < n) {
      const block = (this.code(text.charCodeAt(i - 1)) << 7) | this.code(text.charCodeAt(i));
      const s = shift[block]!;
      if (s !== 0) {
        i += s;
        continue;
      }
      const list = this.candidates.get(block);
      if (list !== undefined) {
        const start = i - m + 1;
        for (const c of list) if (this.matchesAt(text, start, c.needle)) hit(c.id);
      }
      i++;
    }
  }

  private matchesAt(text: string, start: number, needle: string): boolean {
    const len = needle.length;
    if (start + len > text.length) return false;
    for (let k = 0; k < len; k++) {
      const c = text.charCodeAt(start + k);
      const want = needle.charCodeAt(k);
      if (c === want) continue;
      if (!this.folded) return false;
      if (c >= 65 && c <= 90) {
        if (c + 32 !== want) return false;
      } else if (c === KELVIN) {
        if (want !== 107) return false;
      } else if (c === DOTTED_CAPITAL_I) {
        // Lower-cased it is `i` and a combining dot, so it can only end the match.
        if (want !== 105 || k !== len - 1) return false;
      } else return false;
    }
    return true;
  }
}
