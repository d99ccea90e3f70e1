/**
 * Gates: a cheap necessary condition per variant, tested for all candidates of an event at
 * once. A variant's gate is a set of literal tests on one field (exact, prefix, suffix or
 * substring) of which at least one must hold for the condition to hold; it comes from the most
 * selective positive pattern test (or `or` of tests on one field) under the condition's top
 * `and` (an `or` at the top unions its branches' gates). Per candidate list, gates are indexed:
 * exact and affix literals by hash lookups of the value's prefixes/suffixes of the lengths in
 * use, substrings by the shared needle scan (needles.ts), so 1,000 rules keyed on Image/CommandLine cost
 * a few lookups and one scan of each value, and only variants whose gate opened are evaluated.
 */
import type { Expr } from '../ir/nodes.js';
import type { EventContext, FieldSlots, FieldText } from './event-context.js';
import type { NeedleIndex, NeedleRegistry } from './needles.js';
import { compilePattern } from './pattern.js';

export type GateShape = 'exact' | 'prefix' | 'suffix' | 'contains';

export interface GateKey {
  /** Null: any field value (a keyword search); only substring keys use it. */
  readonly field: string | null;
  readonly folded: boolean;
  readonly shape: GateShape;
  readonly needle: string;
}

const SHAPE_WEIGHT: Record<GateShape, number> = { exact: 1, prefix: 2, suffix: 2, contains: 4 };

function keyOf(e: Expr): GateKey | null {
  if (e.kind === 'keyword' && e.match.kind === 'pattern') {
    const p = compilePattern(e.match);
    return p.shape === 'contains' && p.literal !== '' ? { field: null, folded: !e.match.cased, shape: 'contains', needle: p.literal } : null;
  }
  if (e.kind !== 'field' || e.match.kind !== 'pattern') return null;
  const p = compilePattern(e.match);
  if (p.shape === 'exact' || p.shape === 'prefix' || p.shape === 'suffix' || p.shape === 'contains') {
    if (p.shape !== 'exact' && p.literal === '') return null;
    return { field: e.field, folded: !e.match.cased, shape: p.shape, needle: p.literal };
  }
  return null;
}

function flatten(e: Expr, kind: 'and' | 'or', out: Expr[]): Expr[] {
  if (e.kind === kind) for (const i of e.items) flatten(i, kind, out);
  else out.push(e);
  return out;
}

/**
 * Fields an event's route is read from (its channel and provider: see factsFromFields). Every
 * event of a route has the same values there, so a gate on one of them opens for all of the
 * route's events or for none; it is chosen only when there is no other. (SigmaHQ's service
 * install rules test `Provider_Name: Service Control Manager`: gated on it, each was evaluated
 * for every 7045 event.) EventID is constant per route too, but left out: measured on SigmaHQ's
 * rules, the Security rules that test it would then gate on substring lists of fields no other
 * rule reads, and scanning those costs more than evaluating the rules.
 */
const ROUTED_FIELDS: ReadonlySet<string> = new Set(['Channel', 'Provider_Name']);
const ROUTED_FIELD_COST = 1_000_000;

function score(keys: readonly GateKey[]): number {
  let s = 0;
  for (const k of keys) {
    s += SHAPE_WEIGHT[k.shape] * (k.needle.length < 3 ? 4 : 1);
    if (k.field !== null && ROUTED_FIELDS.has(k.field)) s += ROUTED_FIELD_COST;
  }
  return s;
}

/** Keys of which one must hold whenever `e` holds, or null when no such literal set is known. */
export function gateOf(e: Expr): GateKey[] | null {
  if (e.kind === 'field' || e.kind === 'keyword') {
    const k = keyOf(e);
    return k === null ? null : [k];
  }
  if (e.kind === 'or') {
    const out: GateKey[] = [];
    for (const item of flatten(e, 'or', [])) {
      const g = gateOf(item);
      if (g === null) return null;
      out.push(...g);
    }
    return out.length === 0 ? null : out;
  }
  if (e.kind === 'and') {
    let best: GateKey[] | null = null;
    for (const item of flatten(e, 'and', [])) {
      const g = gateOf(item);
      if (g !== null && (best === null || score(g) < score(best))) best = g;
    }
    return best;
  }
  return null;
}

