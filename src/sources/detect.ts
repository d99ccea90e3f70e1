/**
 * Input format detection from content: the first bytes (≤ 64 KiB, decompressed) decide; the
 * file name only breaks a tie for an EVTX file whose header is damaged.
 *
 * Order matters: binary EVTX, then XML, then JSON (evtx_dump shape before ECS before flat),
 * then classic WinEventLog text (whose header lines are also key=value), then key=value lines.
 */
import type { InputFormat } from '../core/event.js';
import { guessTextEncoding } from './input/byte-stream.js';

/** How many bytes of the head detection looks at. */
export const DETECT_HEAD_BYTES = 64 * 1024;

const EVTX_FILE_MAGIC = Buffer.from('ElfFile\0', 'latin1');
const EVTX_CHUNK_MAGIC = Buffer.from('ElfChnk\0', 'latin1');
/** EVTX file header block size: the first chunk starts here. */
const EVTX_FIRST_CHUNK = 0x1000;

/** `MM/DD/YYYY HH:MM:SS AM` as Splunk's WinEventLog input writes the first line of an event. */
export const WINEVTLOG_TIME_LINE = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: ?([AaPp][Mm]))?\s*$/;

const WINEVTLOG_BLOCK =
  /(?:^|\n)\d{1,2}\/\d{1,2}\/\d{2,4} \d{1,2}:\d{2}:\d{2}(?: ?[AaPp][Mm])?[ \t]*\r?\n(?:[A-Za-z_]+=[^\n]*\r?\n){0,4}(?:LogName|EventCode)=/;

/** A leading timestamp a key=value line may carry before its pairs. */
export const KV_LEADING_TIME =
  /^(?:\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?: ?(?:Z|[+-]\d{2}:?\d{2}))?|\d{1,2}\/\d{1,2}\/\d{2,4} \d{1,2}:\d{2}:\d{2}(?: ?[AaPp][Mm])?)\s+/;
const KV_PAIR_AT_START = /^[A-Za-z_@][\w.@-]{0,127}=/;

/** The head is an EVTX file's: its first bytes decide, so a peek can stop at them. */
export function startsAsEvtxFile(head: Buffer): boolean {
  return startsWith(head, EVTX_FILE_MAGIC);
}

export function detectFormat(head: Buffer, name: string): InputFormat | null {
  if (startsAsEvtxFile(head) || startsWith(head, EVTX_CHUNK_MAGIC)) return 'evtx';
  if (head.length >= EVTX_FIRST_CHUNK + 8 && startsWith(head.subarray(EVTX_FIRST_CHUNK), EVTX_CHUNK_MAGIC)) return 'evtx';
  const text = headText(head);
  const fromText = text === null ? null : detectText(text, head.length >= DETECT_HEAD_BYTES);
  if (fromText !== null) return fromText;
  // A damaged header still deserves the EVTX reader's located diagnostics.
  if (/\.evtx$/i.test(name) && head.length > 0) return 'evtx';
  return null;
}

function startsWith(buf: Buffer, magic: Buffer): boolean {
  return buf.length >= magic.length && buf.subarray(0, magic.length).equals(magic);
}

/** The head as text, or null when it looks binary. */
function headText(head: Buffer): string | null {
  const slice = head.subarray(0, DETECT_HEAD_BYTES);
  const encoding = guessTextEncoding(slice);
  let text: string;
  if (encoding === 'utf8') {
    text = slice.toString('utf8');
  } else {
    text = new TextDecoder(encoding === 'utf16le' ? 'utf-16le' : 'utf-16be').decode(slice);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Binary content: NULs or many control characters in the first few KiB.
  const sample = text.slice(0, 4096);
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 0) return null;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) control++;
  }
  if (control > sample.length / 20) return null;
  return text;
}

/** `cut`: the head stops short of the input's end, so its last line may be partial. */
function detectText(text: string, cut: boolean): InputFormat | null {
  const trimmed = text.replace(/^\s+/, '');
  if (trimmed.length === 0) return null;
  if (trimmed.startsWith('<')) return /<Events?[\s>/]/.test(trimmed) ? 'xml' : null;
  const json = detectJson(trimmed);
  if (json !== null) return json;
  if (WINEVTLOG_BLOCK.test(text)) return 'winevtlog';
  if (looksLikeKvLines(trimmed, cut)) return 'kv';
  return null;
}

/** evtx_dump's default output puts `Record N` lines before each object. */
const RECORD_BANNER = /^Record \d+\s*\n\s*/;

function detectJson(text: string): InputFormat | null {
  const body = text.replace(RECORD_BANNER, '');
  if (!body.startsWith('{') && !body.startsWith('[')) return null;
  const first = body.replace(/^\[\s*/, '');
  if (!first.startsWith('{')) return null;
  if (/^\{\s*"Event"\s*:\s*\{/.test(first)) return 'evtx-json';
  if (/^\{\s*"_index"\s*:/.test(first) && /"_source"\s*:\s*\{\s*"Event"\s*:\s*\{/.test(first.slice(0, 4096))) return 'evtx-json';
  // Look at the first record only, so a later odd record cannot flip the verdict.
  const firstRecord = firstJsonObjectText(first);
  if (/"winlog(?:\.[\w.]+)?"\s*:/.test(firstRecord)) return 'ecs-json';
  if (/"@timestamp"\s*:/.test(firstRecord) && /"(?:event\.code|code)"\s*:/.test(firstRecord)) return 'ecs-json';
  if (/^\{\s*(?:"|\})/.test(first)) return 'flat-json';
  return null;
}

/** The text of the first top-level object, or as much of it as the head holds. */
function firstJsonObjectText(text: string): string {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return text.slice(0, i + 1);
    }
  }
  return text;
}

/** Most non-blank, non-comment lines start (after an optional timestamp) with `key=`. */
function looksLikeKvLines(text: string, cut: boolean): boolean {
  const lines = text.split(/\r?\n/, 60);
  if (cut && lines.length > 1) lines.pop();
  let seen = 0;
  let matching = 0;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const ok = KV_PAIR_AT_START.test(line.replace(KV_LEADING_TIME, ''));
    if (seen === 0 && !ok) return false;
    seen++;
    if (ok) matching++;
  }
  if (seen === 0) {
    const only = text.trim();
    return KV_PAIR_AT_START.test(only.replace(KV_LEADING_TIME, ''));
  }
  return matching / seen >= 0.8;
}
