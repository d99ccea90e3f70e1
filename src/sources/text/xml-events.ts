/**
 * Reader for XML event text: Splunk XmlWinEventLog (one `<Event>` per line), `wevtutil qe
 * /f:xml` (events back to back), and Event Viewer "Save as XML" (`<?xml?>` prolog and an
 * `<Events>` root). The input is streamed; each `<Event ...>...</Event>` is cut out by a byte
 * scanner (CDATA sections and comments are skipped, so a `</Event>` inside them does not
 * end an event) and parsed on its own with `parseXmlDocument`, so one broken event costs
 * one record-error and the rest goes on.
 *
 * Resynchronisation: Windows events never nest `<Event>`, so an `<Event` start tag met inside
 * an open event means the open one was cut short: it is reported and the new one begins.
 * An event longer than MAX_EVENT_BYTES is reported and skipped, which bounds memory.
 * Text between events other than whitespace, the prolog, comments and `<Events>` tags is
 * reported once per run as a warning; an `</Event>` in it is a record whose start tag is
 * damaged and gives a record-error at that end tag instead.
 *
 * Offsets are byte offsets in the input (UTF-8); UTF-16 input (BOM or `<\0` start) is
 * transcoded first, and its offsets then count bytes of the UTF-8 transcoding.
 */
import { LocatedError, type Diagnostic } from '../../core/diagnostics.js';
import type { InputFile, ReadOptions, Reader, SourceItem } from '../source.js';
import { eventFromTree } from '../../normalize/tree-event.js';
import { parseXmlDocument } from './xml-parse.js';
import { type XmlDocument, firstChild, rootElement } from '../../core/xml-tree.js';

export const BATCH_EVENTS = 1000;
export const MAX_EVENT_BYTES = 16 * 1024 * 1024;
const MAX_WARNINGS = 100;
const MAX_START_TAG = 64 * 1024;

const LT = 0x3c;
const GT = 0x3e;
const NL = 0x0a;

export const readXmlEvents: Reader = (input: InputFile, _options: ReadOptions) => readXml(input);

async function* readXml(input: InputFile): AsyncGenerator<readonly SourceItem[]> {
  const splitter = new XmlEventSplitter(input.name);
  let consumed = 0;
  try {
    for await (const chunk of transcodeToUtf8(input.stream())) {
      consumed += chunk.length;
      splitter.push(chunk);
      while (splitter.items.length >= BATCH_EVENTS) yield splitter.items.splice(0, BATCH_EVENTS);
    }
    splitter.finish();
  } catch (e) {
    // What was complete before the failure still counts; an event cut by it is reported.
    splitter.finish();
    const message = e instanceof Error ? e.message : String(e);
    splitter.items.push({
      kind: 'fatal',
      diagnostic: { severity: 'error', code: 'xml.read-failed', message: `cannot read input: ${message}`, location: { file: input.name, offset: consumed } },
    });
  }
  while (splitter.items.length > 0) yield splitter.items.splice(0, BATCH_EVENTS);
}

type ScanState = 'outside' | 'in-event' | 'skipping';

/** Cuts events out of a byte stream; push() as bytes arrive, finish() at the end. */
export class XmlEventSplitter {
  readonly items: SourceItem[] = [];
  /** Backing store; `buf` is its used part. */
  private store: Buffer = Buffer.alloc(0);
  private buf: Buffer = Buffer.alloc(0);
  /** Absolute byte offset of buf[0]. */
  private bufOffset = 0;
  /** Scan position in buf. */
  private pos = 0;
  private state: ScanState = 'outside';
  private eventStart = 0;
  private eventLine = 1;
  private eventColumn = 1;
  /** Newlines counted up to `linePos` (index in buf). */
  private line = 1;
  private linePos = 0;
  private lineStartAbs = 0;
  private garbageStart = -1;
  private garbageLine = 0;
  private warnings = 0;
  private atStart = true;

