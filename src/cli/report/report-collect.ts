/**
 * Gathers what the HTML report shows from the findings as they are read back one at a time:
 * counts by level, a time histogram, per-rule and per-tactic counts (over every finding), and
 * the drill-down items (the most severe ones, up to a count and a byte budget). Memory is
 * bounded by those caps, not by the number of findings.
 */
import type { FieldScalar, FieldValue } from '../../core/event.js';
import type { Level } from '../../ir/nodes.js';
import type { AttackCatalog } from '../../risk/index.js';
import type { SplValue } from '../../spl/exec/types.js';
import { valueText as splValueText, rowHost, type DetectionRecord } from '../hunt/detection-record.js';
import { detectionTime } from '../hunt/finding-csv.js';
import type { HeldFinding } from './held-finding.js';
import { assertNever } from '../../core/xml-tree.js';

export const REPORT_LEVELS: readonly Level[] = ['critical', 'high', 'medium', 'low', 'informational'];

/** Drill-down items embedded in the report, and the bytes they may take. */
export const MAX_ITEMS = 20_000;
export const MAX_ITEM_BYTES = 48 * 1024 * 1024;
/** Distinct buckets kept before the histogram widens them (minutes → hours → days). */
const MAX_BUCKETS = 20_000;
const MAX_COUNTED_KEYS = 10_000;

/** One row of the drill-down table, as the page's script reads it. */
export interface ReportItem {
  readonly kind: 'match' | 'correlation' | 'detection';
  readonly time: string | null;
  readonly level: Level;
  readonly computer: string | null;
  readonly title: string;
  readonly rule_id: string;
  readonly event_id: string | null;
  readonly channel: string | null;
  readonly file: string | null;
  readonly record_id: number | null;
  readonly tactics: readonly string[];
  readonly techniques: readonly string[];
  /** What made it fire (matched fields, correlation group, or the result row). */
  readonly matched: Readonly<Record<string, string>>;
  /** Every field of the event (Sigma matches; capped, see held-finding.ts). */
  readonly fields: Readonly<Record<string, string>> | null;
}

export interface RuleCount {
  readonly title: string;
  readonly id: string;
  readonly kind: string;
  readonly level: Level;
  readonly tactics: readonly string[];
  count: number;
}

function scalarText(v: FieldScalar): string {
  return v === null ? 'null' : String(v);
}

function fieldText(v: FieldValue): string {
  return Array.isArray(v) ? (v as readonly FieldScalar[]).map(scalarText).join(' | ') : scalarText(v as FieldScalar);
}

function textRecord(obj: Readonly<Record<string, FieldValue>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = fieldText(v);
  return out;
}

function splRecord(obj: Readonly<Record<string, SplValue>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = splValueText(v);
  return out;
}

export function itemOfHeld(h: HeldFinding, tacticName: (slug: string) => string): ReportItem {
  const common = { level: h.rule.level, title: h.rule.title, rule_id: h.rule.id, tactics: h.rule.attack.tactics.map(tacticName), techniques: h.rule.attack.techniques };
  switch (h.kind) {
    case 'match':
      return {
        ...common,
        kind: 'match',
        time: h.event.time,
        computer: h.event.computer,
        event_id: h.event.event_id === null ? null : String(h.event.event_id),
        channel: h.event.channel,
        file: h.event.file,
        record_id: h.event.record_id,
        matched: textRecord(h.matched),
        fields: h.fields === undefined ? null : textRecord(h.fields),
      };
    case 'correlation': {
      const computer = h.group['Computer'] ?? h.group['ComputerName'] ?? null;
      return {
        ...common,
        kind: 'correlation',
        time: h.last ?? h.first,
        computer: computer === null ? null : String(computer),
        event_id: null,
        channel: null,
        file: [...new Set(h.events.map((e) => e.file))].join(' | '),
        record_id: null,
        matched: { value: String(h.value), events: String(h.events.length), first: h.first ?? '-', last: h.last ?? '-', ...textRecord(h.group) },
        fields: null,
      };
    }
    default:
      return assertNever(h, 'held finding');
  }
}

