/**
 * The Splunk-style side of `vigil hunt`: security_content detections run beside the Sigma rules.
 * Every event the hunt reads is offered to the detections' heads as it streams (`observe`); at the
 * end each detection's pipeline runs (over all time, or once per scheduled window with
 * `--replay-schedule`), and its result rows are printed as findings of their own.
 *
 * With hunt worker threads, each worker runs the same heads (`SplunkHeads`, built from the plain
 * `headsConfig`) over the files it reads and hands back each file's kept rows; the main thread
 * does the same for its own files (`localHeads`, a runner apart from the one that merges) and
 * merges every file's rows in input order (`addKept`) before `finish`, so the pipelines see
 * exactly the rows a one-thread run would have kept.
 */
import { formatDiagnostic, type Diagnostic } from '../../core/diagnostics.js';
import type { VigilEvent } from '../../core/event.js';
import type { DetectionReport } from '../../engine/spl/plans.js';
import { HEAD_ROWS_CAPPED, SplRunner, type DetectionRun, type KeptRows } from '../../engine/spl/runner.js';
import { detectionRecords, valueText, type DetectionRecord } from './detection-record.js';
import { loadContentSet, notRunnableLine, type ContentSet } from './content-set.js';
import { detectionFilter, type RuleFilter } from './filters.js';

export interface SplunkHuntOptions {
  /** security_content-shaped folders (`detections/`, `macros/`, ...). */
  readonly roots: readonly string[];
  /** The user's macro overrides (YAML or macros.conf). */
  readonly macrosFile?: string;
  readonly replaySchedule: boolean;
  readonly quiet: boolean;
  /** Where located problems go (one line each). */
  readonly report: (line: string) => void;
  /** The hunt's rule filters (id, tag, file, status, --detection-type); plain data, workers apply them too. */
  readonly ruleFilter?: RuleFilter;
}

/** What a hunt worker needs to build the same detections' heads (plain data, cloned into it). */
export interface SplunkHeadsConfig {
  readonly roots: readonly string[];
  readonly macrosFile?: string;
  readonly ruleFilter: RuleFilter | null;
  /** The main runner's `now()` for head tests, so relative times agree across threads. */
  readonly now: number;
}

export interface SplunkHuntTotals {
  readonly detections: number;
  readonly runnable: number;
  readonly notRunnable: number;
  readonly runs: number;
  readonly resultRows: number;
  readonly rowsKept: number;
  readonly rowsDropped: number;
  readonly warnings: number;
  /** Detections the filters left out (not in `detections`). */
  readonly excluded: number;
}

export class SplunkHunt {
  private results: DetectionRun[] = [];
  private heads: SplunkHeads | null = null;

  private constructor(
    readonly reports: readonly DetectionReport[],
    readonly excluded: number,
    private readonly set: ContentSet,
    private readonly runner: SplRunner,
    /** Run-time problems the runner reported (row caps, bad schedules, failed runs). */
    private readonly warned: { count: number },
    /** Counts and prints a run-time problem (the runner's, or one a worker's heads raised). */
    readonly warn: (d: Diagnostic) => void,
    private readonly options: SplunkHuntOptions,
  ) {}

  static async load(options: SplunkHuntOptions): Promise<SplunkHunt> {
    const set = await loadContentSet(options.roots, options.macrosFile, options.ruleFilter !== undefined ? detectionFilter(options.ruleFilter) : undefined);
    const quietly = (d: Diagnostic): void => {
      if (!options.quiet || d.severity === 'error') options.report(`vigil hunt: ${formatDiagnostic(d)}`);
    };
    for (const d of set.diagnostics) quietly(d);
    for (const r of set.reports) if (r.status === 'not-runnable' && !(options.quiet && r.problems.every((p) => p.severity === 'info'))) options.report(`vigil hunt: ${notRunnableLine(r)}`);
    const warned = { count: 0 };
    const warn = (d: Diagnostic): void => {
      warned.count++;
      quietly(d);
    };
    const runner = new SplRunner(set.plans, { replaySchedule: options.replaySchedule, lookups: set.lookups, warn });
    return new SplunkHunt(set.reports, set.excluded.length, set, runner, warned, warn, options);
  }

