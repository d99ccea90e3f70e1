/**
 * The hunt workers of `vigil hunt --threads N` (see hunt-worker.ts), seen from the main thread:
 * which files go to which worker, their replies routed back to each file's handlers in order,
 * and workers that die replaced. Workers can be started before the rules are loaded
 * (WarmWorkers), so a thread's start-up overlaps the main thread's rule loading.
 */
import { Worker } from 'node:worker_threads';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { Level, Rule } from '../../ir/nodes.js';
import { assertNever } from '../../core/xml-tree.js';
import { newCounter, type FileCounter } from './file-hunt.js';
import type { RulesSentAhead, WorkerBoot, WorkerInit, WorkerMessage, WorkerReply, WorkerTask } from './hunt-worker.js';
import type { InOrderLines, RiskHolding, ThreadRiskEnd } from './thread-risk.js';
import type { RuleHit } from './rule-reports.js';
import type { CacheOutcome, RuleCacheEntryRef } from './rule-cache.js';
import type { RuleFilter } from './filters.js';
import type { CorrelationFeed } from './api.js';
import type { KeptRows } from '../../engine/spl/runner.js';

const WORKER_SCRIPT = new URL('./hunt-worker.js', import.meta.url);
/** The module workers compile rules with unless a test gives another (HuntRunOptions.workerEngineModule). */
export const DEFAULT_ENGINE_MODULE = new URL('../../engine/index.js', import.meta.url).href;

const MB = 1024 * 1024;
/**
 * Work posted to a worker ahead of time, so it never waits for the main thread (busy hunting a
 * file of its own, and only then handing out the next) to give it more. A worker gets another
 * file while its backlog is under the size of the file the main thread would otherwise take,
 * and never under MIN_BYTES_AHEAD (a fifth of a second of hunting), up to MAX_FILES_AHEAD files.
 * The backlog is counted in bytes only: a floor of files (there were eight) handed a worker
 * eight files of 16 MB before the main thread took one, so a folder of eight such files was
 * hunted by the worker alone. The backlog stays small, so at the end of the input no thread
 * waits long for the others.
 */
const MIN_BYTES_AHEAD = 8 * MB;
const MAX_FILES_AHEAD = 64;
/** What a file of unknown size (a pipe) is counted as. */
const UNKNOWN_SIZE = MB;

export interface TaskHandlers {
  onText(bytes: Uint8Array, levels: Readonly<Record<Level, number>>, hits: readonly RuleHit[]): Promise<void>;
  /** `listed` true for diagnostics that are always shown (fatal), false for per-record ones. */
  onDiagnostic(d: Diagnostic, listed: boolean): void;
  /** Events read so far in the file (for the progress line). */
  onProgress(events: number): void;
  /** What the worker's observer collected over the file (sent before 'done'). */
  onObserved(part: KeptRows): void;
  onObserverWarning(d: Diagnostic): void;
  /** Hits of the file that feed correlations (only with correlations), before its 'done'. */
  onFeeds(feeds: readonly CorrelationFeed[]): void;
}

type Queued = { readonly task: WorkerTask; readonly handlers: TaskHandlers; readonly resolve: (c: FileCounter) => void };

interface Running extends Queued {
  /** Serialises output writes so findings of one file stay in order. */
  chain: Promise<void>;
}

function taskBytes(task: WorkerTask): number {
  return task.size ?? UNKNOWN_SIZE;
}

/**
 * Hunt workers started before there is anything to give them: each boots its isolate and loads
 * its modules while the main thread loads the rules, then waits for the pool's 'init'. The rules
 * can be offered to them as soon as they are loaded (`offerRules`), so that a worker copies and
 * compiles them while the main thread compiles its own, not after. They do not keep the process
 * alive until a pool takes them (a run that stops early just exits), and `close` ends the ones
 * no pool took.
 */
export class WarmWorkers {
  private readonly waiting: { readonly worker: Worker; dead: boolean }[] = [];
  private offered: readonly Rule[] | null = null;
  /** The workers were sent a rule cache entry to read (`offerRuleFile`). */
  private fileOffered = false;

