/**
 * One input file through one engine: the part of `vigil hunt` that the main thread and every
 * hunt worker run alike (see hunt-run.ts and hunt-worker.ts), with the per-file counters both
 * report. Kept apart from the run so a worker loads only what it needs to read and match.
 */
import { countingInput } from '../../sources/input/counting-input.js';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { VigilEvent } from '../../core/event.js';
import type { Level } from '../../ir/nodes.js';
import { readWholeFile } from '../../sources/input/byte-stream.js';
import { readInput } from '../../sources/read.js';
import { countProblem, readerCrashed, type InputFile, type ReadOptions, type SourceItem } from '../../sources/source.js';
import type { Finding, HuntEngine } from './api.js';
import { addFilterCounts, emptyFilterCounts, type EventFilterCounts, type EventGate } from './filters.js';

/** Per-file counters, shared by the main-thread path and the worker thread. */
export interface FileCounter {
  events: number;
  failed: number;
  warnings: number;
  bytes: number;
  fatal: Diagnostic | null;
  engineErrors: number;
  /** Events the event filters left out; `events` counts them too (they were read). */
  filter: EventFilterCounts;
}

export function newCounter(): FileCounter {
  return { events: 0, failed: 0, warnings: 0, bytes: 0, fatal: null, engineErrors: 0, filter: emptyFilterCounts() };
}

/**
 * The counters of a file hunted in ranges (in file order), as one: sums, and the first range's
 * fatal problem (a range that failed fails the file, as it would have read whole).
 */
export function sumCounters(parts: readonly FileCounter[]): FileCounter {
  const total = newCounter();
  for (const c of parts) {
    total.events += c.events;
    total.failed += c.failed;
    total.warnings += c.warnings;
    total.bytes += c.bytes;
    total.engineErrors += c.engineErrors;
    total.fatal ??= c.fatal;
    addFilterCounts(total.filter, c.filter);
  }
  return total;
}

export function emptyLevelCounts(): Record<Level, number> {
  return { critical: 0, high: 0, medium: 0, low: 0, informational: 0 };
}

/**
 * Runs one batch of source items through an engine. Diagnostics go to `list`, findings to
 * `emit`. An engine that throws on an event loses that event only, reported with its location.
 */
export function matchBatch(
  batch: readonly SourceItem[],
  engine: HuntEngine,
  c: FileCounter,
  emit: (f: Finding) => void,
  list: (d: Diagnostic) => void,
  fatal: (d: Diagnostic) => void,
  observe?: (event: VigilEvent) => void,
  gate?: EventGate,
): void {
  for (const item of batch) {
    switch (item.kind) {
      case 'event':
        c.events++;
        if (gate !== undefined && !gate(item.event, c.filter)) break;
        try {
          engine.process(item.event, emit);
          observe?.(item.event);
        } catch (err) {
          c.engineErrors++;
          const p = item.event.provenance;
          fatal({
            severity: 'error',
            code: 'hunt.engine-failed',
            message: `matching failed on this event: ${err instanceof Error ? err.message : String(err)}`,
            location: { file: p.file, offset: p.offset, ...(p.recordId !== null ? { recordId: p.recordId } : {}) },
          });
        }
        break;
      default:
        countProblem(item, c, list, fatal);
    }
  }
}

/** Reads one file through the engine, batch by batch; `afterBatch` returning false stops it. */
export async function huntFile(
  input: InputFile,
  engine: HuntEngine,
  readOptions: ReadOptions,
  c: FileCounter,
  emit: (f: Finding) => void,
  list: (d: Diagnostic) => void,
  fatal: (d: Diagnostic) => void,
  afterBatch: () => Promise<boolean>,
  observe?: (event: VigilEvent) => void,
  gate?: EventGate,
): Promise<void> {
  let streamed = 0;
  const counted = input.size === null ? countingInput(input, (n) => (streamed += n)) : input;
  try {
    for await (const batch of readInput(counted, readOptions)) {
      matchBatch(batch, engine, c, emit, list, fatal, observe, gate);
      if (!(await afterBatch())) break;
    }
  } catch (err) {
    const d = readerCrashed(input.name, err);
    c.fatal ??= d;
    fatal(d);
  }
  c.bytes = input.size ?? streamed;
}

/**
 * A plain file, read as openInputs reads one (so workers and the main thread agree), but with
 * blocking reads: only hunt workers use it (see readFileRange).
 */
export function plainFileInput(name: string, path: string, size: number | null): InputFile {
  return { name, size, path, stream: () => readWholeFile(path) };
}

