/**
 * Substring tests shared by all rules. Every `contains` literal that any rule tests on a field
 * (in one case view) is registered here at compile time; per event, the first test on that field
 * scans its value(s) once with an Aho-Corasick automaton over all those literals and stamps the
 * ones found. Each `contains` test, and each substring gate, is then an array lookup, however
 * many rules test the field (hundreds of `CommandLine|contains` lists on a PowerShell command
 * line cost one pass over the command line).
 */
import type { FieldValue } from '../core/event.js';
import { valueText, type EventContext, type FieldText } from './event-context.js';
import { SkipScanner, skipScanSuits, type SkipNeedle } from './skip-scan.js';

/**
 * Aho-Corasick automaton over UTF-16 code units. States are numbers. Needles are only collected
 * by `add`; `build` sorts them and makes the trie from them in that order, each needle sharing
 * with the one before it exactly the path of their common prefix, so no edge is looked up in a
 * map while building: each thread builds its automata when it first scans a field, in code V8
 * has not optimized yet, and a map of edges keyed by state and code unit was a good part of that
 * cost for a large rule set. The trie's edges are then compiled to
 * flat typed arrays for scanning: a state with one outgoing edge (most of them: needle tails)
 * keeps its edge in two typed arrays, a state with several edges gets a dense ASCII row (the
 * root and the busy shallow states), and only their non-ASCII edges go to a Map. Failure links
 * are computed over those arrays. A few hundred thousand states then cost a few megabytes, not
 * one Map each.
 *
 * Small automata (the keyword index that reads every value of every event is one) also get a
 * full transition table for ASCII: one load per character instead of walking failure links,
 * about twice as fast, at 256 bytes per state.
 */
export interface AhoCorasickOptions {
  /** Automata with at most this many states get the ASCII transition table (default 4096). */
  readonly tableMaxStates?: number;
}

const DEFAULT_TABLE_MAX_STATES = 4096;
/** Table entries are 16-bit state numbers. */
const TABLE_STATE_LIMIT = 0xffff;

const NON_ASCII = /[^\x00-\x7f]/;

/** ASCII code unit → its lower case (A-Z folded, the rest unchanged). */
const FOLD_ASCII = Uint8Array.from({ length: 128 }, (_, c) => (c >= 65 && c <= 90 ? c + 32 : c));

export class AhoCorasick {
  /** Each needle's ids, in the order added, until `build` (null after it). */
  private pending: Map<string, number[]> | null = new Map();
  /** Number of states, the root included (1 until `build`). */
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
  /** Small automata: next state for (state, ASCII unit) at `state * 128 + unit`, failure links resolved. */
  private table: Uint16Array | null = null;
  private hasOut: Uint8Array = new Uint8Array(1);
  private readonly tableMaxStates: number;

  constructor(options: AhoCorasickOptions = {}) {
    this.tableMaxStates = Math.min(options.tableMaxStates ?? DEFAULT_TABLE_MAX_STATES, TABLE_STATE_LIMIT);
  }

  /** Number of states, the root included (after `build`). */
  get size(): number {
    return this.states;
  }

  add(needle: string, id: number): void {
    if (this.pending === null) throw new Error('AhoCorasick.add after build');
    const ids = this.pending.get(needle);
    if (ids === undefined) this.pending.set(needle, [id]);
    else ids.push(id);
  }

  /** Makes the trie, computes failure links (breadth first), folds suffix outputs in, and compiles the edges. */
  build(): void {
    const added = this.pending;
    if (added === null) return;
    this.pending = null;
    // Each step is a function of its own: a thread builds hundreds of automata while V8 warms up,
    // and one function with six hot loops was compiled again for each loop and each branch not
    // yet seen (in every thread about 190 ms of optimizing compiles, now about 90).
    const trie = sortedTrie(added);
    const edges = compiledEdges(trie, this.wide);
    const order = failureLinks(trie, edges);
    const out = new Array<readonly number[] | null>(trie.states).fill(null);
    this.states = trie.states;
    this.hasOut = outputsOf(trie.outs, out);
    this.out = out;
    this.fail = edges.fail;
    this.singleChar = edges.singleChar;
    this.singleNext = edges.singleNext;
    this.rowAt = edges.rowAt;
    this.rows = edges.rows;
    this.table = trie.states <= this.tableMaxStates ? this.asciiTable(order) : null;
  }