  private constructor(
    count: number,
    private readonly engineModule: string,
  ) {
    const boot: WorkerBoot = { preload: engineModule };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(WORKER_SCRIPT, { workerData: boot });
      const entry = { worker, dead: false };
      // Until taken, a failure only marks it; the pool starts a fresh one instead.
      worker.on('error', () => (entry.dead = true));
      worker.on('exit', () => (entry.dead = true));
      worker.unref();
      this.waiting.push(entry);
    }
  }

  static start(count: number, engineModule: string = DEFAULT_ENGINE_MODULE): WarmWorkers {
    return new WarmWorkers(Math.max(0, count), engineModule);
  }

  /**
   * Has every waiting worker read the rules from the rule cache's entry the main thread is about
   * to read, keep those `filter` keeps, and compile them: the workers no longer wait for the
   * main thread's copy (a copy of the SigmaHQ set took a worker ~0.6 s, after the main thread
   * had read the entry). `offerRules` then confirms (or replaces) them.
   */
  offerRuleFile(entry: RuleCacheEntryRef, filter: RuleFilter | null): void {
    if (this.offered !== null || this.fileOffered) return;
    this.fileOffered = true;
    this.post({ kind: 'rules-file', entry, filter, engineModule: this.engineModule });
  }

  /**
   * Offers the rules about to be compiled: posted to every waiting worker, which compiles them at
   * once; or, when they were read from the entry the workers were sent (`cache` 'hit'), nothing
   * to post: the workers hold the same list. At most once: the pool's 'init' then names which of
   * them to run (see `RulesSentAhead`).
   */
  offerRules(rules: readonly Rule[], cache: CacheOutcome = 'off'): void {
    if (this.offered !== null) return;
    this.offered = rules;
    if (this.fileOffered && cache === 'hit') return;
    this.post({ kind: 'rules', rules, engineModule: this.engineModule });
  }

  private post(message: WorkerMessage): void {
    for (const entry of this.waiting) if (!entry.dead) entry.worker.postMessage(message);
  }

  /** A live worker, now keeping the process alive, with the rules it was offered; null when none is left. */
  take(): { readonly worker: Worker; readonly offered: OfferedRules | null } | null {
    for (let entry = this.waiting.shift(); entry !== undefined; entry = this.waiting.shift()) {
      if (entry.dead) continue;
      entry.worker.ref();
      return { worker: entry.worker, offered: this.offered === null ? null : { rules: this.offered, engineModule: this.engineModule } };
    }
    return null;
  }

  async close(): Promise<void> {
    const left = this.waiting.splice(0);
    await Promise.all(left.map((e) => e.worker.terminate()));
  }
}

/** What a warm worker was sent ahead of its 'init'. */
interface OfferedRules {
  readonly rules: readonly Rule[];
  readonly engineModule: string;
}

/**
 * The rules of `init` as positions in the list a worker was offered (`keep` null: that very
 * list); undefined when some rule is not among those offered (or another engine compiled them),
 * and the worker must be sent the rules themselves.
 */
export function rulesAhead(init: WorkerInit, offered: OfferedRules): RulesSentAhead | undefined {
  const rules = init.rules;
  if (!Array.isArray(rules) || offered.engineModule !== init.engineModule) return undefined;
  if (rules.length === offered.rules.length && rules.every((r, i) => r === offered.rules[i])) return { kind: 'ahead', keep: null };
  const position = new Map<Rule, number>();
  offered.rules.forEach((r, i) => position.set(r, i));
  const keep: number[] = [];
  for (const r of rules as readonly Rule[]) {
    const i = position.get(r);
    if (i === undefined) return undefined;
    keep.push(i);
  }
  return { kind: 'ahead', keep };
}

/**
 * A fixed pool of hunt workers; each takes whole files, posted ahead (see MIN_BYTES_AHEAD) and
 * run in order. Rules are cloned into each worker once (the 'init' message) and compiled there.
 * A worker that dies fails the file it was on with a located reason; the files posted behind it
 * go back to the queue, and the worker is replaced.
 */
