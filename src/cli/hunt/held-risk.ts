/**
 * The risk events of Sigma findings, held until the end of a hunt with memory that stays small
 * however many findings there are. What varies per event goes to a temporary file as it
 * arrives (for a Sigma finding's events, only the members that vary per finding, once for the
 * finding; for any other event, its whole JSON); memory keeps a lean copy with what ranking and
 * the incident rules read (time, entity, scores, source, detection, ATT&CK annotations), its
 * strings, annotation objects and the rule's JSON pieces shared between events, plus where its
 * text lies in the file. Printing reads the texts back in the order of the lean copies and puts
 * each line together.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RankedRisk, RiskEvent } from '../../risk/index.js';
import { sigmaRuleMembers, type SigmaFindingRisk, type SigmaRuleRisk } from '../../risk/sigma-risk.js';
import { assertNever } from '../../core/xml-tree.js';
import { ByteLines } from '../output/byte-lines.js';

/** A held list in print order, as `HeldRisk.sortedPlaces` gives it. */
export interface SortedHeld extends RiskList {
  readonly at: Float64Array;
  readonly len: Uint32Array;
  readonly memory: readonly string[] | null;
}

/**
 * Risk events in print order with what merging lists compares (thread-risk.ts mergeRiskLists):
 * `time[i]`, then the rank of the event's (detection id, entity type, entity) among the list's
 * own (`combos[3 * rank[i]]` to `combos[3 * rank[i] + 2]`, ranked in text order), then `key[i]`.
 */
export interface RiskList {
  readonly events: readonly RankedRisk[];
  readonly time: Float64Array;
  readonly rank: Uint32Array;
  readonly combos: readonly string[];
  readonly key: Uint32Array;
}

/** An event's ranking fields and where its text lies (see `HeldRisk.reading`). */
export interface PlacedRisk extends RankedRisk {
  readonly at: number;
  readonly len: number;
  readonly key: number;
}

/**
 * An event's ranking fields and where its text lies, made as every held event is: an event
 * another thread held, made here to print with `HeldRisk.reading`, has the same shape as this
 * thread's own (ranking reads both in one list), and is built directly (copies made by spreading
 * took 165 ms for 78,000 events, this 35 ms).
 */
export function placedRisk(
  time: number,
  object: string,
  type: RankedRisk['risk_object_type'],
  score: number,
  calculated: number,
  source: string,
  detection: RankedRisk['detection'],
  annotations: RankedRisk['annotations'],
  at: number,
  len: number,
  key: number,
  pieces: SigmaRulePieces | null,
): PlacedRisk {
  const e: LeanRisk = {
    _time: time,
    risk_object: object,
    risk_object_type: type,
    risk_score: score,
    calculated_risk_score: calculated,
    source,
    detection,
    annotations,
    at,
    len,
    key,
    pieces,
  };
  return e;
}

/** An event's (detection, entity type, entity) and its rank among the list's. */
interface HeldCombo {
  readonly e: LeanRisk;
  rank: number;
}

// The helpers of HeldRisk.sortedHeld below each hold one loop: it runs once over every event at
// the end of a run, and V8 compiled the one function again for each loop and each path not yet
// run after it (all of that on the thread that prints).

/** Each event's combination, and the distinct ones in first-seen order. */
function combosOf(held: readonly LeanRisk[]): { readonly combo: HeldCombo[]; readonly distinct: HeldCombo[] } {
  const combos = new Map<string, Map<string, Map<string, HeldCombo>>>();
  const distinct: HeldCombo[] = [];
  const combo = new Array<HeldCombo>(held.length);
  for (let i = 0; i < held.length; i++) {
    const e = held[i]!;
    let byType = combos.get(e.detection.id);
    if (byType === undefined) combos.set(e.detection.id, (byType = new Map()));
    let byObject = byType.get(e.risk_object_type);
    if (byObject === undefined) byType.set(e.risk_object_type, (byObject = new Map()));
    let c = byObject.get(e.risk_object);
    if (c === undefined) {
      byObject.set(e.risk_object, (c = { e, rank: 0 }));
      distinct.push(c);
    }
    combo[i] = c;
  }
  return { combo, distinct };
}

function sortKeys(held: readonly LeanRisk[], combo: readonly HeldCombo[], time: Float64Array, rank: Uint32Array, order: number[]): void {
  for (let i = 0; i < held.length; i++) {
    time[i] = held[i]!._time;
    rank[i] = combo[i]!.rank;
    order[i] = i;
  }
}

