/**
 * The `vigil hunt` pipeline: open every input, stream its events through the compiled rules,
 * and write each finding as soon as its batch is done. Every input is accounted for (read, or
 * failed with a reason) and every record (matched against, or failed with a reason).
 *
 * Threads: with `threads > 1`, no correlation rule and more than one input, the main thread and
 * `threads - 1` worker threads each hunt whole files: a worker compiles its own engine (see
 * hunt-worker.ts) and sends back formatted findings, and the main thread uses the engine it
 * already has, so N threads hold N engines, not N + 1. A rule set with correlations runs its
 * matching on the main thread, because correlation state must see every event of every file,
 * and so does a single input; EVTX chunk parsing still uses `threads` workers there.
 *
 * An observer of every event (the Splunk-style detections' heads) keeps the run on the main
 * thread, unless it comes with `observeInWorkers`: then every worker builds the same observer,
 * each thread hands back what it collected per file, and the parts are merged in input order
 * (each as soon as every earlier file's part is in), which is what one thread reading the files
 * in order would have kept.
 */
import { countingInput } from '../../sources/input/counting-input.js';
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { formatDiagnostic, type Diagnostic } from '../../core/diagnostics.js';
import type { InputFormat, VigilEvent } from '../../core/event.js';
import type { Level, Rule } from '../../ir/nodes.js';
import { readFileRange } from '../../sources/input/byte-stream.js';
import { openInputs, readInput, type OpenedInput } from '../../sources/read.js';
import type { InputFile, ReadOptions, SourceItem } from '../../sources/source.js';
import type { OutputSink } from '../output/sink.js';
import { Spill } from '../output/spill.js';
import type { Finding, HuntBackend, HuntEngine } from './api.js';
import type { FindingFormatter, HuntFormat, TableStyle } from './finding-format.js';
import { findingRecord } from './finding-record.js';
import { FindingRisk } from './finding-risk.js';
import type { EncodedRisk } from './held-risk.js';
import { RiskUnpacker } from './risk-transfer.js';
import type { WorkerInit, WorkerReply, WorkerTask } from './hunt-worker.js';
import type { KeptRows } from '../../engine/spl/runner.js';
import type { SplunkHeadsConfig } from './splunk-hunt.js';
import { addFilterCounts, emptyFilterCounts, eventGate, filteredTotal, type EventFilterCounts, type EventFilterSpec, type EventGate } from './filters.js';
import { RuleHitCounter, type RuleHit } from './rule-reports.js';
import type { ProgressState } from '../output/progress.js';
import { assertNever } from '../../core/xml-tree.js';

export const LEVELS: readonly Level[] = ['critical', 'high', 'medium', 'low', 'informational'];

/** Record problems listed per input before the rest are only counted (`--quiet` lists none). */
export const LISTED_PER_FILE = 10;

export interface HuntRunOptions {
  readonly paths: readonly string[];
  /** How the table and CSV formatters render (colour, width, zone); workers build theirs from it. */
  readonly tableStyle?: TableStyle;
  /** Rules that loaded and compiled; the run compiles them again per worker thread. */
  readonly rules: readonly Rule[];
  /** The engine for the main thread (already compiled from `rules`). */
  readonly engine: HuntEngine;
  readonly format: HuntFormat;
  readonly formatter: FindingFormatter;
  readonly inputFormat?: InputFormat;
  readonly threads: number;
  /** Module the worker threads compile rules with (default: the real engine). Tests pass a fake. */
  readonly workerEngineModule?: string;
  readonly quiet: boolean;
  readonly sink: OutputSink;
  readonly report: (line: string) => void;
  readonly outputPath?: string;
  /**
   * Sees every event after the rules did (the Splunk-style detections' heads). Alone, it keeps
   * matching on the main thread, as with correlations: the observer must see every event here.
   */
  readonly observe?: (event: VigilEvent) => void;
  /** `observe` as the hunt workers can run it too (see ObserverInWorkers); allows file workers. */
  readonly observeInWorkers?: ObserverInWorkers;
  /**
   * Called once after the last input, before the output closes (end-of-run results). With
   * `atEndTakesFindings`, `held` is the findings' text, for `atEnd` to read (once).
   */
  readonly atEnd?: (write: (text: string) => Promise<boolean>, held?: Spill) => Promise<void>;
  /**
   * Holds the findings back (in a temporary file) and writes them after what `atEnd` writes,
   * so a report can open with results known only at the end (risk-ranked entities).
   */
  readonly atEndFirst?: boolean;
  /** Holds the findings back for `atEnd` to turn into its output (the HTML report); they are not printed. */
  readonly atEndTakesFindings?: boolean;
  /** Receives the risk events of every Sigma finding (computed where the finding was made). */
  readonly onRisk?: (events: readonly EncodedRisk[]) => void;
  /** `--from`/`--to`/`--channel`/`--event-id`: events left out before any rule or detection sees them. */
  readonly eventFilter?: EventFilterSpec | null;
  /** Told what is done so far, after every batch and file (the progress bar throttles itself). */
  readonly progress?: (state: ProgressState) => void;
}