  /**
   * The full ASCII transition table, filled in breadth-first order so that a state's failure
   * target (always shallower) already has its row: a missing edge copies the failure row's entry.
   */
  private asciiTable(order: Int32Array): Uint16Array {
    const table = new Uint16Array(this.states * 128);
    for (let c = 0; c < 128; c++) table[c] = this.rows[c]!;
    for (let q = 0; q < order.length; q++) {
      const s = order[q]!;
      const base = s * 128;
      const failBase = this.fail[s]! * 128;
      for (let c = 0; c < 128; c++) table[base + c] = table[failBase + c]!;
      const single = this.singleChar[s]!;
      if (single >= 0) {
        if (single < 128) table[base + single] = this.singleNext[s]!;
      } else if (this.rowAt[s]! >= 0) {
        const at = this.rowAt[s]!;
        for (let c = 0; c < 128; c++) if (this.rows[at + c]! !== 0) table[base + c] = this.rows[at + c]!;
      }
    }
    return table;
  }

  /** The state after reading `c` in state `s` (failure links followed). */
  private step(s: number, c: number): number {
    for (;;) {
      if (s === 0) return c < 128 ? this.rows[c]! : (this.wide.get(edgeKey(0, c)) ?? 0);
      const single = this.singleChar[s]!;
      if (single === c) return this.singleNext[s]!;
      if (single < 0) {
        const at = this.rowAt[s]!;
        if (at >= 0) {
          const u = c < 128 ? this.rows[at + c]! : (this.wide.get(edgeKey(s, c)) ?? 0);
          if (u !== 0) return u;
        }
      }
      s = this.fail[s]!;
    }
  }

  /**
   * Like `scan(text, hit, true)`, for text that is likely ASCII: returns false, having reported
   * only needles of the part before it, at the first non-ASCII unit (whose case folding is
   * toLowerCase's business, so the caller scans `text.toLowerCase()` instead).
   */
  scanFoldingAscii(text: string, hit: (id: number) => void): boolean {
    const table = this.table;
    if (table === null) {
      if (NON_ASCII.test(text)) return false;
      this.scan(text, hit, true);
      return true;
    }
    const hasOut = this.hasOut;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) return false;
      s = table[(s << 7) | FOLD_ASCII[c]!]!;
      if (hasOut[s] !== 0) this.report(s, hit);
    }
    return true;
  }

  private report(s: number, hit: (id: number) => void): void {
    const o = this.out[s]!;
    for (let k = 0; k < o.length; k++) hit(o[k]!);
  }

  /** Reports every needle occurring in `text`; `foldAscii` lower-cases A-Z on the fly. */
  scan(text: string, hit: (id: number) => void, foldAscii = false): void {
    const table = this.table;
    const hasOut = this.hasOut;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (foldAscii && c >= 65 && c <= 90) c += 32;
      s = table !== null && c < 128 ? table[(s << 7) | c]! : this.step(s, c);
      if (hasOut[s] !== 0) this.report(s, hit);
    }
  }
}

/** A trie of needles: children linked through firstChild/nextSibling, each state's needle ids. */
interface SortedTrie {
  readonly states: number;
  readonly firstChild: Int32Array;
  readonly nextSibling: Int32Array;
  /** The code unit on the edge into each state. */
  readonly edgeChar: Int32Array;
  readonly outs: Map<number, number[]>;
}

/**
 * The trie of `added`'s needles, in code-unit order (the default sort's): each needle shares with
 * the one before it exactly the path of their common prefix, so no edge is looked up.
 */
function sortedTrie(added: ReadonlyMap<string, number[]>): SortedTrie {
  const needles = [...added.keys()].sort();
  const units = 1 + totalLength(needles);
  const firstChild = new Int32Array(units).fill(-1);
  const nextSibling = new Int32Array(units).fill(-1);
  const edgeChar = new Int32Array(units).fill(-1);
  const outs = new Map<number, number[]>();
  const states = addSorted(needles, added, firstChild, nextSibling, edgeChar, outs);
  return { states, firstChild, nextSibling, edgeChar, outs };
}

// The helpers below each hold one loop and nothing after it: V8 compiles a hot loop on its own
// (on-stack replacement), and code after it that had not run yet sent that code back to the
// interpreter on every call (hundreds of deoptimizations while a thread built its automata).

function totalLength(texts: readonly string[]): number {
  let sum = 0;
  for (const t of texts) sum += t.length;
  return sum;
}

function longestLength(texts: readonly string[]): number {
  let most = 0;
  for (const t of texts) if (t.length > most) most = t.length;
  return most;
}

