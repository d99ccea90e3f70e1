/**
 * Correlation rules: windowed state per group, in event-time order, in bounded memory.
 *
 * Each referenced rule's hit becomes an entry {time, rule, group, value}. Entries of a group are
 * kept sorted by event time, ties by the event's place (inserted by binary search, `entryOrder`),
 * so events may arrive in any order: across files, out of order within a file, from several
 * hunt threads (each worker's engine hands its hits over as CorrelationFeeds, see engine.ts).
 * A window is the span [t0, t0 + timespan] that
 * starts at the group's oldest entry; it is judged once it is closed, i.e. when the watermark
 * (see below) has passed its end. If the condition holds, one finding is emitted with the
 * window's entries and those entries are consumed (so an event joins at most one finding per
 * correlation rule: that is the de-duplication); if not, the window slides to start at the next
 * entry. At flush (end of input) every remaining window is judged.
 *
 * Watermark: by default (maxLatenessMs = Infinity) windows close only at flush or under memory
 * pressure, so results do not depend on file order at all. With a finite maxLatenessMs the
 * engine closes windows that end more than that before the newest event time seen, which
 * streams findings but assumes no event arrives later than that behind the newest one.
 *
 * Memory: at most maxGroupsPerRule groups and maxEventsPerRule entries per rule (the least
 * recently touched group is closed as at flush and dropped), and maxEventsPerGroup entries per
 * group (windows closed relative to the group's newest entry are judged first, then the oldest
 * entries are dropped). Every drop is counted in CorrelationStats.
 */
import type { FieldScalar, FieldValue } from '../core/event.js';
import type { CorrelationRule } from '../ir/nodes.js';
import { scalarText } from './event-context.js';
import type { CorrelationFinding, Emit, EventRef } from './finding.js';
import { parseNumber } from './scalars.js';

export interface CorrelationOptions {
  readonly maxGroupsPerRule: number;
  readonly maxEventsPerGroup: number;
  /** Entries held by one rule across its groups; over it, least recently touched groups go first. */
  readonly maxEventsPerRule: number;
  readonly maxLatenessMs: number;
}

export const DEFAULT_CORRELATION_OPTIONS: CorrelationOptions = {
  maxGroupsPerRule: 10_000,
  maxEventsPerGroup: 1_000,
  maxEventsPerRule: 200_000,
  maxLatenessMs: Number.POSITIVE_INFINITY,
};

export interface CorrelationStats {
  /** Groups dropped (after being judged) because a rule had too many. */
  groupsEvicted: number;
  /** Entries dropped unjudged because a group had too many. */
  eventsEvicted: number;
  /** Referenced-rule hits on events without a time, which no window can hold. */
  untimedEvents: number;
  /** Windows judged. */
  windowsJudged: number;
  findings: number;
}

interface Entry {
  readonly t: number;
  readonly firstTime: string | null;
  readonly lastTime: string | null;
  readonly ruleId: string;
  /** value_count: the distinct key; null when a field is missing. */
  readonly distinct: string | null;
  /** value_sum/avg/percentile/median: the number; null when not numeric. */
  readonly num: number | null;
  readonly refs: readonly EventRef[];
}

interface Group {
  readonly values: Record<string, FieldScalar>;
  readonly entries: Entry[];
  maxT: number;
}

/** What a hit offers a correlation: the referenced rule, its time, fields and events. */
export interface CorrelationInput {
  readonly ruleId: string;
  readonly time: string | null;
  /** For chained inputs: the first time of the joined events. */
  readonly firstTime?: string | null;
  readonly field: (name: string) => FieldValue | undefined;
  readonly refs: readonly EventRef[];
}

export function parseEventTime(time: string | null): number | null {
  if (time === null) return null;
  const t = Date.parse(time);
  return Number.isFinite(t) ? t : null;
}

