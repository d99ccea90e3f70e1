/**
 * A finding as the HTML report holds it while the run goes on: the record every format prints,
 * plus the event's fields for the drill-down (only this format needs them). One JSON line per
 * finding in a temporary file; sizes are capped so one huge event cannot swell the report.
 */
import type { FieldScalar, FieldValue } from '../../core/event.js';
import type { Finding } from '../hunt/api.js';
import type { FindingRecord } from '../hunt/finding-record.js';

/** Fields kept per event, and characters kept per value (the rest is cut with a note). */
export const MAX_FIELDS = 200;
export const MAX_VALUE_CHARS = 4_000;

export type HeldFinding = FindingRecord & { readonly fields?: Readonly<Record<string, FieldValue>> };

function capText(v: string): string {
  return v.length <= MAX_VALUE_CHARS ? v : `${v.slice(0, MAX_VALUE_CHARS)}… (${v.length - MAX_VALUE_CHARS} more characters)`;
}

function capValue(v: FieldValue): FieldValue {
  if (typeof v === 'string') return capText(v);
  if (Array.isArray(v)) return (v as readonly FieldScalar[]).slice(0, 50).map((x) => (typeof x === 'string' ? capText(x) : x));
  return v;
}

/** The event's fields, bounded in count and length. */
export function cappedFields(fields: Readonly<Record<string, FieldValue>>): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  let n = 0;
  for (const [k, v] of Object.entries(fields)) {
    if (n++ >= MAX_FIELDS) {
      out['…'] = `${Object.keys(fields).length - MAX_FIELDS} more fields not kept`;
      break;
    }
    out[k] = capValue(v);
  }
  return out;
}

export function heldFindingLine(record: FindingRecord, source?: Finding): string {
  const held: HeldFinding = source !== undefined && source.kind === 'match' ? { ...record, fields: cappedFields(source.event.fields) } : record;
  return JSON.stringify(held);
}