  constructor(private readonly file: string) {}

  push(chunk: Buffer): void {
    if (this.atStart) {
      this.atStart = false;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        this.bufOffset = 3;
        this.lineStartAbs = 3;
        chunk = chunk.subarray(3);
      }
    }
    this.append(chunk);
    this.scan(false);
    this.compact();
  }

  finish(): void {
    this.scan(true);
    if (this.state === 'in-event') {
      this.eventError(this.eventStart, 'xml.event.truncated', 'event is not terminated before the end of the input (no </Event>)');
      this.state = 'outside';
    }
    this.flushGarbage();
  }

  private scan(atEof: boolean): void {
    const buf = this.buf;
    const n = buf.length;
    for (;;) {
      if (this.state === 'in-event') {
        if (this.pos - this.eventStart > MAX_EVENT_BYTES) {
          this.eventError(this.eventStart, 'xml.event.too-large', `event larger than ${MAX_EVENT_BYTES} bytes; skipped to the next <Event>`);
          this.state = 'skipping';
          continue;
        }
        const lt = buf.indexOf(LT, this.pos);
        if (lt < 0) {
          this.pos = n;
          return;
        }
        const step = this.inEventTag(lt, atEof);
        if (step === 'need-more') {
          this.pos = lt;
          return;
        }
        continue;
      }
      const lt = buf.indexOf(LT, this.pos);
      const stop = lt < 0 ? n : lt;
      if (this.state === 'outside') this.noteGarbage(this.pos, stop);
      if (lt < 0) {
        this.pos = n;
        return;
      }
      const step = this.outsideTag(lt, atEof);
      if (step === 'need-more') {
        this.pos = lt;
        return;
      }
    }
  }

  /** Handles markup at `lt` while no event is open. */
  private outsideTag(lt: number, atEof: boolean): 'ok' | 'need-more' {
    const buf = this.buf;
    if (!atEof && mayBePartial(buf, lt, OUTSIDE_TOKENS)) return 'need-more';
    if (isEventStart(buf, lt)) {
      if (!atEof && this.startTagIncomplete(lt)) return 'need-more';
      this.flushGarbage();
      this.beginEvent(lt);
      return 'ok';
    }
    if (this.state === 'skipping') {
      this.pos = lt + 1;
      return 'ok';
    }
    if (startsWith(buf, lt, '<?')) return this.skipTag(lt, '?>', atEof);
    if (startsWith(buf, lt, '<!--')) return this.skipTo(lt, '-->', atEof, false);
    if (startsWith(buf, lt, '<Events') || startsWith(buf, lt, '</Events')) return this.skipTag(lt, '>', atEof);
    // Unknown markup between events: part of a garbage run. An `</Event>` in it means a
    // record whose start tag was unrecognisable; it is counted as a failed record.
    if (startsWith(buf, lt, '</Event>')) {
      this.countLinesTo(lt);
      this.items.push({
        kind: 'record-error',
        diagnostic: {
          severity: 'error',
          code: 'xml.event.no-start',
          message: 'an </Event> without a recognisable <Event> start tag before it (damaged record)',
          location: { file: this.file, offset: this.bufOffset + lt, line: this.line },
        },
      });
      this.garbageStart = -1; // the damaged record accounts for the text before it
      this.pos = lt + 8;
      return 'ok';
    }
    if (this.garbageStart < 0) this.startGarbage(lt);
    this.pos = lt + 1;
    return 'ok';
  }

  /** Handles markup at `lt` inside an open event. */
  private inEventTag(lt: number, atEof: boolean): 'ok' | 'need-more' {
    const buf = this.buf;
    if (!atEof && mayBePartial(buf, lt, INSIDE_TOKENS)) return 'need-more';
    if (startsWith(buf, lt, '</Event')) {
      let i = lt + 7;
      while (i < buf.length && isSpaceByte(buf[i]!)) i++;
      if (i >= buf.length) return atEof ? this.advance(lt + 1) : 'need-more';
      if (buf[i] === GT) {
        this.completeEvent(i + 1);
        return 'ok';
      }
      return this.advance(lt + 1); // </EventData>, </EventID>, ...
    }
    if (startsWith(buf, lt, '<![CDATA[')) return this.skipTo(lt, ']]>', atEof, true);
    if (startsWith(buf, lt, '<!--')) return this.skipTo(lt, '-->', atEof, true);
    if (isEventStart(buf, lt)) {
      if (!atEof && this.startTagIncomplete(lt)) return 'need-more';
      this.eventError(this.eventStart, 'xml.event.truncated', 'event is cut short by the start of the next <Event>');
      this.beginEvent(lt);
      return 'ok';
    }
    return this.advance(lt + 1);
  }

  /** The `<Event ...>` start tag at lt is not whole yet (waits at most MAX_START_TAG bytes). */
  private startTagIncomplete(lt: number): boolean {
    return this.buf.length - lt < MAX_START_TAG && findTagEnd(this.buf, lt + 6) === NEED_MORE;
  }

  private advance(to: number): 'ok' {
    this.pos = to;
    return 'ok';
  }

  /** Skips a prolog PI or an `<Events>` tag; one that does not close before the next `<` is garbage. */
  private skipTag(lt: number, close: string, atEof: boolean): 'ok' | 'need-more' {
    const end = this.buf.indexOf(close, lt + 2, 'latin1');
    const nextLt = this.buf.indexOf(LT, lt + 1);
    if (nextLt >= 0 && (end < 0 || nextLt < end)) {
      if (this.garbageStart < 0) this.startGarbage(lt);
      this.pos = lt + 1;
      return 'ok';
    }
    if (end < 0) {
      if (!atEof) return 'need-more';
      if (this.garbageStart < 0) this.startGarbage(lt);
      this.pos = this.buf.length;
      return 'ok';
    }
    this.pos = end + close.length;
    return 'ok';
  }

  private skipTo(lt: number, close: string, atEof: boolean, inEvent: boolean): 'ok' | 'need-more' {
    const end = this.buf.indexOf(close, lt + 2, 'latin1');
    // A broken prolog, comment or CDATA section must not swallow the events after it: outside
    // an event any `<Event` start ends it, inside one an `<Event` start at a line start does.
    const next = nextEventStart(this.buf, lt + 2, end < 0 ? this.buf.length : end, inEvent);
    if (next >= 0) {
      if (inEvent) {
        this.eventError(this.eventStart, 'xml.event.truncated', `unterminated ${close === ']]>' ? 'CDATA section' : 'comment'} runs into the next <Event>`);
        this.state = 'outside';
      } else if (this.garbageStart < 0) this.startGarbage(lt);
      this.pos = next;
      return 'ok';
    }
    if (end < 0) {
      if (!atEof) return 'need-more';
      this.pos = this.buf.length;
      if (!inEvent && this.garbageStart < 0) this.startGarbage(lt);
      return 'ok';
    }
    this.pos = end + close.length;
    return 'ok';
  }

  /** `<Event` at lt: finds the end of its start tag; a self-closing `<Event/>` ends at once. */
  private beginEvent(lt: number): void {
    this.countLinesTo(lt);
    this.eventStart = lt;
    this.eventLine = this.line;
    this.eventColumn = this.bufOffset + lt - this.lineStartAbs + 1;
    this.state = 'in-event';
    const close = findTagEnd(this.buf, lt + 6);
    if (close >= 0 && this.buf[close - 1] === 0x2f /* / */) {
      this.completeEvent(close + 1);
      return;
    }
    this.pos = close >= 0 ? close + 1 : lt + 6;
  }

  private completeEvent(end: number): void {
    const start = this.eventStart;
    const text = this.buf.toString('utf8', start, end);
    const offset = this.bufOffset + start;
    this.state = 'outside';
    this.pos = end;
    try {
      const tree = parseXmlDocument(text, this.file, offset);
      const recordId = eventRecordId(tree);
      this.items.push({ kind: 'event', event: eventFromTree(tree, { file: this.file, format: 'xml', recordId, offset, line: this.eventLine }) });
    } catch (e) {
      if (e instanceof LocatedError) {
        const loc = e.location;
        const line = loc.line === undefined ? this.eventLine : this.eventLine + loc.line - 1;
        const column = loc.line === 1 && loc.column !== undefined ? loc.column + this.eventColumn - 1 : loc.column;
        this.items.push({
          kind: 'record-error',
          diagnostic: { severity: 'error', code: e.code, message: `malformed event: ${e.message}`, location: { file: this.file, offset: loc.offset ?? offset, line, column } },
        });
      } else {
        const message = e instanceof Error ? e.message : String(e);
        this.eventError(start, 'xml.event.failed', `event could not be read: ${message}`);
      }
    }
  }

  private eventError(at: number, code: string, message: string): void {
    this.items.push({
      kind: 'record-error',
      diagnostic: { severity: 'error', code, message, location: { file: this.file, offset: this.bufOffset + at, line: this.lineOf(at) } },
    });
  }

  private lineOf(at: number): number {
    if (at === this.eventStart) return this.eventLine;
    this.countLinesTo(at);
    return this.line;
  }

  private countLinesTo(at: number): void {
    const buf = this.buf;
    let i = buf.indexOf(NL, this.linePos);
    while (i >= 0 && i < at) {
      this.line++;
      this.lineStartAbs = this.bufOffset + i + 1;
      i = buf.indexOf(NL, i + 1);
    }
    if (at > this.linePos) this.linePos = at;
  }

  private noteGarbage(from: number, to: number): void {
    const buf = this.buf;
    for (let i = from; i < to; i++) {
      if (!isSpaceByte(buf[i]!)) {
        if (this.garbageStart < 0) this.startGarbage(i);
        return;
      }
    }
  }

  private startGarbage(at: number): void {
    this.countLinesTo(at);
    this.garbageStart = this.bufOffset + at;
    this.garbageLine = this.line;
  }

  private flushGarbage(): void {
    if (this.garbageStart < 0) return;
    if (this.warnings < MAX_WARNINGS) {
      this.warnings++;
      const d: Diagnostic = {
        severity: 'warning',
        code: 'xml.stray-text',
        message: 'text between events that is not an <Event> was skipped',
        location: { file: this.file, offset: this.garbageStart, line: this.garbageLine },
      };
      this.items.push({ kind: 'warning', diagnostic: d });
    }
    this.garbageStart = -1;
  }

  /** Appends into a growable store (doubling), so a long event costs O(size) copying, not O(size²). */
  private append(chunk: Buffer): void {
    const used = this.buf.length;
    const need = used + chunk.length;
    if (need > this.store.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.store.length * 2, 65536));
      this.store.copy(grown, 0, 0, used);
      this.store = grown;
    }
    chunk.copy(this.store, used);
    this.buf = this.store.subarray(0, need);
  }

  /** Drops consumed bytes, keeping an open event (or a partial tag) in the buffer. */
  private compact(): void {
    const keepFrom = this.state === 'in-event' ? this.eventStart : this.pos;
    if (keepFrom === 0) return;
    this.countLinesTo(keepFrom);
    const rest = this.buf.length - keepFrom;
    if (rest > 0) this.store.copy(this.store, 0, keepFrom, this.buf.length);
    this.buf = this.store.subarray(0, rest);
    this.bufOffset += keepFrom;
    this.pos -= keepFrom;
    this.linePos -= keepFrom;
    if (this.state === 'in-event') this.eventStart = 0;
  }
}