/** Adds the sorted needles' states to the trie arrays; returns the number of states. */
function addSorted(
  needles: readonly string[],
  added: ReadonlyMap<string, number[]>,
  firstChild: Int32Array,
  nextSibling: Int32Array,
  edgeChar: Int32Array,
  outs: Map<number, number[]>,
): number {
  // path[d]: the state at depth d on the previous needle's path.
  const path = new Int32Array(longestLength(needles) + 1);
  let previous = '';
  let n = 1;
  for (const needle of needles) {
    let common = 0;
    const most = Math.min(needle.length, previous.length);
    while (common < most && needle.charCodeAt(common) === previous.charCodeAt(common)) common++;
    for (let i = common; i < needle.length; i++) {
      const s = path[i]!;
      const t = n++;
      edgeChar[t] = needle.charCodeAt(i);
      nextSibling[t] = firstChild[s]!;
      firstChild[s] = t;
      path[i + 1] = t;
    }
    outs.set(path[needle.length]!, added.get(needle)!);
    previous = needle;
  }
  return n;
}

/** The scan-time edge tables (see AhoCorasick's fields of the same names). */
interface CompiledEdges {
  readonly singleChar: Int32Array;
  readonly singleNext: Int32Array;
  readonly rowAt: Int32Array;
  readonly rows: Int32Array;
  readonly wide: Map<number, number>;
  /** Failure links, filled by failureLinks. */
  readonly fail: Int32Array;
}

/** One-edge states keep their edge; busy states (the root always) get an ASCII row, their other edges go to `wide`. */
function compiledEdges(trie: SortedTrie, wide: Map<number, number>): CompiledEdges {
  const n = trie.states;
  const childCount = childCounts(trie);
  const edges: CompiledEdges = {
    singleChar: new Int32Array(n).fill(-1),
    singleNext: new Int32Array(n),
    rowAt: new Int32Array(n).fill(-1),
    rows: new Int32Array(busyStates(childCount) * 128),
    wide,
    fail: new Int32Array(n),
  };
  fillEdges(trie, childCount, edges);
  return edges;
}

function childCounts(trie: SortedTrie): Int32Array {
  const { states: n, firstChild, nextSibling } = trie;
  const count = new Int32Array(n);
  for (let s = 0; s < n; s++) for (let t = firstChild[s]!; t !== -1; t = nextSibling[t]!) count[s]!++;
  return count;
}

/** States that get an ASCII row: the root and those with several edges. */
function busyStates(childCount: Int32Array): number {
  let busy = 1;
  for (let s = 1; s < childCount.length; s++) if (childCount[s]! > 1) busy++;
  return busy;
}

function fillEdges(trie: SortedTrie, childCount: Int32Array, edges: CompiledEdges): void {
  const { states: n, firstChild, nextSibling, edgeChar } = trie;
  const { singleChar, singleNext, rowAt, rows } = edges;
  let row = 0;
  for (let s = 0; s < n; s++) {
    if (s !== 0 && childCount[s] === 1) {
      const t = firstChild[s]!;
      singleChar[s] = edgeChar[t]!;
      singleNext[s] = t;
    } else if (s === 0 || childCount[s]! > 1) {
      rowAt[s] = row * 128;
      for (let t = firstChild[s]!; t !== -1; t = nextSibling[t]!) {
        const c = edgeChar[t]!;
        if (c < 128) rows[row * 128 + c] = t;
        else addWideEdge(edges.wide, s, c, t);
      }
      row++;
    }
  }
}

/** A busy state's edge on a non-ASCII unit (rare: kept out of fillEdges' loop). */
function addWideEdge(wide: Map<number, number>, s: number, c: number, t: number): void {
  wide.set(edgeKey(s, c), t);
}

/** The trie's edge from s on c, or -1 (state 0, the root, is never a target). */
function trieEdge(edges: CompiledEdges, s: number, c: number): number {
  const single = edges.singleChar[s]!;
  if (single >= 0) return single === c ? edges.singleNext[s]! : -1;
  const at = edges.rowAt[s]!;
  if (at < 0) return -1;
  const t = c < 128 ? edges.rows[at + c]! : (edges.wide.get(edgeKey(s, c)) ?? 0);
  return t !== 0 ? t : -1;
}

/**
 * Fills `edges.fail` breadth first and folds each state's failure target's needles into its own
 * (in `trie.outs`); returns the states in that order, the root left out.
 */
function failureLinks(trie: SortedTrie, edges: CompiledEdges): Int32Array {
  const queue = new Int32Array(trie.states);
  return queue.subarray(0, breadthFirstLinks(trie, edges, queue));
}

