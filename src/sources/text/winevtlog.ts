/**
 * Classic Splunk WinEventLog text (renderXml=false): each event is a block of lines that
 * starts with a `MM/DD/YYYY HH:MM:SS AM/PM` line, then `Key=Value` header lines (LogName,
 * EventCode, EventType, ComputerName, SourceName, Type, RecordNumber, Keywords, TaskCategory,
 * OpCode, ...), then `Message=` whose text runs to the end of the block.
 *
 * Fields:
 * - every header key as written (`LogName`, `EventCode`, `ComputerName`, `OpCode`, ...) and
 *   `Message` (the whole multi-line text);
 * - canonical names beside them: LogName→Channel, SourceName→Provider_Name (a legacy source
 *   name becomes its provider, per labels.yml `providers`), EventCode→EventID
 *   (number), ComputerName→Computer, RecordNumber→EventRecordID (number), Sid→Security_UserID,
 *   the block's time→TimeCreated (ISO UTC; the text carries no zone, so it is taken as UTC);
 * - the message body's `Label: value` lines, named the way Splunk's CLEAN_KEYS would
 *   (`New Process Name:` → `New_Process_Name`, `Creator_Subject.Account_Name` in a section);
 * - the EventData names `mappings/winevtlog/labels.yml` recovers from the message for known
 *   events (`NewProcessName`, `ScriptBlockText`, `Configuration`, ...).
 * See `winevtlog-labels.ts` for both.
 */
import { type Diagnostic, LocatedError } from '../../core/diagnostics.js';
import { WINEVTLOG_TIME_LINE } from '../detect.js';
import type { InputFile, ReadOptions, SourceItem } from '../source.js';
import { type TextLine, readLines } from './line-reader.js';
import { EMPTY_LABEL_MAP, type LabelMap, extractMessageFields, loadLabelMap } from './winevtlog-labels.js';
import { type FieldBag, TEXT_BATCH_SIZE, addField, canonicalFieldsEvent, parseInteger, parseTimestamp, setOwn } from './text-event.js';

export { cleanLabel } from './winevtlog-labels.js';

/** A block larger than this is reported and skipped up to the next timestamp line. */
const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

interface Block {
  readonly lines: TextLine[];
  bytes: number;
  tooLarge: boolean;
}

export async function* readWinEventLog(input: InputFile, _options: ReadOptions): AsyncGenerator<readonly SourceItem[]> {
  let batch: SourceItem[] = [];
  const { labels, problems } = labelMapOrWarnings();
  batch.push(...problems);
  let block: Block | null = null;
  let preamble: TextLine[] = [];

  const flush = (): void => {
    if (block !== null) batch.push(parseBlock(block, input.name, labels));
    block = null;
  };
  const flushPreamble = (): void => {
    const junk = preamble.filter((l) => l.text.trim() !== '');
    if (junk.length > 0) {
      const first = junk[0]!;
      batch.push(recordError('winevtlog.orphan-lines', `${junk.length} line(s) outside any event (no timestamp line before them): "${preview(first.text)}"`, input.name, first));
    }
    preamble = [];
  };

  const append = (line: TextLine): void => {
    if (block !== null) {
      const current: Block = block;
      current.bytes += line.text.length + 1;
      if (current.bytes > MAX_BLOCK_BYTES) current.tooLarge = true;
      else current.lines.push(line);
    } else {
      preamble.push(line);
      // Bounded: garbage before the first event is reported in pieces.
      if (preamble.length >= 10000) flushPreamble();
    }
  };
  const startBlock = (timeLine: TextLine): void => {
    flush();
    flushPreamble();
    block = { lines: [timeLine], bytes: timeLine.text.length, tooLarge: false };
  };
  // A timestamp line starts an event only when a `Key=` header line follows it, so a bare
  // timestamp inside a multi-line Message stays in the message.
  let pendingTime: TextLine | null = null;

  for await (const lines of readLines(input.stream())) {
    for (const line of lines) {
      if (pendingTime !== null) {
        const timeLine: TextLine = pendingTime;
        pendingTime = null;
        if (line.overlong === undefined && HEADER_LINE.test(line.text)) {
          startBlock(timeLine);
          append(line);
          continue;
        }
        append(timeLine);
      }
      if (line.overlong !== undefined) {
        const target = block as Block | null;
        if (target !== null) target.tooLarge = true;
        else batch.push(recordError('winevtlog.line-too-long', `line of ${line.overlong} bytes is too long; skipped`, input.name, line));
      } else if (WINEVTLOG_TIME_LINE.test(line.text)) {
        pendingTime = line;
      } else {
        append(line);
      }
      if (batch.length >= TEXT_BATCH_SIZE) {
        yield batch;
        batch = [];
      }
    }
    // Also one batch per input chunk: what was read is delivered before a later stream error.
    if (batch.length > 0) {
      yield batch;
      batch = [];
    }
  }
  if (pendingTime !== null) startBlock(pendingTime);
  flush();
  flushPreamble();
  if (batch.length > 0) yield batch;
}

