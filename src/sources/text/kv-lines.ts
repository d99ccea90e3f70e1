/**
 * Plain `key=value` lines, one event per line (scripted inputs, inventories such as
 * `Name="CustomModule" Image="C:\x\evil.dll"`), optionally led by a timestamp.
 *
 * Values:
 * - `"..."` or `'...'`: backslashes are literal (Windows paths); the value ends at the first
 *   matching quote followed by whitespace, `,`, `;` or the end of the line, so `""` or a
 *   quote inside a path does not cut it short; an unterminated quote runs to the line end.
 * - unquoted: runs up to the whitespace before the next `key=`, so `Image=C:\Program Files\a.exe
 *   Name=x` keeps the space in the path; a trailing `,` or `;` separator is dropped.
 * A repeated key becomes a list. Blank lines and `#` comments are skipped; a line with no
 * pair is a failed record. Canonical aliases (time, EventID, channel, computer, provider,
 * record id) are mapped as for flat JSON; a leading timestamp fills TimeCreated.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import { KV_LEADING_TIME } from '../detect.js';
import type { InputFile, ReadOptions, SourceItem } from '../source.js';
import { addCanonicalAliases } from './aliases.js';
import { type TextLine, readLines } from './line-reader.js';
import { type FieldBag, addField, canonicalFieldsEvent, parseTimestamp, setOwn } from './text-event.js';

/** kv lines are short; a longer one is a failed record. */
const MAX_KV_LINE_BYTES = 1024 * 1024;

export async function* readKvLines(input: InputFile, _options: ReadOptions): AsyncGenerator<readonly SourceItem[]> {
  let batch: SourceItem[] = [];
  for await (const lines of readLines(input.stream(), MAX_KV_LINE_BYTES)) {
    for (const line of lines) {
      const item = parseKvLine(line, input.name);
      if (item !== null) batch.push(item);
    }
    // One batch per input chunk: whatever was read is delivered before a later stream error.
    if (batch.length > 0) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function recordError(code: string, message: string, file: string, at: TextLine): SourceItem {
  const diagnostic: Diagnostic = { severity: 'error', code, message, location: { file, line: at.line, offset: at.offset } };
  return { kind: 'record-error', diagnostic };
}

function parseKvLine(line: TextLine, file: string): SourceItem | null {
  if (line.overlong !== undefined) return recordError('kv.line-too-long', `line of ${line.overlong} bytes is too long; skipped`, file, line);
  const trimmed = line.text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  let body = trimmed;
  let leadingTime: string | null = null;
  const lead = KV_LEADING_TIME.exec(body);
  if (lead !== null) {
    leadingTime = parseTimestamp(lead[0].trim());
    if (leadingTime === null) return recordError('kv.bad-time', `invalid leading timestamp "${lead[0].trim()}"`, file, line);
    body = body.slice(lead[0].length);
  }
  const pairs = parseKvPairs(body);
  if (pairs.length === 0) {
    return recordError('kv.no-pairs', `no key=value pair in line: "${trimmed.length > 60 ? `${trimmed.slice(0, 60)}...` : trimmed}"`, file, line);
  }
  const fields: FieldBag = {};
  for (const [k, v] of pairs) addField(fields, k, v);
  addCanonicalAliases(fields);
  if (leadingTime !== null && fields['TimeCreated'] === undefined) setOwn(fields, 'TimeCreated', leadingTime);
  return { kind: 'event', event: canonicalFieldsEvent(fields, file, 'kv', line) };
}

const KEY_AT = /([A-Za-z_@][\w.@-]{0,127})=/y;
const NEXT_KEY = /(?:[ \t]+|[,;][ \t]*)[A-Za-z_@][\w.@-]{0,127}=/g;

/** Splits `a=1 b="x y" c='z'` into pairs; text that is not a pair is skipped. */
export function parseKvPairs(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let i = 0;
  const n = text.length;
  // Each pass consumes at least one character.
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x2c || c === 0x3b) {
      i++;
      continue;
    }
    KEY_AT.lastIndex = i;
    const km = KEY_AT.exec(text);
    if (km === null || (i > 0 && !/[\s,;]/.test(text[i - 1]!))) {
      // Not a pair here: skip the token.
      const next = text.slice(i).search(/[\s,;]/);
      i = next < 0 ? n : i + next + 1;
      continue;
    }
    const key = km[1]!;
    i = KEY_AT.lastIndex;
    const q = text[i];
    if (q === '"' || q === "'") {
      let end = -1;
      for (let j = i + 1; j < n; j++) {
        if (text[j] === q && (j + 1 === n || /[\s,;]/.test(text[j + 1]!))) {
          end = j;
          break;
        }
      }
      if (end < 0) {
        out.push([key, text.slice(i + 1)]);
        i = n;
      } else {
        out.push([key, text.slice(i + 1, end)]);
        i = end + 1;
      }
      continue;
    }
    NEXT_KEY.lastIndex = i;
    const nk = NEXT_KEY.exec(text);
    const end = nk === null ? n : nk.index;
    out.push([key, text.slice(i, end).replace(/[,;]$/, '').trimEnd()]);
    i = end;
  }
  return out;
}
