/**
 * The risk events of Sigma findings, held until the end of a hunt with memory that stays small
 * however many findings there are. Each event's full JSON goes to a temporary file as it
 * arrives; memory keeps a lean copy with what ranking and the incident rules read (time,
 * entity, scores, source, detection, ATT&CK annotations), its strings and annotation objects
 * shared between events, plus where its JSON line lies in the file. Printing reads the lines
 * back in the order of the lean copies.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RankedRisk, RiskEvent } from '../../risk/index.js';
import type { SigmaFindingRisk, SigmaRuleRisk } from '../../risk/sigma-risk.js';
import type { SplValue } from '../../spl/exec/types.js';

/** A held event: what ranking and the incident rules read, and where its JSON line lies. */
interface LeanRisk extends RankedRisk {
  /** Byte offset of the event's JSON line in the file, or -1 - index into the in-memory lines. */
  at: number;
  readonly len: number;
  /** Hash of the JSON: the last tie-breaker of the order, so every thread count prints alike. */
  readonly key: number;
}

const FLUSH_BYTES = 1 << 20;
/** Read-back block size and how many blocks stay cached (1 MB). */
const READ_BLOCK = 16 * 1024;
const CACHED_BLOCKS = 64;

/** FNV-1a over UTF-16 code units. */
function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function textOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A risk event as a thread hands it over: its JSON line and the fields ranking reads. Made where
 * the finding was made (a hunt worker does the JSON work and posts one flat string per event).
 */
export interface EncodedRisk extends RankedRisk {
  readonly json: string;
  /** The JSON's UTF-8 length and hash, worked out with it (off the main thread in workers). */
  readonly bytes: number;
  readonly key: number;
}

