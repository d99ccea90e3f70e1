/**
 * Runs compiled Splunk-style detections over streaming events. Each event becomes a Splunk row
 * (and a data-model row per dataset some search reads) at most once, however many detections
 * read it; every head tests it and keeps it if it matches. Routing by EventCode first: a head
 * whose search names its EventCodes never sees other events' rows.
 *
 * When the input ends, each detection's pipeline runs over its kept rows: once over all time,
 * or, with `replaySchedule`, once per scheduled run of its cron schedule across the data's time
 * span, each over that run's [earliest, latest) window — the results a scheduled deployment
 * would have raised.
 *
 * The per-event side can run elsewhere: `takeKept` hands over what the heads kept so far as plain
 * data (a hunt worker's rows for one file) and `addKept` appends such a part to another runner
 * over the same plans. Parts added in the order a single runner would have read their events
 * leave exactly the rows that runner would have kept, row cap included.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import type { VigilEvent } from '../../core/event.js';
import type { Lookup } from '../../content/index.js';
import { DEFAULT_LIMITS, type EventHead, type ExecContext, type ExecLimits, type Row } from '../../spl/exec/types.js';
import { copyRow, numberOf, valuesOf } from '../../spl/exec/values.js';
import { scheduledRuns } from '../../spl/time/schedule.js';
import { datamodelRow } from '../../splunk/datamodel.js';
import { overrideMetadata, splunkMetadata, splunkRow, type MetadataOverride, type SplunkMetadata } from '../../splunk/row.js';
import { metadataPrefilter, type EventMetadata, type MetadataTest } from './prefilter.js';

/** Stands in when no head asks for metadata (never read). */
const ANY_METADATA: EventMetadata = { source: null, sourcetype: null, host: null };
import type { DetectionPlan } from './plans.js';

export interface RunWindow {
  /** Nominal run time (epoch seconds); for an all-time run, the end of the data. */
  readonly time: number;
  /** [earliest, latest) in epoch seconds; null for all time. */
  readonly earliest: number | null;
  readonly latest: number | null;
}

export interface DetectionRun {
  readonly plan: DetectionPlan;
  readonly window: RunWindow;
  readonly rows: readonly Row[];
}

export interface SplRunnerOptions {
  readonly replaySchedule: boolean;
  readonly lookups: readonly Lookup[];
  readonly limits?: ExecLimits;
  readonly warn: (d: Diagnostic) => void;
  /**
   * `now()` for the heads' tests, epoch seconds (default: when the runner is built). Runners
   * whose kept rows are merged take the same one, so relative times in heads agree.
   */
  readonly now?: number;
}

/** The warning raised (once per detection) when a head keeps no more rows. */
export const HEAD_ROWS_CAPPED = 'spl.head-rows-capped';

/**
 * What a runner's heads kept, as plain data for another runner over the same plans. It survives
 * structured cloning (postMessage): a Row is a Map of strings, numbers and arrays of them.
 */
export interface KeptRows {
  /** Each plan's detection name, so a part from a runner over other plans is refused. */
  readonly detections: readonly string[];
  /** rows[plan][head], in event order. */
  readonly rows: readonly (readonly (readonly Row[])[])[];
  /** Matches past the row cap, per plan (counted, not kept). */
  readonly dropped: readonly number[];
  readonly events: number;
  readonly dataStart: number | null;
  readonly dataEnd: number | null;
}

export interface SplRunnerStats {
  readonly events: number;
  readonly rowsKept: number;
  readonly rowsDropped: number;
  readonly runs: number;
  readonly dataStart: number | null;
  readonly dataEnd: number | null;
}

interface HeadSlot {
  readonly plan: number;
  readonly head: number;
  readonly test: EventHead['test'];
  /** Cheap test on source/sourcetype/host before the full row is built (null: none). */
  readonly meta: MetadataTest | null;
}

