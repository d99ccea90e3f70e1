/**
 * spath (spl-and-rba.md §2.9): JSON and basic XML. `path=a.b{}.c` selects values (`{}` = every
 * array element, `{N}` = the N-th, 1-based, `{@attr}` = an XML attribute); without a path every
 * leaf is extracted under its path. Input longer than `limits.maxRegexInput` is not parsed.
 */
import { LocatedError } from '../../../core/diagnostics.js';
import type { SpathCommand } from '../../ast.js';
import type { Row, SplScalar } from '../types.js';
import { fromValues, textOf, valuesOf } from '../values.js';
import { checkOptions, optionMap, optionText, type RunEnv, type Step } from './common.js';

const MAX_DEPTH = 100;
const MAX_LEAVES = 10_000;

// ------------------------------------------------------------------ a small tree model

interface XmlElement {
  readonly name: string;
  readonly attrs: Map<string, string>;
  readonly children: XmlElement[];
  text: string;
}

type Tree = { kind: 'json'; value: unknown } | { kind: 'xml'; root: XmlElement };

function decodeEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (all, e: string) => {
    switch (e) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const code = e.startsWith('#x') ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
        return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
      }
    }
  });
}

const TAG_NAME = /^\/?([A-Za-z_][\w.:-]*)/;
const ATTRIBUTE = /([^\s=>/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** Offset just after the `>` closing the tag that starts at `from` (quotes respected), or -1. */
function tagEnd(text: string, from: number): number {
  let quote: string | null = null;
  for (let i = from; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== null) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '>') return i + 1;
  }
  return -1;
}

/**
 * Parses well-enough-formed XML (tags, attributes, text, CDATA; comments, PIs and DOCTYPE
 * skipped) with a linear scan; null when malformed.
 */
export function parseXml(text: string): XmlElement | null {
  const root: XmlElement = { name: '', attrs: new Map(), children: [], text: '' };
  const stack: XmlElement[] = [root];
  let pos = 0;
  while (pos < text.length) {
    const top = stack[stack.length - 1]!;
    const lt = text.indexOf('<', pos);
    if (lt < 0) {
      top.text += decodeEntities(text.slice(pos));
      break;
    }
    top.text += decodeEntities(text.slice(pos, lt));
    const skipTo = (open: string, close: string): number => {
      if (!text.startsWith(open, lt)) return -2;
      const end = text.indexOf(close, lt + open.length);
      return end < 0 ? -1 : end + close.length;
    };
    const comment = skipTo('<!--', '-->');
    const cdata = comment === -2 ? skipTo('<![CDATA[', ']]>') : -2;
    const pi = comment === -2 && cdata === -2 ? skipTo('<?', '?>') : -2;
    if (comment === -1 || cdata === -1 || pi === -1) return null;
    if (cdata >= 0) {
      top.text += text.slice(lt + 9, cdata - 3);
      pos = cdata;
      continue;
    }
    if (comment >= 0 || pi >= 0) {
      pos = Math.max(comment, pi);
      continue;
    }
    const end = tagEnd(text, lt + 1);
    if (end < 0) return null;
    const inner = text.slice(lt + 1, end - 1);
    pos = end;
    if (inner.startsWith('!')) continue;
    const name = TAG_NAME.exec(inner);
    if (name === null) return null;
    if (inner.startsWith('/')) {
      if (stack.length <= 1 || top.name !== name[1]) return null;
      stack.pop();
      continue;
    }
    if (stack.length > MAX_DEPTH) return null;
    const attrs = new Map<string, string>();
    for (const a of inner.slice(name[0].length).matchAll(ATTRIBUTE)) attrs.set(a[1]!, decodeEntities(a[2] ?? a[3] ?? ''));
    const element: XmlElement = { name: name[1]!, attrs, children: [], text: '' };
    top.children.push(element);
    if (!inner.trimEnd().endsWith('/')) stack.push(element);
  }
  if (stack.length !== 1 || root.children.length === 0) return null;
  return root;
}

function parseTree(text: string): Tree | null {
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return { kind: 'json', value: JSON.parse(t) };
    } catch {
      return null;
    }
  }
  if (t.startsWith('<')) {
    const root = parseXml(t);
    return root === null ? null : { kind: 'xml', root };
  }
  return null;
}

// ------------------------------------------------------------------ paths

interface Segment {
  readonly name: string | null;
  /** `{}` → 'all', `{N}` → N (1-based), `{@a}` → attribute name. */
  readonly selectors: readonly ('all' | number | { attr: string })[];
}

export function parsePath(path: string): Segment[] {
  const segments: Segment[] = [];
  for (const part of path.match(/(?:[^.{]|\{[^}]*\})+/g) ?? []) {
    const name = /^[^{]*/.exec(part)![0];
    const selectors: Segment['selectors'][number][] = [];
    for (const s of part.matchAll(/\{([^}]*)\}/g)) {
      const inner = s[1]!.trim();
      if (inner === '') selectors.push('all');
      else if (inner.startsWith('@')) selectors.push({ attr: inner.slice(1) });
      else if (/^\d+$/.test(inner)) selectors.push(Number(inner));
    }
    segments.push({ name: name.length > 0 ? name : null, selectors });
  }
  return segments;
}

function jsonScalar(v: unknown): SplScalar | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

