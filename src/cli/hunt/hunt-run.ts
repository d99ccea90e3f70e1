/**
 * The `vigil hunt` pipeline: open every input, stream its events through the compiled rules,
 * and write each finding as soon as its batch is done. Every input is accounted for (read, or
 * failed with a reason) and every record (matched against, or failed with a reason).
 *
 * Threads: with `threads > 1` and more than one input (or one EVTX file large enough to cut), the
 * main thread and `threads - 1` worker threads each hunt pieces: whole files, and ranges of a
 * large EVTX file's chunks (see RANGE_CHUNKS and evtx/chunk-ranges.ts), settled as one input once
 * its last range is in. A worker compiles its own engine (see hunt-worker.ts) and sends back
 * formatted findings, and the main thread uses the engine it already has, so N threads hold N
 * engines, not N + 1. Correlations must see every event of every file: a worker's engine holds
 * the hits that feed them and sends them here, where this thread's engine, the run's one
 * correlation state, adds them (an engine that cannot keeps the matching on this thread). A
 * single small input is matched on this thread too; EVTX chunk parsing still uses `threads`
 * workers there, for several inputs or a large one (see chunkParseThreads).
 * Findings come out as the threads make them: files, and a ranged file's ranges, interleave.
 *
 * An observer of every event (the Splunk-style detections' heads) keeps the run on the main
 * thread, unless it comes with `observeInWorkers`: then every worker builds the same observer,
 * each thread hands back what it collected per piece, and the parts are merged in input order
 * (each as soon as every earlier piece's part is in), which is what one thread reading the files
 * in order would have kept.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { formatDiagnostic, type Diagnostic } from '../../core/diagnostics.js';
import type { InputFormat, VigilEvent } from '../../core/event.js';
import type { Level, Rule } from '../../ir/nodes.js';
import { openInputs, type OpenedInput } from '../../sources/read.js';
import type { EvtxChunkRange, InputFile, ReadOptions } from '../../sources/source.js';
import { readFileBytes } from '../../sources/input/byte-stream.js';
import { planChunkRanges, type PlannedChunkRange } from '../../sources/evtx/chunk-ranges.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE } from '../../sources/evtx/layout.js';
import type { OutputSink } from '../output/sink.js';
import { Spill } from '../output/spill.js';
import type { Finding, HuntEngine } from './api.js';
import type { FindingFormatter, HuntFormat, TableStyle } from './finding-format.js';
import { findingRecord } from './finding-record.js';
import { FindingRisk } from './finding-risk.js';
import { emptyLevelCounts, huntFile, newCounter, plainFileInput, sumCounters, type FileCounter } from './file-hunt.js';
import type { RiskHolding } from './thread-risk.js';
import type { WorkerInit, WorkerTask } from './hunt-worker.js';
import { DEFAULT_ENGINE_MODULE, HuntWorkerPool, type WarmWorkers } from './worker-pool.js';
import { workersCanHunt } from './load-rules.js';
import type { KeptRows } from '../../engine/spl/runner.js';
import type { SplunkHeadsConfig } from './splunk-hunt.js';
import { addFilterCounts, emptyFilterCounts, eventGate, filteredTotal, type EventFilterCounts, type EventFilterSpec } from './filters.js';
import { RuleHitCounter, type RuleHit } from './rule-reports.js';
import type { ProgressState } from '../output/progress.js';

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
  /** Workers started while the rules loaded (see worker-pool.ts); taken if the run uses workers, else ended. */
  readonly warmWorkers?: WarmWorkers;
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
   * `atEndTakesFindings`, `held` is the findings' text, for `atEnd` to read (once). `released`
   * says whether the output keeps nothing of the bytes written so far (see
   * OutputSink.releasesWritten), so their memory may be written over.
   */
  readonly atEnd?: (write: (chunk: string | Uint8Array) => Promise<boolean>, held?: Spill, released?: () => boolean) => Promise<void>;
  /**
   * Holds the findings back (in a temporary file) and writes them after what `atEnd` writes,
   * so a report can open with results known only at the end (risk-ranked entities).
   */
  readonly atEndFirst?: boolean;
  /** Holds the findings back for `atEnd` to turn into its output (the HTML report); they are not printed. */
  readonly atEndTakesFindings?: boolean;
  /**
   * Takes the risk events of every Sigma finding: the main thread's as they are made; hunt
   * workers hold theirs and hand them over, sorted, when the input ends (see thread-risk.ts).
   */
  readonly risk?: RiskHolding;
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
  /**
   * Of `seconds`, the end of the run after the last input: rules' pending state flushed,
   * end-of-run results (risk, detections) computed and written, the output closed. One thread
   * does it however many hunted.
   */
  readonly endSeconds: number;
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

