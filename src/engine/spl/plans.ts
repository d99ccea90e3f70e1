/**
 * Splunk-style detections ready to run: each loaded detection's search is expanded, parsed and
 * compiled once. A detection that cannot run gets a report naming the reason and the place in
 * its file (an unsupported command names the command) — never silently dropped.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import { LocatedError } from '../../core/diagnostics.js';
import { checkDetectionSearch, deploymentFor, positionInValue, type ContentLoad, type Detection, type Scheduling } from '../../content/index.js';
import { expandMacros, originalOffset, type MacroLookup } from '../../spl/index.js';
import { compileSearch } from '../../spl/exec/compile.js';
import type { CompiledSearch } from '../../spl/exec/types.js';

/** ESCU's default schedule for TTP, Anomaly, Hunting and Correlation (splunk-iis-components.md §8). */
export const DEFAULT_SCHEDULING: Scheduling = { cronSchedule: '0 * * * *', earliestTime: '-70m@m', latestTime: '-10m@m', scheduleWindow: 'auto' };

export interface DetectionPlan {
  readonly detection: Detection;
  readonly search: CompiledSearch;
  readonly scheduling: Scheduling;
  /** Whether the detection's deployment raises risk events and notables (from its type when no deployment says). */
  readonly actions: { readonly risk: boolean; readonly notable: boolean };
}

export type DetectionStatus = 'runs' | 'not-runnable';

export interface DetectionReport {
  readonly name: string;
  readonly id: string;
  readonly file: string;
  readonly line: number;
  readonly status: DetectionStatus;
  readonly problems: readonly Diagnostic[];
}

export interface PlanSet {
  readonly plans: readonly DetectionPlan[];
  readonly reports: readonly DetectionReport[];
}

function defaultActions(type: string): { risk: boolean; notable: boolean } {
  switch (type) {
    case 'TTP':
      return { risk: true, notable: true };
    case 'Anomaly':
      return { risk: true, notable: false };
    case 'Correlation':
      return { risk: false, notable: true };
    default:
      return { risk: false, notable: false };
  }
}

function actionsOf(load: ContentLoad, d: Detection): { risk: boolean; notable: boolean } {
  const deployment = deploymentFor(load, d);
  if (deployment === null || deployment.alertActions.length === 0) return defaultActions(d.type);
  let risk = false;
  let notable = false;
  for (const a of deployment.alertActions) {
    if (a.kind === 'risk') risk ||= a.enabled;
    else if (a.kind === 'notable') notable = true;
  }
  return { risk: risk && d.risk !== null, notable };
}

/** Compiles every detection that is not deprecated; each gets exactly one report. */
export function planDetections(load: ContentLoad, lookup: MacroLookup, options: { includeDeprecated?: boolean } = {}): PlanSet {
  const plans: DetectionPlan[] = [];
  const reports: DetectionReport[] = [];
  for (const d of load.detections) {
    const base = { name: d.name, id: d.id, file: d.origin.file, line: d.origin.pos.line };
    if (d.status === 'deprecated' && options.includeDeprecated !== true) {
      reports.push({ ...base, status: 'not-runnable', problems: [{ severity: 'info', code: 'spl.deprecated', message: `detection '${d.name}' is deprecated; not run`, location: { file: d.origin.file, line: d.origin.pos.line } }] });
      continue;
    }
    const parsed = checkDetectionSearch(d, lookup);
    if (parsed.kind === 'failed') {
      reports.push({ ...base, status: 'not-runnable', problems: parsed.diagnostics });
      continue;
    }
    try {
      const search = compileSearch(parsed.ast);
      const scheduling = deploymentFor(load, d)?.scheduling ?? DEFAULT_SCHEDULING;
      plans.push({ detection: d, search, scheduling, actions: actionsOf(load, d) });
      reports.push({ ...base, status: 'runs', problems: [] });
    } catch (e) {
      reports.push({ ...base, status: 'not-runnable', problems: [locatedProblem(d, lookup, e)] });
    }
  }
  return { plans, reports };
}

/** Maps an executor error (offsets into the macro-expanded text) back to the detection file. */
function locatedProblem(d: Detection, lookup: MacroLookup, e: unknown): Diagnostic {
  const message = e instanceof Error ? e.message : String(e);
  const code = e instanceof LocatedError ? e.code : 'spl.compile-failed';
  let offset = 0;
  if (e instanceof LocatedError && e.location.offset !== undefined) {
    try {
      offset = originalOffset(expandMacros(d.search, lookup), e.location.offset);
    } catch {
      offset = 0;
    }
  }
  const pos = positionInValue(d.searchPositions, Math.min(offset, Math.max(0, d.search.length - 1)));
  return { severity: 'error', code, message: `detection '${d.name}': ${message}`, location: { file: d.origin.file, line: pos.line, column: pos.column } };
}
