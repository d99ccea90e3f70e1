/**
 * YAML → a small located tree, shared by the Sigma front end and the content loader. We keep
 * every map pair (duplicate keys included), the source spelling of plain scalars (so
 * `0x40810000` stays as written), each scalar's style and end (so a character inside a
 * multi-line value can be placed in the file), and a line/column for each node.
 */
import { LineCounter, parseAllDocuments, isAlias, isMap, isScalar, isSeq, isPair, Scalar } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { Diagnostic, SourceLocation } from './diagnostics.js';

export interface Loc {
  readonly line: number;
  readonly column: number;
  /** Character offset of the node start in the file. */
  readonly offset: number;
}

export type ScalarType = 'string' | 'number' | 'boolean' | 'null';
export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal' | 'folded';

export interface YScalar {
  readonly kind: 'scalar';
  readonly type: ScalarType;
  /** Source spelling for plain scalars, decoded text for quoted ones, '' for null. */
  readonly text: string;
  /** The YAML 1.2 core value (numbers parsed, `0x10` → 16). */
  readonly value: string | number | boolean | null;
  readonly style: ScalarStyle;
  readonly loc: Loc;
  /** Character offset just past the scalar in the file. */
  readonly end: number;
}

export interface YPair {
  readonly key: string;
  readonly keyLoc: Loc;
  readonly value: YNode;
}

export interface YMap {
  readonly kind: 'map';
  readonly pairs: readonly YPair[];
  readonly loc: Loc;
}

export interface YSeq {
  readonly kind: 'seq';
  readonly items: readonly YNode[];
  readonly loc: Loc;
}

export type YNode = YScalar | YMap | YSeq;

export interface YDocument {
  /** 0-based index of the document in its file. */
  readonly index: number;
  /** Where the document's contents start, and where the document itself starts (its `---`, if any). */
  readonly loc: Loc;
  readonly start: Loc;
  readonly root: YNode | null;
  readonly problems: readonly Diagnostic[];
}

/** Deep alias expansion is bounded (a billion-laughs document must not blow up memory). */
const MAX_NODES_PER_DOCUMENT = 200_000;
const MAX_DEPTH = 64;

export function locate(file: string, loc: Loc): SourceLocation {
  return { file, line: loc.line, column: loc.column };
}

/** A string written quoted or as a block (so never read as a number, boolean or null). */
export function quotedScalar(node: YScalar): boolean {
  return node.type === 'string' && node.style !== 'plain';
}

export function getPair(map: YMap, key: string): YPair | undefined {
  // Last one wins for lookups; duplicates outside selections are reported separately.
  for (let i = map.pairs.length - 1; i >= 0; i--) if (map.pairs[i]!.key === key) return map.pairs[i];
  return undefined;
}

export function getValue(map: YMap, key: string): YNode | undefined {
  return getPair(map, key)?.value;
}

/** Source-level description of a node for messages. */
export function describe(node: YNode): string {
  switch (node.kind) {
    case 'scalar':
      return node.type === 'null' ? 'null' : `${node.type} '${node.text}'`;
    case 'map':
      return 'a map';
    case 'seq':
      return 'a list';
  }
}

export interface LocatedYaml {
  /** The file's documents, but for an empty one a final `---` leaves. */
  readonly documents: YDocument[];
  /** Line and column of a character offset in the text. */
  readonly locAt: (offset: number) => Loc;
}

