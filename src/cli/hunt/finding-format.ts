/**
 * Output formats of `vigil hunt`: JSONL (one finding a line, for machines), CSV (for Timeline
 * Explorer and spreadsheets), a fixed-width table (for people, coloured by level on a terminal)
 * and the HTML report. The first three are written one finding at a time so findings stream as
 * found; for HTML each finding (with its event's fields) is held as a JSON line in a temporary
 * file and the report is written from them at the end (src/cli/report/).
 */
import type { FieldScalar, FieldValue } from '../../core/event.js';
import type { Finding } from './api.js';
import { findingRecordJson, type FindingRecord } from './finding-record.js';
import { csvHeader, csvRowLine, findingCsvRow } from './finding-csv.js';
import { heldFindingLine } from '../report/held-finding.js';
import { formatTime, timeZoneName, type TimeZoneSpec } from '../output/time-format.js';
import { assertNever } from '../../core/xml-tree.js';

export const HUNT_FORMATS = ['table', 'jsonl', 'csv', 'html'] as const;
export type HuntFormat = (typeof HUNT_FORMATS)[number];

export interface FindingFormatter {
  readonly header: string;
  /** `source` is the live finding, for formats that need more than the record (HTML: event fields). */
  finding(record: FindingRecord, source?: Finding): string;
  /**
   * True when a worker thread, which builds its formatter from the format name alone, writes
   * the same text; false keeps matching on the main thread.
   */
  readonly workerSafe: boolean;
}

export interface TableStyle {
  /** ANSI colours by level. */
  readonly color: boolean;
  /** Terminal columns to fit each row to; null: the fixed layout (files, pipes). */
  readonly width: number | null;
  /** Zone of the times in the table and the CSV (`--timezone`); default UTC. JSONL stays UTC. */
  readonly timeZone?: TimeZoneSpec;
}

function isUtc(tz: TimeZoneSpec | undefined): boolean {
  return tz === undefined || tz.kind === 'utc';
}

export const PLAIN_TABLE: TableStyle = { color: false, width: null };

/**
 * Colour only for a terminal, and never when the user said no (`--no-color`, or NO_COLOR set
 * to anything but the empty string, as no-color.org asks).
 */
export function tableStyleFor(opts: { readonly toTerminal: boolean; readonly noColor: boolean; readonly env: NodeJS.ProcessEnv; readonly columns: number | undefined }): TableStyle {
  const envSaysNo = opts.env['NO_COLOR'] !== undefined && opts.env['NO_COLOR'] !== '';
  return {
    color: opts.toTerminal && !opts.noColor && !envSaysNo,
    width: opts.toTerminal && opts.columns !== undefined && opts.columns > 0 ? opts.columns : null,
  };
}

const ESC = '\u001b[';
const LEVEL_COLOURS: Readonly<Record<string, string>> = {
  critical: `${ESC}1;97;41m`,
  high: `${ESC}91m`,
  medium: `${ESC}93m`,
  low: `${ESC}96m`,
  informational: `${ESC}2m`,
};
const RESET = `${ESC}0m`;

/** Wraps a finished (already fitted) line in its level's colour. */
export function colourLine(line: string, level: string): string {
  const c = LEVEL_COLOURS[level];
  return c === undefined ? line : c + line + RESET;
}

/** Narrower than this, the MATCHED column is dropped rather than squeezed to nothing. */
const MIN_MATCHED = 12;
/** On a terminal narrower than the full layout, RULE gives up width down to this before MATCHED does. */
const MIN_RULE = 24;

/** Cuts a row to `width` characters: the last column first, then the line itself. */
export function fitLine(line: string, width: number | null): string {
  if (width === null) return line;
  const chars = [...line];
  return chars.length <= width ? line : chars.slice(0, Math.max(1, width - 1)).join('') + '…';
}

const COLUMNS = [
  { name: 'LEVEL', width: 13 },
  { name: 'TIME', width: 20 },
  { name: 'COMPUTER', width: 28 },
  { name: 'EVENT', width: 6 },
  { name: 'RULE', width: 48 },
] as const;
/** The last column (matched fields) is cut here so a row stays on one terminal-ish line. */
const MATCHED_WIDTH = 100;
/** The columns before RULE take this many characters, separators included (counted once, not per row). */
const BEFORE_RULE = COLUMNS.slice(0, -1).reduce((sum, c) => sum + c.width + 1, 0);

/** Text in a fixed-width column: line breaks flattened, padded, or cut with an ellipsis. */
export function cell(text: string, width: number): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= width ? flat.padEnd(width) : flat.slice(0, width - 1) + '…';
}

/** Like `cell`, without padding (a last column). */
export function clip(text: string, width: number): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= width ? flat : flat.slice(0, width - 1) + '…';
}