export function encodeRisk(e: RiskEvent): EncodedRisk {
  const json = JSON.stringify(e);
  return {
    json,
    bytes: Buffer.byteLength(json),
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

/**
 * The JSON every risk event of a Sigma rule shares, rendered once per rule. The event's members
 * and their order are those of `sigmaRiskEvents` (src/risk/sigma-risk.ts); `encodeSigmaRisk`
 * writes the members that vary around these pieces (test/unit/finding-emit-fast.test.ts checks
 * the result against JSON.stringify of the event).
 */
export interface SigmaRuleJson {
  readonly rule: SigmaRuleRisk;
  /** `,"risk_score":…,"calculated_risk_score":…` */
  readonly scores: string;
  /** `,"source":…` to `,"info_max_time":null`. */
  readonly middle: string;
}

export function sigmaRuleJson(rule: SigmaRuleRisk): SigmaRuleJson {
  return {
    rule,
    scores: membersJson({ risk_score: rule.score, calculated_risk_score: rule.score }),
    middle: membersJson({
      source: rule.searchName,
      search_name: rule.searchName,
      detection: rule.detection,
      analytic_stories: [],
      annotations: rule.annotations,
      info_min_time: null,
      info_max_time: null,
    }),
  };
}

/** JSON.stringify of a number, without its setup per call (it runs for every risk event). */
function numberJson(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * A Sigma finding's risk events, encoded: the same JSON as `encodeRisk` of each event from
 * `sigmaRiskEvents(risk, fields)`, but only the members that vary are stringified, and those
 * the events of one finding share (message, threat objects, time, fields) only once.
 */
export function encodeSigmaRisk(risk: SigmaFindingRisk, fields: Readonly<Record<string, SplValue>>, json: SigmaRuleJson): EncodedRisk[] {
  const rule = json.rule;
  const time = numberJson(risk.time);
  const head = '{"kind":"risk","_time":' + time + ',"risk_object":';
  const tail =
    json.scores +
    ',"risk_message":' +
    JSON.stringify(risk.message) +
    ',"threat_object":' +
    JSON.stringify(risk.threatObjects) +
    ',"threat_object_type":' +
    JSON.stringify(risk.threatObjectTypes) +
    json.middle +
    ',"info_search_time":' +
    time +
    ',"fields":' +
    JSON.stringify(fields) +
    '}';
  // Pieces meet at ASCII punctuation, so their UTF-8 lengths add up.
  const tailBytes = Buffer.byteLength(tail);
  return risk.objects.map((o) => {
    const start = head + JSON.stringify(o.value) + ',"risk_object_type":' + JSON.stringify(o.type);
    const text = start + tail;
    return {
      json: text,
      bytes: Buffer.byteLength(start) + tailBytes,
      key: hashText(text),
      _time: risk.time,
      risk_object: o.value,
      risk_object_type: o.type,
      risk_score: rule.score,
      calculated_risk_score: rule.score,
      source: rule.searchName,
      detection: rule.detection,
      annotations: rule.annotations,
    };
  });
}

/** How the file is written (tests replace it to simulate a full disk). */
export type WriteAt = (fd: number, buf: Buffer, offset: number, length: number, position: number) => number;

export interface HeldRiskOptions {
  /** Where the temporary folder goes (default: the system's temporary folder). */
  readonly tmpDir?: string;
  readonly writeAt?: WriteAt;
  /** Told once when the file cannot be made or written and lines are kept in memory instead. */
  readonly warn?: (message: string) => void;
}

export class HeldRisk {
  private readonly held: LeanRisk[] = [];
  private readonly strings = new Map<string, string>();
  private readonly shared = new Map<string, object>();
  /** Blocks of the file read back for printing, least recently used first. */
  private readonly blocks = new Map<number, Buffer>();
  /** Objects seen → the shared one (worker events arrive as copies and miss, harmlessly). */
  private readonly canonical = new WeakMap<object, object>();
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Index in `held` of the first event whose line is still in `pending`. */
  private pendingFrom = 0;
  private written = 0;
  private closed = false;
  /** Lines kept in memory once the file failed (null while the file works). */
  private memory: string[] | null = null;

  private constructor(
    private readonly dir: string | null,
    private readonly fd: number | null,
    private readonly writeAt: WriteAt,
    private readonly warn: (message: string) => void,
  ) {}

  static create(options: HeldRiskOptions = {}): HeldRisk {
    const warn = options.warn ?? ((): void => undefined);
    const writeAt = options.writeAt ?? ((fd, buf, offset, length, position) => writeSync(fd, buf, offset, length, position));
    let dir: string | null = null;
    try {
      dir = mkdtempSync(path.join(options.tmpDir ?? tmpdir(), 'vigil-risk-'));
      return new HeldRisk(dir, openSync(path.join(dir, 'risk.jsonl'), 'w+'), writeAt, warn);
    } catch (err) {
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
      const held = new HeldRisk(null, null, writeAt, warn);
      held.toMemory(err);
      return held;
    }
  }

  get size(): number {
    return this.held.length;
  }

  add(e: EncodedRisk): void {
    if (this.closed) throw new Error('HeldRisk.add after discard');
    const json = e.json;
    const len = e.bytes;
    const lean: LeanRisk = {
      _time: e._time,
      risk_object: this.intern(e.risk_object),
      risk_object_type: e.risk_object_type,
      risk_score: e.risk_score,
      calculated_risk_score: e.calculated_risk_score,
      source: this.intern(e.source),
      detection: this.share('d', e, e.detection),
      annotations: this.share('a', e, e.annotations),
      at: this.memory !== null ? -1 - this.memory.length : this.written + this.pendingBytes,
      len,
      key: e.key,
    };
    this.held.push(lean);
    if (this.memory !== null) {
      this.memory.push(json);
      return;
    }
    this.pending.push(json, '\n');
    this.pendingBytes += len + 1;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  /**
   * The lean events in print order: time, detection, entity type, entity, then the JSON's hash
   * (events equal up to there are, in practice, the same text). Ranking and incidents read them.
   */
  sorted(): RankedRisk[] {
    return [...this.held].sort(
      (a, b) =>
        a._time - b._time ||
        textOrder(a.detection.id, b.detection.id) ||
        textOrder(a.risk_object_type, b.risk_object_type) ||
        textOrder(a.risk_object, b.risk_object) ||
        a.key - b.key,
    );
  }

  /** The full JSON line of an event from `sorted()`; null for an event not held here. */
  line(e: RankedRisk): string | null {
    const lean = e as Partial<LeanRisk>;
    if (lean.at === undefined || lean.len === undefined) return null;
    if (lean.at < 0) return this.memory?.[-1 - lean.at] ?? null;
    this.flush();
    if (lean.at < 0) return this.memory?.[-1 - lean.at] ?? null;
    if (this.fd === null) return null;
    const at = lean.at;
    const len = lean.len;
    const first = Math.floor(at / READ_BLOCK);
    const last = Math.floor((at + len - 1) / READ_BLOCK);
    if (last - first > 1) return this.readRange(at, len);
    // Printing goes by time, which visits a few places of the file at a time (one per input
    // whose events overlap in time): cached blocks serve most lines without a read of their own.
    const a = this.block(first);
    const from = at - first * READ_BLOCK;
    if (first === last) return a.toString('utf8', from, Math.min(a.length, from + len));
    const b = this.block(last);
    return Buffer.concat([a.subarray(from), b.subarray(0, Math.max(0, len - (a.length - from)))]).toString('utf8');
  }

  private block(index: number): Buffer {
    const hit = this.blocks.get(index);
    if (hit !== undefined) {
      // Most recently used last: the Map's order is the eviction order.
      this.blocks.delete(index);
      this.blocks.set(index, hit);
      return hit;
    }
    const bytes = this.readRange(index * READ_BLOCK, READ_BLOCK, false);
    if (this.blocks.size >= CACHED_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as number);
    this.blocks.set(index, bytes);
    return bytes;
  }

  private readRange(at: number, len: number): string;
  private readRange(at: number, len: number, text: false): Buffer;
  private readRange(at: number, len: number, text = true): string | Buffer {
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd!, buf, got, len - got, at + got);
      if (n === 0) break;
      got += n;
    }
    return text ? buf.toString('utf8', 0, got) : buf.subarray(0, got);
  }

  discard(): void {
    if (this.closed) return;
    this.closed = true;
    this.memory = null;
    try {
      if (this.fd !== null) closeSync(this.fd);
    } finally {
      if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private flush(): void {
    if (this.pendingBytes === 0 || this.fd === null) return;
    const buf = Buffer.from(this.pending.join(''), 'utf8');
    try {
      let done = 0;
      while (done < buf.length) done += this.writeAt(this.fd, buf, done, buf.length - done, this.written + done);
    } catch (err) {
      this.toMemory(err);
      return;
    }
    this.written += buf.length;
    this.blocks.clear(); // the file's last block has grown
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingFrom = this.held.length;
  }

  /**
   * The file cannot be made or written (a full or read-only temporary folder): lines not yet in
   * the file, and all later ones, are kept in memory, so no risk event is lost; said once.
   */
  private toMemory(err: unknown): void {
    const memory: string[] = [];
    // `pending` holds each unwritten line then '\n', in the order of held[pendingFrom..].
    for (let i = this.pendingFrom, k = 0; i < this.held.length; i++, k += 2) {
      this.held[i]!.at = -1 - memory.length;
      memory.push(this.pending[k]!);
    }
    this.memory = memory;
    this.pending = [];
    this.pendingBytes = 0;
    this.warn(`risk events are kept in memory: the temporary file could not be written (${err instanceof Error ? err.message : String(err)})`);
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
  private share<T extends object>(kind: string, e: EncodedRisk, value: T): T {
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
