/**
 * Substring tests shared by all rules. Every `contains` literal that any rule tests on a field
 * (in one case view) is registered here at compile time; per event, the first test on that field
 * scans its value(s) once with an Aho-Corasick automaton over all those literals and stamps the
 * ones found. Each `contains` test, and each substring gate, is then an array lookup, however
 * many rules test the field (hundreds of `CommandLine|contains` lists on a PowerShell command
 * line cost one pass over the command line).
 */
import type { EventContext, FieldText } from './event-context.js';

/**
 * Aho-Corasick automaton over UTF-16 code units. States are numbers; while needles are added
 * the trie's edges live in one Map keyed by (state, code unit) plus first-child/next-sibling
 * lists for the breadth-first pass. `build` then compiles the edges to flat typed arrays for
 * scanning and drops the build structures: a state with one outgoing edge (most of them:
 * needle tails) keeps its edge in two typed arrays, a state with several edges gets a dense
 * ASCII row (the root and the busy shallow states), and only their non-ASCII edges stay in a
 * Map. A few hundred thousand states then cost a few megabytes, not one Map each.
 */
export class AhoCorasick {
  // Build-time trie (released by `build`).
  private edges: Map<number, number> | null = new Map();
  private firstChild: number[] = [-1];
  private nextSibling: number[] = [-1];
  private edgeChar: number[] = [-1];
  private outs: (number[] | undefined)[] = [undefined];
  private states = 1;

  // Scan-time tables.
  private fail: Int32Array = new Int32Array(1);
  /** Single-edge states: the edge's code unit (-1: not a single-edge state). */
  private singleChar: Int32Array = new Int32Array(1);
  private singleNext: Int32Array = new Int32Array(1);
  /** Busy states: offset of their ASCII row in `rows` (-1: none); targets are 0 for "no edge". */
  private rowAt: Int32Array = new Int32Array(1);
  private rows: Int32Array = new Int32Array(0);
  /** Non-ASCII edges of busy states, keyed by `edgeKey(state, code unit)`. */
  private wide = new Map<number, number>();
  private out: (readonly number[] | null)[] = [];

  /** Number of states (the root included). */
  get size(): number {
    return this.states;
  }

  add(needle: string, id: number): void {
    const edges = this.edges;
    if (edges === null) throw new Error('AhoCorasick.add after build');
    let s = 0;
    for (let i = 0; i < needle.length; i++) {
      const c = needle.charCodeAt(i);
      const key = edgeKey(s, c);
      let t = edges.get(key);
      if (t === undefined) {
        t = this.states++;
        edges.set(key, t);
        this.edgeChar.push(c);
        this.firstChild.push(-1);
        this.nextSibling.push(this.firstChild[s]!);
        this.firstChild[s] = t;
        this.outs.push(undefined);
      }
      s = t;
    }
    (this.outs[s] ??= []).push(id);
  }

  /** Computes failure links (breadth first), folds suffix outputs in, and compiles the edges. */
  build(): void {
    const edges = this.edges;
    if (edges === null) return;
    const n = this.states;
    const fail = new Int32Array(n);
    const childCount = new Int32Array(n);
    const queue = new Int32Array(n);
    let tail = 0;
    for (let t = this.firstChild[0]!; t !== -1; t = this.nextSibling[t]!) queue[tail++] = t;
    for (let q = 0; q < tail; q++) {
      const s = queue[q]!;
      for (let t = this.firstChild[s]!; t !== -1; t = this.nextSibling[t]!) {
        childCount[s]!++;
        const c = this.edgeChar[t]!;
        let f = fail[s]!;
        while (f !== 0 && !edges.has(edgeKey(f, c))) f = fail[f]!;
        const g = edges.get(edgeKey(f, c));
        fail[t] = g !== undefined && g !== t ? g : 0;
        const inherited = this.outs[fail[t]!];
        if (inherited !== undefined) this.outs[t] = [...(this.outs[t] ?? []), ...inherited];
        queue[tail++] = t;
      }
    }
    for (let t = this.firstChild[0]!; t !== -1; t = this.nextSibling[t]!) childCount[0]!++;

    const singleChar = new Int32Array(n).fill(-1);
    const singleNext = new Int32Array(n);
    const rowAt = new Int32Array(n).fill(-1);
    let busy = 0;
    for (let s = 0; s < n; s++) if (s === 0 || childCount[s]! > 1) busy++;
    const rows = new Int32Array(busy * 128);
    let row = 0;
    for (let s = 0; s < n; s++) {
      if (s !== 0 && childCount[s] === 1) {
        const t = this.firstChild[s]!;
        singleChar[s] = this.edgeChar[t]!;
        singleNext[s] = t;
      } else if (s === 0 || childCount[s]! > 1) {
        rowAt[s] = row * 128;
        for (let t = this.firstChild[s]!; t !== -1; t = this.nextSibling[t]!) {
          const c = this.edgeChar[t]!;
          if (c < 128) rows[row * 128 + c] = t;
          else this.wide.set(edgeKey(s, c), t);
        }
        row++;
      }
    }
    const out: (readonly number[] | null)[] = new Array<readonly number[] | null>(n).fill(null);
    for (let s = 0; s < n; s++) {
      const o = this.outs[s];
      if (o !== undefined) out[s] = o;
    }
    this.fail = fail;
    this.singleChar = singleChar;
    this.singleNext = singleNext;
    this.rowAt = rowAt;
    this.rows = rows;
    this.out = out;
    this.edges = null;
    this.firstChild = [];
    this.nextSibling = [];
    this.edgeChar = [];
    this.outs = [];
  }