/**
 * The Splunk-style detections' heads, split so files can be read on any thread: every worker
 * builds the same heads from `config`; after each file a thread hands over that file's part
 * (the main thread reads its own files through `observe` and hands them over with `take`);
 * `merge` gets the parts in input order, all of them before `atEnd`.
 */
export interface ObserverInWorkers {
  /** Plain data cloned into each worker (see splunk-hunt.ts SplunkHeads). */
  readonly config: SplunkHeadsConfig;
  /** Offered the main thread's events in worker mode (instead of HuntRunOptions.observe). */
  readonly observe: (event: VigilEvent) => void;
  /** What `observe` collected since the last take. */
  readonly take: () => KeptRows;
  readonly merge: (part: KeptRows) => void;
  /** Run-time warnings the workers' heads raised (counted and printed like the main thread's). */
  readonly warn: (d: Diagnostic) => void;
}

export interface HuntInputSummary {
  readonly name: string;
  readonly bytes: number;
  readonly events: number;
  readonly failed: number;
  readonly warnings: number;
  /** Events the event filters left out. */
  readonly filtered: number;
  readonly status: 'read' | 'failed';
  readonly reason: Diagnostic | null;
}

export interface HuntRunSummary {
  readonly inputs: readonly HuntInputSummary[];
  readonly filesRead: number;
  readonly filesFailed: number;
  readonly events: number;
  readonly failedRecords: number;
  readonly warnings: number;
  readonly bytes: number;
  /** Events the engine threw on (a bug): counted and listed, the run goes on. */
  readonly engineErrors: number;
  readonly findings: Readonly<Record<Level, number>>;
  readonly findingsTotal: number;
  readonly seconds: number;
  /** How matching ran: `main` (one engine) or `workers` (N engines, whole files each). */
  readonly mode: 'main' | 'workers';
  readonly threadsUsed: number;
  readonly unlistedDiagnostics: number;
  readonly outputClosed: boolean;
  readonly outputError: string | null;
  /** Events the event filters left out (by filter), and untimed events kept under --from/--to. */
  readonly filtered: EventFilterCounts;
  /** Findings per rule, most first. */
  readonly ruleHits: readonly RuleHit[];
}

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
      case 'record-error':
        c.failed++;
        list(item.diagnostic);
        break;
      case 'warning':
        c.warnings++;
        list(item.diagnostic);
        break;
      case 'fatal':
        c.fatal ??= item.diagnostic;
        fatal(item.diagnostic);
        break;
      default:
        return assertNever(item, 'source item');
    }
  }
}

function sameFileAs(outputPath: string | undefined): (p: string | null) => boolean {
  if (outputPath === undefined) return () => false;
  let id: { dev: number; ino: number } | null = null;
  try {
    const st = statSync(outputPath);
    id = { dev: st.dev, ino: st.ino };
  } catch {
    return () => false;
  }
  return (p) => {
    if (p === null || id === null) return false;
    try {
      const st = statSync(p);
      return st.dev === id.dev && st.ino === id.ino;
    } catch {
      return false;
    }
  };
}

/** Reads one plain file through the engine (used by the worker thread). */
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
    // A reader must not throw for bad input; if one does, the file still gets a located reason.
    const d: Diagnostic = {
      severity: 'error',
      code: 'input.reader-crashed',
      message: `reading stopped: ${err instanceof Error ? err.message : String(err)}`,
      location: { file: input.name },
    };
    c.fatal ??= d;
    fatal(d);
  }
  c.bytes = input.size ?? streamed;
}