function permuted(order: readonly number[], held: readonly LeanRisk[], time: Float64Array, rank: Uint32Array, to: { readonly events: LeanRisk[]; readonly time: Float64Array; readonly rank: Uint32Array }): void {
  for (let i = 0; i < order.length; i++) {
    const j = order[i]!;
    to.events[i] = held[j]!;
    to.time[i] = time[j]!;
    to.rank[i] = rank[j]!;
  }
}

/** Three texts per combination, in rank order. */
function comboNames(distinct: readonly HeldCombo[]): string[] {
  const names: string[] = [];
  for (const c of distinct) names.push(c.e.detection.id, c.e.risk_object_type, c.e.risk_object);
  return names;
}

/** A held event: what ranking and the incident rules read, and where its stored text lies. */
interface LeanRisk extends RankedRisk {
  /** Byte offset of the event's stored text in the file, or -1 - index into the in-memory texts. */
  at: number;
  len: number;
  /** The content's hash: the last tie-breaker of the order, so every thread count prints alike. */
  readonly key: number;
  /** The rule's shared JSON for a Sigma event (its stored text is only the varying parts); null when the stored text is the whole line. */
  readonly pieces: SigmaRulePieces | null;
}

const FLUSH_BYTES = 1 << 20;
const NEWLINE = 0x0a;
/** Read-back block size and how many blocks stay cached (1 MB). */
const READ_BLOCK = 16 * 1024;
const CACHED_BLOCKS = 64;
/** Between the two varying parts of a Sigma event's stored text: JSON text never holds a raw NUL. */
const PART_SEPARATOR = '\u0000';

/** FNV-1a over UTF-16 code units, continuing from `seed` (so hashes of several texts chain). */
function hashText(text: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Code-unit order of two texts: the order of held lists and of their merge (thread-risk.ts). */
export function textOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A risk event as a thread hands it over: the text to hold and the fields ranking reads. Made
 * where the finding was made (a hunt worker does the JSON work and posts it with the event).
 * `key` depends on the event's content only (equal events get equal keys, whichever thread
 * made them), so the order of ties is the same for every thread count.
 */
export type EncodedRisk = EncodedJsonRisk | EncodedSigmaRisk;

/** Any risk event: `stored` is its whole JSON line and `key` the FNV-1a hash of that line. */
export interface EncodedJsonRisk extends RankedRisk {
  readonly kind: 'json';
  readonly stored: string;
  readonly key: number;
}

/**
 * A Sigma finding's event: `stored` holds only what varies per finding, the members from
 * `"risk_message"` to `"threat_object_type"`, a NUL, then `"fields"` and the closing brace; the
 * rest of the line is rebuilt at print time from the ranking fields and the rule's `pieces`.
 * `key` chains FNV-1a over the rule's pieces (`pieces.hash`), `stored`, the entity type and the
 * entity.
 */
export interface EncodedSigmaRisk extends RankedRisk {
  readonly kind: 'sigma';
  readonly stored: string;
  readonly key: number;
  readonly pieces: SigmaRulePieces;
}

export function encodeRisk(e: RiskEvent): EncodedJsonRisk {
  const json = JSON.stringify(e);
  return {
    kind: 'json',
    stored: json,
    key: hashText(json),
    _time: e._time,
    risk_object: e.risk_object,
    risk_object_type: e.risk_object_type,
    risk_score: e.risk_score,
    calculated_risk_score: e.calculated_risk_score,
    source: e.source,
    detection: e.detection,
    annotations: e.annotations,
  };
}

/**
 * `"key":value,...` of an object as JSON.stringify writes it inside the braces, with a leading
 * comma ('' when nothing is written): a run of members rendered once and pasted into events.
 */
function membersJson(members: object): string {
  const json = JSON.stringify(members);
  return json === '{}' ? '' : ',' + json.slice(1, -1);
}

/** The JSON a Sigma rule's risk events share, as held events carry it (one object per rule). */
export interface SigmaRulePieces {
  /** `,"risk_score":…,"calculated_risk_score":…` */
  readonly scores: string;
  /** `,"source":…` to `,"info_max_time":null`. */
  readonly middle: string;
  /** FNV-1a of scores then middle: where the order key of the rule's events starts. */
  readonly hash: number;
}

/**
 * The JSON every risk event of a Sigma rule shares, rendered once per rule. The event's members
 * and their order are those of `sigmaRiskEvents` (src/risk/sigma-risk.ts); `encodeSigmaRisk`
 * writes the members that vary and `HeldRisk.line` puts the pieces together
 * (test/unit/finding-emit-fast.test.ts checks the result against JSON.stringify of the event).
 */