function firstScalar(v: FieldValue | undefined): FieldScalar {
  if (v === undefined) return null;
  if (Array.isArray(v)) return (v as readonly FieldScalar[])[0] ?? null;
  return v as FieldScalar;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 1) return sorted[0]!;
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export class CorrelationState {
  private readonly groups = new Map<string, Group>();
  /** Entries held across all groups (kept in step by add/judge/evict). */
  private held = 0;
  /** Correlations fed by this one's findings. */
  readonly parents: CorrelationState[] = [];

  constructor(
    readonly rule: CorrelationRule,
    private readonly options: CorrelationOptions,
    private readonly stats: CorrelationStats,
    private readonly emitOwn: boolean,
  ) {}

  private fieldFor(name: string, ruleId: string): string {
    return this.rule.aliases[name]?.[ruleId] ?? name;
  }

  /** The event fields this correlation reads from a hit of `ruleId` (group-by and value fields). */
  fieldsRead(ruleId: string): string[] {
    return [...this.rule.groupBy, ...this.rule.fields].map((name) => this.fieldFor(name, ruleId));
  }

  add(input: CorrelationInput, emit: Emit): void {
    const t = parseEventTime(input.time);
    if (t === null) {
      this.stats.untimedEvents++;
      return;
    }
    const values: Record<string, FieldScalar> = {};
    const keyParts: FieldScalar[] = [];
    for (const g of this.rule.groupBy) {
      const v = firstScalar(input.field(this.fieldFor(g, input.ruleId)));
      values[g] = v;
      keyParts.push(v);
    }
    const key = JSON.stringify(keyParts);
    let distinct: string | null = null;
    let num: number | null = null;
    if (this.rule.type === 'value_count') {
      const parts: string[] = [];
      for (const f of this.rule.fields) {
        const v = scalarText(firstScalar(input.field(this.fieldFor(f, input.ruleId))));
        if (v === null) break;
        parts.push(v);
      }
      distinct = parts.length === this.rule.fields.length && parts.length > 0 ? JSON.stringify(parts) : null;
    } else if (this.rule.fields.length > 0) {
      const v = input.field(this.fieldFor(this.rule.fields[0]!, input.ruleId));
      const s = scalarText(firstScalar(v));
      num = typeof firstScalar(v) === 'number' ? (firstScalar(v) as number) : s === null ? null : parseNumber(s);
    }
    const entry: Entry = {
      t,
      firstTime: input.firstTime !== undefined ? input.firstTime : input.time,
      lastTime: input.time,
      ruleId: input.ruleId,
      distinct,
      num,
      refs: input.refs,
    };

    let group = this.groups.get(key);
    if (group === undefined) {
      group = { values, entries: [], maxT: t };
      if (this.groups.size >= this.options.maxGroupsPerRule) this.evictOldestGroup(emit);
    } else {
      this.groups.delete(key); // re-insert: Map order is least recently touched first
    }
    this.groups.set(key, group);
    insertSorted(group.entries, entry);
    this.held++;
    if (t > group.maxT) group.maxT = t;
    if (group.entries.length > this.options.maxEventsPerGroup) {
      this.judge(group, group.maxT, emit);
      const over = group.entries.length - this.options.maxEventsPerGroup;
      if (over > 0) {
        group.entries.splice(0, over);
        this.held -= over;
        this.stats.eventsEvicted += over;
      }
    }
    if (Number.isFinite(this.options.maxLatenessMs)) this.judge(group, t - this.options.maxLatenessMs, emit);
    // Bounded per rule: close and drop least recently touched groups (never the current one).
    while (this.held > this.options.maxEventsPerRule && this.groups.size > 1) this.evictOldestGroup(emit);
  }

  /** Judges windows of every group that closed before `watermark`. */
  advance(watermark: number, emit: Emit): void {
    for (const [key, group] of this.groups) {
      this.judge(group, watermark, emit);
      if (group.entries.length === 0) this.groups.delete(key);
    }
  }

  flush(emit: Emit): void {
    for (const group of this.groups.values()) this.judge(group, Number.POSITIVE_INFINITY, emit);
    this.groups.clear();
    this.held = 0;
  }

  get groupCount(): number {
    return this.groups.size;
  }

  private evictOldestGroup(emit: Emit): void {
    const oldest = this.groups.keys().next();
    if (oldest.done === true) return;
    const group = this.groups.get(oldest.value)!;
    this.groups.delete(oldest.value);
    this.judge(group, Number.POSITIVE_INFINITY, emit);
    this.held -= group.entries.length; // left unjudged: none after a full judge
    this.stats.groupsEvicted++;
  }

  /** Judges the group's windows that end before `upTo`, oldest first. */
  private judge(group: Group, upTo: number, emit: Emit): void {
    const span = this.rule.timespanMs;
    const entries = group.entries;
    // Each pass removes at least one entry, so this ends.
    while (entries.length > 0) {
      const t0 = entries[0]!.t;
      if (!(t0 + span < upTo)) break;
      let end = 1;
      while (end < entries.length && entries[end]!.t <= t0 + span) end++;
      const window = entries.slice(0, end);
      this.stats.windowsJudged++;
      const verdict = this.evaluate(window);
      if (verdict.fires) {
        entries.splice(0, end);
        this.held -= end;
        this.fire(group, window, verdict.value, emit);
      } else {
        entries.shift();
        this.held--;
      }
    }
  }

  private evaluate(window: readonly Entry[]): { fires: boolean; value: number } {
    const rule = this.rule;
    let value: number;
    switch (rule.type) {
      case 'event_count':
        value = window.length;
        break;
      case 'value_count': {
        const seen = new Set<string>();
        for (const e of window) if (e.distinct !== null) seen.add(e.distinct);
        value = seen.size;
        break;
      }
      case 'temporal': {
        const seen = new Set<string>();
        for (const e of window) seen.add(e.ruleId);
        value = rule.rules.filter((r) => seen.has(r)).length;
        break;
      }
      case 'temporal_ordered': {
        let next = 0;
        for (const e of window) if (next < rule.rules.length && e.ruleId === rule.rules[next]) next++;
        value = next;
        break;
      }
      case 'value_sum':
      case 'value_avg':
      case 'value_percentile':
      case 'value_median': {
        const nums = window.map((e) => e.num).filter((n): n is number => n !== null);
        if (nums.length === 0) return { fires: false, value: 0 };
        if (rule.type === 'value_sum') value = nums.reduce((a, b) => a + b, 0);
        else if (rule.type === 'value_avg') value = nums.reduce((a, b) => a + b, 0) / nums.length;
        else {
          nums.sort((a, b) => a - b);
          value = percentile(nums, rule.type === 'value_median' ? 50 : (rule.percentile ?? 50));
        }
        break;
      }
    }
    const cond = rule.condition ?? { op: 'gte' as const, value: rule.rules.length };
    return { fires: compareCondition(cond.op, value, cond.value), value };
  }

  private fire(group: Group, window: readonly Entry[], value: number, emit: Emit): void {
    this.stats.findings++;
    const events: EventRef[] = [];
    for (const e of window) for (const r of e.refs) events.push(r);
    const finding: CorrelationFinding = {
      kind: 'correlation',
      rule: this.rule.meta,
      group: { ...group.values },
      value,
      first: window[0]!.firstTime,
      last: window[window.length - 1]!.lastTime,
      events,
    };
    if (this.emitOwn) emit(finding);
    for (const parent of this.parents) {
      parent.add(
        {
          ruleId: this.rule.meta.id,
          time: finding.last,
          firstTime: finding.first,
          field: (name) => finding.group[name],
          refs: events,
        },
        emit,
      );
    }
  }
}

