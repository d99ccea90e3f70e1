/**
 * The Splunk-style side of `vigil hunt`: security_content detections run beside the Sigma rules.
 * Every event the hunt reads is offered to the detections' heads as it streams (`observe`); at the
 * end each detection's pipeline runs (over all time, or once per scheduled window with
 * `--replay-schedule`), and its result rows are printed as findings of their own.
 */
import { formatDiagnostic, type Diagnostic } from '../../core/diagnostics.js';
import type { VigilEvent } from '../../core/event.js';
import type { DetectionReport } from '../../engine/spl/plans.js';
import { SplRunner, type DetectionRun } from '../../engine/spl/runner.js';
import { detectionRecords, valueText, type DetectionRecord } from './detection-record.js';
import { loadContentSet, notRunnableLine, type ContentFilter } from './content-set.js';

export interface SplunkHuntOptions {
  /** security_content-shaped folders (`detections/`, `macros/`, ...). */
  readonly roots: readonly string[];
  /** The user's macro overrides (YAML or macros.conf). */
  readonly macrosFile?: string;
  readonly replaySchedule: boolean;
  readonly quiet: boolean;
  /** Where located problems go (one line each). */
  readonly report: (line: string) => void;
  /** The hunt's rule filters (id, tag, file, status, --detection-type). */
  readonly filter?: ContentFilter;
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

  private constructor(
    readonly reports: readonly DetectionReport[],
    readonly excluded: number,
    private readonly runner: SplRunner,
    /** Run-time problems the runner reported (row caps, bad schedules, failed runs). */
    private readonly warned: { count: number },
  ) {}

  static async load(options: SplunkHuntOptions): Promise<SplunkHunt> {
    const set = await loadContentSet(options.roots, options.macrosFile, options.filter);
    const quietly = (d: Diagnostic): void => {
      if (!options.quiet || d.severity === 'error') options.report(`vigil hunt: ${formatDiagnostic(d)}`);
    };
    for (const d of set.diagnostics) quietly(d);
    for (const r of set.reports) if (r.status === 'not-runnable' && !(options.quiet && r.problems.every((p) => p.severity === 'info'))) options.report(`vigil hunt: ${notRunnableLine(r)}`);
    const warned = { count: 0 };
    const runner = new SplRunner(set.plans, {
      replaySchedule: options.replaySchedule,
      lookups: set.lookups,
      warn: (d) => {
        warned.count++;
        quietly(d);
      },
    });
    return new SplunkHunt(set.reports, set.excluded.length, runner, warned);
  }

  /** Offered every event the hunt reads. */
  readonly observe = (event: VigilEvent): void => this.runner.process(event);

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
