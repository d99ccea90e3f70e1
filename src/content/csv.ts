/** A small RFC 4180 CSV reader for lookup tables (quoted fields, doubled quotes, CRLF), bounded. */
import type { Diagnostic } from '../core/diagnostics.js';
import type { LookupTable } from './model.js';

export const MAX_LOOKUP_ROWS = 1_000_000;

export function parseCsv(text: string, file: string, maxRows = MAX_LOOKUP_ROWS): { table: LookupTable | null; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let truncated = false;
  const endRecord = (): void => {
    record.push(field);
    field = '';
    if (!(record.length === 1 && record[0] === '')) records.push(record);
    record = [];
  };
  while (i < text.length) {
    if (records.length > maxRows) {
      truncated = true;
      break;
    }
    const ch = text[i]!;
    if (ch === '"' && field === '') {
      const quoteLine = line;
      let j = i + 1;
      let value = '';
      let closed = false;
      while (j < text.length) {
        const c = text[j]!;
        if (c === '"') {
          if (text[j + 1] === '"') {
            value += '"';
            j += 2;
            continue;
          }
          closed = true;
          j++;
          break;
        }
        if (c === '\n') line++;
        value += c;
        j++;
      }
      if (!closed) {
        diagnostics.push({ severity: 'error', code: 'content.csv.unterminated', message: 'unterminated quoted field', location: { file, line: quoteLine } });
        break;
      }
      field = value;
      i = j;
      continue;
    }
    if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n') {
      endRecord();
      line++;
    } else if (ch !== '\r') {
      field += ch;
    }
    i++;
  }
  if (!truncated && (field !== '' || record.length > 0)) endRecord();
  const header = records[0];
  if (header === undefined) {
    diagnostics.push({ severity: 'error', code: 'content.csv.empty', message: 'the csv file has no header row', location: { file, line: 1 } });
    return { table: null, diagnostics };
  }
  const rows = records.slice(1, maxRows + 1);
  rows.forEach((row, index) => {
    if (row.length !== header.length && diagnostics.length < 20) {
      diagnostics.push({ severity: 'warning', code: 'content.csv.width', message: `row has ${row.length} fields, the header ${header.length}`, location: { file, line: index + 2 } });
    }
  });
  if (truncated) diagnostics.push({ severity: 'warning', code: 'content.csv.truncated', message: `only the first ${maxRows} rows are kept`, location: { file } });
  return { table: { fields: header.map((h) => h.trim()), rows, truncated }, diagnostics };
}
