/**
 * Worker-thread entry of `vigil hunt --threads N`. It may start before the rules are loaded
 * (worker-pool.ts WarmWorkers): it loads its modules, then waits for the 'init' message, whose
 * rules it compiles once (or has compiled already, when they came ahead: in a 'rules' message,
 * or read from the rule cache's entry while the main thread read it too).
 * It says 'ready', then reads whole files (or ranges of a large EVTX file's chunks) one at a
 * time, matching every event and sending back formatted findings (in pieces as they gather, so
 * they stream) and each one's counts. With correlations, its engine holds the hits that feed
 * them and sends them along with the findings ('feeds'): the main thread's engine correlates the
 * hits of every thread.
 * With `heads`, it also runs the Splunk-style detections' heads over every event and sends each
 * file's kept rows back before the file's 'done' (the main thread merges them in input order).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assertNever } from '../../core/xml-tree.js';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { InputFormat } from '../../core/event.js';
import type { EvtxChunkRange } from '../../sources/source.js';
import type { Level, Rule } from '../../ir/nodes.js';
import type { CorrelationFeed, Finding, HuntEngine, RuleSetLoad } from './api.js';
import { createFindingFormatter, type HuntFormat, type TableStyle } from './finding-format.js';
import { findingRecord } from './finding-record.js';
import { FindingRisk } from './finding-risk.js';
import { emptyRiskPart, partBuffers, ThreadRiskHolder, type InOrderLines, type RiskHoldSpec, type ThreadRiskPart } from './thread-risk.js';
import { emptyLevelCounts, huntFile, newCounter, plainFileInput, type FileCounter } from './file-hunt.js';
import { eventGate, type EventFilterSpec, type RuleFilter } from './filters.js';
import { RuleHitCounter, type RuleHit } from './rule-reports.js';
import type { KeptRows } from '../../engine/spl/runner.js';
import type { SplunkHeads, SplunkHeadsConfig } from './splunk-hunt.js';
import { readRuleCacheEntry, type RuleCacheEntryRef } from './rule-cache.js';
import { applyRuleFilter, workersCanHunt } from './load-rules.js';
import { primeDefaultAttackCatalog } from '../../risk/attack.js';
import { tmpdir } from 'node:os';

/** The worker's workerData: a module to start loading at once (the engine), before 'init' comes. */
export interface WorkerBoot {
  readonly preload: string | null;
}

/**
 * From the main thread: 'init' once, first; then the files to hunt, run in the order they come.
 * A warm worker may get 'rules' before 'init' (WarmWorkers.offerRules), to compile while the
 * main thread compiles its own; its 'init' then names the rules it runs among them.
 */
export type WorkerMessage =
  | { readonly kind: 'rules'; readonly rules: readonly Rule[]; readonly engineModule: string }
  /**
   * The rules are in the rule cache's entry that the main thread is reading too: this worker
   * reads it and keeps the rules `filter` keeps, as the main thread does, so both hold the same
   * list in the same order.
   */
  | { readonly kind: 'rules-file'; readonly entry: RuleCacheEntryRef; readonly filter: RuleFilter | null; readonly engineModule: string }
  /** The answer to 'need-rules': exactly the rules to run. */
  | { readonly kind: 'rules-reply'; readonly rules: readonly Rule[] }
  | { readonly kind: 'init'; readonly init: WorkerInit }
  | { readonly kind: 'task'; readonly task: WorkerTask }
  /**
   * The input has ended: sort the risk events held and send them (a 'risk-part'), after the files
   * posted before; with `lines`, then write their lines in that order (a 'risk-lines').
   */
  | { readonly kind: 'risk-end'; readonly lines: boolean };

/** The rules of an 'init' as positions in those its 'rules' message gave (null: all of them, in order). */
export interface RulesSentAhead {
  readonly kind: 'ahead';
  readonly keep: readonly number[] | null;
}

