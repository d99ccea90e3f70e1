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
  private readonly kept: Row[][][];
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
    this.kept = plans.map((p) => p.search.heads.map(() => []));
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
    this.headContext = this.context(Date.now() / 1000, null, null);
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
      const name = this.plans[slot.plan]!.detection.name;
      if (!this.capWarned.has(name)) {
        this.capWarned.add(name);
        this.options.warn({ severity: 'warning', code: 'spl.head-rows-capped', message: `detection '${name}': more than ${this.limits.maxHeadRows} matching events; later ones are counted, not kept`, location: { file: this.plans[slot.plan]!.detection.origin.file } });
      }
      return shared;
    }
    rows.push(shared ? copyRow(row) : row);
    this.rowsKept++;
    return true;
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
    const t = epochOf(event.time);
    if (t !== null) {
      if (this.dataStart === null || t < this.dataStart) this.dataStart = t;
      if (this.dataEnd === null || t > this.dataEnd) this.dataEnd = t;
    }
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
