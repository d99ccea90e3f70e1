/** The end-of-run summary of `vigil hunt`: a few lines for people, and a JSON document for machines. */
import type { CacheOutcome } from './rule-cache.js';
import { formatDiagnostic } from '../../core/diagnostics.js';
import { LEVELS, type HuntRunSummary } from './hunt-run.js';
import { notLoadedLine, reasonCategory, reportLocation, totalsText, type ExcludedRule, type RuleTotals } from './rule-reports.js';
import type { HuntEndTotals } from './hunt-end.js';
import type { ParsedFiles, RuleReport } from './api.js';
import { filteredTotal } from './filters.js';
import { plural } from '../../core/words.js';

const MB = 1024 * 1024;

function rate(n: number, seconds: number): number {
  return seconds > 0 ? n / seconds : 0;
}

export interface HuntSummary {
  readonly run: HuntRunSummary;
  readonly rules: RuleTotals;
  /** Seconds spent loading and compiling rules (before the first event). */
  readonly ruleSeconds: number;
  /** Whether the Sigma rules came from the rule-set cache (rule-cache.ts); absent: not used. */
  readonly ruleCache?: CacheOutcome;
  /** On a miss of the rule-set cache: rule files parsed and files whose documents it kept (document-cache.ts). */
  readonly ruleFiles?: ParsedFiles | null;
  /** Splunk-style detections and risk, when the hunt ran any. */
  readonly end?: HuntEndTotals;
  /** Why the hunt runs as it does (one thread for a small input, V8's single-threaded mode), said beside how it ran. */
  readonly threadsNote?: string;
  /** Rules the filters left out, with reasons (listed in the JSON). */
  readonly excludedRules?: readonly ExcludedRule[];
  /** Rules that did not load, with reasons (listed in the JSON). */
  readonly notLoadedRules?: readonly RuleReport[];
  /** Rules listed in the text summary's hits per rule (default 10; the JSON lists all). */
  readonly topRules?: number;
  /** Files with bad records listed in the text summary (default 10; the JSON lists all). */
  readonly topFiles?: number;
}

/** How the rule cache served this load, if it did. */
function cacheNote(s: HuntSummary): string {
  if (s.ruleCache === 'hit') return ' (from the rule cache)';
  const files = s.ruleFiles;
  if (s.ruleCache !== 'miss' || files === undefined || files === null || files.reused === 0) return '';
  return ` (${files.parsed} of ${plural(files.parsed + files.reused, 'rule file')} parsed, the rest read from the rule cache)`;
}

/** `events: ...`: read and checked (when filters left some out), failures, warnings. */
function eventsLine(r: HuntRunSummary): string {
  const f = r.filtered;
  const left = filteredTotal(f);
  const by = [
    f.time > 0 ? `${f.time} outside --from/--to` : '',
    f.channel > 0 ? `${f.channel} by --channel` : '',
    f.eventId > 0 ? `${f.eventId} by --event-id` : '',
  ].filter((x) => x.length > 0);
  const counted = left > 0 || f.untimed > 0 ? `${r.events} read, ${r.events - left} checked (${left} filtered out${by.length > 0 ? `: ${by.join(', ')}` : ''})` : `${r.events} checked`;
  return (
    `events: ${counted}` +
    (f.untimed > 0 ? `; ${plural(f.untimed, 'event')} without a time kept` : '') +
    `; ${r.failedRecords} records failed; ${plural(r.warnings, 'warning')}` +
    (r.unlistedDiagnostics > 0 ? ` (${r.unlistedDiagnostics} not listed)` : '') +
    (r.engineErrors > 0 ? `; ${r.engineErrors} events failed matching` : '')
  );
}

/** The rules with most findings, one a line, when there are findings. */
function hitLines(r: HuntRunSummary, top: number): string[] {
  if (r.ruleHits.length === 0 || top <= 0) return [];
  const shown = r.ruleHits.slice(0, top);
  const width = String(shown[0]?.hits ?? 0).length;
  const head = r.ruleHits.length > shown.length ? `hits per rule (top ${shown.length} of ${r.ruleHits.length}):` : 'hits per rule:';
  return [head, ...shown.map((h) => `  ${String(h.hits).padStart(width)}  ${h.level.padEnd(13)} ${h.title} (${h.id})`)];
}