export class HuntWorkerPool {
  /** Each live worker's posted files, oldest (the one it is on) first. */
  private readonly inFlight = new Map<Worker, Running[]>();
  private readonly queue: Queued[] = [];
  private closed = false;
  /** Replacements allowed before the pool gives up (a worker that cannot start must not loop). */
  private respawnBudget: number;
  /** Workers started so far (up to `size`). */
  private started = 0;
  /** Set once no worker can run any more; later files fail with this reason. */
  private broken: string | null = null;
  /** Workers that have compiled their rules (their 'ready'); only these are given ranges of a file. */
  private readonly ready = new Set<Worker>();
  /** Each live worker's risk file (with `risk`), and the answer to its 'risk-end' while awaited. */
  private readonly riskOf = new Map<Worker, { readonly file: string | null; answer: ((end: ThreadRiskEnd | null) => void) | null }>();
  /** Workers that sent their part and write its lines: told when they are written (or never will be). */
  private readonly linesOf = new Map<Worker, (lines: InOrderLines | null) => void>();
  /** Whether `endRisk` asked the workers for their lines in order. */
  private linesAsked = false;

  /**
   * Workers start as files come, warm ones first (a short run with many threads compiles fewer
   * engines). With `risk`, each holds the risk events of its findings (see thread-risk.ts).
   */
  constructor(
    private readonly init: WorkerInit,
    private readonly size: number,
    private readonly warm: WarmWorkers | null = null,
    private readonly risk: RiskHolding | null = null,
  ) {
    this.respawnBudget = 2 * size;
  }

  /**
   * Once every file is done: each live worker's held risk events, sorted (null for one that died
   * meanwhile: what it held was read back from its file, see `RiskHolding.recover`).
   */
  endRisk(lines: boolean): Promise<(ThreadRiskEnd | null)[]> {
    this.linesAsked = lines;
    const answers: Promise<ThreadRiskEnd | null>[] = [];
    for (const [worker, held] of this.riskOf) {
      answers.push(new Promise((resolve) => (held.answer = resolve)));
      worker.postMessage({ kind: 'risk-end', lines } satisfies WorkerMessage);
    }
    return Promise.all(answers);
  }

  run(task: WorkerTask, handlers: TaskHandlers): Promise<FileCounter> {
    return new Promise((resolve) => {
      this.queue.push({ task, handlers, resolve });
      if (this.broken !== null) this.failQueued(this.broken);
      else this.dispatch();
    });
  }

  /**
   * Whether a file of `size` bytes given now would be posted at once, because some worker
   * (started or still to start) would otherwise run out of work before the main thread could
   * hunt it and hand out the next. When false, the main thread hunts the file itself. `range`:
   * the piece is a range of a large EVTX file's chunks, not a whole file.
   */
  wantsFile(size: number | null, range = false): boolean {
    if (this.broken !== null || this.queue.length > 0) return false;
    if (range) {
      // A range posted to a worker still compiling would wait there while the main thread,
      // which could have hunted it, runs out of ranges: short files end on one thread otherwise.
      for (const [worker, posted] of this.inFlight) if (this.ready.has(worker) && runsDryWithout(posted.length, backlogBytes(posted), size, true)) return true;
      return false;
    }
    if (this.started < this.size) return true;
    for (const posted of this.inFlight.values()) if (runsDryWithout(posted.length, backlogBytes(posted), size)) return true;
    return false;
  }

  /** Starts every worker not yet started, with nothing to do until it is given work (ranges wait for 'ready'). */
  startAll(): void {
    while (!this.closed && this.broken === null && this.started < this.size) {
      this.started++;
      this.spawn();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const told of this.linesOf.values()) told(null);
    this.linesOf.clear();
    const all = [...this.inFlight.keys()];
    await Promise.all([...all.map((w) => w.terminate()), this.warm?.close()]);
  }

  private failQueued(reason: string): void {
    for (const q of this.queue.splice(0)) {
      const c = newCounter();
      c.fatal = { severity: 'error', code: 'hunt.worker-failed', message: `no worker could run: ${reason}`, location: { file: q.task.name } };
      q.handlers.onDiagnostic(c.fatal, true);
      q.resolve(c);
    }
  }

  private spawn(): Worker {
    const warm = this.warm?.take() ?? null;
    if (warm === null) return this.adopt(new Worker(WORKER_SCRIPT, { workerData: { preload: null } satisfies WorkerBoot }), this.init);
    // A warm worker offered these rules already has them compiled: name them, do not copy them again.
    const ahead = warm.offered === null ? undefined : rulesAhead(this.init, warm.offered);
    return this.adopt(warm.worker, ahead === undefined ? this.init : { ...this.init, rules: ahead });
  }

