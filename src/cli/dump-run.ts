/**
 * The `vigil dump` pipeline: open every input, read it in batches, write each event in the
 * chosen format, and account for every record (parsed, recovered, failed) and every input
 * (read, or failed with a reason). Shared by `dump` and `example`.
 */
import { countingInput } from '../sources/input/counting-input.js';
import { performance } from 'node:perf_hooks';
import type { Diagnostic } from '../core/diagnostics.js';
import { formatDiagnostic } from '../core/diagnostics.js';
import type { InputFormat } from '../core/event.js';
import { openInputs, readInput } from '../sources/read.js';
import { countProblem, readerCrashed } from '../sources/source.js';
import { preformattedText, type EvtxReadOptions } from '../sources/evtx/index.js';
import { createEventFormatter, eventTextFormat, renderingsFor, type EventFormatOptions } from './output/event-format.js';
import type { OutputSink } from './output/sink.js';

export interface DumpOptions extends EventFormatOptions {
  readonly paths: readonly string[];
  readonly inputFormat?: InputFormat;
  readonly recover: boolean;
  readonly threads: number;
  /** No per-record error lines (counts still complete). */
  readonly quiet: boolean;
  /** Cap on listed record errors and warnings; null lists all. */
  readonly maxErrors: number | null;
  readonly sink: OutputSink;
  /** Where diagnostics lines go (stderr in the CLI). */
  readonly report: (line: string) => void;
  /** The output file, never read as an input (a folder holding it would otherwise feed itself). */
  readonly outputPath?: string;
}

export interface InputSummary {
  readonly name: string;
  /** Format of the events read (from their provenance), null when none were read. */
  readonly format: InputFormat | null;
  readonly bytes: number;
  readonly parsed: number;
  readonly recovered: number;
  readonly failed: number;
  readonly warnings: number;
  /** `failed` when the input could not be read at all or stopped being readable. */
  readonly status: 'read' | 'failed';
  readonly reason: Diagnostic | null;
}

export interface DumpSummary {
  readonly inputs: readonly InputSummary[];
  readonly filesRead: number;
  readonly filesFailed: number;
  readonly parsed: number;
  readonly recovered: number;
  readonly failed: number;
  readonly warnings: number;
  readonly bytes: number;
  readonly seconds: number;
  /** Record errors and warnings listed on stderr / left unlisted by --max-errors or --quiet. */
  readonly listedDiagnostics: number;
  readonly unlistedDiagnostics: number;
  /** The output's reader went away before the end (e.g. `| head`). */
  readonly outputClosed: boolean;
  readonly outputError: string | null;
}

interface Counter {
  parsed: number;
  recovered: number;
  failed: number;
  warnings: number;
  format: InputFormat | null;
  fatal: Diagnostic | null;
}

export async function runDump(options: DumpOptions): Promise<DumpSummary> {
  const started = performance.now();
  const { sink, report } = options;
  const formatter = createEventFormatter(options);
  const readOptions: EvtxReadOptions = {
    ...(options.inputFormat !== undefined ? { inputFormat: options.inputFormat } : {}),
    recover: options.recover,
    threads: options.threads,
    renderings: renderingsFor(options),
    // EVTX worker threads write each event's text themselves; the main thread only counts and writes.
    eventText: eventTextFormat(options),
    // XML output reads only each record's tree: no flat fields are worked out for it.
    fieldsUnused: options.format === 'xml',
  };
  const inputs: InputSummary[] = [];
  let listed = 0;
  let unlisted = 0;
  const list = (d: Diagnostic): void => {
    if (options.quiet || (options.maxErrors !== null && listed >= options.maxErrors)) {
      unlisted++;
      return;
    }
    listed++;
    report(formatDiagnostic(d));
  };

  let discoveryWarnings = 0;
  await sink.write(formatter.header);
  // The output, if a file, is never read back (openInputs reports it as input.is-output).
  const openOptions = { ...(options.inputFormat !== undefined ? { inputFormat: options.inputFormat } : {}), ...(options.outputPath !== undefined ? { exclude: options.outputPath } : {}) };
  for await (const opened of openInputs([...options.paths], openOptions)) {
    if (sink.stopped) break;
    if ('error' in opened && opened.error.severity !== 'error') {
      // Something skipped while walking (a symlink loop, a folder too deep, the output file): no input lost.
      discoveryWarnings++;
      list(opened.error);
      continue;
    }
    if ('error' in opened) {
      report(formatDiagnostic(opened.error));
      inputs.push({
        name: opened.error.location.file,
        format: null,
        bytes: 0,
        parsed: 0,
        recovered: 0,
        failed: 0,
        warnings: 0,
        status: 'failed',
        reason: opened.error,
      });
      continue;
    }
    let streamedBytes = 0;
    const input = opened.size === null ? countingInput(opened, (n) => (streamedBytes += n)) : opened;
    const c: Counter = { parsed: 0, recovered: 0, failed: 0, warnings: 0, format: null, fatal: null };
    try {
      for await (const batch of readInput(input, readOptions)) {
        let text = '';
        for (const item of batch) {
          switch (item.kind) {
            case 'event': {
              if (item.event.provenance.recovered === true) c.recovered++;
              else c.parsed++;
              c.format ??= item.event.provenance.format;
              const done = preformattedText(item.event);
              text += done === null ? formatter.event(item.event) : formatter.eventText(done);
              break;
            }
            default:
              countProblem(item, c, list, (d) => report(formatDiagnostic(d)));
          }
        }
        await sink.write(text);
        if (sink.stopped) break;
      }
    } catch (err) {
      const d = readerCrashed(opened.name, err);
      c.fatal ??= d;
      report(formatDiagnostic(d));
    }
    inputs.push({
      name: opened.name,
      format: c.format,
      bytes: opened.size ?? streamedBytes,
      parsed: c.parsed,
      recovered: c.recovered,
      failed: c.failed,
      warnings: c.warnings,
      status: c.fatal === null ? 'read' : 'failed',
      reason: c.fatal,
    });
  }
  await sink.write(formatter.footer());
  await sink.close();

  const sum = (f: (i: InputSummary) => number): number => inputs.reduce((a, i) => a + f(i), 0);
  return {
    inputs,
    filesRead: inputs.filter((i) => i.status === 'read').length,
    filesFailed: inputs.filter((i) => i.status === 'failed').length,
    parsed: sum((i) => i.parsed),
    recovered: sum((i) => i.recovered),
    failed: sum((i) => i.failed),
    warnings: sum((i) => i.warnings) + discoveryWarnings,
    bytes: sum((i) => i.bytes),
    seconds: (performance.now() - started) / 1000,
    listedDiagnostics: listed,
    unlistedDiagnostics: unlisted,
    outputClosed: sink.readerClosed,
    outputError: sink.error?.message ?? null,
  };
}