export function compareCondition(op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq', a: number, b: number): boolean {
  switch (op) {
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    case 'eq':
      return a === b;
    case 'neq':
      return a !== b;
  }
}

/**
 * Entry order: event time, then (for hits at the same time) the first event's file, record id
 * and rule, so that windows and findings do not depend on the order hits arrive in (files in
 * another order, or hits from several hunt threads); entries equal in all of these keep their
 * arrival order.
 */
function entryOrder(a: Entry, b: Entry): number {
  if (a.t !== b.t) return a.t - b.t;
  const ra = a.refs[0];
  const rb = b.refs[0];
  if (ra === undefined || rb === undefined) return (ra === undefined ? 0 : 1) - (rb === undefined ? 0 : 1);
  if (ra.file !== rb.file) return ra.file < rb.file ? -1 : 1;
  if (ra.recordId !== rb.recordId) return (ra.recordId ?? -1) - (rb.recordId ?? -1);
  return a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0;
}

function insertSorted(entries: Entry[], entry: Entry): void {
  let lo = 0;
  let hi = entries.length;
  if (hi === 0 || entryOrder(entries[hi - 1]!, entry) <= 0) {
    entries.push(entry);
    return;
  }
  // After existing entries that order equal to it.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entryOrder(entries[mid]!, entry) <= 0) lo = mid + 1;
    else hi = mid;
  }
  entries.splice(lo, 0, entry);
}