/** Hash of `len` code units of `text` read backwards from `end` (suffix) or forwards from 0 (prefix). */
function affixHash(text: string, len: number, suffix: boolean): number {
  let h = len;
  if (suffix) for (let i = text.length - 1, k = 0; k < len; i--, k++) h = (h * 31 + text.charCodeAt(i)) & 0x3fffffff;
  else for (let i = 0; i < len; i++) h = (h * 31 + text.charCodeAt(i)) & 0x3fffffff;
  return h;
}

/**
 * Prefix or suffix literals. Values are probed without slicing: a running hash over the value's
 * last (or first) characters is looked up at each literal length in use, and a hit is confirmed
 * with endsWith/startsWith.
 */
class AffixTable {
  private readonly byNeedle = new Map<string, number[]>();
  /** Per length in use: hash → literals of that length with that hash. */
  private byLength: (Map<number, { needle: string; ids: number[] }[]> | undefined)[] = [];
  private maxLength = 0;
  /** len·31^len (mod 2^30): the hash seed term for each length. */
  private seeds: number[] = [];

  constructor(private readonly suffix: boolean) {}

  add(needle: string, id: number): void {
    let list = this.byNeedle.get(needle);
    if (list === undefined) this.byNeedle.set(needle, (list = []));
    list.push(id);
  }

  build(): void {
    this.byLength = [];
    this.maxLength = 0;
    for (const [needle, ids] of this.byNeedle) {
      const len = needle.length;
      this.maxLength = Math.max(this.maxLength, len);
      let table = this.byLength[len];
      if (table === undefined) this.byLength[len] = table = new Map();
      const h = affixHash(needle, len, this.suffix);
      let bucket = table.get(h);
      if (bucket === undefined) table.set(h, (bucket = []));
      bucket.push({ needle, ids });
    }
    this.seeds = [];
    for (let len = 0; len <= this.maxLength; len++) {
      let seed = len;
      for (let k = 0; k < len; k++) seed = (seed * 31) & 0x3fffffff;
      this.seeds.push(seed);
    }
  }

  get empty(): boolean {
    return this.byNeedle.size === 0;
  }

  probe(text: string, hit: (id: number) => void): void {
    const suffix = this.suffix;
    const max = Math.min(this.maxLength, text.length);
    let h = 0;
    for (let len = 1; len <= max; len++) {
      const c = text.charCodeAt(suffix ? text.length - len : len - 1);
      h = (h * 31 + c) & 0x3fffffff;
      const table = this.byLength[len];
      if (table === undefined) continue;
      // Same value as affixHash: the length seed plus the running hash.
      const bucket = table.get((this.seeds[len]! + h) & 0x3fffffff);
      if (bucket === undefined) continue;
      for (const entry of bucket) {
        if (suffix ? text.endsWith(entry.needle) : text.startsWith(entry.needle)) for (const id of entry.ids) hit(id);
      }
    }
  }
}

class FieldGate {
  readonly exact = new Map<string, number[]>();
  readonly prefix = new AffixTable(false);
  readonly suffix = new AffixTable(true);
  /** Needle id → candidates gated on it (substring gates share the engine-wide needle scan). */
  readonly contains = new Map<number, number[]>();

  constructor(
    readonly slot: number | null,
    readonly folded: boolean,
    private readonly needles: NeedleIndex,
  ) {}

  get hasContains(): boolean {
    return this.contains.size > 0;
  }

  add(key: GateKey, id: number): void {
    switch (key.shape) {
      case 'exact': {
        let list = this.exact.get(key.needle);
        if (list === undefined) this.exact.set(key.needle, (list = []));
        list.push(id);
        break;
      }
      case 'prefix':
        this.prefix.add(key.needle, id);
        break;
      case 'suffix':
        this.suffix.add(key.needle, id);
        break;
      case 'contains': {
        const needle = this.needles.id(key.needle);
        let list = this.contains.get(needle);
        if (list === undefined) this.contains.set(needle, (list = []));
        list.push(id);
        break;
      }
    }
  }

  build(): void {
    this.prefix.build();
    this.suffix.build();
  }