export interface WorkerInit {
  /** The rules to run, or which of the rules sent ahead (the main thread compiled fewer when it refused some). */
  readonly rules: readonly Rule[] | RulesSentAhead;
  readonly format: HuntFormat;
  readonly inputFormat?: InputFormat;
  /** URL of a module exporting `compileRules(rules) → { engine }`. */
  readonly engineModule: string;
  /** Turn findings into risk events here and hold them until 'risk-end' (see thread-risk.ts). */
  readonly risk?: RiskHoldSpec;
  /** The table/CSV style of the main thread's formatter (plain data: colour, width, zone). */
  readonly style?: TableStyle;
  /** The same event filters as the main thread (`--from`, `--to`, `--channel`, `--event-id`). */
  readonly eventFilter?: EventFilterSpec | null;
  /** Run the Splunk-style detections' heads here too (built once, from the main thread's content). */
  readonly heads?: SplunkHeadsConfig;
}

export interface WorkerTask {
  readonly name: string;
  readonly path: string;
  /** Bytes to read: the file's, or its range's. */
  readonly size: number | null;
  /** Only these chunks of an EVTX file (a large file is hunted in ranges by several threads). */
  readonly chunks?: EvtxChunkRange;
}

export type WorkerReply =
  | {
      readonly kind: 'text';
      /** The findings' formatted text as UTF-8, its buffer transferred (the main thread only writes it). */
      readonly bytes: Uint8Array;
      readonly levels: Readonly<Record<Level, number>>;
      readonly hits: readonly RuleHit[];
    }
  | { readonly kind: 'diagnostic'; readonly diagnostic: Diagnostic; readonly listed: boolean }
  /** Events read so far in the current file, after each batch (the progress line). */
  | { readonly kind: 'progress'; readonly events: number }
  /** The detections' heads' kept rows for the file (only with `heads`), before its 'done'. */
  | { readonly kind: 'observed'; readonly part: KeptRows }
  /** A run-time warning of the heads (content problems are the main thread's to report). */
  | { readonly kind: 'observer-warning'; readonly diagnostic: Diagnostic }
  /** Hits that feed correlations, for the main thread's engine (before the file's 'done'). */
  | { readonly kind: 'feeds'; readonly feeds: readonly CorrelationFeed[] }
  | { readonly kind: 'done'; readonly counter: FileCounter }
  /** The risk events this worker held, sorted (the answer to 'risk-end'; its arrays transferred). */
  | { readonly kind: 'risk-part'; readonly part: ThreadRiskPart }
  /** The part's lines written in its order (null: they were not), after its 'risk-part'. */
  | { readonly kind: 'risk-lines'; readonly lines: InOrderLines | null }
  /** The rules are compiled: ranges of a large file are only posted to workers that said so. */
  | { readonly kind: 'ready' }
  /** The rules sent ahead could not be had (a cache entry gone in between): send them (a 'rules-reply'). */
  | { readonly kind: 'need-rules' };

interface EngineModule {
  compileRules(rules: Rule[]): { engine: HuntEngine };
}

type Send = (reply: WorkerReply, transfer?: readonly ArrayBuffer[]) => void;

/**
 * Findings go to the main thread in pieces of about this many characters (or at the end of the
 * file, or after SEND_EVERY_MS): one message per EVTX chunk would cost the main thread, which
 * writes every worker's output while it hunts too, a message turn per chunk.
 */
const SEND_CHARS = 256 * 1024;
/** At least this often (ms) the main thread hears of progress and gets what findings there are. */
const SEND_EVERY_MS = 100;

/** Rules a 'rules' message sent ahead, and the engine compiled from them. */
interface CompiledAhead {
  readonly rules: readonly Rule[];
  readonly engine: HuntEngine;
}

async function compileRules(engineModule: string, rules: readonly Rule[]): Promise<HuntEngine> {
  const mod = (await import(engineModule)) as EngineModule;
  return mod.compileRules([...rules]).engine;
}

/**
 * Reads the rules from the rule cache's entry, keeps those the filter keeps, and compiles them.
 * The entry is sent before the main thread knows what it holds: a set that workers cannot hunt
 * is not compiled (no pool takes this worker then; it is ended).
 */
async function compileFromCache(entry: RuleCacheEntryRef, filter: RuleFilter | null, engineModule: string): Promise<CompiledAhead> {
  const load = readRuleCacheEntry<RuleSetLoad>(entry.file, entry.key);
  primeDefaultAttackCatalog(load.attack);
  const rules = filter === null ? load.rules : applyRuleFilter(load.rules, load.reports, filter).rules;
  const engine = await compileRules(engineModule, rules);
  if (!workersCanHunt(rules, engine)) throw new Error('a rule set with correlations is hunted on the main thread alone with this engine');
  return { rules, engine };
}

