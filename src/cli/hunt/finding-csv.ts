/**
 * `vigil hunt --format csv`: one row per finding (Sigma match, correlation) and per
 * Splunk-style detection result row, in columns a responder filters on in Timeline Explorer or
 * a spreadsheet. RFC 4180: every cell quoted when it holds a comma, quote, CR or LF (so a
 * multi-line script block stays one cell), CRLF between records, a UTF-8 byte-order mark first
 * so LibreOffice and Excel read the text as UTF-8.
 */
import type { FieldScalar, FieldValue } from '../../core/event.js';
import { parseEscuTime } from '../../risk/index.js';
import type { SplValue } from '../../spl/exec/types.js';
import { isoOf, rowHost, valueText as splValueText, type DetectionRecord } from './detection-record.js';
import type { FindingRecord } from './finding-record.js';
import { assertNever } from '../../core/xml-tree.js';

export const CSV_COLUMNS = [
  'Timestamp',
  'Computer',
  'Channel',
  'EventID',
  'Level',
  'RuleTitle',
  'RuleId',
  'MitreTactics',
  'MitreTechniques',
  'Details',
  'RecordID',
  'File',
  'Kind',
  'RuleFile',
] as const;

export type CsvColumn = (typeof CSV_COLUMNS)[number];
export type CsvRow = Readonly<Record<CsvColumn, string>>;

/** A cell longer than this is cut (a spreadsheet cell holds at most 32,767 characters). */
export const MAX_CELL = 32_000;
/** Between `field: value` pairs of the Details cell. */
const DETAILS_SEPARATOR = ' ¦ ';

/**
 * Spreadsheets run a cell that starts with = + - @ (or a tab / CR that hides one) as a formula;
 * an event value is attacker-controlled text, so such a cell gets a leading apostrophe.
 */
export function guardFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** One RFC 4180 cell: quoted when needed, inner quotes doubled, line breaks kept as CRLF. */
export function csvCell(raw: string): string {
  let text = raw.length > MAX_CELL ? raw.slice(0, MAX_CELL - 1) + '…' : raw;
  text = guardFormula(text);
  if (!/[",\r\n]/.test(text)) return text;
  // Lone LF or CR inside a value become CRLF, the line break RFC 4180 names.
  return '"' + text.replace(/\r\n|\r|\n/g, '\r\n').replaceAll('"', '""') + '"';
}

export function csvLine(cells: readonly string[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

export const CSV_BOM = '\uFEFF';

export function csvHeader(): string {
  return CSV_BOM + csvLine(CSV_COLUMNS);
}

export function csvRowLine(row: CsvRow): string {
  return csvLine(CSV_COLUMNS.map((c) => row[c]));
}

function scalarText(v: FieldScalar): string {
  return v === null ? 'null' : String(v);
}

function fieldText(v: FieldValue): string {
  return Array.isArray(v) ? (v as readonly FieldScalar[]).map(scalarText).join(' | ') : scalarText(v as FieldScalar);
}

function details(pairs: Iterable<readonly [string, string]>): string {
  const out: string[] = [];
  for (const [k, v] of pairs) out.push(`${k}: ${v}`);
  return out.join(DETAILS_SEPARATOR);
}

export function findingCsvRow(r: FindingRecord): CsvRow {
  const rule = {
    Level: r.rule.level,
    RuleTitle: r.rule.title,
    RuleId: r.rule.id,
    MitreTactics: r.rule.attack.tactics.join(' '),
    MitreTechniques: r.rule.attack.techniques.join(' '),
    RuleFile: r.rule.file,
  };
  switch (r.kind) {
    case 'match':
      return {
        ...rule,
        Timestamp: r.event.time ?? '',
        Computer: r.event.computer ?? '',
        Channel: r.event.channel ?? '',
        EventID: r.event.event_id === null ? '' : String(r.event.event_id),
        Details: details(Object.entries(r.matched).map(([k, v]) => [k, fieldText(v)] as const)),
        RecordID: r.event.record_id === null ? '' : String(r.event.record_id),
        File: r.event.file,
        Kind: 'match',
      };
    case 'correlation': {
      const computer = r.group['Computer'] ?? r.group['ComputerName'] ?? null;
      const group = Object.entries(r.group).map(([k, v]) => [k, scalarText(v)] as const);
      const files = [...new Set(r.events.map((e) => e.file))];
      return {
        ...rule,
        Timestamp: r.last ?? r.first ?? '',
        Computer: computer === null ? '' : String(computer),
        Channel: '',
        EventID: '',
        Details: details([['value', String(r.value)], ['events', String(r.events.length)], ['first', r.first ?? '-'], ...group]),
        RecordID: '',
        File: files.join(' | '),
        Kind: 'correlation',
      };
    }
    default:
      return assertNever(r, 'finding record');
  }
}

/** ISO-8601 of a result row's time (`lastTime`, `firstTime`, `_time`), else the run's time. */
export function detectionTime(r: DetectionRecord): string {
  for (const f of ['lastTime', 'firstTime', '_time']) {
    const v = r.row[f];
    if (v === undefined) continue;
    const text = splValueText(v);
    const epoch = /^\d+(\.\d+)?$/.test(text) ? Number(text) : parseEscuTime(text);
    if (epoch !== null && Number.isFinite(epoch)) return isoOf(epoch);
  }
  return r.run.time;
}

function rowText(row: Readonly<Record<string, SplValue>>, field: string): string {
  const v = row[field];
  return v === undefined ? '' : splValueText(v);
}

/** `level`: the severity ES would give the detection's notable (from its risk score), see hunt-end. */
export function detectionCsvRow(r: DetectionRecord, level: string): CsvRow {
  const host = rowHost(r.row);
  const skip = new Set(['firstTime', 'lastTime', '_time']);
  return {
    Timestamp: detectionTime(r),
    Computer: host === '-' ? '' : host,
    Channel: rowText(r.row, 'source') || rowText(r.row, 'sourcetype'),
    EventID: rowText(r.row, 'EventCode') || rowText(r.row, 'EventID'),
    Level: level,
    RuleTitle: r.detection.name,
    RuleId: r.detection.id,
    MitreTactics: '',
    MitreTechniques: r.detection.mitre_attack.join(' '),
    Details: details(Object.entries(r.row).filter(([k]) => !skip.has(k)).map(([k, v]) => [k, splValueText(v)] as const)),
    RecordID: rowText(r.row, 'RecordNumber') || rowText(r.row, 'EventRecordID'),
    File: '',
    Kind: `detection ${r.detection.type}`,
    RuleFile: r.detection.file,
  };
}

/**
 * Reads CSV text back into rows (RFC 4180, the dialect written above). Used by tests and by
 * anyone checking an export; bounded by the text's length.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = text.startsWith(CSV_BOM) ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell.length > 0 || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