  /** Substring gates: one shared scan of the field per event. */
  probeContains(ctx: EventContext, hit: (id: number) => void): void {
    const needles = this.needles;
    needles.scan(ctx);
    const found = needles.hits;
    for (let k = 0; k < needles.hitCount; k++) {
      const ids = this.contains.get(found[k]!);
      if (ids !== undefined) for (const id of ids) hit(id);
    }
  }

  probe(text: string, hit: (id: number) => void): void {
    if (this.exact.size > 0) {
      const ids = this.exact.get(text);
      if (ids !== undefined) for (const id of ids) hit(id);
    }
    if (!this.prefix.empty) this.prefix.probe(text, hit);
    if (!this.suffix.empty) this.suffix.probe(text, hit);
  }

  get hasAffixOrExact(): boolean {
    return this.exact.size > 0 || !this.prefix.empty || !this.suffix.empty;
  }
}

/**
 * Index over the gates of one candidate list. `open(ctx)` says how many candidates to evaluate
 * and puts them in `opened`, in list order: the ungated ones and those whose gate a value opened.
 */
export class GateIndex {
  private readonly fields: FieldGate[] = [];
  private readonly ungated: Int32Array;
  private readonly stamp: Uint32Array;
  private epoch = 0;
  // Per event, reused: each candidate is hit at most once (the stamp), so `gates.length` slots
  // always suffice and nothing is allocated while matching.
  private readonly hits: Int32Array;
  private hitCount = 0;
  private readonly merged: Int32Array;
  /** The candidates the last `open` let through (its first `open(...)` entries). */
  opened: Int32Array;
  private readonly hit = (id: number): void => {
    if (this.stamp[id] !== this.epoch) {
      this.stamp[id] = this.epoch;
      this.hits[this.hitCount++] = id;
    }
  };

  constructor(gates: readonly (readonly GateKey[] | null)[], slots: FieldSlots, needles: NeedleRegistry) {
    this.stamp = new Uint32Array(gates.length);
    this.hits = new Int32Array(gates.length);
    this.merged = new Int32Array(gates.length);
    const ungated: number[] = [];
    const byField = new Map<string, FieldGate>();
    gates.forEach((keys, id) => {
      if (keys === null) {
        ungated.push(id);
        return;
      }
      for (const k of keys) {
        const name = `${k.folded ? 'f' : 'r'}:${k.field ?? '\u0000keywords'}`;
        let fg = byField.get(name);
        if (fg === undefined) {
          const slot = k.field === null ? null : slots.slot(k.field);
          fg = new FieldGate(slot, k.folded, needles.get(slot, k.folded));
          byField.set(name, fg);
          this.fields.push(fg);
        }
        fg.add(k, id);
      }
    });
    this.ungated = Int32Array.from(ungated);
    this.opened = this.ungated;
    for (const fg of this.fields) fg.build();
  }

  /** The number of candidates to evaluate; they are the first that many entries of `opened`. */
  open(ctx: EventContext): number {
    this.epoch++;
    if (this.epoch === 0xffffffff) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
    this.hitCount = 0;
    for (const fg of this.fields) {
      if (fg.hasContains) fg.probeContains(ctx, this.hit);
      if (!fg.hasAffixOrExact || fg.slot === null) continue;
      const t: FieldText = fg.folded ? ctx.foldedText(fg.slot) : ctx.text(fg.slot);
      if (t === null) continue;
      if (typeof t === 'string') fg.probe(t, this.hit);
      else for (const s of t) fg.probe(s, this.hit);
    }
    const hits = this.hits;
    const n = this.hitCount;
    const u = this.ungated;
    if (n === 0) {
      this.opened = u;
      return u.length;
    }
    sortPrefix(hits, n);
    if (u.length === 0) {
      this.opened = hits;
      return n;
    }
    // Merge two sorted lists.
    const out = this.merged;
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < u.length || j < n) {
      if (j >= n || (i < u.length && u[i]! < hits[j]!)) out[k++] = u[i++]!;
      else out[k++] = hits[j++]!;
    }
    this.opened = out;
    return k;
  }
}

/** Sorts the first `n` entries in place: insertion sort for the usual few, the native sort past that. */
function sortPrefix(a: Int32Array, n: number): void {
  if (n > 24) {
    a.subarray(0, n).sort();
    return;
  }
  for (let i = 1; i < n; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}