/**
 * The engine for `init`'s rules: compiled now, or the one compiled ahead (again on the kept rules
 * if not all of them). When the rules sent ahead could not be had, `askForRules` gets them.
 */
async function engineFor(init: WorkerInit, ahead: Promise<CompiledAhead> | null, askForRules: () => Promise<readonly Rule[]>): Promise<HuntEngine> {
  const rules = init.rules;
  if (Array.isArray(rules)) return compileRules(init.engineModule, rules as readonly Rule[]);
  const sent = rules as RulesSentAhead;
  if (ahead === null) throw new Error("'init' names rules sent ahead, but none were sent");
  let compiled: CompiledAhead;
  try {
    compiled = await ahead;
  } catch {
    // The cache entry the main thread read was gone or replaced when this worker read it.
    // (Rules that fail to compile fail again here, and end the worker as before.)
    return compileRules(init.engineModule, await askForRules());
  }
  if (sent.keep === null) return compiled.engine;
  return compileRules(
    init.engineModule,
    sent.keep.map((i) => {
      const rule = compiled.rules[i];
      if (rule === undefined) throw new Error(`'init' names rule ${i} of ${compiled.rules.length} sent ahead`);
      return rule;
    }),
  );
}

/**
 * With correlations, the main thread correlates: this engine holds the hits that feed them, and
 * what it returns gives out those held so far (null: no correlation, or an engine that cannot).
 */
function holdFeeds(engine: HuntEngine): (() => readonly CorrelationFeed[]) | null {
  if (engine.feedsCorrelations !== true || engine.holdFeeds === undefined || engine.takeFeeds === undefined) return null;
  engine.holdFeeds();
  return engine.takeFeeds.bind(engine);
}

/** What a worker does with its rules: hunt a file; at the end, hand over the risk it held. */
interface Hunter {
  hunt(task: WorkerTask): Promise<void>;
  riskPart(): ThreadRiskPart | null;
  riskLines(): InOrderLines | null;
}

/** Compiles the rules and returns what hunts one file with them, reporting through `send`. */
async function makeHunter(init: WorkerInit, ahead: Promise<CompiledAhead> | null, send: Send, askForRules: () => Promise<readonly Rule[]>): Promise<Hunter> {
  const engine = await engineFor(init, ahead, askForRules);
  const takeFeeds = holdFeeds(engine);
  const formatter = createFindingFormatter(init.format, init.style);
  const gate = init.eventFilter != null ? eventGate(init.eventFilter) : undefined;
  const hits = new RuleHitCounter();
  const findingRisk = init.risk !== undefined ? new FindingRisk((d) => send({ kind: 'diagnostic', diagnostic: d, listed: false })) : null;
  const riskFile = init.risk?.file ?? tmpdir();
  const held =
    init.risk !== undefined
      ? new ThreadRiskHolder(init.risk, (message) =>
          send({ kind: 'diagnostic', diagnostic: { severity: 'warning', code: 'hunt.risk-temp-file', message, location: { file: riskFile } }, listed: false }),
        )
      : null;
  const encoder = new TextEncoder();
  const heads = init.heads !== undefined ? await loadHeads(init.heads, (d) => send({ kind: 'observer-warning', diagnostic: d })) : null;

  const hunt = async (task: WorkerTask): Promise<void> => {
    const c = newCounter();
    let text = '';
    let levels = emptyLevelCounts();
    const emit = (f: Finding): void => {
      const record = findingRecord(f);
      levels[record.rule.level]++;
      hits.add(record.rule.id, record.rule.title, record.rule.level);
      text += formatter.finding(record, f);
      if (findingRisk !== null && held !== null) held.add(findingRisk.encoded(record, f));
    };
    let lastSent = performance.now();
    const flush = async (last = false): Promise<boolean> => {
      // After every batch: what is held stays one batch's worth.
      const held = takeFeeds?.() ?? [];
      if (held.length > 0) send({ kind: 'feeds', feeds: held });
      const now = performance.now();
      if (!last && text.length < SEND_CHARS && now - lastSent < SEND_EVERY_MS) return true;
      lastSent = now;
      if (text.length > 0) {
        // Encoded here, in the worker's time; a TextEncoder buffer is its own (safe to transfer).
        const bytes = encoder.encode(text);
        send({ kind: 'text', bytes, levels, hits: hits.drain() }, [bytes.buffer]);
        text = '';
        levels = emptyLevelCounts();
      }
      send({ kind: 'progress', events: c.events });
      return true;
    };
    await huntFile(
      plainFileInput(task.name, task.path, task.size),
      engine,
      { ...(init.inputFormat !== undefined ? { inputFormat: init.inputFormat } : {}), threads: 1, ...(task.chunks !== undefined ? { chunks: task.chunks } : {}) },
      c,
      emit,
      (d) => send({ kind: 'diagnostic', diagnostic: d, listed: false }),
      (d) => send({ kind: 'diagnostic', diagnostic: d, listed: true }),
      flush,
      heads?.observe,
      gate,
    );
    // Without correlations flush emits nothing, but an engine may hold per-file state.
    engine.flush(emit);
    await flush(true);
    // Written before 'done': if this thread dies later, the main thread reads them back.
    held?.sync();
    if (heads !== null) send({ kind: 'observed', part: heads.take() });
    send({ kind: 'done', counter: c });
  };
  return { hunt, riskPart: () => held?.part() ?? null, riskLines: () => held?.writeInOrder() ?? null };
}

