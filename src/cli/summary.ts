/** The end-of-run summary of `vigil dump`: a few lines for people, and a JSON document for machines. */
import { formatDiagnostic } from '../core/diagnostics.js';
import type { DumpSummary } from './dump-run.js';
import { plural } from '../core/words.js';

const MB = 1024 * 1024;

function rate(n: number, seconds: number): number {
  return seconds > 0 ? n / seconds : 0;
}

export function formatSummary(s: DumpSummary, command = 'vigil dump'): string {
  const lines: string[] = [];
  const records = s.parsed + s.recovered;
  lines.push(`${command}: ${plural(s.inputs.length, 'input')}: ${s.filesRead} read, ${s.filesFailed} failed`);
  for (const i of s.inputs) {
    if (i.status === 'failed' && i.reason !== null) lines.push(`  failed: ${formatDiagnostic(i.reason)}`);
  }
  lines.push(
    `records: ${s.parsed} parsed, ${s.recovered} recovered, ${s.failed} failed; ${plural(s.warnings, 'warning')}` +
      (s.unlistedDiagnostics > 0 ? ` (${s.unlistedDiagnostics} not listed)` : ''),
  );
  lines.push(
    `read ${(s.bytes / MB).toFixed(1)} MB in ${s.seconds.toFixed(2)} s: ` +
      `${Math.round(rate(records, s.seconds))} records/s, ${rate(s.bytes / MB, s.seconds).toFixed(1)} MB/s`,
  );
  if (s.outputClosed) lines.push('output closed by its reader before the end; stopped early');
  if (s.outputError !== null) lines.push(`output failed: ${s.outputError}`);
  return lines.join('\n');
}

/** Machine-readable summary (`--summary-json`); stable key names, snake_case like the JSONL. */
export function summaryJson(s: DumpSummary): unknown {
  const records = s.parsed + s.recovered;
  return {
    files: { total: s.inputs.length, read: s.filesRead, failed: s.filesFailed },
    records: { parsed: s.parsed, recovered: s.recovered, failed: s.failed },
    warnings: s.warnings,
    bytes: s.bytes,
    seconds: Number(s.seconds.toFixed(3)),
    records_per_second: Math.round(rate(records, s.seconds)),
    mb_per_second: Number(rate(s.bytes / MB, s.seconds).toFixed(2)),
    diagnostics: { listed: s.listedDiagnostics, unlisted: s.unlistedDiagnostics },
    output: { closed_early: s.outputClosed, error: s.outputError },
    inputs: s.inputs.map((i) => ({
      name: i.name,
      status: i.status,
      format: i.format,
      bytes: i.bytes,
      parsed: i.parsed,
      recovered: i.recovered,
      failed: i.failed,
      warnings: i.warnings,
      reason: i.reason === null ? null : { code: i.reason.code, message: i.reason.message, location: i.reason.location },
    })),
  };
}
