/**
 * Sigma risk held by each hunt thread (`vigil hunt --threads N`). Posting every worker's risk
 * events to the main thread made the main thread, which hunts a share of the input too, unpack
 * and hold them all: work that grows with the threads and sits on one of them. So each worker
 * holds its own events (held-risk.ts: what varies per event in a file of its own in the run's
 * risk folder, each text preceded by what the event was) and, when the input ends, sorts them,
 * sends the ranking fields to the main thread as columns with where each text lies, and then
 * writes its lines in that order to a file. The main thread merges the threads' sorted lists
 * (ranking and the incident rules read the merged list) and prints each worker's lines from that
 * file, or, if it is not written yet, puts them together from where the worker held them. A
 * worker that dies leaves its file behind: the main thread reads the events back from it.
 */
import { createReadStream } from 'node:fs';
import { readLines } from '../../sources/text/line-reader.js';
import type { RankedRisk, RiskEvent } from '../../risk/index.js';
import { encodeRisk, HeldRisk, placedRisk, textOrder, type EncodedRisk, type EncodedSigmaRisk, type PlacedRisk, type RiskList, type SigmaRulePieces, type SortedHeld } from './held-risk.js';

/** Risk events kept for ranking; past this they are counted, not kept (memory stays bounded). */
export const MAX_RISK_EVENTS = 1_000_000;

/** The run's cap on held risk events, one counter in memory every thread shares. */
export class RiskBudget {
  private readonly count: Int32Array;

  constructor(
    readonly shared: SharedArrayBuffer = new SharedArrayBuffer(4),
    readonly limit: number = MAX_RISK_EVENTS,
  ) {
    this.count = new Int32Array(shared);
  }

  /** Whether one more event may be held (false: the caller counts it as dropped). */
  take(): boolean {
    // Checked first so the counter stops growing once the cap is reached.
    if (Atomics.load(this.count, 0) >= this.limit) return false;
    return Atomics.add(this.count, 0, 1) < this.limit;
  }
}

/** What a hunt worker is told (in its 'init') to hold its Sigma risk events. */
export interface RiskHoldSpec {
  readonly budget: SharedArrayBuffer;
  readonly limit: number;
  /** Its own file in the run's risk folder; null when the folder could not be made (held in memory). */
  readonly file: string | null;
}

/** A rule's part of its events, sent once per thread. */
export interface ThreadRiskRule {
  /** The rule's shared JSON (held-risk.ts); null for events held as whole lines. */
  readonly pieces: SigmaRulePieces | null;
  readonly riskScore: number;
  readonly calculatedScore: number;
  readonly source: RankedRisk['source'];
  readonly detection: RankedRisk['detection'];
  readonly annotations: RankedRisk['annotations'];
}

/**
 * A worker's held events in print order, as columns (event i: `time[i]`, `rules[rule[i]]`, the
 * entity `entities[2 * entity[i]]` (type) and `entities[2 * entity[i] + 1]` (value)), and where
 * each one's stored text lies: `len[i]` bytes at `at[i]` in `file`, or `memory[-1 - at[i]]`.
 */
export interface ThreadRiskPart {
  readonly file: string | null;
  readonly memory: readonly string[] | null;
  readonly dropped: number;
  readonly rules: readonly ThreadRiskRule[];
  readonly entities: readonly string[];
  readonly time: Float64Array;
  readonly key: Uint32Array;
  readonly rule: Uint32Array;
  readonly entity: Uint32Array;
  /** As in `RiskList` (held-risk.ts): what the merge with other threads' lists compares. */
  readonly rank: Uint32Array;
  readonly combos: readonly string[];
  readonly at: Float64Array;
  readonly len: Uint32Array;
}

/** A part's lines in its order, back to back in a file of their own (`HeldRisk.writeInOrder`). */
export interface InOrderLines {
  readonly file: string;
  readonly lengths: Uint32Array;
}