function start(): void {
  const port = parentPort;
  if (port === null) return;
  const boot = workerData as WorkerBoot;
  // Loaded while the main thread still loads the rules; a failure shows again at 'init'.
  if (boot.preload !== null) import(boot.preload).catch(() => undefined);
  const send: Send = (reply, transfer) => port.postMessage(reply, transfer);
  let hunter: Promise<Hunter> | null = null;
  let ahead: Promise<CompiledAhead> | null = null;
  let rulesReply: ((rules: readonly Rule[]) => void) | null = null;
  const askForRules = (): Promise<readonly Rule[]> =>
    new Promise((resolve) => {
      rulesReply = resolve;
      send({ kind: 'need-rules' });
    });
  // Files, then (once) the end of the input; run in the order they came.
  const queue: (WorkerTask | Extract<WorkerMessage, { kind: 'risk-end' }>)[] = [];
  let busy = false;
  // A rejection here (rules that fail to compile, a reader bug) ends the worker with an error,
  // which the pool turns into a located reason for the file it was on.
  const runNext = async (): Promise<void> => {
    if (busy || hunter === null) return;
    busy = true;
    try {
      const h = await hunter;
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        if (!('kind' in next)) {
          await h.hunt(next);
          continue;
        }
        // The part first: the main thread merges and ranks while the lines are written here.
        const part = h.riskPart() ?? emptyRiskPart();
        send({ kind: 'risk-part', part }, partBuffers(part));
        if (next.lines) {
          const lines = h.riskLines();
          send({ kind: 'risk-lines', lines }, lines === null ? [] : [lines.lengths.buffer as ArrayBuffer]);
        }
      }
    } finally {
      busy = false;
    }
  };
  port.on('message', (message: WorkerMessage) => {
    switch (message.kind) {
      case 'rules': {
        // After a 'rules-file' too: the main thread could not read that entry after all.
        const { rules, engineModule } = message;
        ahead = compileRules(engineModule, rules).then((engine) => ({ rules, engine }));
        // A failure shows when 'init' awaits it (and ends the worker then), not before.
        ahead.catch(() => undefined);
        return;
      }
      case 'rules-file':
        ahead = compileFromCache(message.entry, message.filter, message.engineModule);
        ahead.catch(() => undefined);
        return;
      case 'rules-reply':
        rulesReply?.(message.rules);
        rulesReply = null;
        return;
      case 'init':
        if (hunter === null) {
          hunter = makeHunter(message.init, ahead, send, askForRules);
          // A failure ends the worker through runNext; 'ready' is only for a worker that can hunt.
          hunter.then(
            () => send({ kind: 'ready' }),
            () => undefined,
          );
        }
        break;
      case 'task':
        queue.push(message.task);
        break;
      case 'risk-end':
        queue.push(message);
        break;
      default:
        return assertNever(message, 'worker message');
    }
    void runNext();
  });
}

/** Loaded only when asked for: a Sigma-only hunt's workers never read the content modules. */
async function loadHeads(config: SplunkHeadsConfig, warn: (d: Diagnostic) => void): Promise<SplunkHeads> {
  const mod = await import('./splunk-hunt.js');
  return mod.SplunkHeads.load(config, warn);
}

start();