export function itemOfDetection(r: DetectionRecord, level: Level, catalog: AttackCatalog): ReportItem {
  const host = rowHost(r.row);
  const tactics = new Set<string>();
  for (const t of r.detection.mitre_attack) for (const id of catalog.technique(t)?.tactics ?? []) tactics.add(catalog.tactic(id)?.name ?? id);
  const text = (f: string): string | null => (r.row[f] === undefined ? null : splValueText(r.row[f]!));
  return {
    kind: 'detection',
    time: detectionTime(r),
    level,
    computer: host === '-' ? null : host,
    title: r.detection.name,
    rule_id: r.detection.id,
    event_id: text('EventCode'),
    channel: text('source'),
    file: null,
    record_id: null,
    tactics: [...tactics],
    techniques: r.detection.mitre_attack,
    matched: splRecord(r.row),
    fields: null,
  };
}

interface Kept {
  readonly time: string;
  readonly json: string;
}

export interface ReportCounts {
  readonly total: number;
  readonly byLevel: Readonly<Record<Level, number>>;
  readonly byKind: Readonly<Record<ReportItem['kind'], number>>;
  readonly first: string | null;
  readonly last: string | null;
  /** Histogram: bucket start (epoch ms) → counts by level; `bucketMs` wide. */
  readonly buckets: ReadonlyMap<number, Readonly<Record<Level, number>>>;
  readonly bucketMs: number;
  readonly rules: readonly RuleCount[];
  /** Tactic name → items naming it. */
  readonly tactics: ReadonlyMap<string, number>;
  readonly computers: ReadonlyMap<string, number>;
  readonly untimed: number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function emptyLevels(): Record<Level, number> {
  return { critical: 0, high: 0, medium: 0, low: 0, informational: 0 };
}

export class ReportCollector {
  private total = 0;
  private readonly byLevel = emptyLevels();
  private readonly byKind = { match: 0, correlation: 0, detection: 0 };
  private first: string | null = null;
  private last: string | null = null;
  private buckets = new Map<number, Record<Level, number>>();
  private bucketMs = MINUTE;
  private readonly rules = new Map<string, RuleCount>();
  private readonly tactics = new Map<string, number>();
  private readonly computers = new Map<string, number>();
  private untimed = 0;
  /** Drill-down items by level, so the least severe go first when over the caps. */
  private readonly kept: Record<Level, Kept[]> = { critical: [], high: [], medium: [], low: [], informational: [] };
  private keptBytes = 0;
  private keptCount = 0;
  private dropped = 0;

  constructor(
    private readonly maxItems = MAX_ITEMS,
    private readonly maxBytes = MAX_ITEM_BYTES,
  ) {}

  add(item: ReportItem): void {
    this.total++;
    this.byLevel[item.level]++;
    this.byKind[item.kind]++;
    this.countTime(item);
    const key = `${item.kind === 'detection' ? 'd' : 's'}|${item.rule_id}|${item.title}`;
    const rule = this.rules.get(key);
    if (rule !== undefined) rule.count++;
    else this.rules.set(key, { title: item.title, id: item.rule_id, kind: item.kind === 'detection' ? 'Splunk-style' : 'Sigma', level: item.level, tactics: item.tactics, count: 1 });
    for (const t of new Set(item.tactics)) bump(this.tactics, t);
    if (item.computer !== null) bump(this.computers, item.computer);
    this.keep(item);
  }

  private countTime(item: ReportItem): void {
    const ms = item.time === null ? NaN : Date.parse(item.time);
    if (!Number.isFinite(ms)) {
      this.untimed++;
      return;
    }
    const iso = new Date(ms).toISOString();
    if (this.first === null || iso < this.first) this.first = iso;
    if (this.last === null || iso > this.last) this.last = iso;
    const start = Math.floor(ms / this.bucketMs) * this.bucketMs;
    let b = this.buckets.get(start);
    if (b === undefined) {
      b = emptyLevels();
      this.buckets.set(start, b);
      if (this.buckets.size > MAX_BUCKETS && this.bucketMs < DAY) this.widen(this.bucketMs === MINUTE ? HOUR : DAY);
    }
    b[item.level]++;
  }

