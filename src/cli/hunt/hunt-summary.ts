/** The end-of-run summary of `vigil hunt`: a few lines for people, and a JSON document for machines. */
import { formatDiagnostic } from '../../core/diagnostics.js';
import { LEVELS, type HuntRunSummary } from './hunt-run.js';
import { totalsText, type RuleTotals } from './rule-reports.js';
import type { HuntEndTotals } from './hunt-end.js';

const MB = 1024 * 1024;

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function rate(n: number, seconds: number): number {
  return seconds > 0 ? n / seconds : 0;
}

export interface HuntSummary {
  readonly run: HuntRunSummary;
  readonly rules: RuleTotals;
  /** Seconds spent loading and compiling rules (before the first event). */
  readonly ruleSeconds: number;
  /** Splunk-style detections and risk, when the hunt ran any. */
  readonly end?: HuntEndTotals;
}

function endLines(e: HuntEndTotals): string[] {
  const lines: string[] = [];
  const d = e.detections;
  if (d !== null) {
    lines.push(
      `detections: ${d.detections} (${d.runnable} run, ${d.notRunnable} not runnable); ${plural(d.runs, 'run')}; ` +
        `${d.rowsKept} events kept by their searches${d.rowsDropped > 0 ? ` (${d.rowsDropped} over the cap, dropped)` : ''}; ${plural(d.resultRows, 'result row')}` +
        (d.warnings > 0 ? `; ${plural(d.warnings, 'warning')}` : ''),
    );
  }
  const k = e.risk;
  if (k !== null) {
    lines.push(
      `risk: ${plural(k.riskEvents, 'risk event')} (${k.fromDetections} from detections, ${k.fromSigma} from Sigma findings${k.dropped > 0 ? `, ${k.dropped} over the cap not kept` : ''}); ` +
        `${plural(k.entities, 'entity', 'entities')}; ${plural(k.notables, 'notable')}; ${plural(k.incidents, 'risk incident')}`,
    );
  }
  return lines;
}

export function formatHuntSummary(s: HuntSummary, command = 'vigil hunt'): string {
  const r = s.run;
  const lines: string[] = [];
  lines.push(`${command}: ${plural(r.inputs.length, 'input')}: ${r.filesRead} read, ${r.filesFailed} failed`);
  for (const i of r.inputs) {
    if (i.status === 'failed' && i.reason !== null) lines.push(`  failed: ${formatDiagnostic(i.reason)}`);
  }
  lines.push(`rules: ${totalsText(s.rules)}; loaded and compiled in ${s.ruleSeconds.toFixed(2)} s`);
  lines.push(
    `events: ${r.events} checked; ${r.failedRecords} records failed; ${plural(r.warnings, 'warning')}` +
      (r.unlistedDiagnostics > 0 ? ` (${r.unlistedDiagnostics} not listed)` : '') +
      (r.engineErrors > 0 ? `; ${r.engineErrors} events failed matching` : ''),
  );
  const byLevel = LEVELS.filter((l) => r.findings[l] > 0).map((l) => `${r.findings[l]} ${l}`);
  lines.push(`findings: ${r.findingsTotal}` + (byLevel.length > 0 ? ` (${byLevel.join(', ')})` : ''));
  if (s.end !== undefined) lines.push(...endLines(s.end));
  const how = r.mode === 'workers' ? `${r.threadsUsed} worker threads` : 'main thread';
  lines.push(
    `read ${(r.bytes / MB).toFixed(1)} MB in ${r.seconds.toFixed(2)} s (${how}): ` +
      `${Math.round(rate(r.events, r.seconds))} events/s, ${rate(r.bytes / MB, r.seconds).toFixed(1)} MB/s`,
  );
  if (r.outputClosed) lines.push('output closed by its reader before the end; stopped early');
  if (r.outputError !== null) lines.push(`output failed: ${r.outputError}`);
  return lines.join('\n');
}

/** Machine-readable summary (`--summary-json`); snake_case keys like the findings. */
export function huntSummaryJson(s: HuntSummary): unknown {
  const r = s.run;
  return {
    files: { total: r.inputs.length, read: r.filesRead, failed: r.filesFailed },
    rules: {
      documents: s.rules.documents,
      loaded: s.rules.loaded,
      loaded_with_warnings: s.rules.loadedWithWarnings,
      not_loaded: s.rules.notLoaded,
      not_applicable: s.rules.notApplicable,
      not_loaded_by_reason: Object.fromEntries(s.rules.notLoadedBy),
      seconds: Number(s.ruleSeconds.toFixed(3)),
    },
    events: r.events,
    failed_records: r.failedRecords,
    warnings: r.warnings,
    engine_errors: r.engineErrors,
    findings: { total: r.findingsTotal, ...r.findings },
    ...(s.end?.detections != null
      ? {
          detections: {
            total: s.end.detections.detections,
            runnable: s.end.detections.runnable,
            not_runnable: s.end.detections.notRunnable,
            runs: s.end.detections.runs,
            result_rows: s.end.detections.resultRows,
            rows_kept: s.end.detections.rowsKept,
            rows_dropped: s.end.detections.rowsDropped,
            warnings: s.end.detections.warnings,
          },
        }
      : {}),
    ...(s.end?.risk != null
      ? {
          risk: {
            risk_events: s.end.risk.riskEvents,
            from_detections: s.end.risk.fromDetections,
            from_sigma: s.end.risk.fromSigma,
            dropped: s.end.risk.dropped,
            entities: s.end.risk.entities,
            notables: s.end.risk.notables,
            incidents: s.end.risk.incidents,
          },
        }
      : {}),
    bytes: r.bytes,
    seconds: Number(r.seconds.toFixed(3)),
    events_per_second: Math.round(rate(r.events, r.seconds)),
    mb_per_second: Number(rate(r.bytes / MB, r.seconds).toFixed(2)),
    matching: { mode: r.mode, threads: r.threadsUsed },
    output: { closed_early: r.outputClosed, error: r.outputError },
    inputs: r.inputs.map((i) => ({
      name: i.name,
      status: i.status,
      bytes: i.bytes,
      events: i.events,
      failed: i.failed,
      warnings: i.warnings,
      reason: i.reason === null ? null : { code: i.reason.code, message: i.reason.message, location: i.reason.location },
    })),
  };
}