function selectJson(root: unknown, segments: readonly Segment[]): SplScalar[] {
  let nodes: unknown[] = [root];
  for (const seg of segments) {
    const next: unknown[] = [];
    for (const node of nodes) {
      let current: unknown[] = [node];
      if (seg.name !== null) {
        current = node !== null && typeof node === 'object' && !Array.isArray(node) && seg.name in (node as object) ? [(node as Record<string, unknown>)[seg.name]] : [];
      }
      for (const sel of seg.selectors) {
        const expanded: unknown[] = [];
        for (const c of current) {
          if (!Array.isArray(c)) continue;
          if (sel === 'all') expanded.push(...c);
          else if (typeof sel === 'number' && sel >= 1 && sel <= c.length) expanded.push(c[sel - 1]);
        }
        current = expanded;
      }
      next.push(...current);
    }
    nodes = next.slice(0, MAX_LEAVES);
  }
  return nodes.map(jsonScalar).filter((v): v is SplScalar => v !== null);
}

function xmlText(e: XmlElement): string {
  return e.children.length === 0 ? e.text.trim() : e.children.map(xmlText).join('');
}

function selectXml(root: XmlElement, segments: readonly Segment[]): SplScalar[] {
  let nodes: XmlElement[] = [root];
  let out: SplScalar[] | null = null;
  for (const seg of segments) {
    const next: XmlElement[] = [];
    for (const node of nodes) {
      const named = seg.name === null ? [node] : node.children.filter((c) => c.name === seg.name);
      let current = named;
      for (const sel of seg.selectors) {
        if (typeof sel === 'object') {
          const attrs: SplScalar[] = current.map((c) => c.attrs.get(sel.attr)).filter((v): v is string => v !== undefined);
          out = [...(out ?? []), ...attrs];
          current = [];
        } else if (typeof sel === 'number') current = current.slice(sel - 1, sel);
      }
      next.push(...current);
    }
    nodes = next.slice(0, MAX_LEAVES);
  }
  return out ?? nodes.map(xmlText);
}

/** Every leaf of the tree under its path (JSON arrays add `{}`, XML attributes `{@a}`). */
function allLeaves(tree: Tree): Map<string, SplScalar[]> {
  const out = new Map<string, SplScalar[]>();
  let count = 0;
  const add = (path: string, v: SplScalar): void => {
    if (path === '' || count++ >= MAX_LEAVES) return;
    const list = out.get(path);
    if (list === undefined) out.set(path, [v]);
    else list.push(v);
  };
  const walkJson = (v: unknown, path: string, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    if (Array.isArray(v)) for (const x of v) walkJson(x, `${path}{}`, depth + 1);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walkJson(x, path === '' ? k : `${path}.${k}`, depth + 1);
    } else {
      const s = jsonScalar(v);
      if (s !== null) add(path, s);
    }
  };
  const walkXml = (e: XmlElement, path: string): void => {
    for (const [a, v] of e.attrs) add(`${path}{@${a}}`, v);
    if (e.children.length === 0) {
      const t = e.text.trim();
      if (t.length > 0) add(path, t);
    }
    for (const c of e.children) walkXml(c, path === '' ? c.name : `${path}.${c.name}`);
  };
  if (tree.kind === 'json') walkJson(tree.value, '', 0);
  else for (const c of tree.root.children) walkXml(c, c.name);
  return out;
}

export function compileSpath(cmd: SpathCommand): Step {
  const options = optionMap(cmd.options);
  checkOptions(options, ['input', 'output', 'path'], 'spath');
  const input = optionText(options, 'input') ?? '_raw';
  const path = optionText(options, 'path') ?? cmd.path;
  const output = optionText(options, 'output') ?? path;
  const segments = path === null ? null : parsePath(path);
  return (rows, env) => {
    for (const row of rows) spathRow(row, input, segments, output, env);
    return rows;
  };
}

function spathRow(row: Row, input: string, segments: readonly Segment[] | null, output: string | null, env: RunEnv): void {
  const raw = valuesOf(row.get(input))[0];
  if (raw === undefined) return;
  const text = textOf(raw);
  if (text.length > env.ctx.limits.maxRegexInput) return;
  const tree = parseTree(text);
  if (tree === null) return;
  const max = env.ctx.limits.maxMultivalue;
  if (segments === null) {
    for (const [name, values] of allLeaves(tree)) row.set(name, fromValues(values.slice(0, max))!);
    return;
  }
  const values = tree.kind === 'json' ? selectJson(tree.value, segments) : selectXml(tree.root, segments);
  const value = fromValues(values.slice(0, max));
  if (value !== undefined) row.set(output!, value);
}

// ------------------------------------------------------------------ xmlkv

const XML_PAIR = /<([A-Za-z_][\w.:-]*)(?:\s[^<>]*)?>([^<]*)<\/\1\s*>/g;

/**
 * `xmlkv [field] [maxinputs=N]` (a generic node): every `<tag>value</tag>` pair of the field
 * (default `_raw`) becomes field `tag`; a repeated tag gives a multivalue. Values keep their XML
 * entities, as the Windows add-on's extractions do (spl-and-rba.md §8.7).
 */
export function compileXmlkv(raw: string, offset: number): { step: Step; field: string } {
  let field = '_raw';
  for (const word of raw.trim().split(/\s+/).filter((w) => w.length > 0)) {
    if (/^maxinputs=\d+$/i.test(word)) continue;
    if (!/^[\w.:-]+$/.test(word)) throw new LocatedError('spl.bad-argument', `xmlkv: unexpected argument '${word}'`, { file: '', offset });
    field = word;
  }
  const step: Step = (rows, env) => {
    for (const row of rows) {
      const found = new Map<string, SplScalar[]>();
      for (const v of valuesOf(row.get(field))) {
        for (const m of textOf(v).slice(0, env.ctx.limits.maxRegexInput).matchAll(XML_PAIR)) {
          const list = found.get(m[1]!) ?? [];
          list.push(m[2]!);
          found.set(m[1]!, list);
        }
      }
      for (const [name, values] of found) row.set(name, fromValues(values.slice(0, env.ctx.limits.maxMultivalue))!);
    }
    return rows;
  };
  return { step, field };
}
