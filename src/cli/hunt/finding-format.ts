/**
 * Output formats of `vigil hunt`: JSONL (one finding a line, for machines) and a fixed-width
 * table (for people). Both are written one finding at a time so findings stream as found.
 */
import type { FieldScalar, FieldValue } from '../../core/event.js';
import type { FindingRecord } from './finding-record.js';
import { assertNever } from '../../core/xml-tree.js';

export const HUNT_FORMATS = ['table', 'jsonl'] as const;
export type HuntFormat = (typeof HUNT_FORMATS)[number];

export interface FindingFormatter {
  readonly header: string;
  finding(record: FindingRecord): string;
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

function cell(text: string, width: number): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= width ? flat.padEnd(width) : flat.slice(0, width - 1) + '…';
}

function clip(text: string, width: number): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= width ? flat : flat.slice(0, width - 1) + '…';
}

/** Seconds precision is enough to read a timeline; the JSONL keeps the full timestamp. */
function shortTime(time: string | null): string {
  if (time === null) return '-';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(time);
  return m === null ? time : `${m[1]} ${m[2]}`;
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

function tableRow(values: readonly string[], last: string): string {
  return COLUMNS.map((c, i) => cell(values[i] ?? '', c.width)).join(' ') + ' ' + clip(last, MATCHED_WIDTH);
}

export function tableRowOf(r: FindingRecord): string {
  switch (r.kind) {
    case 'match':
      return tableRow(
        [r.rule.level, shortTime(r.event.time), r.event.computer ?? '-', r.event.event_id === null ? '-' : String(r.event.event_id), r.rule.title],
        pairs(r.matched),
      );
    case 'correlation': {
      const computer = r.group['Computer'] ?? r.group['ComputerName'] ?? null;
      return tableRow(
        [r.rule.level, shortTime(r.last), computer === null ? '-' : String(computer), 'corr', r.rule.title],
        `value=${r.value} events=${r.events.length}` + (Object.keys(r.group).length > 0 ? ' ' + pairs(r.group) : ''),
      );
    }
    default:
      return assertNever(r, 'finding record');
  }
}

export function createFindingFormatter(format: HuntFormat): FindingFormatter {
  switch (format) {
    case 'jsonl':
      return { header: '', finding: (r) => JSON.stringify(r) + '\n' };
    case 'table':
      return { header: tableRow(COLUMNS.map((c) => c.name), 'MATCHED').trimEnd() + '\n', finding: (r) => tableRowOf(r).trimEnd() + '\n' };
    default:
      return assertNever(format, 'hunt format');
  }
}