/** Epoch seconds of an ISO time, or null. */
function epochOf(time: string | null): number | null {
  if (time === null) return null;
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

function rowTime(row: Row): number {
  const t = valuesOf(row.get('_time'))[0];
  return t === undefined ? Number.NEGATIVE_INFINITY : (numberOf(t) ?? Number.NEGATIVE_INFINITY);
}

/** Index of the first row whose time is >= t in rows sorted by time. */
function lowerBound(rows: readonly Row[], times: readonly number[], t: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SplRunner {
  private readonly plans: readonly DetectionPlan[];
  private readonly options: SplRunnerOptions;
  private readonly limits: ExecLimits;
  /** kept[plan][head] = rows in event order. */
  private kept: Row[][][];
  /** Matches past the row cap per plan, since the last takeKept. */
  private droppedByPlan: number[];
  private readonly byCode = new Map<string, HeadSlot[]>();
  private readonly anyCode: HeadSlot[] = [];
  private readonly byDataset = new Map<string, HeadSlot[]>();
  private readonly headContext: ExecContext;
  private readonly lookups: Map<string, Lookup>;
  private events = 0;
  private rowsKept = 0;
  private rowsDropped = 0;
  private runs = 0;
  private dataStart: number | null = null;
  private dataEnd: number | null = null;
  private readonly capWarned = new Set<string>();
  /** Whether some search reads `_raw` (bare terms, rex/regex/spath on _raw): building it costs a rendering. */
  private readonly raw: boolean;

  constructor(plans: readonly DetectionPlan[], options: SplRunnerOptions) {
    this.plans = plans;
    this.options = options;
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.lookups = new Map(options.lookups.map((l) => [l.name, l]));
    this.raw = plans.some((p) => p.search.needsRaw);
    this.kept = this.emptyKept();
    this.droppedByPlan = plans.map(() => 0);
    plans.forEach((plan, p) =>
      plan.search.heads.forEach((head, h) => {
        const slot: HeadSlot = { plan: p, head: h, test: head.test, meta: head.source.kind === 'events' ? metadataPrefilter(head.expr) : null };
        if (head.source.kind === 'datamodel') {
          const key = `${head.source.model}.${head.source.dataset}`;
          const list = this.byDataset.get(key) ?? [];
          list.push(slot);
          this.byDataset.set(key, list);
        } else if (head.eventCodes !== null && head.eventCodes.length > 0) {
          for (const code of head.eventCodes) {
            const list = this.byCode.get(code) ?? [];
            list.push(slot);
            this.byCode.set(code, list);
          }
        } else this.anyCode.push(slot);
      }),
    );
    this.headContext = this.context(options.now ?? Date.now() / 1000, null, null);
  }

  private emptyKept(): Row[][][] {
    return this.plans.map((p) => p.search.heads.map(() => []));
  }

  /** The heads' `now()` (epoch seconds), for runners whose rows will be merged with these. */
  get headNow(): number {
    return this.headContext.now;
  }

  /** True when no detection reads events at all (nothing to do per event). */
  get idle(): boolean {
    return this.byCode.size === 0 && this.anyCode.length === 0 && this.byDataset.size === 0;
  }

  private context(now: number, earliest: number | null, latest: number | null): ExecContext {
    return { now, earliest, latest, lookup: (name) => this.lookups.get(name), limits: this.limits, warn: this.options.warn };
  }

  private keep(slot: HeadSlot, row: Row, shared: boolean): boolean {
    const rows = this.kept[slot.plan]![slot.head]!;
    if (rows.length >= this.limits.maxHeadRows) {
      this.rowsDropped++;
      this.droppedByPlan[slot.plan]!++;
      this.warnCapped(slot.plan);
      return shared;
    }
    rows.push(shared ? copyRow(row) : row);
    this.rowsKept++;
    return true;
  }

  /** Stretches the data's time span to cover `t` (epoch seconds; null: untimed). */
  private widenSpan(t: number | null): void {
    if (t === null) return;
    if (this.dataStart === null || t < this.dataStart) this.dataStart = t;
    if (this.dataEnd === null || t > this.dataEnd) this.dataEnd = t;
  }

  private warnCapped(plan: number): void {
    const detection = this.plans[plan]!.detection;
    if (this.capWarned.has(detection.name)) return;
    this.capWarned.add(detection.name);
    this.options.warn({ severity: 'warning', code: HEAD_ROWS_CAPPED, message: `detection '${detection.name}': more than ${this.limits.maxHeadRows} matching events; later ones are counted, not kept`, location: { file: detection.origin.file } });
  }

  private offer(slots: readonly HeadSlot[] | undefined, row: () => Row, used: { taken: boolean }, meta: () => EventMetadata = () => ANY_METADATA): void {
    if (slots === undefined) return;
    for (const slot of slots) {
      if (slot.meta !== null && !slot.meta(meta())) continue;
      const r = row();
      if (slot.test(r, this.headContext)) used.taken = this.keep(slot, r, used.taken);
    }
  }

  /** `metadata`: source/sourcetype/host given at ingest (a detection test's attack_data), replacing the derived ones. */
  process(event: VigilEvent, metadata?: MetadataOverride): void {
    this.events++;
    this.widenSpan(epochOf(event.time));
    const coded = event.eventId === null ? undefined : this.byCode.get(String(event.eventId));
    // Metadata first (the cheap pre-test reads it), then rows built on the same metadata.
    let meta: SplunkMetadata | null = null;
    const getMeta = (): SplunkMetadata => (meta ??= overrideMetadata(splunkMetadata(event), metadata));
    if (coded !== undefined || this.anyCode.length > 0) {
      let row: Row | null = null;
      const get = (): Row => (row ??= splunkRow(event, { raw: this.raw, derived: getMeta() }));
      const used = { taken: false };
      this.offer(coded, get, used, getMeta);
      this.offer(this.anyCode, get, used, getMeta);
    }
    for (const [dataset, slots] of this.byDataset) {
      const row = datamodelRow(event, dataset, getMeta);
      if (row === null) continue;
      this.offer(slots, () => row, { taken: false });
    }
  }

  /**
   * Hands over what the heads kept since the last take (rows, drops, events, time span) and
   * starts afresh: the part of the input read in between, ready for another runner's addKept.
   */
  takeKept(): KeptRows {
    const part: KeptRows = {
      detections: this.plans.map((p) => p.detection.name),
      rows: this.kept,
      dropped: this.droppedByPlan,
      events: this.events,
      dataStart: this.dataStart,
      dataEnd: this.dataEnd,
    };
    this.kept = this.emptyKept();
    this.droppedByPlan = this.plans.map(() => 0);
    this.events = 0;
    this.rowsKept = 0;
    this.rowsDropped = 0;
    this.dataStart = null;
    this.dataEnd = null;
    return part;
  }

  /**
   * Appends a part another runner over the same plans kept (as if this runner had read those
   * events next): rows past the cap are counted as dropped, warned about once per detection.
   * The part's rows become this runner's (they are not copied).
   */
  addKept(part: KeptRows): void {
    const names = this.plans.map((p) => p.detection.name);
    if (part.detections.length !== names.length || part.detections.some((n, i) => n !== names[i])) {
      throw new Error(`kept rows from a runner over other detections (${part.detections.length} plans, this runner has ${names.length})`);
    }
    this.events += part.events;
    this.widenSpan(part.dataStart);
    this.widenSpan(part.dataEnd);
    this.kept.forEach((heads, p) => {
      let dropped = part.dropped[p] ?? 0;
      heads.forEach((rows, h) => {
        const incoming = part.rows[p]?.[h] ?? [];
        const room = Math.max(0, this.limits.maxHeadRows - rows.length);
        const taken = Math.min(room, incoming.length);
        for (let i = 0; i < taken; i++) rows.push(incoming[i]!);
        this.rowsKept += taken;
        dropped += incoming.length - taken;
      });
      if (dropped > 0) {
        this.rowsDropped += dropped;
        this.droppedByPlan[p]! += dropped;
        this.warnCapped(p);
      }
    });
  }

  /** Runs every detection's pipeline over what its heads kept. */
  finish(): DetectionRun[] {
    const out: DetectionRun[] = [];
    const end = this.dataEnd === null ? Date.now() / 1000 : Math.floor(this.dataEnd) + 1;
    this.plans.forEach((plan, p) => {
      const heads = this.kept[p]!;
      const eventHeads = plan.search.heads.length;
      if (!this.options.replaySchedule || eventHeads === 0 || this.dataStart === null) {
        this.runOne(plan, heads, { time: end, earliest: null, latest: null }, out);
        return;
      }
      const sorted = heads.map((rows) => [...rows].sort((a, b) => rowTime(a) - rowTime(b)));
      const times = sorted.map((rows) => rows.map(rowTime));
      let windows;
      try {
        windows = scheduledRuns(plan.scheduling, this.dataStart, end);
      } catch (e) {
        this.options.warn({ severity: 'error', code: 'spl.bad-schedule', message: `detection '${plan.detection.name}': ${e instanceof Error ? e.message : String(e)}; not run`, location: { file: plan.detection.origin.file } });
        return;
      }
      for (const w of windows) {
        const slices = sorted.map((rows, h) => rows.slice(lowerBound(rows, times[h]!, w.earliest), lowerBound(rows, times[h]!, w.latest)).map(copyRow));
        if (slices.every((s) => s.length === 0)) continue;
        this.runOne(plan, slices, { time: w.time, earliest: w.earliest, latest: w.latest }, out);
      }
    });
    return out;
  }

  private runOne(plan: DetectionPlan, heads: readonly (readonly Row[])[], window: RunWindow, out: DetectionRun[]): void {
    this.runs++;
    try {
      const rows = plan.search.run(heads, this.context(window.time, window.earliest, window.latest));
      if (rows.length > 0) out.push({ plan, window, rows });
    } catch (e) {
      this.options.warn({
        severity: 'error',
        code: 'spl.run-failed',
        message: `detection '${plan.detection.name}' failed while running: ${e instanceof Error ? e.message : String(e)}`,
        location: { file: plan.detection.origin.file, line: plan.detection.origin.pos.line },
      });
    }
  }

  stats(): SplRunnerStats {
    return { events: this.events, rowsKept: this.rowsKept, rowsDropped: this.rowsDropped, runs: this.runs, dataStart: this.dataStart, dataEnd: this.dataEnd };
  }
}