/** Parses every document of `text`; YAML problems are reported under `code`. */
export function parseLocatedYaml(text: string, file: string, code: string): LocatedYaml {
  const lineCounter = new LineCounter();
  const locAt = (offset: number): Loc => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col, offset };
  };
  let docs: Document.Parsed[];
  try {
    const parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: false, prettyErrors: false, version: '1.2' });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (e) {
    const top = { line: 1, column: 1, offset: 0 };
    return {
      documents: [{ index: 0, loc: top, start: top, root: null, problems: [{ severity: 'error', code, message: `YAML parser failed: ${(e as Error).message}`, location: { file, line: 1 } }] }],
      locAt,
    };
  }
  const out: YDocument[] = [];
  docs.forEach((doc, index) => {
    const problems: Diagnostic[] = [];
    for (const err of doc.errors) {
      problems.push({ severity: 'error', code, message: err.message.split('\n')[0] ?? err.message, location: locate(file, locAt(err.pos[0])) });
    }
    for (const w of doc.warnings) {
      problems.push({ severity: 'warning', code, message: w.message.split('\n')[0] ?? w.message, location: locate(file, locAt(w.pos[0])) });
    }
    let budget = MAX_NODES_PER_DOCUMENT;
    const convert = (node: unknown, fallbackOffset: number, depth: number): YNode => {
      if (--budget < 0 || depth > MAX_DEPTH) throw new Error('document too large or too deeply nested (alias expansion)');
      if (node === null || node === undefined) {
        return { kind: 'scalar', type: 'null', text: '', value: null, style: 'plain', loc: locAt(fallbackOffset), end: fallbackOffset };
      }
      if (isAlias(node)) {
        const target = node.resolve(doc);
        if (target === undefined) throw new Error(`unresolved alias *${node.source}`);
        return convert(target, node.range?.[0] ?? fallbackOffset, depth + 1);
      }
      const yn = node as YamlNode;
      const start = yn.range?.[0] ?? fallbackOffset;
      if (isScalar(node)) return convertScalar(node, locAt(start));
      if (isMap(node)) {
        const pairs: YPair[] = [];
        for (const item of node.items) {
          if (!isPair(item)) continue;
          const keyNode = item.key as YamlNode | null;
          const keyStart = keyNode?.range?.[0] ?? start;
          let key: string;
          if (keyNode === null || keyNode === undefined) key = '';
          else if (isScalar(keyNode)) key = convertScalar(keyNode, locAt(keyStart)).text;
          else throw new Error('a map key must be a scalar');
          const valueStart = keyNode?.range?.[1] ?? keyStart;
          pairs.push({ key, keyLoc: locAt(keyStart), value: convert(item.value, valueStart, depth + 1) });
        }
        return { kind: 'map', pairs, loc: locAt(start) };
      }
      if (isSeq(node)) {
        return { kind: 'seq', items: node.items.map((item) => convert(item, start, depth + 1)), loc: locAt(start) };
      }
      throw new Error('unsupported YAML node');
    };
    let root: YNode | null = null;
    const docStart = doc.range?.[0] ?? 0;
    if (doc.errors.length === 0) {
      try {
        root = doc.contents === null ? null : convert(doc.contents, docStart, 0);
      } catch (e) {
        problems.push({ severity: 'error', code, message: (e as Error).message, location: locate(file, locAt(docStart)) });
      }
    }
    // Skip the empty trailing document a final `---` produces.
    if (root === null && problems.length === 0) return;
    const contentsStart = (doc.contents as YamlNode | null)?.range?.[0] ?? docStart;
    out.push({ index, loc: locAt(contentsStart), start: locAt(docStart), root, problems });
  });
  return { documents: out, locAt };
}

function styleOf(node: Scalar): ScalarStyle {
  switch (node.type) {
    case Scalar.QUOTE_SINGLE:
      return 'single';
    case Scalar.QUOTE_DOUBLE:
      return 'double';
    case Scalar.BLOCK_LITERAL:
      return 'literal';
    case Scalar.BLOCK_FOLDED:
      return 'folded';
    default:
      return 'plain';
  }
}

function convertScalar(node: Scalar, loc: Loc): YScalar {
  const v: unknown = node.value;
  const style = styleOf(node);
  const plain = style === 'plain';
  const source = typeof node.source === 'string' ? node.source : undefined;
  const placed = { style, loc, end: node.range?.[1] ?? loc.offset };
  if (v === null || v === undefined) return { kind: 'scalar', type: 'null', text: '', value: null, ...placed };
  if (typeof v === 'number' || typeof v === 'bigint') {
    const n = Number(v);
    return { kind: 'scalar', type: 'number', text: plain && source !== undefined ? source : String(v), value: n, ...placed };
  }
  if (typeof v === 'boolean') {
    return { kind: 'scalar', type: 'boolean', text: plain && source !== undefined ? source : String(v), value: v, ...placed };
  }
  if (typeof v === 'string') return { kind: 'scalar', type: 'string', text: v, value: v, ...placed };
  // Binary, timestamps etc. only with explicit tags: keep the source spelling as a string.
  const text = source ?? String(v);
  return { kind: 'scalar', type: 'string', text, value: text, ...placed };
}