/** failureLinks' loop: returns how many states it queued. */
function breadthFirstLinks(trie: SortedTrie, edges: CompiledEdges, queue: Int32Array): number {
  const { firstChild, nextSibling, edgeChar, outs } = trie;
  const fail = edges.fail;
  let tail = 0;
  for (let t = firstChild[0]!; t !== -1; t = nextSibling[t]!) queue[tail++] = t;
  for (let q = 0; q < tail; q++) {
    const s = queue[q]!;
    for (let t = firstChild[s]!; t !== -1; t = nextSibling[t]!) {
      const c = edgeChar[t]!;
      let f = fail[s]!;
      while (f !== 0 && trieEdge(edges, f, c) < 0) f = fail[f]!;
      const g = trieEdge(edges, f, c);
      fail[t] = g >= 0 && g !== t ? g : 0;
      const inherited = outs.get(fail[t]!);
      if (inherited !== undefined) inheritNeedles(outs, t, inherited);
      queue[tail++] = t;
    }
  }
  return tail;
}

/** State t also ends the needles its failure target ends. */
function inheritNeedles(outs: Map<number, number[]>, t: number, inherited: readonly number[]): void {
  outs.set(t, [...(outs.get(t) ?? []), ...inherited]);
}

/** Puts each state's needle ids in `out`; returns which states have any. */
function outputsOf(outs: ReadonlyMap<number, number[]>, out: (readonly number[] | null)[]): Uint8Array {
  const hasOut = new Uint8Array(out.length);
  for (const [s, o] of outs) {
    out[s] = o;
    hasOut[s] = 1;
  }
  return hasOut;
}

/**
 * One number for a (state, UTF-16 code unit) edge. ASCII edges, nearly all of them, get small
 * non-negative integers, which a Map keeps unboxed (a key above 2^30 is a heap number: one
 * allocation per edge while a large automaton is built); other edges get negative keys. Exact
 * while states stay below 2^37.
 */
function edgeKey(state: number, c: number): number {
  return c < 128 ? state * 128 + c : -1 - (state * 0x10000 + c);
}

/** Finds an index's needles in one text and reports their ids; a folded scanner folds as it goes. */
export interface TextScanner {
  scan(text: string, hit: (id: number) => void): void;
}

/** Aho-Corasick over some needles of an index (all of them, or those a route's rules use). */
class AutomatonScanner implements TextScanner {
  private readonly automaton = new AhoCorasick();
  /** Length of the shortest literal (a shorter text cannot contain any). */
  private readonly minLength: number;

  constructor(
    needles: readonly SkipNeedle[],
    private readonly folded: boolean,
  ) {
    let min = Number.POSITIVE_INFINITY;
    for (const { needle, id } of needles) {
      this.automaton.add(needle, id);
      if (needle.length < min) min = needle.length;
    }
    this.minLength = Number.isFinite(min) ? min : 0;
    this.automaton.build();
  }

  scan(text: string, hit: (id: number) => void): void {
    // Most field values (numbers, flags, short names) are shorter than every literal. Lower-casing
    // can at most double a text's length (U+0130 becomes two units), hence the care when folded.
    if (text.length < this.minLength && (!this.folded || 2 * text.length < this.minLength || !NON_ASCII.test(text))) return;
    // Folded scans read the raw text, folding ASCII as they go (no lower-cased copy); text with
    // other characters is scanned in its toLowerCase form, as every other test sees it.
    if (!this.folded) this.automaton.scan(text, hit);
    else if (!this.automaton.scanFoldingAscii(text, hit)) this.automaton.scan(text.toLowerCase(), hit);
  }
}

/** Characters of a JS number's text (`String(n)`: digits, sign, point, exponent, NaN, Infinity), either case. */
const NUMBER_TEXT = new Set('0123456789+-.eEinfinityINFINITYnaNA');

/** Whether some needle could occur in a number's text (`String(n)`); if none can, keyword scans skip number values. */
function someNeedleFitsNumbers(needles: readonly SkipNeedle[]): boolean {
  return needles.some(({ needle }) => [...needle].every((c) => NUMBER_TEXT.has(c)));
}

/** The substring literals tested on one field in one case view. */
export class NeedleIndex {
  private readonly ids = new Map<string, number>();
  private full: TextScanner | null = null;
  /** The scanner of the current event's route, when it narrowed the index (keywords). */
  private narrowed: TextScanner | null = null;
  private readonly subsetScanners = new Map<string, TextScanner>();
  /** Scanners with a needle that a number's text could hold (the rest skip number values). */
  private readonly numberReaders = new Set<TextScanner>();
  private stamp = new Uint32Array(0);
  private scans = 0;
  private scannedFor: EventContext | null = null;
  private scannedEpoch = -1;
  /** Needle ids found in the current event: the first `hitCount` entries (valid after `scan`; reused). */
  hits = new Int32Array(0);
  hitCount = 0;
  private readonly hit = (id: number): void => {
    if (this.stamp[id] !== this.scans) {
      this.stamp[id] = this.scans;
      // Each id at most once per scan (the stamp): as many slots as ids always suffice.
      this.hits[this.hitCount++] = id;
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
      this.full = null; // rebuilt on next use
      this.subsetScanners.clear();
      this.numberReaders.clear();
    }
    return id;
  }