/** A worker's answer to the end of the input: its part, then (once written) the part's lines in order. */
export interface ThreadRiskEnd {
  readonly part: ThreadRiskPart;
  /** Null when they are not written (not asked for, no file, a write failed, the worker died): they are read from where they were held. */
  readonly lines: Promise<InOrderLines | null>;
}

/** A part with no events (a worker that held none, or holds no risk). */
export function emptyRiskPart(): ThreadRiskPart {
  return {
    file: null,
    memory: null,
    dropped: 0,
    rules: [],
    entities: [],
    time: new Float64Array(0),
    key: new Uint32Array(0),
    rule: new Uint32Array(0),
    entity: new Uint32Array(0),
    rank: new Uint32Array(0),
    combos: [],
    at: new Float64Array(0),
    len: new Uint32Array(0),
  };
}

/** The typed arrays of a part, to transfer rather than copy. */
export function partBuffers(part: ThreadRiskPart): ArrayBuffer[] {
  return [part.time, part.key, part.rule, part.entity, part.rank, part.at, part.len].map((a) => a.buffer as ArrayBuffer);
}

/** A worker's side: holds the events of its findings, then hands them over sorted. */
export class ThreadRiskHolder {
  private held: HeldRisk | null = null;
  private dropped = 0;
  /** Rules numbered as their first event is written (`describe`). */
  private readonly ruleNumbers = new Map<SigmaRulePieces, number>();
  /** The events of the last `part`, in its order. */
  private sorted: readonly RankedRisk[] = [];
  private readonly budget: RiskBudget;

  constructor(
    private readonly spec: RiskHoldSpec,
    private readonly warn: (message: string) => void,
  ) {
    this.budget = new RiskBudget(spec.budget, spec.limit);
  }

  add(events: readonly EncodedSigmaRisk[]): void {
    for (const e of events) {
      if (!this.budget.take()) {
        this.dropped++;
        continue;
      }
      (this.held ??= HeldRisk.create({ file: this.spec.file, warn: this.warn, describe: (d) => this.describe(d) })).add(e);
    }
  }

  /**
   * After `part`: its lines, in its order, written next to this thread's file for the main thread
   * to read straight through; null when there is nothing to write or the writing failed (the main
   * thread then reads each line from where it was held).
   */
  writeInOrder(): InOrderLines | null {
    const held = this.held;
    const file = this.spec.file;
    if (held === null || file === null || this.sorted.length === 0) return null;
    const lines = `${file}.in-order`;
    try {
      return { file: lines, lengths: held.writeInOrder(this.sorted, lines) };
    } catch {
      return null;
    }
  }

  /**
   * What the file says before an event's stored text (see HeldRisk's `describe` and
   * `recoverRiskFile`): `E[rule, time, entity type, entity, key]` and a tab, after a line
   * `R{rule's parts}` for a rule met the first time; `J` and a tab for an event stored whole.
   */
  private describe(e: EncodedRisk): string {
    if (e.kind === 'json') return 'J\t';
    let n = this.ruleNumbers.get(e.pieces);
    let rule = '';
    if (n === undefined) {
      n = this.ruleNumbers.size;
      this.ruleNumbers.set(e.pieces, n);
      const record: RecoveredRule = { pieces: e.pieces, score: e.risk_score, calculated: e.calculated_risk_score, source: e.source, detection: e.detection, annotations: e.annotations };
      rule = 'R' + JSON.stringify(record) + '\n';
    }
    return rule + 'E' + JSON.stringify([n, e._time, e.risk_object_type, e.risk_object, e.key]) + '\t';
  }

  /** Writes what is buffered (after each file: what a finished file raised survives this thread). */
  sync(): void {
    this.held?.sync();
  }

  part(): ThreadRiskPart {
    const placed = this.held?.sortedPlaces() ?? null;
    if (placed === null) return { ...emptyRiskPart(), dropped: this.dropped };
    this.sorted = placed.events;
    return partOfSorted(placed, placed.events.length === 0 || this.held?.hasFile !== true ? null : this.spec.file, this.dropped);
  }
}