/** A plain file read the way openInputs reads one (so workers and the main thread agree). */
export function plainFileInput(name: string, path: string, size: number | null): InputFile {
  return { name, size, path, stream: () => readFileRange(path) };
}

/** Yields the first items already taken from `rest`, then the rest. */
async function* prepend<T>(head: readonly T[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield* head;
  for (let n = await rest.next(); n.done !== true; n = await rest.next()) yield n.value;
}

export async function runHunt(options: HuntRunOptions): Promise<HuntRunSummary> {
  const started = performance.now();
  const { sink, report, formatter } = options;
  const openOptions = options.inputFormat !== undefined ? { inputFormat: options.inputFormat } : {};
  // Look at the first two inputs: one input gains nothing from file workers, but its EVTX
  // chunks can still be parsed on `threads` threads while matching stays here.
  const opening = openInputs([...options.paths], openOptions)[Symbol.asyncIterator]();
  const head: OpenedInput[] = [];
  for (let n = await opening.next(); n.done !== true; n = await opening.next()) {
    head.push(n.value);
    if (head.length >= 2) break;
  }
  const hasCorrelations = options.rules.some((r) => r.kind === 'correlation');
  const inWorkers = options.observeInWorkers;
  const observerAllowsWorkers = options.observe === undefined || inWorkers !== undefined;
  const useWorkers = options.threads > 1 && !hasCorrelations && observerAllowsWorkers && options.formatter.workerSafe && head.length >= 2;
  const splitObserver = useWorkers && options.observe !== undefined && inWorkers !== undefined ? inWorkers : null;
  // Each file's observed part, by input slot, merged in the order the files were found as soon
  // as every earlier file's part is in: only files that finished early wait here.
  const observed = new Map<number, KeptRows | null>();
  const partOrder: number[] = [];
  let partsMerged = 0;
  const partDone = (slot: number, part: KeptRows | null): void => {
    if (splitObserver === null) return;
    observed.set(slot, part);
    for (let next = partOrder[partsMerged]; next !== undefined && observed.has(next); next = partOrder[partsMerged]) {
      const ready = observed.get(next)!;
      observed.delete(next);
      partsMerged++;
      if (ready !== null) splitObserver.merge(ready);
    }
  };
  const readOptions: ReadOptions = {
    ...(options.inputFormat !== undefined ? { inputFormat: options.inputFormat } : {}),
    // Chunk-parsing threads only help when matching stays on this thread.
    threads: useWorkers ? 1 : options.threads,
  };
  const inputs: HuntInputSummary[] = [];
  const findings = emptyLevelCounts();
  let findingsTotal = 0;
  let unlisted = 0;
  let discoveryWarnings = 0;
  let engineErrors = 0;
  // A damaged file can fail thousands of records: list the first few per file, count the rest.
  const listedPerFile = new Map<string, number>();
  const list = (d: Diagnostic): void => {
    if (options.quiet) {
      unlisted++;
      return;
    }
    const file = d.location.file;
    const n = (listedPerFile.get(file) ?? 0) + 1;
    if (listedPerFile.size < 100_000 || listedPerFile.has(file)) listedPerFile.set(file, n);
    if (n <= LISTED_PER_FILE) report(formatDiagnostic(d));
    else unlisted++;
    if (n === LISTED_PER_FILE + 1) report(`${file}: more record problems not listed; the summary counts them (--summary-json has them per file)`);
  };
  const always = (d: Diagnostic): void => report(formatDiagnostic(d));

  let pending = '';
  const ruleHits = new RuleHitCounter();
  const filtered = emptyFilterCounts();
  const gate = options.eventFilter != null ? eventGate(options.eventFilter) : undefined;
  // Progress: what finished files add up to, plus the file being read on this thread.
  // Worker threads report the events of the file they are on (by input slot) as they go.
  const done = { files: 0, bytes: 0, events: 0 };
  const workerEvents = new Map<number, number>();
  const tellProgress = (current?: FileCounter): void => {
    if (options.progress === undefined) return;
    let events = done.events + (current?.events ?? 0);
    for (const n of workerEvents.values()) events += n;
    options.progress({ filesDone: done.files, bytesDone: done.bytes, events });
  };
  const findingRisk = options.onRisk !== undefined ? new FindingRisk(list) : null;
  const emit = (f: Finding): void => {
    const record = findingRecord(f);
    if (findingRisk !== null) options.onRisk?.(findingRisk.encoded(record, f));
    findings[record.rule.level]++;
    findingsTotal++;
    ruleHits.add(record.rule.id, record.rule.title, record.rule.level);
    pending += formatter.finding(record, f);
  };
  const holds = options.atEndFirst === true || options.atEndTakesFindings === true;
  const spill = holds && options.atEnd !== undefined ? await Spill.create() : null;
  const out = async (text: string): Promise<void> => (spill !== null ? spill.write(text) : sink.write(text));
  const flushPending = async (): Promise<boolean> => {
    if (pending.length > 0) {
      const text = pending;
      pending = '';
      await out(text);
    }
    return !sink.stopped;
  };

  const isOutput = sameFileAs(options.outputPath);
  await out(formatter.header);
  const pool = useWorkers ? new HuntWorkerPool(options, options.threads - 1) : null;
  const workerJobs: Promise<void>[] = [];
  try {
    for await (const opened of prepend(head, opening)) {
      if (sink.stopped) break;
      if ('error' in opened && opened.error.severity !== 'error') {
        discoveryWarnings++;
        list(opened.error);
        continue;
      }
      if ('error' in opened) {
        always(opened.error);
        inputs.push({ name: opened.error.location.file, bytes: 0, events: 0, failed: 0, warnings: 0, filtered: 0, status: 'failed', reason: opened.error });
        continue;
      }
      if (isOutput(opened.path)) {
        discoveryWarnings++;
        list({ severity: 'warning', code: 'input.is-output', message: `${opened.name} is the output file; not read`, location: { file: opened.name } });
        continue;
      }
      const slot = inputs.length;
      inputs.push({ name: opened.name, bytes: 0, events: 0, failed: 0, warnings: 0, filtered: 0, status: 'read', reason: null });
      if (splitObserver !== null) partOrder.push(slot);
      // A worker that died mid-file sent no part: that file adds no rows.
      let part: KeptRows | null = null;
      const settle = (c: FileCounter): void => {
        partDone(slot, part);
        workerEvents.delete(slot);
        engineErrors += c.engineErrors;
        addFilterCounts(filtered, c.filter);
        done.files++;
        done.bytes += c.bytes;
        done.events += c.events;
        tellProgress();
        inputs[slot] = {
          name: opened.name,
          bytes: c.bytes,
          events: c.events,
          failed: c.failed,
          warnings: c.warnings,
          filtered: filteredTotal(c.filter),
          status: c.fatal === null ? 'read' : 'failed',
          reason: c.fatal,
        };
      };
      // The main thread is one of the `threads` matchers: a file goes to the workers while
      // their queue has room, else this thread hunts it (one engine fewer in memory).
      if (pool !== null && opened.path !== null && pool.hasRoomNow()) {
        const task: WorkerTask = { name: opened.name, path: opened.path, size: opened.size };
        workerJobs.push(
          pool.run(task, {
            onText: async (text, levels, risk, hits) => {
              if (risk.length > 0) options.onRisk?.(risk);
              ruleHits.merge(hits);
              for (const l of LEVELS) {
                findings[l] += levels[l];
                findingsTotal += levels[l];
              }
              await out(text);
            },
            onDiagnostic: (d, listed) => (listed ? always(d) : list(d)),
            onProgress: (events) => {
              workerEvents.set(slot, events);
              tellProgress();
            },
            onObserved: (kept) => {
              part = kept;
            },
            onObserverWarning: (d) => splitObserver?.warn(d),
          }).then(settle),
        );
        continue;
      }
      const c = newCounter();
      const afterBatch = async (): Promise<boolean> => {
        tellProgress(c);
        return flushPending();
      };
      await huntFile(opened, options.engine, readOptions, c, emit, list, always, afterBatch, splitObserver?.observe ?? options.observe, gate);
      if (splitObserver !== null) part = splitObserver.take();
      settle(c);
    }
    await Promise.all(workerJobs);
    if (splitObserver !== null && partsMerged !== partOrder.length) throw new Error(`internal: ${partOrder.length - partsMerged} files' observed rows were not merged`);
    options.engine.flush(emit);
    await flushPending();
    const toSink = async (text: string): Promise<boolean> => {
      await sink.write(text);
      return !sink.stopped;
    };
    if (options.atEnd !== undefined && !sink.stopped) await options.atEnd(toSink, options.atEndTakesFindings === true && spill !== null ? spill : undefined);
    if (spill !== null && options.atEndTakesFindings !== true && !sink.stopped) await spill.drainTo(toSink);
  } finally {
    await pool?.close();
    await spill?.discard();
  }
  await sink.close();

  const sum = (f: (i: HuntInputSummary) => number): number => inputs.reduce((a, i) => a + f(i), 0);
  return {
    inputs,
    filesRead: inputs.filter((i) => i.status === 'read').length,
    filesFailed: inputs.filter((i) => i.status === 'failed').length,
    events: sum((i) => i.events),
    failedRecords: sum((i) => i.failed),
    warnings: sum((i) => i.warnings) + discoveryWarnings,
    bytes: sum((i) => i.bytes),
    engineErrors,
    findings,
    findingsTotal,
    seconds: (performance.now() - started) / 1000,
    mode: useWorkers ? 'workers' : 'main',
    threadsUsed: useWorkers ? options.threads : 1,
    unlistedDiagnostics: unlisted,
    outputClosed: sink.readerClosed,
    outputError: sink.error?.message ?? null,
    filtered,
    ruleHits: ruleHits.sorted(),
  };
}

interface TaskHandlers {
  onText(text: string, levels: Readonly<Record<Level, number>>, risk: readonly EncodedRisk[], hits: readonly RuleHit[]): Promise<void>;
  /** `listed` true for diagnostics that are always shown (fatal), false for per-record ones. */
  onDiagnostic(d: Diagnostic, listed: boolean): void;
  /** Events read so far in the file (for the progress line). */
  onProgress(events: number): void;
  /** What the worker's observer collected over the file (sent before 'done'). */
  onObserved(part: KeptRows): void;
  onObserverWarning(d: Diagnostic): void;
}

interface Running {
  readonly handlers: TaskHandlers;
  readonly resolve: (c: FileCounter) => void;
  readonly task: WorkerTask;
  /** Serialises output writes so findings of one file stay in order. */
  chain: Promise<void>;
}

/**
 * Files posted to one worker ahead of time. The worker runs them back to back, so it never
 * waits for the main thread (busy hunting a file of its own) to hand it the next one.
 */
const FILES_IN_FLIGHT_PER_WORKER = 4;

type Queued = { readonly task: WorkerTask; readonly handlers: TaskHandlers; readonly resolve: (c: FileCounter) => void };

/**
 * A fixed pool of hunt workers; each takes whole files, up to FILES_IN_FLIGHT_PER_WORKER
 * posted ahead and run in order. Rules are cloned into each worker once (workerData) and
 * compiled there. A worker that dies fails the file it was on with a located reason; the files
 * posted behind it go back to the queue, and the worker is replaced.
 */
class HuntWorkerPool {
  /** Each live worker's posted files, oldest (the one it is on) first. */
  private readonly inFlight = new Map<Worker, Running[]>();
  private readonly queue: Queued[] = [];
  private readonly init: WorkerInit;
  private closed = false;
  /** Replacements allowed before the pool gives up (a worker that cannot start must not loop). */
  private respawnBudget: number;

  constructor(options: HuntRunOptions, size: number) {
    this.respawnBudget = 2 * size;
    this.init = {
      rules: options.rules,
      format: options.format,
      ...(options.inputFormat !== undefined ? { inputFormat: options.inputFormat } : {}),
      engineModule: options.workerEngineModule ?? new URL('../../engine/index.js', import.meta.url).href,
      risk: options.onRisk !== undefined,
      eventFilter: options.eventFilter ?? null,
      ...(options.tableStyle !== undefined ? { style: options.tableStyle } : {}),
      ...(options.observe !== undefined && options.observeInWorkers !== undefined ? { heads: options.observeInWorkers.config } : {}),
    };
    this.size = size;
  }

  /** Workers are started on demand, up to `size`, so a short run compiles fewer engines. */
  private readonly size: number;
  private started = 0;

  run(task: WorkerTask, handlers: TaskHandlers): Promise<FileCounter> {
    return new Promise((resolve) => {
      this.queue.push({ task, handlers, resolve });
      if (this.broken !== null) this.failQueued(this.broken);
      else this.dispatch();
    });
  }

  /** Set once no worker can run any more; later files fail with this reason. */
  private broken: string | null = null;

  private failQueued(reason: string): void {
    for (const q of this.queue.splice(0)) {
      const c = newCounter();
      c.fatal = { severity: 'error', code: 'hunt.worker-failed', message: `no worker could run: ${reason}`, location: { file: q.task.name } };
      q.handlers.onDiagnostic(c.fatal, true);
      q.resolve(c);
    }
  }

  /**
   * Whether a file given now would be posted at once: nothing waits in the queue and some
   * worker (started or still to start) has fewer than FILES_IN_FLIGHT_PER_WORKER files.
   * Otherwise the main thread hunts the file itself.
   */
  hasRoomNow(): boolean {
    if (this.broken !== null || this.queue.length > 0) return false;
    if (this.started < this.size) return true;
    for (const posted of this.inFlight.values()) if (posted.length < FILES_IN_FLIGHT_PER_WORKER) return true;
    return false;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.inFlight.keys()];
    await Promise.all(all.map((w) => w.terminate()));
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./hunt-worker.js', import.meta.url), { workerData: this.init });
    this.inFlight.set(worker, []);
    // Its messages are unpacked in the order they come (a rule is numbered in the first that uses it).
    const risk = new RiskUnpacker();
    worker.on('message', (reply: WorkerReply) => this.onReply(worker, reply, risk));
    let dead = false;
    const retire = (err: unknown): void => {
      if (dead) return;
      dead = true;
      const posted = this.inFlight.get(worker) ?? [];
      this.inFlight.delete(worker);
      const job = posted.shift();
      if (job !== undefined) {
        const c = newCounter();
        c.fatal = {
          severity: 'error',
          code: 'hunt.worker-failed',
          message: `matching stopped: ${err instanceof Error ? err.message : String(err)}`,
          location: { file: job.task.name },
        };
        job.handlers.onDiagnostic(c.fatal, true);
        void job.chain.then(() => job.resolve(c));
      }
      // Files posted behind it never started: another worker takes them.
      this.queue.unshift(...posted.map(({ task, handlers, resolve }) => ({ task, handlers, resolve })));
      if (this.closed) return;
      if (this.respawnBudget > 0) {
        this.respawnBudget--;
        this.spawn();
        this.dispatch();
      } else if (this.inFlight.size === 0) {
        // No worker left: every queued (and later) file fails with the last worker's reason.
        this.broken = err instanceof Error ? err.message : String(err);
        this.failQueued(this.broken);
      }
    };
    worker.on('error', retire);
    worker.on('exit', (code) => retire(new Error(`worker exited with code ${code}`)));
    return worker;
  }

  private onReply(worker: Worker, reply: WorkerReply, risk: RiskUnpacker): void {
    // Replies come in the order the files were posted: they belong to the oldest one.
    const posted = this.inFlight.get(worker);
    const job = posted?.[0];
    if (posted === undefined || job === undefined) return;
    switch (reply.kind) {
      case 'text': {
        // Unpacked now, not in the job's chain: chains of different files run in any order.
        const events = risk.unpack(reply.riskRules, reply.risk);
        job.chain = job.chain.then(() => job.handlers.onText(reply.text, reply.levels, events, reply.hits));
        break;
      }
      case 'diagnostic':
        job.handlers.onDiagnostic(reply.diagnostic, reply.listed);
        break;
      case 'progress':
        job.handlers.onProgress(reply.events);
        break;
      case 'observed':
        job.handlers.onObserved(reply.part);
        break;
      case 'observer-warning':
        job.handlers.onObserverWarning(reply.diagnostic);
        break;
      case 'done':
        posted.shift();
        void job.chain.then(() => job.resolve(reply.counter));
        this.dispatch();
        break;
      default:
        return assertNever(reply, 'worker reply');
    }
  }

  /** Posts queued files to the least busy workers, starting workers while some are still to start. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let target: Worker | null = null;
      let least = FILES_IN_FLIGHT_PER_WORKER;
      for (const [w, posted] of this.inFlight) {
        if (posted.length < least) {
          least = posted.length;
          target = w;
        }
      }
      // An idle worker is best; otherwise start another before piling files on a busy one.
      if ((target === null || least > 0) && this.started < this.size) {
        this.started++;
        target = this.spawn();
      }
      if (target === null) return;
      const next = this.queue.shift()!;
      this.inFlight.get(target)!.push({ ...next, chain: Promise.resolve() });
      target.postMessage(next.task);
    }
  }
}