  /** Reports every needle occurring in `text`; `foldAscii` lower-cases A-Z on the fly. */
  scan(text: string, hit: (id: number) => void, foldAscii = false): void {
    const fail = this.fail;
    const out = this.out;
    const singleChar = this.singleChar;
    const singleNext = this.singleNext;
    const rowAt = this.rowAt;
    const rows = this.rows;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (foldAscii && c >= 65 && c <= 90) c += 32;
      // Follow failure links until an edge on c exists (or the root is reached).
      let t = -1;
      for (;;) {
        if (s === 0) {
          t = c < 128 ? rows[c]! : (this.wide.get(c) ?? 0);
          break;
        }
        const single = singleChar[s]!;
        if (single === c) {
          t = singleNext[s]!;
          break;
        }
        if (single < 0) {
          const at = rowAt[s]!;
          if (at >= 0) {
            const u = c < 128 ? rows[at + c]! : (this.wide.get(edgeKey(s, c)) ?? 0);
            if (u !== 0) {
              t = u;
              break;
            }
          }
        }
        s = fail[s]!;
      }
      s = t;
      if (s === 0) continue;
      const o = out[s];
      if (o !== null) for (let k = 0; k < o.length; k++) hit(o[k]!);
    }
  }
}

/** One number for a (state, UTF-16 code unit) edge; exact while states stay below 2^37. */
function edgeKey(state: number, c: number): number {
  return state * 0x10000 + c;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** The substring literals tested on one field in one case view. */
export class NeedleIndex {
  private readonly ids = new Map<string, number>();
  private automaton: AhoCorasick | null = null;
  /** Length of the shortest literal (a shorter text cannot contain any). */
  private minLength = 0;
  private stamp = new Uint32Array(0);
  private scans = 0;
  private scannedFor: EventContext | null = null;
  private scannedEpoch = -1;
  /** Needle ids found in the current event (valid after `scan`). */
  hits: number[] = [];
  private readonly hit = (id: number): void => {
    if (this.stamp[id] !== this.scans) {
      this.stamp[id] = this.scans;
      this.hits.push(id);
    }
  };

  /** `slot` null: the index covers every field value of the event (keyword searches). */
  constructor(
    readonly slot: number | null,
    readonly folded: boolean,
  ) {}

  get size(): number {
    return this.ids.size;
  }

  /** Registers a literal (already folded for a folded index); returns its id. */
  id(needle: string): number {
    let id = this.ids.get(needle);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(needle, id);
      this.automaton = null; // rebuilt on next use
    }
    return id;
  }

  /** Scans the field's value(s) for the current event, once per event. */
  scan(ctx: EventContext): void {
    if (this.scannedFor === ctx && this.scannedEpoch === ctx.epoch) return;
    this.scannedFor = ctx;
    this.scannedEpoch = ctx.epoch;
    if (this.automaton === null) this.rebuild();
    this.scans++;
    if (this.scans === 0xffffffff) {
      this.stamp.fill(0);
      this.scans = 1;
    }
    this.hits = [];
    // Folded indexes scan the raw text, folding ASCII as they go (no lower-cased copy); text
    // with other characters is scanned in its toLowerCase form, as every other test sees it.
    const t: FieldText = this.slot === null ? ctx.allTexts(false) : ctx.text(this.slot);
    if (t === null) return;
    if (typeof t === 'string') this.scanOne(t);
    else for (const s of t) this.scanOne(s);
  }

  private scanOne(text: string): void {
    // Most field values (numbers, flags, short names) are shorter than every literal. Lower-casing
    // can at most double a text's length (U+0130 becomes two units), hence the care when folded.
    if (text.length < this.minLength && (!this.folded || 2 * text.length < this.minLength || !NON_ASCII.test(text))) return;
    const ac = this.automaton!;
    if (!this.folded) ac.scan(text, this.hit);
    else if (NON_ASCII.test(text)) ac.scan(text.toLowerCase(), this.hit);
    else ac.scan(text, this.hit, true);
  }

  has(ctx: EventContext, id: number): boolean {
    this.scan(ctx);
    return this.stamp[id] === this.scans;
  }

  private rebuild(): void {
    const ac = new AhoCorasick();
    let min = Number.POSITIVE_INFINITY;
    for (const [needle, id] of this.ids) {
      ac.add(needle, id);
      if (needle.length < min) min = needle.length;
    }
    this.minLength = Number.isFinite(min) ? min : 0;
    ac.build();
    this.automaton = ac;
    if (this.stamp.length < this.ids.size) this.stamp = new Uint32Array(this.ids.size);
  }
}

export class NeedleRegistry {
  private readonly indexes = new Map<string, NeedleIndex>();

  /** The index for one field, or for all field values when `slot` is null (keywords). */
  get(slot: number | null, folded: boolean): NeedleIndex {
    const key = `${folded ? 'f' : 'r'}${slot ?? 'keywords'}`;
    let index = this.indexes.get(key);
    if (index === undefined) this.indexes.set(key, (index = new NeedleIndex(slot, folded)));
    return index;
  }
}