/** Files that had bad records or warnings (failed files are listed with their reason above). */
function fileLines(r: HuntRunSummary, top: number): string[] {
  const troubled = r.inputs.filter((i) => i.status === 'read' && (i.failed > 0 || i.warnings > 0));
  if (troubled.length === 0 || top <= 0) return [];
  const lines = troubled.slice(0, top).map((i) => `  ${i.name}: ${i.events} events, ${i.failed} records failed, ${plural(i.warnings, 'warning')}`);
  if (troubled.length > top) lines.push(`  ... and ${troubled.length - top} more (see --summary-json)`);
  return ['files with bad records:', ...lines];
}

function endLines(e: HuntEndTotals): string[] {
  const lines: string[] = [];
  const d = e.detections;
  if (d !== null) {
    lines.push(
      `detections: ${d.detections} (${d.runnable} run, ${d.notRunnable} not runnable${d.excluded > 0 ? `, ${d.excluded} excluded by filters` : ''}); ${plural(d.runs, 'run')}; ` +
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
  lines.push(...fileLines(r, s.topFiles ?? 10));
  lines.push(`rules: ${totalsText(s.rules)}; loaded and compiled in ${s.ruleSeconds.toFixed(2)} s${cacheNote(s)}`);
  lines.push(eventsLine(r));
  const byLevel = LEVELS.filter((l) => r.findings[l] > 0).map((l) => `${r.findings[l]} ${l}`);
  lines.push(`findings: ${r.findingsTotal}` + (byLevel.length > 0 ? ` (${byLevel.join(', ')})` : ''));
  lines.push(...hitLines(r, s.topRules ?? 10));
  if (s.end !== undefined) lines.push(...endLines(s.end));
  const how =
    (r.mode === 'workers' ? `${r.threadsUsed} threads: the main thread and ${r.threadsUsed - 1} worker${r.threadsUsed === 2 ? '' : 's'}` : 'main thread') +
    (s.threadsNote !== undefined ? `; ${s.threadsNote}` : '');
  lines.push(
    `read ${(r.bytes / MB).toFixed(1)} MB in ${r.seconds.toFixed(2)} s (${how}): ` +
      `${Math.round(rate(r.events, r.seconds))} events/s, ${rate(r.bytes / MB, r.seconds).toFixed(1)} MB/s; ` +
      `time taken ${(s.ruleSeconds + r.seconds).toFixed(2)} s with rule loading`,
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
      excluded: s.rules.excluded,
      excluded_by_reason: Object.fromEntries(s.rules.excludedBy),
      seconds: Number(s.ruleSeconds.toFixed(3)),
      cache: s.ruleCache ?? 'off',
      files_parsed: s.ruleFiles?.parsed ?? null,
      files_from_cache: s.ruleFiles?.reused ?? null,
      not_loaded_rules: (s.notLoadedRules ?? []).map((x) => ({
        id: x.id ?? null,
        title: x.title ?? null,
        location: reportLocation(x),
        reason_category: reasonCategory(x),
        reason: notLoadedLine(x),
      })),
      excluded_rules: (s.excludedRules ?? []).map((x) => ({ id: x.id, title: x.title, file: x.file, line: x.line ?? null, reason: x.reason, message: x.message })),
    },
    hits_per_rule: r.ruleHits.map((h) => ({ id: h.id, title: h.title, level: h.level, hits: h.hits })),
    events: r.events,
    events_filtered: {
      total: filteredTotal(r.filtered),
      time: r.filtered.time,
      channel: r.filtered.channel,
      event_id: r.filtered.eventId,
      untimed_kept: r.filtered.untimed,
    },
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
            excluded: s.end.detections.excluded,
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
    total_seconds: Number((r.seconds + s.ruleSeconds).toFixed(3)),
    end_seconds: Number(r.endSeconds.toFixed(3)),
    events_per_second: Math.round(rate(r.events, r.seconds)),
    mb_per_second: Number(rate(r.bytes / MB, r.seconds).toFixed(2)),
    matching: { mode: r.mode, threads: r.threadsUsed, ...(s.threadsNote !== undefined ? { note: s.threadsNote } : {}) },
    output: { closed_early: r.outputClosed, error: r.outputError },
    inputs: r.inputs.map((i) => ({
      name: i.name,
      status: i.status,
      bytes: i.bytes,
      events: i.events,
      failed: i.failed,
      warnings: i.warnings,
      filtered: i.filtered,
      reason: i.reason === null ? null : { code: i.reason.code, message: i.reason.message, location: i.reason.location },
    })),
  };
}