/** The shipped label map; a broken one is reported (as warnings) and only generic labels apply. */
function labelMapOrWarnings(): { labels: LabelMap; problems: SourceItem[] } {
  try {
    return { labels: loadLabelMap(), problems: [] };
  } catch (err) {
    const errors = err instanceof AggregateError ? (err.errors as unknown[]) : [err];
    const problems = errors.map((e): SourceItem => {
      const diagnostic: Diagnostic = e instanceof LocatedError ? e.toDiagnostic('warning') : { severity: 'warning', code: 'winevtlog-labels.read', message: String(e), location: { file: '' } };
      return { kind: 'warning', diagnostic };
    });
    return { labels: EMPTY_LABEL_MAP, problems };
  }
}

function preview(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}...` : s;
}

function recordError(code: string, message: string, file: string, at: TextLine): SourceItem {
  const diagnostic: Diagnostic = { severity: 'error', code, message, location: { file, line: at.line, offset: at.offset } };
  return { kind: 'record-error', diagnostic };
}

/** Header keys whose value maps onto a canonical name. */
const CANONICAL_FROM_HEADER: Readonly<Record<string, string>> = {
  LogName: 'Channel',
  SourceName: 'Provider_Name',
  ComputerName: 'Computer',
  Sid: 'Security_UserID',
};

const HEADER_LINE = /^([A-Za-z_][A-Za-z0-9_]{0,63})=(.*)$/;

function firstText(v: FieldBag[string] | undefined): string | null {
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : null;
}

function parseBlock(block: Block, file: string, labels: LabelMap): SourceItem {
  const head = block.lines[0]!;
  if (block.tooLarge) return recordError('winevtlog.block-too-large', `event block exceeds ${MAX_BLOCK_BYTES} bytes; skipped`, file, head);
  const time = parseTimestamp(head.text.trim());
  if (time === null) return recordError('winevtlog.bad-time', `invalid timestamp "${preview(head.text.trim())}"`, file, head);

  const header: FieldBag = {};
  let message: string[] | null = null;
  for (let i = 1; i < block.lines.length; i++) {
    const text = block.lines[i]!.text;
    if (message !== null) {
      message.push(text);
      continue;
    }
    const m = HEADER_LINE.exec(text);
    if (m === null) continue; // blank or stray header line: nothing to extract
    const [, key, raw] = m;
    if (key === 'Message') {
      message = [raw!];
      continue;
    }
    addField(header, key!, raw!.trimEnd());
  }
  const code = header['EventCode'];
  if (code === undefined) return recordError('winevtlog.no-event-code', 'event block has no EventCode= line', file, head);
  const eventId = parseInteger(Array.isArray(code) ? code[0] : code);
  if (eventId === null) return recordError('winevtlog.bad-event-code', `EventCode is not a number: "${preview(String(code))}"`, file, head);

  const fields: FieldBag = { ...header };
  for (const [from, to] of Object.entries(CANONICAL_FROM_HEADER)) {
    const v = header[from];
    if (v !== undefined && fields[to] === undefined) setOwn(fields, to, Array.isArray(v) ? v[0]! : v);
  }
  // A legacy event source name (Security's "Microsoft Windows security auditing.") stands for
  // the provider the XML form names.
  const sourceName = firstText(header['SourceName']);
  const provider = sourceName === null ? undefined : labels.providers.get(sourceName.toLowerCase());
  if (provider !== undefined) setOwn(fields, 'Provider_Name', provider);
  setOwn(fields, 'EventID', eventId);
  setOwn(fields, 'TimeCreated', time);
  const recordNumber = header['RecordNumber'];
  const recordId = recordNumber === undefined ? null : parseInteger(Array.isArray(recordNumber) ? recordNumber[0] : recordNumber);
  if (recordId !== null) setOwn(fields, 'EventRecordID', recordId);
  if (message !== null) {
    while (message.length > 1 && message[message.length - 1]!.trim() === '') message.pop();
    setOwn(fields, 'Message', message.join('\n'));
    const who = { eventId, channel: firstText(header['LogName']), source: sourceName };
    extractMessageFields(message, fields, who, labels);
  }
  return { kind: 'event', event: canonicalFieldsEvent(fields, file, 'winevtlog', head) };
}
