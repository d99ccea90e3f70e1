/**
 * `_raw` of a Splunk row: the text Splunk would have indexed for the event. XML-shaped events
 * render as XML; JSON events keep their original text. The classic WinEventLog and key=value
 * readers do not keep their source text, so those are rebuilt from the fields in reading order
 * (the readers append their canonical names after the source's own keys).
 */
import type { FieldScalar, FieldValue, VigilEvent } from '../core/event.js';
import { assertNever } from '../core/xml-tree.js';

/** Names the text readers add beside the source's own keys (src/sources/text/*). */
const CANONICAL = new Set(['Channel', 'Provider_Name', 'Computer', 'Security_UserID', 'EventID', 'TimeCreated', 'EventRecordID']);

function values(v: FieldValue | undefined): string[] {
  if (v === undefined || v === null) return [];
  const list: readonly FieldScalar[] = Array.isArray(v) ? (v as readonly FieldScalar[]) : [v as FieldScalar];
  return list.map((x) => (x === null ? '' : String(x)));
}

export function rawText(event: VigilEvent): string {
  const own = event.fields['_raw'];
  if (typeof own === 'string' && own !== '') return own;
  const format = event.provenance.format;
  switch (format) {
    case 'evtx':
    case 'xml':
    case 'evtx-json':
      return event.render('xml');
    case 'ecs-json':
    case 'flat-json':
      return event.render('json');
    case 'winevtlog':
      return classicText(event);
    case 'kv':
      return kvText(event);
    default:
      return assertNever(format, 'input format');
  }
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `MM/DD/YYYY hh:mm:ss AM` in UTC, as the classic input's first line. */
export function classicTimeLine(iso: string | null): string {
  const d = iso === null ? null : new Date(Date.parse(iso));
  if (d === null || Number.isNaN(d.getTime())) return '';
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return `${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())}/${d.getUTCFullYear()} ${pad2(h12)}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

/** The time line, the header lines up to the first canonical name, then `Message=`. */
function classicText(event: VigilEvent): string {
  const lines = [classicTimeLine(event.time)];
  for (const [key, v] of Object.entries(event.fields)) {
    if (CANONICAL.has(key) || key === 'Message') break;
    for (const text of values(v)) lines.push(`${key}=${text}`);
  }
  const message = event.fields['Message'];
  if (message !== undefined && message !== null) lines.push(`Message=${values(message).join('\n')}`);
  return lines.join('\n');
}

/** `key="value"` pairs in reading order, without the canonical names the reader appended. */
function kvText(event: VigilEvent): string {
  const entries = Object.entries(event.fields);
  let end = entries.length;
  while (end > 0 && CANONICAL.has(entries[end - 1]![0])) end--;
  const pairs: string[] = [];
  for (const [key, v] of entries.slice(0, end)) for (const text of values(v)) pairs.push(`${key}="${text}"`);
  return pairs.join(' ');
}