/** Yields the first items already taken from `rest`, then the rest. */
async function* prepend<T>(head: readonly T[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield* head;
  for (let n = await rest.next(); n.done !== true; n = await rest.next()) yield n.value;
}

/**
 * One large EVTX file is hunted in ranges of this many chunks (2 MiB), spread over the threads
 * like files: small enough that the last ones leave no thread idle for long, large enough that a
 * range's fixed cost (opening the file, reading its header, a message) is lost in its work.
 */
export const RANGE_CHUNKS = 32;
const RANGE_BYTES = RANGE_CHUNKS * CHUNK_SIZE;

/**
 * Files under this are hunted whole, by one thread: a second thread's isolate warms up its JIT on
 * the same cores for about a second, which outweighs its share of a small file (generated EVTX of
 * 8, 16 and 32 MB: 1.10, 1.88 and 3.84 s on one thread; 1.81, 2.38 and 3.54 s on two).
 */
const MIN_CUT_BYTES = 32 * 1024 * 1024;

/**
 * Inputs that add up to less are hunted by the main thread alone unless `--threads` is given, by
 * the same measure as cutting a single file: a second thread's warm-up costs more than its share
 * (a folder of three logs, 22 MB: 0.89 s on one thread, 1.30 s on two with the built-in content;
 * 0.42–0.49 s against 0.59–0.60 s with the SigmaHQ rules). See input-size.ts.
 */
export const MIN_THREADED_INPUT_BYTES = MIN_CUT_BYTES;

/**
 * Among several inputs, files from this size on are cut too. Workers start for the run anyway,
 * and a whole file of some megabytes is too coarse to share: a thread that takes one commits to
 * it, while another may run out of work meanwhile and wait for the main thread to come back
 * for the next file (a folder of eight generated 16 MB files on two threads: 5.1 s hunted
 * whole, 4.8–5.0 s cut, against 6.8 on one thread).
 */
const MIN_CUT_BYTES_AMONG_MANY = 4 * RANGE_BYTES;

/**
 * Whether a file of `size` bytes is large enough to be cut into ranges (if it is EVTX with a
 * sound header): the run's only input from MIN_CUT_BYTES, one of several from MIN_CUT_BYTES_AMONG_MANY.
 */
export function mayCutFile(size: number | null, amongMany = false): boolean {
  return size !== null && size >= Math.max(amongMany ? MIN_CUT_BYTES_AMONG_MANY : MIN_CUT_BYTES, 2 * RANGE_BYTES);
}

/**
 * Threads that parse the EVTX chunks of a run's only input while this thread matches: none for
 * a file too small to pay for the chunk workers' start, by the same measure as cutting (on
 * generated files of 8 and 16 MB, chunk workers made a two-thread hunt take 1.58 and 2.16 s
 * against 1.10 and 1.88 s on one thread; from 32 MB on they break even, and gain on larger
 * ones). With several inputs the workers' start is paid once for all of them.
 */
export function chunkParseThreads(onlyInputSize: number | null, threads: number): number {
  return mayCutFile(onlyInputSize) ? threads : 1;
}

/** The ranges a plain EVTX file is hunted in by several threads; null to hunt it whole. */
async function chunkRangesOf(input: InputFile, format: InputFormat | undefined, amongMany = false): Promise<PlannedChunkRange[] | null> {
  if (input.path === null || !mayCutFile(input.size, amongMany) || (format !== undefined && format !== 'evtx')) return null;
  try {
    return planChunkRanges(await readFileBytes(input.path, 0, FILE_HEADER_SIZE), input.size!, RANGE_CHUNKS);
  } catch {
    // Unreadable here: hunted whole, its reader reports why.
    return null;
  }
}

/** A file, or one range of it, as a thread hunts it. */
interface Piece {
  readonly input: InputFile;
  readonly chunks: EvtxChunkRange | null;
}

export async function runHunt(options: HuntRunOptions): Promise<HuntRunSummary> {
  const started = performance.now();
  /** When the last input was done: what follows (flush, end-of-run results, close) is the end. */
  let inputsDone: number | null = null;
  const { sink, report, formatter } = options;
  // The output, if a file, is never read back (openInputs reports it as input.is-output).
  const openOptions = { ...(options.inputFormat !== undefined ? { inputFormat: options.inputFormat } : {}), ...(options.outputPath !== undefined ? { exclude: options.outputPath } : {}) };
  // Look at the first two inputs: one input gains nothing from file workers, but its EVTX
  // chunks can still be parsed on `threads` threads while matching stays here.
  const opening = openInputs([...options.paths], openOptions)[Symbol.asyncIterator]();
  const head: OpenedInput[] = [];
  for (let n = await opening.next(); n.done !== true; n = await opening.next()) {
    head.push(n.value);
    if (head.length >= 2) break;
  }
  const inWorkers = options.observeInWorkers;
  const observerAllowsWorkers = options.observe === undefined || inWorkers !== undefined;
  // A single input that can be cut is planned once, here, and the plan used when it is read.
  const only = head.length === 1 && !('error' in head[0]!) ? head[0] : null;
  const onlyRanges = only !== null && options.threads > 1 ? await chunkRangesOf(only, options.inputFormat) : null;
  const useWorkers = options.threads > 1 && workersCanHunt(options.rules, options.engine) && observerAllowsWorkers && options.formatter.workerSafe && (head.length >= 2 || onlyRanges !== null);
  const splitObserver = useWorkers && options.observe !== undefined && inWorkers !== undefined ? inWorkers : null;
  // Each piece's observed part (a file, or a range of one), by piece key, merged in the order the
  // pieces were handed out as soon as every earlier part is in: only pieces that finished early wait here.
  const observed = new Map<number, KeptRows | null>();
  const partOrder: number[] = [];
  let partsMerged = 0;
  let nextPieceKey = 0;
  const partDone = (key: number, part: KeptRows | null): void => {
    if (splitObserver === null) return;
    observed.set(key, part);
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
  // Worker threads report the events of the piece they are on (by piece key) as they go.
  const done = { files: 0, bytes: 0, events: 0 };
  const workerEvents = new Map<number, number>();
  const tellProgress = (current?: FileCounter): void => {
    if (options.progress === undefined) return;
    let events = done.events + (current?.events ?? 0);
    for (const n of workerEvents.values()) events += n;
    options.progress({ filesDone: done.files, bytesDone: done.bytes, events });
  };
  const findingRisk = options.risk !== undefined ? new FindingRisk(list) : null;
  const emit = (f: Finding): void => {
    const record = findingRecord(f);
    if (findingRisk !== null) options.risk?.add(findingRisk.encoded(record, f));
    findings[record.rule.level]++;
    findingsTotal++;
    ruleHits.add(record.rule.id, record.rule.title, record.rule.level);
    pending += formatter.finding(record, f);
  };
  const holds = options.atEndFirst === true || options.atEndTakesFindings === true;
  const spill = holds && options.atEnd !== undefined ? await Spill.create() : null;
  const out = async (chunk: string | Uint8Array): Promise<void> => (spill !== null ? spill.write(chunk) : sink.write(chunk));
  const flushPending = async (): Promise<boolean> => {
    if (pending.length > 0) {
      const text = pending;
      pending = '';
      await out(text);
    }
    return !sink.stopped;
  };

  await out(formatter.header);
  const pool = useWorkers ? new HuntWorkerPool(workerInit(options), options.threads - 1, options.warmWorkers ?? null, options.risk ?? null) : null;
  if (pool === null) await options.warmWorkers?.close();
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
      const slot = inputs.length;
      inputs.push({ name: opened.name, bytes: 0, events: 0, failed: 0, warnings: 0, filtered: 0, status: 'read', reason: null });
      const settle = (c: FileCounter): void => {
        engineErrors += c.engineErrors;
        addFilterCounts(filtered, c.filter);
        done.files++;
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
      // A large EVTX file is cut into ranges of chunks that go to the threads like files; the
      // file is settled once, from the ranges' counters, when the last is in.
      const ranges = pool === null ? null : opened === only ? onlyRanges : await chunkRangesOf(opened, options.inputFormat, true);
      // Ranges go only to workers that are ready: start them now, this thread hunts meanwhile.
      if (ranges !== null) pool?.startAll();
      const pieces: Piece[] =
        ranges === null
          ? [{ input: opened, chunks: null }]
          : ranges.map((r) => ({ input: plainFileInput(opened.name, opened.path!, r.bytes), chunks: { from: r.from, to: r.to } }));
      const counters: (FileCounter | undefined)[] = pieces.map(() => undefined);
      let piecesLeft = pieces.length;
      const pieceDone = (index: number, c: FileCounter): void => {
        counters[index] = c;
        // Counted as each piece ends, so a large file's ranges move the progress bar.
        done.bytes += c.bytes;
        done.events += c.events;
        if (--piecesLeft === 0) settle(sumCounters(counters as FileCounter[]));
      };
      // Pieces are taken in order, by this loop or, while this thread hunts a range, by a worker
      // that has run out (topUp): a worker asks for a range only when idle, so the last ranges
      // are not left queued behind a slow one while this thread has nothing to do.
      let cursor = 0;
      const take = (): { index: number; key: number } => {
        const key = nextPieceKey++;
        if (splitObserver !== null) partOrder.push(key);
        return { index: cursor++, key };
      };
      // Only plain files (a path on disk) are posted: a worker opens the file itself.
      const post = (index: number, key: number): void => {
        const piece = pieces[index]!;
        // A worker that died mid-piece sent no part: that piece adds no rows.
        let part: KeptRows | null = null;
        const task: WorkerTask = { name: opened.name, path: piece.input.path!, size: piece.input.size, ...(piece.chunks !== null ? { chunks: piece.chunks } : {}) };
        workerJobs.push(
          pool!
            .run(task, {
              onText: async (bytes, levels, hits) => {
                ruleHits.merge(hits);
                for (const l of LEVELS) {
                  findings[l] += levels[l];
                  findingsTotal += levels[l];
                }
                await out(bytes);
              },
              onDiagnostic: (d, listed) => (listed ? always(d) : list(d)),
              onProgress: (events) => {
                workerEvents.set(key, events);
                tellProgress();
              },
              onObserved: (kept) => {
                part = kept;
              },
              onObserverWarning: (d) => splitObserver?.warn(d),
              // The worker's hits that feed correlations: this thread's engine correlates every thread's.
              onFeeds: (feeds) => options.engine.addFeeds!(feeds, emit),
            })
            .then((c) => {
              workerEvents.delete(key);
              partDone(key, part);
              pieceDone(index, c);
            }),
        );
      };
      const topUp = (): void => {
        if (pool === null || ranges === null) return;
        while (cursor < pieces.length && !sink.stopped && pool.wantsFile(pieces[cursor]!.input.size, true)) {
          const { index, key } = take();
          post(index, key);
        }
      };
      while (cursor < pieces.length) {
        const { index, key } = take();
        const piece = pieces[index]!;
        if (sink.stopped) {
          // The output closed: pieces not started add nothing, but the file is still settled.
          partDone(key, null);
          pieceDone(index, newCounter());
          continue;
        }
        // The main thread is one of the `threads` matchers: a piece goes to the workers while one
        // would otherwise run out of work, else this thread hunts it (one engine fewer in memory).
        if (pool !== null && piece.input.path !== null && pool.wantsFile(piece.input.size, piece.chunks !== null)) {
          post(index, key);
          continue;
        }
        const c = newCounter();
        const afterBatch = async (): Promise<boolean> => {
          tellProgress(c);
          // Reads block (see readFileRange), so without this turn of the event loop the workers'
          // replies would wait for the end of this file: their findings would pile up here, and
          // the pool would count files they finished as still ahead of them and post them nothing.
          if (pool !== null) await setImmediatePromise();
          topUp();
          return flushPending();
        };
        const pieceReadOptions =
          piece.chunks !== null
            ? { ...readOptions, chunks: piece.chunks }
            : head.length === 1
              ? { ...readOptions, threads: chunkParseThreads(piece.input.size, readOptions.threads ?? 1) }
              : readOptions;
        await huntFile(piece.input, options.engine, pieceReadOptions, c, emit, list, always, afterBatch, splitObserver?.observe ?? options.observe, gate);
        const part = splitObserver !== null ? splitObserver.take() : null;
        partDone(key, part);
        pieceDone(index, c);
      }
    }
    await Promise.all(workerJobs);
    inputsDone = performance.now();
    // The workers sort what they held while this thread ends its own part.
    if (pool !== null && options.risk !== undefined) options.risk.collect(pool.endRisk(options.risk.printsLines));
    if (splitObserver !== null && partsMerged !== partOrder.length) throw new Error(`internal: ${partOrder.length - partsMerged} pieces' observed rows were not merged`);
    options.engine.flush(emit);
    await flushPending();
    const toSink = async (chunk: string | Uint8Array): Promise<boolean> => {
      await sink.write(chunk);
      return !sink.stopped;
    };
    if (options.atEnd !== undefined && !sink.stopped) await options.atEnd(toSink, options.atEndTakesFindings === true && spill !== null ? spill : undefined, () => sink.releasesWritten);
    if (spill !== null && options.atEndTakesFindings !== true && !sink.stopped) await spill.drainTo(toSink);
  } finally {
    await pool?.close();
    await spill?.discard();
  }
  await sink.close();
  const ended = performance.now();

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
    seconds: (ended - started) / 1000,
    endSeconds: inputsDone === null ? 0 : (ended - inputsDone) / 1000,
    mode: useWorkers ? 'workers' : 'main',
    threadsUsed: useWorkers ? options.threads : 1,
    unlistedDiagnostics: unlisted,
    outputClosed: sink.readerClosed,
    outputError: sink.error?.message ?? null,
    filtered,
    ruleHits: ruleHits.sorted(),
  };
}

/** What every hunt worker is given once: the rules and how to read, filter and format. */
function workerInit(options: HuntRunOptions): WorkerInit {
  return {
    rules: options.rules,
    format: options.format,
    ...(options.inputFormat !== undefined ? { inputFormat: options.inputFormat } : {}),
    engineModule: options.workerEngineModule ?? DEFAULT_ENGINE_MODULE,
    eventFilter: options.eventFilter ?? null,
    ...(options.tableStyle !== undefined ? { style: options.tableStyle } : {}),
    ...(options.observe !== undefined && options.observeInWorkers !== undefined ? { heads: options.observeInWorkers.config } : {}),
  };
}