  /** Merges the buckets into wider ones once the data spans too many of them. */
  private widen(ms: number): void {
    const wider = new Map<number, Record<Level, number>>();
    for (const [start, counts] of this.buckets) {
      const at = Math.floor(start / ms) * ms;
      const d = wider.get(at) ?? emptyLevels();
      for (const l of REPORT_LEVELS) d[l] += counts[l];
      wider.set(at, d);
    }
    this.buckets = wider;
    this.bucketMs = ms;
  }

  private keep(item: ReportItem): void {
    const json = JSON.stringify(item);
    this.kept[item.level].push({ time: item.time ?? '', json });
    this.keptBytes += json.length;
    this.keptCount++;
    // Over a cap: let go of the most recent item of the least severe level held.
    while (this.keptCount > this.maxItems || (this.keptBytes > this.maxBytes && this.keptCount > 1)) {
      const level = [...REPORT_LEVELS].reverse().find((l) => this.kept[l].length > 0);
      if (level === undefined) break;
      const gone = this.kept[level].pop()!;
      this.keptBytes -= gone.json.length;
      this.keptCount--;
      this.dropped++;
    }
  }

  /** Items left out of the drill-down (they still count everywhere else). */
  get leftOut(): number {
    return this.dropped;
  }

  /** Drill-down items as JSON texts in time order (then most severe first). */
  keptJson(): string[] {
    const all: (Kept & { rank: number })[] = [];
    for (const [rank, l] of REPORT_LEVELS.entries()) for (const k of this.kept[l]) all.push({ ...k, rank });
    all.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.rank - b.rank));
    return all.map((k) => k.json);
  }

  counts(): ReportCounts {
    const rules = [...this.rules.values()].sort((a, b) => REPORT_LEVELS.indexOf(a.level) - REPORT_LEVELS.indexOf(b.level) || b.count - a.count || (a.title < b.title ? -1 : 1));
    return {
      total: this.total,
      byLevel: { ...this.byLevel },
      byKind: { ...this.byKind },
      first: this.first,
      last: this.last,
      buckets: new Map([...this.buckets].sort((a, b) => a[0] - b[0])),
      bucketMs: this.bucketMs,
      rules,
      tactics: this.tactics,
      computers: this.computers,
      untimed: this.untimed,
    };
  }
}

function bump(m: Map<string, number>, key: string): void {
  const n = m.get(key);
  if (n !== undefined) m.set(key, n + 1);
  else if (m.size < MAX_COUNTED_KEYS) m.set(key, 1);
}

/**
 * Splits streamed text into lines, handing each full line to `line`; the tail waits for the
 * next piece. A line past `maxLine` characters is skipped (and counted) rather than kept whole.
 */
export class LineSplitter {
  private tail = '';
  private skipping = false;
  skipped = 0;
  constructor(
    private readonly line: (text: string) => void,
    private readonly maxLine = 64 * 1024 * 1024,
  ) {}

  push(piece: string): void {
    let start = 0;
    for (let nl = piece.indexOf('\n'); nl >= 0; nl = piece.indexOf('\n', start)) {
      const part = piece.slice(start, nl);
      start = nl + 1;
      if (this.skipping) {
        this.skipping = false;
        this.tail = '';
        continue;
      }
      const text = this.tail + part;
      this.tail = '';
      if (text.length > 0) this.line(text);
    }
    if (this.skipping) return;
    this.tail += piece.slice(start);
    if (this.tail.length > this.maxLine) {
      this.skipped++;
      this.skipping = true;
      this.tail = '';
    }
  }

  end(): void {
    if (!this.skipping && this.tail.length > 0) this.line(this.tail);
    this.tail = '';
  }
}