/**
 * A sorted list as a part another thread can read (`threadRiskEvents`): the rules' and entities'
 * tables, each event's numbers in them, and where its text lies in `file` (null: no file).
 */
function partOfSorted(placed: SortedHeld, file: string | null, dropped: number): ThreadRiskPart {
  const events = placed.events;
  const n = events.length;
  const rule = new Uint32Array(n);
  const entity = new Uint32Array(n);
  const rules: ThreadRiskRule[] = [];
  const ruleIndex = new Map<RankedRisk['detection'], { readonly r: ThreadRiskRule; readonly i: number }[]>();
  const piecesOf = (e: RankedRisk): SigmaRulePieces | null => (e as { readonly pieces?: SigmaRulePieces | null }).pieces ?? null;
  const entities: string[] = [];
  const entityIndex = new Map<string, Map<string, number>>();
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    // Held events share one detection object per rule (HeldRisk interns them).
    let same = ruleIndex.get(e.detection);
    if (same === undefined) ruleIndex.set(e.detection, (same = []));
    const pieces = piecesOf(e);
    let hit = same.find(({ r }) => r.pieces === pieces && r.riskScore === e.risk_score && r.calculatedScore === e.calculated_risk_score && r.source === e.source && r.annotations === e.annotations);
    if (hit === undefined) {
      hit = { r: { pieces, riskScore: e.risk_score, calculatedScore: e.calculated_risk_score, source: e.source, detection: e.detection, annotations: e.annotations }, i: rules.length };
      rules.push(hit.r);
      same.push(hit);
    }
    rule[i] = hit.i;
    let byValue = entityIndex.get(e.risk_object_type);
    if (byValue === undefined) entityIndex.set(e.risk_object_type, (byValue = new Map()));
    let k = byValue.get(e.risk_object);
    if (k === undefined) {
      k = entities.length / 2;
      byValue.set(e.risk_object, k);
      entities.push(e.risk_object_type, e.risk_object);
    }
    entity[i] = k;
  }
  return { file, memory: placed.memory, dropped, rules, entities, time: placed.time, key: placed.key, rule, entity, rank: placed.rank, combos: placed.combos, at: placed.at, len: placed.len };
}

/**
 * A rule's parts as this thread would have made them. Objects copied from another thread (by
 * postMessage) have other hidden classes than the same objects made here; built again as object
 * literals with the members in the order the risk code writes them (src/risk/sigma-risk.ts,
 * common.ts), they share this thread's, so the ranking code reading both threads' events in one
 * list meets one shape.
 */
function madeHere(r: ThreadRiskRule): ThreadRiskRule {
  const d = r.detection;
  const a = r.annotations;
  return {
    pieces: r.pieces === null ? null : { scores: r.pieces.scores, middle: r.pieces.middle, hash: r.pieces.hash },
    riskScore: r.riskScore,
    calculatedScore: r.calculatedScore,
    source: r.source,
    detection: { id: d.id, name: d.name, type: d.type, origin: d.origin },
    annotations: {
      mitre_attack: [...a.mitre_attack],
      mitre_technique_id: [...a.mitre_technique_id],
      mitre_technique: [...a.mitre_technique],
      mitre_tactic_id: [...a.mitre_tactic_id],
      mitre_tactic: [...a.mitre_tactic],
    },
  };
}

/**
 * A number read from a typed array as V8 stores a whole number it computed itself. Read from a
 * Float64Array, a whole number is a boxed double; stored in the same member of an object in
 * which this thread keeps small integers (a held event's `at`), it changes the member's
 * representation, which deprecates the hidden class of every object made before: each is
 * migrated when next read (seen with V8's %DebugPrint: "deprecated_map"), and ranking and the
 * incident rules over the 150,000 events of twelve corpus copies took about 230 ms instead of
 * 170 ms.
 */
function smallIntIfWhole(x: number): number {
  return (x | 0) === x ? x | 0 : x;
}