export interface SigmaRuleJson {
  readonly rule: SigmaRuleRisk;
  readonly pieces: SigmaRulePieces;
}

export function sigmaRuleJson(rule: SigmaRuleRisk): SigmaRuleJson {
  const members = sigmaRuleMembers(rule);
  const scores = membersJson(members.scores);
  const middle = membersJson(members.shared);
  return { rule, pieces: { scores, middle, hash: hashText(middle, hashText(scores)) } };
}

/** JSON.stringify of a number, without its setup per call (it runs for every risk event). */
function numberJson(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * A Sigma finding's risk events, encoded: `sigmaRiskEvents(risk, fields)` with only the members
 * that vary per finding stringified, once for all the finding's events (they share `stored`).
 * `fieldsJson` is `JSON.stringify(fields)` (a finding line may have made it already).
 */
export function encodeSigmaRisk(risk: SigmaFindingRisk, fieldsJson: string, json: SigmaRuleJson): EncodedSigmaRisk[] {
  const rule = json.rule;
  const pieces = json.pieces;
  const stored =
    ',"risk_message":' +
    JSON.stringify(risk.message) +
    ',"threat_object":' +
    JSON.stringify(risk.threatObjects) +
    ',"threat_object_type":' +
    JSON.stringify(risk.threatObjectTypes) +
    PART_SEPARATOR +
    ',"fields":' +
    fieldsJson +
    '}';
  const storedHash = hashText(stored, pieces.hash);
  return risk.objects.map((o) => ({
    kind: 'sigma',
    stored,
    key: entityHash(storedHash, o.type, o.value),
    pieces,
    _time: risk.time,
    risk_object: o.value,
    risk_object_type: o.type,
    risk_score: rule.score,
    calculated_risk_score: rule.score,
    source: rule.searchName,
    detection: rule.detection,
    annotations: rule.annotations,
  }));
}

/** The order key of one of a Sigma finding's events: its finding's hash, then its entity. */
function entityHash(storedHash: number, type: string, value: string): number {
  return hashText(value, hashText(PART_SEPARATOR, hashText(type, storedHash)));
}

/** A held Sigma event's line up to its stored first part: kind, time, entity, the rule's scores. */
function sigmaLineHead(e: RankedRisk, pieces: SigmaRulePieces, time: string): string {
  return LINE_START + time + entityJson(e) + pieces.scores;
}

const LINE_START = '{"kind":"risk","_time":';
const SEARCH_TIME = ',"info_search_time":';
const LINE_START_BYTES = Buffer.from(LINE_START);
const SEARCH_TIME_BYTES = Buffer.from(SEARCH_TIME);

/** `,"risk_object":…,"risk_object_type":…` of an event. */
function entityJson(e: RankedRisk): string {
  return ',"risk_object":' + JSON.stringify(e.risk_object) + ',"risk_object_type":' + JSON.stringify(e.risk_object_type);
}

/** A held Sigma event's JSON line: its stored parts put back between the rule's pieces. */
function sigmaLine(e: RankedRisk, pieces: SigmaRulePieces, stored: string): string {
  const cut = stored.indexOf(PART_SEPARATOR);
  const time = numberJson(e._time);
  return (
    sigmaLineHead(e, pieces, time) +
    stored.slice(0, cut) +
    pieces.middle +
    SEARCH_TIME +
    time +
    stored.slice(cut + 1)
  );
}

/** The JSON line an encoded event stands for (what `HeldRisk.line` prints for it). */
export function riskLine(e: EncodedRisk): string {
  switch (e.kind) {
    case 'json':
      return e.stored;
    case 'sigma':
      return sigmaLine(e, e.pieces, e.stored);
    default:
      return assertNever(e, 'encoded risk');
  }
}

/** How the file is written (tests replace it to simulate a full disk). */
export type WriteAt = (fd: number, buf: Buffer, offset: number, length: number, position: number) => number;

export interface HeldRiskOptions {
  /** Where the temporary folder goes (default: the system's temporary folder). */
  readonly tmpDir?: string;
  /**
   * Exactly this file instead of a temporary folder of its own (the caller owns the file's folder
   * and removes it). Null: no file, the texts are kept in memory (the caller has said why).
   */
  readonly file?: string | null;
  /**
   * Written before each event's stored text, which is then followed by a newline (neither is part
   * of the text): with it the file alone tells each event, so another thread can read the events
   * back if the one holding them dies (thread-risk.ts). Every event's text is stored then, even
   * one the event before shares.
   */
  readonly describe?: (e: EncodedRisk) => string;
  readonly writeAt?: WriteAt;
  /** Told once when the file cannot be made or written and lines are kept in memory instead. */
  readonly warn?: (message: string) => void;
}

export class HeldRisk {
  private readonly held: LeanRisk[] = [];
  private readonly strings = new Map<string, string>();
  private readonly shared = new Map<string, object>();
  /** Rule pieces by their hash, one object per distinct content. */
  private readonly pieces = new Map<number, SigmaRulePieces[]>();
  /** Blocks of the file read back for printing, least recently used first. */
  private readonly blocks = new Map<number, Buffer>();
  /** Objects seen → the shared one (worker events arrive as copies and miss, harmlessly). */
  private readonly canonical = new WeakMap<object, object>();
  /** Stored texts not yet in the file, as UTF-8, from file offset `written`. */
  private buf: Buffer;
  private pos = 0;
  /** Index in `held` of the first event added since the last write to the file. */
  private pendingFrom = 0;
  private written = 0;
  private closed = false;
  /** The last event added and its stored text: a finding's events share the text, held once. */
  private last: { readonly lean: LeanRisk; readonly stored: string } | null = null;
  /** Stored texts kept in memory once the file failed (null while the file works). */
  private memory: string[] | null = null;
  /** Holds another thread's events (`reading`): only printed from. */
  private readOnly = false;
  /** The lines of `held`, in order, in a file of their own (`readInOrder`), and the next one's index. */
  private inOrder: { readonly fd: number; readonly lengths: Uint32Array; readonly reader: SequentialBytes; next: number } | null = null;
  /** A rule's shared JSON pieces as UTF-8 (scores, middle), made on its first printed event. */
  private readonly pieceBytes = new Map<SigmaRulePieces, { readonly scores: Buffer; readonly middle: Buffer }>();
  /** `entityJson` as UTF-8 by entity type, then entity (bounded like the interned strings). */
  private readonly entityBytes = new Map<string, Map<string, Buffer>>();
  private entityBytesCount = 0;
  /** Where a stored text spanning blocks is put together for printing (grows as needed). */
  private scratch: Buffer = Buffer.alloc(0);
  /** A block that fell out of the cache, read into again instead of a new one. */
  private spareBlock: Buffer | null = null;

  private constructor(
    private readonly dir: string | null,
    private readonly fd: number | null,
    private readonly writeAt: WriteAt,
    private readonly warn: (message: string) => void,
    /** HeldRiskOptions.describe. */
    private readonly describe: ((e: EncodedRisk) => string) | null = null,
  ) {
    this.buf = Buffer.allocUnsafe(fd === null ? 0 : FLUSH_BYTES);
  }

  static create(options: HeldRiskOptions = {}): HeldRisk {
    const warn = options.warn ?? ((): void => undefined);
    const writeAt = options.writeAt ?? ((fd, buf, offset, length, position) => writeSync(fd, buf, offset, length, position));
    let dir: string | null = null;
    try {
      if (options.file === null) {
        const held = new HeldRisk(null, null, writeAt, warn);
        held.memory = [];
        return held;
      }
      if (options.file !== undefined) return new HeldRisk(null, openSync(options.file, 'w+'), writeAt, warn, options.describe ?? null);
      dir = mkdtempSync(path.join(options.tmpDir ?? tmpdir(), 'vigil-risk-'));
      return new HeldRisk(dir, openSync(path.join(dir, 'risk.jsonl'), 'w+'), writeAt, warn);
    } catch (err) {
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
      const held = new HeldRisk(null, null, writeAt, warn);
      held.toMemory(err);
      return held;
    }
  }

  /**
   * Events another thread held and sorted (`sortedPlaces` there), to be printed from here: their
   * texts are read from that thread's `file` (null: it had none) or, for a negative `at`, from
   * `memory`. Nothing can be added; `discard` only closes the file (its folder is the caller's).
   */
  static reading(file: string | null, memory: readonly string[] | null, events: readonly PlacedRisk[]): { readonly held: HeldRisk; readonly events: readonly RankedRisk[] } {
    const held = new HeldRisk(null, file === null ? null : openSync(file, 'r'), () => 0, () => undefined);
    // Never added to: the other thread's texts are used as they came.
    held.memory = memory as string[] | null;
    held.readOnly = true;
    for (const e of events) {
      if (!('pieces' in e)) throw new Error('HeldRisk.reading takes events made by placedRisk');
      held.held.push(e as LeanRisk);
    }
    return { held, events: held.held };
  }

  get size(): number {
    return this.held.length;
  }

  /** Whether texts went to a file at all (false: it could not be made; they are all in memory). */
  get hasFile(): boolean {
    return this.fd !== null;
  }

  add(e: EncodedRisk): void {
    if (this.closed) throw new Error('HeldRisk.add after discard');
    if (this.readOnly) throw new Error("HeldRisk.add on another thread's events");
    const stored = e.stored;
    const lean = placedRisk(
      e._time,
      this.intern(e.risk_object),
      e.risk_object_type,
      e.risk_score,
      e.calculated_risk_score,
      this.intern(e.source),
      this.share('d', e, e.detection),
      this.share('a', e, e.annotations),
      0,
      0,
      e.key,
      e.kind === 'sigma' ? this.sharePieces(e.pieces) : null,
    ) as LeanRisk;
    const last = this.last;
    if (last !== null && last.stored === stored && this.describe === null) {
      // The same text as the event before (another entity of the same finding): point at it.
      lean.at = last.lean.at;
      lean.len = last.lean.len;
    } else {
      this.store(lean, stored, this.describe?.(e) ?? null);
    }
    this.held.push(lean);
    this.last = { lean, stored };
  }

  /** Puts an event's stored text in the write buffer (or in memory) and says where it lies. */
  private store(lean: LeanRisk, stored: string, head: string | null): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8: with that much room the write is whole.
    const room = (stored.length + (head?.length ?? 0)) * 3 + 1;
    if (this.memory === null && this.pos + room > this.buf.length) {
      this.flush();
      if (room > this.buf.length) this.buf = Buffer.allocUnsafe(room);
    }
    if (this.memory !== null) {
      lean.at = -1 - this.memory.length;
      this.memory.push(stored);
      return;
    }
    if (head !== null) this.pos += this.buf.write(head, this.pos);
    lean.at = this.written + this.pos;
    lean.len = this.buf.write(stored, this.pos);
    this.pos += lean.len;
    if (head !== null) this.buf[this.pos++] = NEWLINE;
  }

  /**
   * The lean events in print order: time, detection, entity type, entity, then the content's
   * hash (events equal up to there are, in practice, the same text). Ranking and incidents read them.
   */
  sorted(): RankedRisk[] {
    return this.sortedHeld().events;
  }

  private sortedHeld(): { readonly events: LeanRisk[]; readonly time: Float64Array; readonly rank: Uint32Array; readonly combos: string[] } {
    const held = this.held;
    // Ties on time are broken by (detection, entity type, entity), texts with few distinct
    // combinations: each combination is ranked once, so the sort compares numbers, not strings.
    const { combo, distinct } = combosOf(held);
    distinct.sort((a, b) => textOrder(a.e.detection.id, b.e.detection.id) || textOrder(a.e.risk_object_type, b.e.risk_object_type) || textOrder(a.e.risk_object, b.e.risk_object));
    distinct.forEach((c, rank) => (c.rank = rank));
    const n = held.length;
    const time = new Float64Array(n);
    const rank = new Uint32Array(n);
    const order = new Array<number>(n);
    sortKeys(held, combo, time, rank, order);
    // A time that is not a number compares as a tie, as `a._time - b._time` does.
    order.sort((a, b) => time[a]! - time[b]! || rank[a]! - rank[b]! || held[a]!.key - held[b]!.key);
    const sorted = { events: new Array<LeanRisk>(n), time: new Float64Array(n), rank: new Uint32Array(n), combos: comboNames(distinct) };
    permuted(order, held, time, rank, sorted);
    return sorted;
  }

  /**
   * `sorted()` as lists to merge (thread-risk.ts mergeRiskLists) and print from another thread
   * (`reading`): each event's time, order key, and rank among this list's (detection, entity
   * type, entity) combinations (`combos`, three texts per rank), and where its text lies. The
   * file is written up to date first. A negative `at` is `-1 - i` for `memory[i]` (texts kept in
   * memory once the file failed).
   */
  sortedPlaces(): SortedHeld {
    this.sync();
    const { events, time, rank, combos } = this.sortedHeld();
    const at = new Float64Array(events.length);
    const len = new Uint32Array(events.length);
    const key = new Uint32Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      at[i] = e.at;
      len[i] = e.len;
      key[i] = e.key;
    }
    return { events, time, rank, combos, key, at, len, memory: this.memory };
  }

  /** Writes what is buffered to the file (a thread that dies later leaves its events readable). */
  sync(): void {
    this.flush();
  }

  /**
   * Writes the JSON lines of `events` (from `sortedPlaces`), back to back, to `file`: the holding
   * thread's work, so that the thread printing them reads one file straight through
   * (`readInOrder`) rather than each line from where it was held. Returns each line's length.
   */
  writeInOrder(events: readonly RankedRisk[], file: string): Uint32Array {
    const lengths = new Uint32Array(events.length);
    const fd = openSync(file, 'w');
    try {
      const out = new ByteLines();
      let at = 0;
      const write = (all: boolean): void => {
        for (const piece of out.take(all)) {
          for (let done = 0; done < piece.length; ) {
            const n = writeSync(fd, piece, done, piece.length - done, at);
            done += n;
            at += n;
          }
          out.reuse(piece);
        }
      };
      for (let i = 0; i < events.length; i++) {
        const before = out.size;
        if (!this.appendLine(events[i]!, out)) throw new Error('HeldRisk.writeInOrder takes events held here');
        lengths[i] = out.size - before;
        if (out.hasFull) write(false);
      }
      write(true);
    } finally {
      closeSync(fd);
    }
    return lengths;
  }

  /**
   * Prints the events of `reading` (held in print order) from `file` as the other thread's
   * `writeInOrder` wrote them (`lengths`: each line's bytes), read straight through; an event
   * asked for out of that order, or a file cut short, sends this and later lines back to being
   * read from where they were held. `from`: the lines before it were printed already (the file
   * came while printing), so reading starts at line `from`.
   */
  readInOrder(file: string, lengths: Uint32Array, from = 0): void {
    if (!this.readOnly || this.inOrder !== null || lengths.length !== this.held.length || from >= lengths.length) return;
    let at = 0;
    for (let i = 0; i < from; i++) at += lengths[i]!;
    const fd = openSync(file, 'r');
    this.inOrder = { fd, lengths, reader: new SequentialBytes(fd, at), next: from };
  }

  private nextInOrder(e: LeanRisk): { readonly buf: Buffer; readonly from: number; readonly end: number } | null {
    const o = this.inOrder!;
    const line = this.held[o.next] === e ? o.reader.take(o.lengths[o.next]!) : null;
    if (line === null) {
      this.endInOrder();
      return null;
    }
    o.next++;
    return line;
  }

  private endInOrder(): void {
    if (this.inOrder === null) return;
    closeSync(this.inOrder.fd);
    this.inOrder = null;
  }

  /** The full JSON line of an event from `sorted()`; null for an event not held here. */
  line(e: RankedRisk): string | null {
    const lean = e as Partial<LeanRisk>;
    if (lean.at === undefined || lean.len === undefined || lean.pieces === undefined) return null;
    const stored = this.storedText(lean as LeanRisk);
    if (stored === null || lean.pieces === null) return stored;
    return sigmaLine(lean as LeanRisk, lean.pieces, stored);
  }

  private storedText(lean: LeanRisk): string | null {
    const stored = this.storedBytes(lean);
    if (stored !== null) return stored.buf.toString('utf8', stored.from, stored.end);
    return lean.at < 0 ? (this.memory?.[-1 - lean.at] ?? null) : null;
  }

  private block(index: number): Buffer {
    const hit = this.blocks.get(index);
    if (hit !== undefined) {
      // Most recently used last: the Map's order is the eviction order.
      this.blocks.delete(index);
      this.blocks.set(index, hit);
      return hit;
    }
    if (this.blocks.size >= CACHED_BLOCKS) {
      const oldest = this.blocks.keys().next().value as number;
      const evicted = this.blocks.get(oldest)!;
      this.blocks.delete(oldest);
      // The callers copy out of a block before they ask for another, and the one asked for
      // last is never the oldest, so its memory can take the next read.
      if (evicted.length === READ_BLOCK) this.spareBlock = evicted;
    }
    const into = this.spareBlock ?? Buffer.allocUnsafe(READ_BLOCK);
    this.spareBlock = null;
    const bytes = this.readInto(into, index * READ_BLOCK);
    this.blocks.set(index, bytes);
    return bytes;
  }

  /**
   * Appends the JSON line of an event from `sorted()` to `out` (no newline), as `line` gives it
   * but without making it a string: the stored bytes and the rule's shared JSON are copied as
   * they are. False for an event not held here.
   */
  appendLine(e: RankedRisk, out: ByteLines): boolean {
    const lean = e as Partial<LeanRisk>;
    if (lean.at === undefined || lean.len === undefined || lean.pieces === undefined) return false;
    const held = lean as LeanRisk;
    if (this.inOrder !== null) {
      const line = this.nextInOrder(held);
      if (line !== null) {
        out.bytes(line.buf, line.from, line.end);
        return true;
      }
    }
    const stored = this.storedBytes(held);
    const pieces = held.pieces;
    const cut = stored === null || pieces === null ? -1 : stored.buf.indexOf(0, stored.from);
    // Kept in memory (the file failed), or (never seen) a Sigma text without its separator: as a string.
    if (stored === null || (pieces !== null && (cut < 0 || cut >= stored.end))) {
      const text = this.line(e);
      if (text === null) return false;
      out.text(text);
      return true;
    }
    if (pieces === null) {
      out.bytes(stored.buf, stored.from, stored.end);
      return true;
    }
    // The same members in the same order as sigmaLine, every piece but the time copied as bytes.
    const time = numberJson(held._time);
    let rule = this.pieceBytes.get(pieces);
    if (rule === undefined) this.pieceBytes.set(pieces, (rule = { scores: Buffer.from(pieces.scores), middle: Buffer.from(pieces.middle) }));
    const entity = this.entityBytesOf(held);
    out.bytes(LINE_START_BYTES, 0, LINE_START_BYTES.length);
    out.ascii(time);
    out.bytes(entity, 0, entity.length);
    out.bytes(rule.scores, 0, rule.scores.length);
    out.bytes(stored.buf, stored.from, cut);
    out.bytes(rule.middle, 0, rule.middle.length);
    out.bytes(SEARCH_TIME_BYTES, 0, SEARCH_TIME_BYTES.length);
    out.ascii(time);
    out.bytes(stored.buf, cut + 1, stored.end);
    return true;
  }

  private entityBytesOf(e: RankedRisk): Buffer {
    let byObject = this.entityBytes.get(e.risk_object_type);
    if (byObject === undefined) this.entityBytes.set(e.risk_object_type, (byObject = new Map()));
    const hit = byObject.get(e.risk_object);
    if (hit !== undefined) return hit;
    const bytes = Buffer.from(entityJson(e));
    // Past this many entities new ones are encoded per line, not kept.
    if (this.entityBytesCount < 100_000) {
      byObject.set(e.risk_object, bytes);
      this.entityBytesCount++;
    }
    return bytes;
  }

  /**
   * The stored UTF-8 of an event in the file, `buf[from, end)`: in a cached block, or its blocks
   * copied together. Null when the text is not in the file (kept in memory, or no file).
   */
  private storedBytes(lean: LeanRisk): { readonly buf: Buffer; readonly from: number; readonly end: number } | null {
    if (lean.at >= 0 && lean.at + lean.len > this.written) this.flush();
    if (lean.at < 0 || this.fd === null) return null;
    const { at, len } = lean;
    const first = Math.floor(at / READ_BLOCK);
    const last = Math.floor((at + Math.max(len, 1) - 1) / READ_BLOCK);
    // Printing goes by time, which visits a few places of the file at a time (one per input
    // whose events overlap in time): cached blocks serve most lines without a read of their own.
    if (first === last) {
      const a = this.block(first);
      const from = at - first * READ_BLOCK;
      if (from + len <= a.length) return { buf: a, from, end: from + len };
    }
    if (this.scratch.length < len) this.scratch = Buffer.allocUnsafe(Math.max(len, 2 * READ_BLOCK));
    if (last - first === 1) {
      const a = this.block(first);
      const from = at - first * READ_BLOCK;
      const head = Math.min(a.length - from, len);
      a.copy(this.scratch, 0, from, from + head);
      const b = this.block(last);
      return { buf: this.scratch, from: 0, end: head + b.copy(this.scratch, head, 0, Math.min(b.length, len - head)) };
    }
    return { buf: this.scratch, from: 0, end: this.readInto(this.scratch.subarray(0, len), at).length };
  }

  /** Reads `into.length` bytes from `at` (fewer at the end of the file): the part read. */
  private readInto(into: Buffer, at: number): Buffer {
    let got = 0;
    while (got < into.length) {
      const n = readSync(this.fd!, into, got, into.length - got, at + got);
      if (n === 0) break;
      got += n;
    }
    return got === into.length ? into : into.subarray(0, got);
  }

  discard(): void {
    if (this.closed) return;
    this.closed = true;
    this.endInOrder();
    this.memory = null;
    this.last = null;
    this.buf = Buffer.alloc(0);
    try {
      if (this.fd !== null) closeSync(this.fd);
    } finally {
      if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private flush(): void {
    if (this.pos === 0 || this.fd === null || this.memory !== null) return;
    try {
      let done = 0;
      while (done < this.pos) done += this.writeAt(this.fd, this.buf, done, this.pos - done, this.written + done);
    } catch (err) {
      this.toMemory(err);
      return;
    }
    this.written += this.pos;
    this.pos = 0;
    this.blocks.clear(); // the file's last block has grown
    this.pendingFrom = this.held.length;
    // A buffer grown for one long text goes back to its usual size.
    if (this.buf.length > FLUSH_BYTES) this.buf = Buffer.allocUnsafe(FLUSH_BYTES);
  }

  /**
   * The file cannot be made or written (a full or read-only temporary folder): texts not yet in
   * the file, and all later ones, are kept in memory, so no risk event is lost; said once.
   */
  private toMemory(err: unknown): void {
    const memory: string[] = [];
    // Events since the last write point into the buffer (those sharing a text, at the same place).
    const moved = new Map<number, number>();
    for (let i = this.pendingFrom; i < this.held.length; i++) {
      const lean = this.held[i]!;
      if (lean.at < this.written) continue; // in the file already, or in memory
      let index = moved.get(lean.at);
      if (index === undefined) {
        index = memory.length;
        const from = lean.at - this.written;
        memory.push(this.buf.toString('utf8', from, from + lean.len));
        moved.set(lean.at, index);
      }
      lean.at = -1 - index;
    }
    this.memory = memory;
    this.pos = 0;
    this.buf = Buffer.alloc(0);
    this.warn(`risk events are kept in memory: the temporary file could not be written (${err instanceof Error ? err.message : String(err)})`);
  }

  /**
   * This list's objects for a rule's parts that came from another thread (copies): events of
   * both then share the same objects, which keeps reading them in one list fast.
   */
  sharedRule<T extends Pick<RankedRisk, 'detection' | 'source' | 'annotations'>>(rule: T): T {
    return { ...rule, detection: this.share('d', rule, rule.detection), annotations: this.share('a', rule, rule.annotations) };
  }

  /** One pieces object per distinct rule JSON, so held events keep one copy per rule. */
  private sharePieces(p: SigmaRulePieces): SigmaRulePieces {
    const known = this.canonical.get(p);
    if (known !== undefined) return known as SigmaRulePieces;
    let same = this.pieces.get(p.hash);
    let hit = same?.find((q) => q.scores === p.scores && q.middle === p.middle);
    if (hit === undefined) {
      hit = p;
      if (same === undefined && this.pieces.size < 100_000) this.pieces.set(p.hash, (same = []));
      same?.push(p);
    }
    this.canonical.set(p, hit);
    return hit;
  }

  private intern(s: string): string {
    const hit = this.strings.get(s);
    if (hit !== undefined) return hit;
    // Bounded: past this many distinct strings new ones are kept as they are.
    if (this.strings.size < 100_000) this.strings.set(s, s);
    return s;
  }

  /**
   * One object per detection for its reference and annotations, so they are not copied per
   * event. Both follow from the rule, named by its id and `source` (its title).
   */
  private share<T extends object>(kind: string, e: Pick<RankedRisk, 'detection' | 'source'>, value: T): T {
    // Events made on this thread already share one object per rule: no key to build for those.
    const known = this.canonical.get(value);
    if (known !== undefined) return known as T;
    const key = `${kind}${e.detection.id}\u0000${e.source}`;
    let hit = this.shared.get(key) as T | undefined;
    if (hit === undefined) {
      hit = value;
      if (this.shared.size < 100_000) this.shared.set(key, value);
    }
    this.canonical.set(value, hit);
    return hit;
  }
}

/** A file read straight through in pieces of any length, a megabyte at a time. */
class SequentialBytes {
  private buf = Buffer.allocUnsafe(FLUSH_BYTES);
  private from = 0;
  private end = 0;

  /** Reads `fd` from byte `at` on. */
  constructor(
    private readonly fd: number,
    private at = 0,
  ) {}

  /** The next `n` bytes, valid until the next call; null when the file ends first. */
  take(n: number): { readonly buf: Buffer; readonly from: number; readonly end: number } | null {
    if (this.end - this.from < n) {
      // Keep what is left at the front, then fill the rest (a longer buffer for a longer line).
      if (n > this.buf.length) {
        const bigger = Buffer.allocUnsafe(n);
        this.buf.copy(bigger, 0, this.from, this.end);
        this.buf = bigger;
      } else {
        this.buf.copy(this.buf, 0, this.from, this.end);
      }
      this.end -= this.from;
      this.from = 0;
      while (this.end < n) {
        const got = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.at);
        if (got === 0) return null;
        this.end += got;
        this.at += got;
      }
    }
    const from = this.from;
    this.from += n;
    return { buf: this.buf, from, end: from + n };
  }
}