  private adopt(worker: Worker, init: WorkerInit): Worker {
    this.inFlight.set(worker, []);
    if (this.risk !== null) {
      const file = this.risk.newFile();
      this.riskOf.set(worker, { file, answer: null });
      init = { ...init, risk: { budget: this.risk.budget, limit: this.risk.limit, file } };
    }
    worker.on('message', (reply: WorkerReply) => this.onReply(worker, reply));
    let dead = false;
    const retire = (err: unknown): void => {
      if (dead) return;
      dead = true;
      this.ready.delete(worker);
      const held = this.riskOf.get(worker);
      this.riskOf.delete(worker);
      // Once the pool is closed the run is over: nothing is read back.
      if (held !== undefined && !this.closed) this.risk?.recover(held.file);
      held?.answer?.(null);
      this.tellLines(worker, null);
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
    worker.postMessage({ kind: 'init', init } satisfies WorkerMessage);
    return worker;
  }

  /** Settles what a worker's lines in order will be (once: later calls find nothing). */
  private tellLines(worker: Worker, lines: InOrderLines | null): void {
    this.linesOf.get(worker)?.(lines);
    this.linesOf.delete(worker);
  }

  private onReply(worker: Worker, reply: WorkerReply): void {
    if (reply.kind === 'ready') {
      this.ready.add(worker);
      this.dispatch();
      return;
    }
    if (reply.kind === 'risk-part') {
      // Answered: the worker's file is read from now on, not read back if it dies.
      const held = this.riskOf.get(worker);
      this.riskOf.delete(worker);
      // Without lines asked for, none will come.
      const lines = this.linesAsked ? new Promise<InOrderLines | null>((resolve) => this.linesOf.set(worker, resolve)) : Promise.resolve(null);
      held?.answer?.({ part: reply.part, lines });
      return;
    }
    if (reply.kind === 'risk-lines') {
      this.tellLines(worker, reply.lines);
      return;
    }
    if (reply.kind === 'need-rules') {
      // The pool's own 'init' always carries the rules themselves (a warm worker's names them).
      const rules = this.init.rules as readonly Rule[];
      worker.postMessage({ kind: 'rules-reply', rules } satisfies WorkerMessage);
      return;
    }
    // Replies come in the order the files were posted: they belong to the oldest one.
    const posted = this.inFlight.get(worker);
    const job = posted?.[0];
    if (posted === undefined || job === undefined) return;
    switch (reply.kind) {
      case 'text':
        job.chain = job.chain.then(() => job.handlers.onText(reply.bytes, reply.levels, reply.hits));
        break;
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
      case 'feeds':
        job.handlers.onFeeds(reply.feeds);
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

  /** Posts queued files to the workers with the least work ahead, starting workers while some are still to start. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let target: Worker | null = null;
      let least = Infinity;
      const range = this.queue[0]!.task.chunks !== undefined;
      for (const [w, posted] of this.inFlight) {
        const ahead = backlogBytes(posted);
        if (posted.length < MAX_FILES_AHEAD && ahead < least && (!range || this.ready.has(w))) {
          least = ahead;
          target = w;
        }
      }
      // An idle worker is best; otherwise start another before piling files on a busy one (a
      // range waits for a worker that is ready).
      if ((target === null || least > 0) && this.started < this.size && !range) {
        this.started++;
        target = this.spawn();
      }
      if (target === null) return;
      const next = this.queue.shift()!;
      this.inFlight.get(target)!.push({ ...next, chain: Promise.resolve() });
      target.postMessage({ kind: 'task', task: next.task } satisfies WorkerMessage);
    }
  }
}

function backlogBytes(posted: readonly Running[]): number {
  let bytes = 0;
  for (const r of posted) bytes += taskBytes(r.task);
  return bytes;
}

/**
 * Whether a worker with `files` files (`bytes` bytes) posted could run out of work while the
 * main thread hunts a file of `fileSize` bytes itself (see MIN_BYTES_AHEAD).
 */
export function runsDryWithout(files: number, bytes: number, fileSize: number | null, range = false): boolean {
  // A range of a large file (see hunt-run.ts RANGE_CHUNKS) has no fixed cost to spread, and when
  // the file's last range is handed out, whatever a worker holds is what the main thread waits
  // for: a worker is given a range when it has none (the main thread looks after every batch).
  if (range) return files === 0;
  return files < MAX_FILES_AHEAD && bytes < Math.max(fileSize ?? UNKNOWN_SIZE, MIN_BYTES_AHEAD);
}