  /** Offered every event the hunt reads. */
  readonly observe = (event: VigilEvent): void => this.runner.process(event);

  /** For hunt workers: how to build the same heads there (SplunkHeads.load). */
  headsConfig(): SplunkHeadsConfig {
    const o = this.options;
    return {
      roots: [...o.roots],
      ...(o.macrosFile !== undefined ? { macrosFile: o.macrosFile } : {}),
      ruleFilter: o.ruleFilter ?? null,
      now: this.runner.headNow,
    };
  }

  /**
   * This thread's heads when files are also read by workers: a runner of their own, so one
   * file's rows never mix with the rows already merged here.
   */
  localHeads(): SplunkHeads {
    return (this.heads ??= SplunkHeads.over(this.set, this.runner.headNow, this.warn));
  }

  /** Appends rows kept elsewhere (a file's, from this thread or a worker); in input order. */
  readonly addKept = (part: KeptRows): void => this.runner.addKept(part);

  /** Runs every detection's pipeline over what its heads kept; returns the result rows as records. */
  finish(): DetectionRecord[] {
    this.results = this.runner.finish();
    return this.results.flatMap(detectionRecords);
  }

  get runs(): readonly DetectionRun[] {
    return this.results;
  }

  totals(): SplunkHuntTotals {
    const stats = this.runner.stats();
    const runnable = this.reports.filter((r) => r.status === 'runs').length;
    return {
      detections: this.reports.length,
      runnable,
      notRunnable: this.reports.length - runnable,
      runs: stats.runs,
      resultRows: this.results.reduce((n, r) => n + r.rows.length, 0),
      rowsKept: stats.rowsKept,
      rowsDropped: stats.rowsDropped,
      warnings: this.warned.count,
      excluded: this.excluded,
    };
  }
}

/**
 * The detections' heads alone, in a hunt worker: offered each event the worker reads; after each
 * file, `take` hands that file's kept rows to the main thread. Content problems are not reported
 * here (the main thread loaded the same content and reported them); run-time warnings go to
 * `warn`, except the row cap, which the main thread raises when it merges (the drops travel
 * with the rows).
 */
export class SplunkHeads {
  private constructor(private readonly runner: SplRunner) {}

  static async load(config: SplunkHeadsConfig, warn: (d: Diagnostic) => void): Promise<SplunkHeads> {
    const set = await loadContentSet(config.roots, config.macrosFile, config.ruleFilter !== null ? detectionFilter(config.ruleFilter) : undefined);
    return SplunkHeads.over(set, config.now, warn);
  }

  static over(set: Pick<ContentSet, 'plans' | 'lookups'>, now: number, warn: (d: Diagnostic) => void): SplunkHeads {
    const runner = new SplRunner(set.plans, {
      // Pipelines run where the parts are merged, not here.
      replaySchedule: false,
      lookups: set.lookups,
      now,
      warn: (d) => {
        if (d.code !== HEAD_ROWS_CAPPED) warn(d);
      },
    });
    return new SplunkHeads(runner);
  }

  readonly observe = (event: VigilEvent): void => this.runner.process(event);

  readonly take = (): KeptRows => this.runner.takeKept();
}

/** Fields shown in the table's last column for a result row (everything but the times). */
export function rowSummary(record: DetectionRecord, width = 400): string {
  const parts: string[] = [];
  let used = 0;
  for (const [k, v] of Object.entries(record.row)) {
    if (k === 'firstTime' || k === 'lastTime' || k === '_time') continue;
    const text = `${k}=${valueText(v)}`;
    parts.push(text);
    used += text.length + 1;
    if (used > width) break;
  }
  return parts.join(' ');
}

/** The time a result row is about: its lastTime (as ESCU prints it), else the run's time. */
export function rowTime(record: DetectionRecord): string {
  const last = record.row['lastTime'] ?? record.row['firstTime'];
  if (last !== undefined) return valueText(last);
  return record.run.time;
}
