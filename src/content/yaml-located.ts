/**
 * YAML → a small located tree for content files. Unlike the Sigma tree we also keep each scalar's
 * style and end offset, so a multi-line value (the `search:` block scalar) can be mapped back to
 * the file line and column of any character inside it.
 */
import { LineCounter, Scalar, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { Diagnostic } from '../core/diagnostics.js';

export interface Pos {
  /** 1-based line and column in the file. */
  readonly line: number;
  readonly column: number;
  /** Character offset in the file. */
  readonly offset: number;
}

export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal' | 'folded';

export interface YScalar {
  readonly kind: 'scalar';
  readonly value: string | number | boolean | null;
  readonly style: ScalarStyle;
  readonly pos: Pos;
  /** End offset of the value in the file (exclusive). */
  readonly end: number;
}

export interface YPair {
  readonly key: string;
  readonly keyPos: Pos;
  readonly value: YNode;
}

export interface YMap {
  readonly kind: 'map';
  readonly pairs: readonly YPair[];
  readonly pos: Pos;
}

export interface YSeq {
  readonly kind: 'seq';
  readonly items: readonly YNode[];
  readonly pos: Pos;
}

export type YNode = YScalar | YMap | YSeq;

export interface YFile {
  readonly file: string;
  readonly text: string;
  /** Root of the first document, null when the file is empty or failed to parse. */
  readonly root: YNode | null;
  readonly diagnostics: readonly Diagnostic[];
  readonly posAt: (offset: number) => Pos;
}

/** Alias expansion is bounded (a billion-laughs file must not blow up memory). */
const MAX_NODES = 200_000;
const MAX_DEPTH = 64;

export function parseYamlFile(text: string, file: string): YFile {
  const lineCounter = new LineCounter();
  const posAt = (offset: number): Pos => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col, offset };
  };
  const diagnostics: Diagnostic[] = [];
  let docs: Document.Parsed[];
  try {
    const parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: false, prettyErrors: false, version: '1.2', schema: 'core' });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (e) {
    return { file, text, root: null, posAt, diagnostics: [diag('error', 'content.yaml', `YAML parser failed: ${(e as Error).message}`, file, posAt(0))] };
  }
  const first = docs[0];
  if (first === undefined) return { file, text, root: null, posAt, diagnostics };
  for (const err of first.errors) {
    diagnostics.push(diag('error', 'content.yaml', firstLine(err.message), file, posAt(err.pos[0])));
  }
  for (const w of first.warnings) {
    diagnostics.push(diag('warning', 'content.yaml', firstLine(w.message), file, posAt(w.pos[0])));
  }
  if (docs.length > 1 && docs.slice(1).some((d) => d.contents !== null)) {
    const start = docs[1]!.range?.[0] ?? 0;
    diagnostics.push(diag('warning', 'content.yaml.extra-document', 'only the first YAML document is read', file, posAt(start)));
  }
  if (first.errors.length > 0) return { file, text, root: null, posAt, diagnostics };
  let budget = MAX_NODES;
  const convert = (node: unknown, fallback: number, depth: number): YNode => {
    if (--budget < 0 || depth > MAX_DEPTH) throw new Error('document too large or too deeply nested (alias expansion)');
    if (node === null || node === undefined) return { kind: 'scalar', value: null, style: 'plain', pos: posAt(fallback), end: fallback };
    if (isAlias(node)) {
      const target = node.resolve(first);
      if (target === undefined) throw new Error(`unresolved alias *${node.source}`);
      return convert(target, node.range?.[0] ?? fallback, depth + 1);
    }
    const start = (node as YamlNode).range?.[0] ?? fallback;
    if (isScalar(node)) return scalarOf(node, posAt(start));
    if (isMap(node)) {
      const pairs: YPair[] = [];
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const keyNode = item.key as YamlNode | null;
        const keyStart = keyNode?.range?.[0] ?? start;
        if (keyNode !== null && keyNode !== undefined && !isScalar(keyNode)) throw new Error('a map key must be a scalar');
        const key = keyNode === null || keyNode === undefined ? '' : String((keyNode as Scalar).value ?? '');
        pairs.push({ key, keyPos: posAt(keyStart), value: convert(item.value, keyNode?.range?.[1] ?? keyStart, depth + 1) });
      }
      return { kind: 'map', pairs, pos: posAt(start) };
    }
    if (isSeq(node)) return { kind: 'seq', items: node.items.map((item) => convert(item, start, depth + 1)), pos: posAt(start) };
    throw new Error('unsupported YAML node');
  };
  let root: YNode | null = null;
  try {
    root = first.contents === null ? null : convert(first.contents, first.range?.[0] ?? 0, 0);
  } catch (e) {
    diagnostics.push(diag('error', 'content.yaml', (e as Error).message, file, posAt(first.range?.[0] ?? 0)));
  }
  return { file, text, root, posAt, diagnostics };
}

function scalarOf(node: Scalar, pos: Pos): YScalar {
  const style: ScalarStyle =
    node.type === Scalar.QUOTE_SINGLE ? 'single'
    : node.type === Scalar.QUOTE_DOUBLE ? 'double'
    : node.type === Scalar.BLOCK_LITERAL ? 'literal'
    : node.type === Scalar.BLOCK_FOLDED ? 'folded'
    : 'plain';
  const end = node.range?.[1] ?? pos.offset;
  const v: unknown = node.value;
  if (v === null || v === undefined) return { kind: 'scalar', value: null, style, pos, end };
  if (typeof v === 'number' || typeof v === 'bigint') return { kind: 'scalar', value: Number(v), style, pos, end };
  if (typeof v === 'boolean' || typeof v === 'string') return { kind: 'scalar', value: v, style, pos, end };
  return { kind: 'scalar', value: typeof node.source === 'string' ? node.source : String(v), style, pos, end };
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
  let lineStart = text.lastIndexOf('\n', scalar.pos.offset - 1) + 1;
  let cursor = 0;
  let first = true;
  let guard = 0;
  while (lineStart < scalar.end && lineStart < text.length && guard++ < 1_000_000) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    const sliceStart = first ? scalar.pos.offset + (quoted ? 1 : 0) : lineStart;
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
  return { file: yfile.file, start: scalar.pos, segments };
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