  /**
   * A scanner for only these needles. Per event the engine may `narrow` the index to the scanner
   * of its route: a route's rules read no other needle, and fewer, longer needles scan faster.
   */
  scannerFor(ids: Iterable<number>): TextScanner {
    const wanted = new Set(ids);
    // Routes mostly share their keyword sets (a rule for every log is in all of them): build once.
    const key = [...wanted].sort((a, b) => a - b).join(',');
    const known = this.subsetScanners.get(key);
    if (known !== undefined) return known;
    const needles = needlesOf(this.ids, wanted);
    this.growStamp();
    const scanner = skipScanSuits(needles.map((n) => n.needle)) ? new SkipScanner(needles, this.folded) : new AutomatonScanner(needles, this.folded);
    this.subsetScanners.set(key, scanner);
    if (someNeedleFitsNumbers(needles)) this.numberReaders.add(scanner);
    return scanner;
  }

  /** Until the next call, scans use `scanner` (null: every needle of the index). */
  narrow(scanner: TextScanner | null): void {
    this.narrowed = scanner;
  }

  /** Scans the field's value(s) for the current event, once per event. */
  scan(ctx: EventContext): void {
    if (this.scannedFor === ctx && this.scannedEpoch === ctx.epoch) return;
    this.scannedFor = ctx;
    this.scannedEpoch = ctx.epoch;
    const scanner = this.narrowed ?? this.full ?? this.rebuild();
    this.scans++;
    if (this.scans === 0xffffffff) {
      this.stamp.fill(0);
      this.scans = 1;
    }
    this.hitCount = 0;
    if (this.slot === null) {
      this.scanAllValues(ctx, scanner);
      return;
    }
    const t: FieldText = ctx.text(this.slot);
    if (t === null) return;
    if (typeof t === 'string') scanner.scan(t, this.hit);
    else for (const s of t) scanner.scan(s, this.hit);
  }

  /**
   * Keyword searches: every value of the event, as `EventContext.allTexts` lists them (without
   * building that list), from its value list when the source gave one (VigilEvent.fieldValues),
   * else from its fields' keys.
   */
  private scanAllValues(ctx: EventContext, scanner: TextScanner): void {
    // A third of the values are numbers; their text is made only when a needle could be in it.
    const numbers = this.numberReaders.has(scanner);
    const values = ctx.values;
    if (values !== null) for (let i = 0; i < values.length; i++) this.scanValue(values[i], scanner, numbers);
    else for (const key in ctx.fields) this.scanValue(ctx.fields[key], scanner, numbers);
  }

  private scanValue(v: FieldValue | undefined, scanner: TextScanner, numbers: boolean): void {
    if (typeof v === 'number' && !numbers) return;
    const t = valueText(v);
    if (t === null) return;
    if (typeof t === 'string') scanner.scan(t, this.hit);
    else for (const s of t) scanner.scan(s, this.hit);
  }

  has(ctx: EventContext, id: number): boolean {
    this.scan(ctx);
    return this.stamp[id] === this.scans;
  }

  private rebuild(): TextScanner {
    const needles = needlesOf(this.ids, null);
    this.full = new AutomatonScanner(needles, this.folded);
    if (someNeedleFitsNumbers(needles)) this.numberReaders.add(this.full);
    this.growStamp();
    return this.full;
  }

  private growStamp(): void {
    if (this.stamp.length < this.ids.size) {
      const grown = new Uint32Array(this.ids.size);
      grown.set(this.stamp);
      this.stamp = grown;
      this.hits = new Int32Array(this.ids.size);
    }
  }
}

/**
 * An index's needles with their ids (only `wanted` ids, unless null). A loop of its own: see
 * the note above totalLength.
 */
function needlesOf(ids: ReadonlyMap<string, number>, wanted: ReadonlySet<number> | null): SkipNeedle[] {
  const needles: SkipNeedle[] = [];
  for (const [needle, id] of ids) if (wanted === null || wanted.has(id)) needles.push({ needle, id });
  return needles;
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
