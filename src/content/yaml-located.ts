/**
 * YAML of content files: the located tree of core/yaml-tree.ts (each scalar's style and end
 * included), only the first document read, problems under `content.yaml`; and where a character
 * of a multi-line value (the `search:` block scalar) lies in the file.
 */
import { parseLocatedYaml, type Loc, type YNode, type YScalar } from '../core/yaml-tree.js';
import type { Diagnostic } from '../core/diagnostics.js';

export type { ScalarStyle, YMap, YNode, YPair, YScalar, YSeq } from '../core/yaml-tree.js';

/** 1-based line and column in the file, and the character offset. */
export type Pos = Loc;

export interface YFile {
  readonly file: string;
  readonly text: string;
  /** Root of the first document, null when the file is empty or failed to parse. */
  readonly root: YNode | null;
  readonly diagnostics: readonly Diagnostic[];
  readonly posAt: (offset: number) => Pos;
}

export function parseYamlFile(text: string, file: string): YFile {
  const { documents, locAt } = parseLocatedYaml(text, file, 'content.yaml');
  const first = documents[0];
  if (first === undefined) return { file, text, root: null, posAt: locAt, diagnostics: [] };
  const diagnostics: Diagnostic[] = [...first.problems];
  const extra = documents[1];
  if (extra !== undefined) diagnostics.push(diag('warning', 'content.yaml.extra-document', 'only the first YAML document is read', file, extra.start));
  return { file, text, root: first.root, posAt: locAt, diagnostics };
}

/** Diagnostics carry line and column only: YAML offsets are in characters, not the bytes `SourceLocation.offset` means. */
export function diag(severity: Diagnostic['severity'], code: string, message: string, file: string, pos?: Pos): Diagnostic {
  return { severity, code, message, location: pos === undefined ? { file } : { file, line: pos.line, column: pos.column } };
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/** One file line of a scalar's value: value offset `valueOffset` sits at this file position. */
export interface ValueSegment {
  readonly valueOffset: number;
  readonly line: number;
  readonly column: number;
  readonly fileOffset: number;
  /** For a line with escapes (`''`, `\\"`): file column shift of each decoded character. */
  readonly rawDelta?: readonly number[];
}

/** Where each character of a (possibly multi-line) string value sits in its file. */
export interface ValuePositions {
  readonly file: string;
  readonly start: Pos;
  readonly segments: readonly ValueSegment[];
}

/**
 * Finds each file line of the scalar inside its decoded value, in order. Works for every style:
 * literal blocks map line for line, folded blocks and multi-line flow scalars by locating each
 * line's text (folding only changes the line breaks between them). A line we cannot find (escape
 * sequences in a double-quoted value) is skipped, so positions degrade to the previous line.
 */
export function valuePositions(yfile: YFile, scalar: YScalar): ValuePositions {
  const segments: ValueSegment[] = [];
  const value = typeof scalar.value === 'string' ? scalar.value : String(scalar.value ?? '');
  const text = yfile.text;
  const block = scalar.style === 'literal' || scalar.style === 'folded';
  const quoted = scalar.style === 'single' || scalar.style === 'double';
  let lineStart = text.lastIndexOf('\n', scalar.loc.offset - 1) + 1;
  let cursor = 0;
  let first = true;
  let guard = 0;
  while (lineStart < scalar.end && lineStart < text.length && guard++ < 1_000_000) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    const sliceStart = first ? scalar.loc.offset + (quoted ? 1 : 0) : lineStart;
    const sliceEnd = Math.min(lineEnd, scalar.end);
    const skipHeader = first && block;
    first = false;
    if (!skipHeader && sliceEnd > sliceStart) {
      let raw = text.slice(sliceStart, sliceEnd).replace(/\r$/, '');
      const lead = raw.length - raw.trimStart().length;
      raw = raw.trim();
      if (quoted && raw.endsWith(scalar.style === 'single' ? "'" : '"') && sliceEnd === scalar.end) raw = raw.slice(0, -1);
      if (raw.length > 0) {
        const fileOffset = sliceStart + lead;
        const p = yfile.posAt(fileOffset);
        const at = value.indexOf(raw, cursor);
        const decoded = at < 0 && quoted ? decodeQuotedLine(raw, scalar.style === 'single') : null;
        const atDecoded = decoded === null ? -1 : value.indexOf(decoded.text, cursor);
        if (at >= 0) {
          segments.push({ valueOffset: at, line: p.line, column: p.column, fileOffset });
          cursor = at + raw.length;
        } else if (decoded !== null && atDecoded >= 0) {
          segments.push({ valueOffset: atDecoded, line: p.line, column: p.column, fileOffset, rawDelta: decoded.rawDelta });
          cursor = atDecoded + decoded.text.length;
        }
      }
    }
    lineStart = lineEnd + 1;
  }
  return { file: yfile.file, start: scalar.loc, segments };
}

/** File position of `offset` within the value. */
export function positionInValue(positions: ValuePositions, offset: number): Pos {
  let best: ValueSegment | undefined;
  for (const s of positions.segments) {
    if (s.valueOffset <= offset) best = s;
    else break;
  }
  if (best === undefined) return positions.start;
  const decodedDelta = offset - best.valueOffset;
  const map = best.rawDelta;
  const delta = map === undefined ? decodedDelta : decodedDelta < map.length ? map[decodedDelta]! : decodedDelta + (map.length > 0 ? map[map.length - 1]! - (map.length - 1) : 0);
  return { line: best.line, column: best.column + delta, offset: best.fileOffset + delta };
}

/** Decodes the common escapes of one quoted line (`''` in single quotes, backslash escapes in double quotes), remembering where each character came from. */
function decodeQuotedLine(raw: string, single: boolean): { text: string; rawDelta: number[] } {
  let text = '';
  const rawDelta: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    rawDelta.push(i);
    if (single && raw[i] === "'" && raw[i + 1] === "'") {
      text += "'";
      i++;
    } else if (!single && raw[i] === '\\' && i + 1 < raw.length) {
      const next = raw[i + 1]!;
      text += next === 'n' ? '\n' : next === 't' ? '\t' : next;
      i++;
    } else {
      text += raw[i];
    }
  }
  return { text, rawDelta };
}