/** The main thread's side of a part: its events (in print order) and what prints their lines. */
export function threadRiskEvents(part: ThreadRiskPart, share: HeldRisk | null): { readonly held: HeldRisk; readonly list: RiskList } {
  const rules = part.rules.map((r) => {
    const own = madeHere(r);
    return share === null ? own : share.sharedRule(own);
  });
  const placed: PlacedRisk[] = new Array(part.time.length);
  for (let i = 0; i < placed.length; i++) {
    const r = rules[part.rule[i]!];
    if (r === undefined) throw new Error(`a thread's risk event names rule #${part.rule[i]}, which it did not send`);
    const k = part.entity[i]! * 2;
    placed[i] = placedRisk(
      smallIntIfWhole(part.time[i]!),
      part.entities[k + 1]!,
      part.entities[k]! as RankedRisk['risk_object_type'],
      r.riskScore,
      r.calculatedScore,
      r.source,
      r.detection,
      r.annotations,
      smallIntIfWhole(part.at[i]!),
      part.len[i]!,
      smallIntIfWhole(part.key[i]!),
      r.pieces,
    );
  }
  const { held, events } = HeldRisk.reading(part.file, part.memory, placed);
  return { held, list: { events, time: part.time, rank: part.rank, combos: part.combos, key: part.key } };
}

/** A rule's parts as a worker's file records them (`R` lines). */
interface RecoveredRule {
  readonly pieces: SigmaRulePieces;
  readonly score: number;
  readonly calculated: number;
  readonly source: string;
  readonly detection: RankedRisk['detection'];
  readonly annotations: RankedRisk['annotations'];
}

/** One line of a worker's file as an event (rules recorded in `rules` as their lines come). */
function recoveredEvent(line: string, rules: RecoveredRule[]): EncodedRisk | null {
  switch (line[0]) {
    case 'R':
      rules.push(JSON.parse(line.slice(1)) as RecoveredRule);
      return null;
    case 'J':
      return encodeRisk(JSON.parse(line.slice(2)) as RiskEvent);
    case 'E': {
      const tab = line.indexOf('\t');
      if (tab < 0) throw new Error('no tab');
      const [n, time, type, object, key] = JSON.parse(line.slice(1, tab)) as [number, number, RankedRisk['risk_object_type'], string, number];
      const r = rules[n];
      if (r === undefined) throw new Error(`rule #${n} not recorded`);
      return {
        kind: 'sigma',
        stored: line.slice(tab + 1),
        key,
        pieces: r.pieces,
        _time: time,
        risk_object: object,
        risk_object_type: type,
        risk_score: r.score,
        calculated_risk_score: r.calculated,
        source: r.source,
        detection: r.detection,
        annotations: r.annotations,
      };
    }
    default:
      throw new Error('not a risk record');
  }
}

/**
 * The events a dead worker held, read back from its file and given to `add` (see
 * `ThreadRiskHolder.describe` for what the file says). What it had not yet written is gone; a
 * line cut short or unreadable is counted in `bad`.
 */
export async function recoverRiskFile(file: string, add: (e: EncodedRisk) => void): Promise<{ readonly events: number; readonly bad: number }> {
  let events = 0;
  let bad = 0;
  const rules: RecoveredRule[] = [];
  for await (const lines of readLines(createReadStream(file))) {
    for (const { text, overlong } of lines) {
      if (text.length === 0) continue;
      if (overlong !== undefined) {
        bad++;
        continue;
      }
      try {
        const e = recoveredEvent(text, rules);
        if (e === null) continue;
        add(e);
        events++;
      } catch {
        bad++;
      }
    }
  }
  return { events, bad };
}

/** A time as the merge compares it: one that is not a number sorts first, so the order is total. */
function timeKey(t: number): number {
  return t === t ? t : -Infinity;
}