/** Event/System/EventRecordID as a number, or null. */
function eventRecordId(tree: XmlDocument): number | null {
  const root = rootElement(tree);
  const system = root === undefined ? undefined : firstChild(root, 'System');
  const rid = system === undefined ? undefined : firstChild(system, 'EventRecordID');
  if (rid === undefined || rid.children.length !== 1) return null;
  const v = rid.children[0]!;
  return v.kind === 'value' && typeof v.json === 'number' ? v.json : null;
}

/** Markup the scanner must see whole before deciding (a following delimiter byte included). */
const OUTSIDE_TOKENS = ['<Event_', '<?', '<!--', '</Events'];
const INSIDE_TOKENS = ['</Event_', '<![CDATA[', '<!--', '<Event_'];

/** True when the bytes from `at` to the end are a strict prefix of one of the tokens (`_` = any byte). */
function mayBePartial(buf: Buffer, at: number, tokens: readonly string[]): boolean {
  const avail = buf.length - at;
  for (const t of tokens) {
    if (avail >= t.length) continue;
    let match = true;
    for (let i = 0; i < avail && match; i++) if (t[i] !== '_' && buf[at + i] !== t.charCodeAt(i)) match = false;
    if (match) return true;
  }
  return false;
}

/** First `<Event` start tag in [from, to), optionally only at a line start; -1 if none. */
function nextEventStart(buf: Buffer, from: number, to: number, lineStartOnly: boolean): number {
  let i = buf.indexOf('<Event', from, 'latin1');
  // `i + 6 < buf.length`: the byte after `<Event` must be there to tell `<Event ` from `<EventData`.
  while (i >= 0 && i < to && i + 6 < buf.length) {
    if (isEventStart(buf, i) && (!lineStartOnly || buf[i - 1] === NL)) return i;
    i = buf.indexOf('<Event', i + 6, 'latin1');
  }
  return -1;
}