/**
 * Seconds precision is enough to read a timeline; the JSONL keeps the full timestamp. In
 * another zone than UTC the offset is left off here and named in the header instead.
 */
function shortTime(time: string | null, tz?: TimeZoneSpec): string {
  if (time === null) return '-';
  if (!isUtc(tz)) return formatTime(time, tz, { precision: 'seconds', separator: ' ', omitOffset: true });
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(time);
  return m === null ? time : `${m[1]} ${m[2]}`;
}

/** A CSV timestamp: ISO-8601 as the event has it in UTC, else with the zone's offset. */
export function csvTime(time: string, tz?: TimeZoneSpec): string {
  return isUtc(tz) || time === '' ? time : formatTime(time, tz);
}

function scalarText(v: FieldScalar): string {
  return v === null ? 'null' : String(v);
}

function valueText(v: FieldValue): string {
  return Array.isArray(v) ? `[${(v as readonly FieldScalar[]).map(scalarText).join(', ')}]` : scalarText(v as FieldScalar);
}

function pairs(obj: Readonly<Record<string, FieldValue>>): string {
  return Object.entries(obj)
    .map(([k, v]) => `${k}=${valueText(v)}`)
    .join(' ');
}

/**
 * The width of a table's next-to-last column on a terminal `width` columns wide, when the columns
 * before it take `before` characters (separators included): its `full` width while the last
 * column keeps as much, else half of what is left (never under `least`), so that both show on a
 * narrower terminal (the findings' RULE and MATCHED, the entities' TACTICS and top detections).
 */
export function sharedWidth(width: number, before: number, full: number, least: number): number {
  return Math.max(least, Math.min(full, Math.floor((width - before - 1) / 2)));
}

function tableRow(values: readonly string[], last: string, width: number | null = null): string {
  if (width === null) return COLUMNS.map((c, i) => cell(values[i] ?? '', c.width)).join(' ') + ' ' + clip(last, MATCHED_WIDTH);
  const rule = sharedWidth(width, BEFORE_RULE, COLUMNS[COLUMNS.length - 1]!.width, MIN_RULE);
  const fixed = COLUMNS.map((c, i) => cell(values[i] ?? '', c.name === 'RULE' ? rule : c.width)).join(' ');
  const room = width - fixed.length - 1;
  return fitLine(room >= MIN_MATCHED ? fixed + ' ' + clip(last, room) : fixed, width);
}

export function tableRowOf(r: FindingRecord, width: number | null = null, tz?: TimeZoneSpec): string {
  switch (r.kind) {
    case 'match':
      return tableRow(
        [r.rule.level, shortTime(r.event.time, tz), r.event.computer ?? '-', r.event.event_id === null ? '-' : String(r.event.event_id), r.rule.title],
        pairs(r.matched),
        width,
      );
    case 'correlation': {
      const computer = r.group['Computer'] ?? r.group['ComputerName'] ?? null;
      return tableRow(
        [r.rule.level, shortTime(r.last, tz), computer === null ? '-' : String(computer), 'corr', r.rule.title],
        `value=${r.value} events=${r.events.length}` + (Object.keys(r.group).length > 0 ? ' ' + pairs(r.group) : ''),
        width,
      );
    }
    default:
      return assertNever(r, 'finding record');
  }
}

/** The table's header line (fitted to the same width as the rows). */
export function tableHeader(width: number | null = null, tz?: TimeZoneSpec): string {
  const names = COLUMNS.map((c) => (c.name === 'TIME' && !isUtc(tz) ? `TIME (${timeZoneName(tz!)})` : c.name));
  return tableRow(names, 'MATCHED', width).trimEnd() + '\n';
}

export function createFindingFormatter(format: HuntFormat, style: TableStyle = PLAIN_TABLE): FindingFormatter {
  switch (format) {
    case 'jsonl':
      return { header: '', finding: (r) => findingRecordJson(r) + '\n', workerSafe: true };
    case 'csv':
      return {
        header: csvHeader(),
        finding: isUtc(style.timeZone) ? (r) => csvRowLine(findingCsvRow(r)) : (r) => { const row = findingCsvRow(r); return csvRowLine({ ...row, Timestamp: csvTime(row.Timestamp, style.timeZone) }); },
        workerSafe: true,
      };
    case 'html':
      // Held for the report with the live event's fields; a worker thread has them too.
      return { header: '', finding: (r, f) => heldFindingLine(r, f) + '\n', workerSafe: true };
    case 'table': {
      const row = (r: FindingRecord): string => tableRowOf(r, style.width, style.timeZone).trimEnd();
      return {
        header: tableHeader(style.width, style.timeZone),
        finding: style.color ? (r) => colourLine(row(r), r.rule.level) + '\n' : (r) => row(r) + '\n',
        workerSafe: true,
      };
    }
    default:
      return assertNever(format, 'hunt format');
  }
}