/** `events` put in order of time alone (stable), as a list to merge (its ranks and keys are never read). */
export function timeOrderedList(events: readonly RankedRisk[]): RiskList {
  const sorted = [...events].sort((a, b) => {
    const x = timeKey(a._time);
    const y = timeKey(b._time);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return { events: sorted, time: Float64Array.from(sorted, (e) => e._time), rank: new Uint32Array(sorted.length), combos: [], key: new Uint32Array(sorted.length) };
}

/**
 * Lists of risk events merged into the order a hunt prints them. Lists 1 and up are in
 * `HeldRisk.sorted` order (time, detection, entity type, entity, content hash) and merge by it;
 * list 0 is ordered by time alone and comes first among events of the same time (the
 * Splunk-style detections' events, which precede the Sigma events of their second). Equal events
 * of different lists (the same text) go in list order. Returns the events and each one's list.
 */
export function mergeRiskLists(lists: readonly RiskList[]): { readonly events: RankedRisk[]; readonly from: Uint16Array } {
  if (lists.length > 0xffff) throw new Error(`${lists.length} risk lists to merge`);
  // Each list ranked its own (detection, entity type, entity) combinations in text order: rank
  // them all together once (a few thousand), so the merge compares numbers, not strings.
  const all: { readonly list: number; readonly rank: number; readonly id: string; readonly type: string; readonly object: string }[] = [];
  lists.forEach((l, list) => {
    if (list === 0) return;
    for (let r = 0; 3 * r < l.combos.length; r++) all.push({ list, rank: r, id: l.combos[3 * r]!, type: l.combos[3 * r + 1]!, object: l.combos[3 * r + 2]! });
  });
  all.sort((a, b) => textOrder(a.id, b.id) || textOrder(a.type, b.type) || textOrder(a.object, b.object));
  const global = lists.map((l) => new Uint32Array(l.combos.length / 3));
  let g = -1;
  all.forEach((c, i) => {
    const p = all[i - 1];
    if (p === undefined || p.id !== c.id || p.type !== c.type || p.object !== c.object) g++;
    global[c.list]![c.rank] = g;
  });

  const total = lists.reduce((n, l) => n + l.events.length, 0);
  const events = new Array<RankedRisk>(total);
  const from = new Uint16Array(total);
  const next = new Uint32Array(lists.length);
  const before = (a: number, b: number): boolean => {
    const la = lists[a]!;
    const lb = lists[b]!;
    const i = next[a]!;
    const j = next[b]!;
    const ta = timeKey(la.time[i]!);
    const tb = timeKey(lb.time[j]!);
    if (ta !== tb) return ta < tb;
    if (a === 0 || b === 0) return a < b;
    const c = global[a]![la.rank[i]!]! - global[b]![lb.rank[j]!]! || la.key[i]! - lb.key[j]!;
    return c !== 0 ? c < 0 : a < b;
  };
  // A binary heap of the lists by their next event.
  const heap: number[] = [];
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  lists.forEach((l, i) => {
    if (l.events.length > 0) heap.push(i);
  });
  for (let i = Math.floor(heap.length / 2) - 1; i >= 0; i--) down(i);
  for (let out = 0; out < total; out++) {
    const top = heap[0]!;
    events[out] = lists[top]!.events[next[top]!]!;
    from[out] = top;
    if (++next[top]! === lists[top]!.events.length) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    if (heap.length > 0) down(0);
  }
  return { events, from };
}

/**
 * Where a hunt's Sigma risk events go (HuntEnd makes it): the main thread's own findings' events
 * are added here; hunt workers hold theirs (the worker pool and the hunt loop use the rest).
 */
export interface RiskHolding {
  add(events: readonly EncodedRisk[]): void;
  readonly budget: SharedArrayBuffer;
  readonly limit: number;
  /** A fresh file for a worker to hold its events in; null when none can be had (it holds them in memory). */
  newFile(): string | null;
  /** A worker died: what it held is read back from its file (null: it had none). */
  recover(file: string | null): void;
  /** The JSON lines of risk events are printed (JSONL): workers write theirs in order for the end. */
  readonly printsLines: boolean;
  /** The workers' parts, asked for when the input ends (null for a worker that died meanwhile). */
  collect(parts: Promise<readonly (ThreadRiskEnd | null)[]>): void;
}