/** `<Event` followed by whitespace, `>` or `/`. */
function isEventStart(buf: Buffer, lt: number): boolean {
  if (!startsWith(buf, lt, '<Event')) return false;
  const c = buf[lt + 6];
  return c === undefined || c === GT || c === 0x2f || isSpaceByte(c);
}

const NEED_MORE = -2;

/**
 * Index of the `>` closing the start tag that begins before `from`, honouring quotes;
 * -1 when a `<` comes first (broken tag), NEED_MORE when the buffer ends first.
 */
function findTagEnd(buf: Buffer, from: number): number {
  let quote = 0;
  for (let i = from; i < buf.length; i++) {
    const c = buf[i]!;
    if (quote !== 0) {
      if (c === quote) quote = 0;
      else if (c === LT) return -1;
    } else if (c === 0x22 || c === 0x27) quote = c;
    else if (c === GT) return i;
    else if (c === LT) return -1;
  }
  return NEED_MORE;
}

function startsWith(buf: Buffer, at: number, s: string): boolean {
  if (at + s.length > buf.length) return false;
  for (let i = 0; i < s.length; i++) if (buf[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

function isSpaceByte(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Passes UTF-8 through; transcodes UTF-16 (BOM, or `<` followed by NUL) to UTF-8. */
async function* transcodeToUtf8(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let decoder: TextDecoder | null | undefined;
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (decoder === undefined) {
      const b0 = chunk[0];
      const b1 = chunk[1];
      if (b0 === 0xff && b1 === 0xfe) decoder = new TextDecoder('utf-16le');
      else if (b0 === 0xfe && b1 === 0xff) decoder = new TextDecoder('utf-16be');
      else if (b0 === LT && b1 === 0) decoder = new TextDecoder('utf-16le');
      else if (b0 === 0 && b1 === LT) decoder = new TextDecoder('utf-16be');
      else decoder = null;
    }
    if (decoder === null) yield chunk;
    else yield Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8');
  }
  if (decoder) {
    const tail = decoder.decode();
    if (tail.length > 0) yield Buffer.from(tail, 'utf8');
  }
}
