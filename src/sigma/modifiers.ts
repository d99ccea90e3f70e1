/**
 * One detection item (`Field|mod1|mod2: value(s)`) → IR Expr. Modifiers apply left to right to
 * each value; expansions (windash, base64offset, expand) stay ORed inside a value even under
 * `|all` (sigma.md §1.5, §6.5).
 */
import type { CompareOp, Expr, PatternPart, TimePart, ValueMatch } from '../ir/nodes.js';
import { LocatedError } from '../core/diagnostics.js';
import type { Diagnostic } from '../core/diagnostics.js';
import { allOf, anyOf, negate } from './expr.js';
import { parseCidr } from './cidr.js';
import { translateRegex } from './regex.js';
import {
  hasWildcards, literalParts, markedToParts, normalizeParts, parseSigmaString, partsText, partsToMarked,
  withLeadingAny, withTrailingAny,
} from './sigma-string.js';
import { describe, locate, quotedScalar, type Loc, type YNode, type YScalar } from './yaml-tree.js';

export interface ItemContext {
  readonly file: string;
  readonly placeholders: Readonly<Record<string, readonly string[]>> | undefined;
  /** Warnings and notes are appended here; errors are thrown as LocatedError. */
  readonly problems: Diagnostic[];
}

const TIME_PARTS: readonly TimePart[] = ['minute', 'hour', 'day', 'week', 'month', 'year'];
const COMPARE_OPS = ['lt', 'lte', 'gt', 'gte'] as const;
const ENCODINGS = ['wide', 'utf16le', 'utf16be', 'utf16'] as const;
const REGEX_FLAG_MODIFIERS: Readonly<Record<string, string>> = { i: 'i', ignorecase: 'i', m: 'm', multiline: 'm', s: 's', dotall: 's' };
const KNOWN_MODIFIERS = new Set<string>([
  'contains', 'startswith', 'endswith', 'all', 'exists', 'cased', 'neq', 'windash', 're', 'base64', 'base64offset',
  ...ENCODINGS, ...COMPARE_OPS, ...TIME_PARTS, 'cidr', 'expand', 'fieldref', ...Object.keys(REGEX_FLAG_MODIFIERS),
]);

/** Legacy/v1 spellings mapped to a hint (these are errors, but say what was probably meant). */
const MODIFIER_HINTS: Readonly<Record<string, string>> = { regex: 're', contain: 'contains', startwith: 'startswith', endwith: 'endswith', base64offsets: 'base64offset' };

/** Modifiers whose repetition changes nothing (mdecrevoisier writes `contains|contains`). */
const IDEMPOTENT_MODIFIERS = new Set(['contains', 'startswith', 'endswith', 'all', 'cased', 'i', 'm', 's', 'ignorecase', 'multiline', 'dotall']);

/** Bounds on expansion products so a rule cannot blow up memory. */
const MAX_WINDASH_POSITIONS = 6;
const MAX_EXPANSION = 20_000;

type Working =
  | { readonly kind: 'str'; readonly parts: readonly PatternPart[] }
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  | { readonly kind: 're'; readonly source: string };

export function lowerDetectionItem(key: string, keyLoc: Loc, valueNode: YNode, ctx: ItemContext): Expr {
  const err = (code: string, message: string, loc: Loc = keyLoc): LocatedError =>
    new LocatedError(code, message, locate(ctx.file, loc));
  const [rawField, ...written] = key.split('|');
  let mods = written;
  const field = rawField!.trim();
  const keyword = field === '';
  for (const m of mods) {
    if (!KNOWN_MODIFIERS.has(m)) {
      const hint = MODIFIER_HINTS[m];
      throw err('sigma.modifier.unknown', `unknown modifier '${m}' in '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}`);
    }
  }
  if (new Set(mods).size !== mods.length) {
    const repeated = mods.filter((m, i) => mods.indexOf(m) !== i);
    if (!repeated.every((m) => IDEMPOTENT_MODIFIERS.has(m))) throw err('sigma.modifier.repeated', `modifier '${repeated[0]}' is repeated in '${key}'`);
    warn(ctx, 'sigma.modifier.repeated', `modifier '${repeated[0]}' is repeated in '${key}' (no effect)`, keyLoc);
    mods = mods.filter((m, i) => mods.indexOf(m) === i);
  }
  const has = (m: string): boolean => mods.includes(m);
  const reIndex = mods.indexOf('re');
  if (reIndex > 0) throw err('sigma.modifier.order', `'re' must be the first modifier in '${key}'`);
  const reFlags = mods.filter((m) => m in REGEX_FLAG_MODIFIERS);
  if (reFlags.length > 0 && reIndex < 0) throw err('sigma.modifier.combination', `regex flag modifier '${reFlags[0]}' needs 're' in '${key}'`);
  const compareOps = mods.filter((m): m is (typeof COMPARE_OPS)[number] => (COMPARE_OPS as readonly string[]).includes(m));
  const timeParts = mods.filter((m): m is TimePart => (TIME_PARTS as readonly string[]).includes(m));
  if (compareOps.length > 1 || timeParts.length > 1) throw err('sigma.modifier.combination', `at most one comparison and one time-part modifier in '${key}'`);

  // --- values
  const values: YScalar[] = [];
  if (valueNode.kind === 'map') throw err('sigma.detection.value', `the value of '${key}' is a map; expected a value or a list of values`, valueNode.loc);
  if (valueNode.kind === 'seq') {
    for (const item of valueNode.items) {
      if (item.kind !== 'scalar') throw err('sigma.detection.value', `a value of '${key}' is ${describe(item)}; expected a scalar`, item.loc);
      values.push(item);
    }
  } else values.push(valueNode);

  // --- exists
  if (has('exists')) {
    if (mods.length !== 1) throw err('sigma.modifier.combination', `'exists' must be the only modifier in '${key}'`);
    if (keyword) throw err('sigma.modifier.field', `'exists' needs a field name`);
    if (values.length !== 1) throw err('sigma.detection.value', `'exists' takes one boolean value`, valueNode.loc);
    const v = values[0]!;
    const b = v.type === 'boolean' ? (v.value as boolean) : /^(yes|true)$/i.test(v.text) ? true : /^(no|false)$/i.test(v.text) ? false : null;
    if (b === null) throw err('sigma.detection.value', `'exists' needs true or false, got ${describe(v)}`, v.loc);
    if (v.type !== 'boolean') warn(ctx, 'sigma.detection.value', `'exists' value '${v.text}' read as ${b} (YAML 1.2 reads it as a string)`, v.loc);
    const e: Expr = { kind: 'exists', field };
    return b ? e : negate(e);
  }

  // --- null / empty list
  if (valueNode.kind === 'seq' && valueNode.items.length === 0) {
    if (keyword) throw err('sigma.detection.null', 'a keyword search cannot be empty', valueNode.loc);
    return has('neq') ? negate({ kind: 'null', field }) : { kind: 'null', field };
  }

  if (has('base64offset') && !has('contains')) {
    warn(ctx, 'sigma.modifier.base64offset', `'base64offset' without 'contains' in '${key}': the shifted encodings only ever occur inside a longer value`, keyLoc);
  }
  const linkAll = has('all');
  if (linkAll && values.length === 1) warn(ctx, 'sigma.modifier.all-single', `'all' on a single value in '${key}' has no effect`, keyLoc, 'info');
  const perValue: Expr[] = [];
  for (const v of values) {
    if (v.type === 'null') {
      if (keyword) throw err('sigma.detection.null', 'null is not allowed in a keyword search', v.loc);
      perValue.push({ kind: 'null', field });
      continue;
    }
    perValue.push(lowerValue(field, keyword, mods, v, ctx, key, compareOps[0], timeParts[0]));
  }
  const linked = linkAll ? allOf(perValue) : anyOf(perValue);
  return has('neq') ? negate(linked) : linked;
}

function lowerValue(
  field: string,
  keyword: boolean,
  mods: readonly string[],
  v: YScalar,
  ctx: ItemContext,
  key: string,
  compareOp: (typeof COMPARE_OPS)[number] | undefined,
  timePart: TimePart | undefined,
): Expr {
  const err = (code: string, message: string): LocatedError => new LocatedError(code, message, locate(ctx.file, v.loc));
  const has = (m: string): boolean => mods.includes(m);
  const leaf = (match: ValueMatch): Expr => (keyword ? { kind: 'keyword', match } : { kind: 'field', field, match });

  // --- numeric comparisons and time parts
  if (compareOp !== undefined || timePart !== undefined) {
    const allowed = new Set<string>([...COMPARE_OPS, ...TIME_PARTS, 'neq', 'all']);
    const other = mods.find((m) => !allowed.has(m));
    if (other) throw err('sigma.modifier.combination', `'${other}' cannot be combined with comparison/time modifiers in '${key}'`);
    if (keyword) throw err('sigma.modifier.field', `'${compareOp ?? timePart}' needs a field name`);
    if (v.type !== 'number' || typeof v.value !== 'number' || !Number.isFinite(v.value)) {
      throw err('sigma.detection.type', `'${compareOp ?? timePart}' needs a YAML number, got ${describe(v)}${quotedScalar(v) ? ' (quoted)' : ''}`);
    }
    const op: CompareOp = compareOp ?? 'eq';
    if (timePart !== undefined) return leaf({ kind: 'time-part', part: timePart, op, value: v.value });
    return leaf({ kind: 'number', op, value: v.value });
  }

  // --- cidr
  if (has('cidr')) {
    const other = mods.find((m) => m !== 'cidr' && m !== 'neq');
    if (other) throw err('sigma.modifier.combination', `'cidr' must be the only modifier in '${key}' (found '${other}')`);
    const r = parseCidr(v.text.trim());
    if (!r.ok) throw err('sigma.cidr', r.message);
    return leaf({ kind: 'cidr', network: r.network });
  }

  // --- fieldref
  if (has('fieldref')) {
    const allowed = new Set(['fieldref', 'contains', 'startswith', 'endswith', 'neq', 'cased', 'all']);
    const other = mods.find((m) => !allowed.has(m));
    if (other) throw err('sigma.modifier.combination', `'${other}' cannot be combined with 'fieldref' in '${key}'`);
    if (keyword) throw err('sigma.modifier.field', `'fieldref' needs a field name`);
    if (/[*?]/.test(v.text)) throw err('sigma.fieldref', `'fieldref' names a field; wildcards are not allowed ('${v.text}')`);
    const posMods = mods.filter((m) => m === 'contains' || m === 'startswith' || m === 'endswith');
    if (posMods.length > 1) throw err('sigma.modifier.combination', `only one of contains/startswith/endswith with 'fieldref'`);
    const op = (posMods[0] as 'contains' | 'startswith' | 'endswith' | undefined) ?? 'eq';
    return { kind: 'fieldref', field, other: v.text, op, cased: has('cased') };
  }

  // --- strings (and regexes)
  let alts: Working[];
  if (has('re')) {
    if (v.type !== 'string' && v.type !== 'number') throw err('sigma.detection.type', `'re' needs a string, got ${describe(v)}`);
    alts = [{ kind: 're', source: v.text }];
  } else if (has('expand')) {
    alts = expandPlaceholders(v.text, ctx, v, key).map((raw) => ({ kind: 'str', parts: parseSigmaString(raw) }));
  } else if (v.type === 'string') {
    alts = [{ kind: 'str', parts: parseSigmaString(v.text) }];
  } else {
    // Numbers and booleans compare as their source spelling (`0x40810000`, `4688`, `true`).
    alts = [{ kind: 'str', parts: literalParts(v.text) }];
  }
  let cased = false;
  let reFlags = '';
  let positional = false;
  for (const m of mods) {
    switch (m) {
      case 'contains':
      case 'startswith':
      case 'endswith':
        positional = true;
        alts = alts.map((a) => {
          if (a.kind === 'str') {
            const lead = m !== 'startswith' ? withLeadingAny(a.parts) : [...a.parts];
            return { kind: 'str', parts: m !== 'endswith' ? withTrailingAny(lead) : lead };
          }
          // IR regexes are searched, unanchored: adding `.*` would change nothing but speed.
          if (a.kind === 're') return a;
          throw err('sigma.modifier.order', `'${m}' cannot follow a UTF-16 modifier without 'base64' or 'base64offset' in between in '${key}'`);
        });
        break;
      case 'windash':
        alts = alts.flatMap((a) => (a.kind === 'str' ? windash(a.parts, err) : [a]));
        break;
      case 'wide':
      case 'utf16le':
      case 'utf16be':
      case 'utf16':
        alts = alts.map((a) => {
          if (a.kind !== 'str') throw err('sigma.modifier.combination', `'${m}' applies to plain strings in '${key}'`);
          if (hasWildcards(a.parts)) throw err('sigma.modifier.wildcard', `'${m}' cannot encode wildcards in '${a.parts.length ? partsText(a.parts) : ''}'`);
          return { kind: 'bytes', bytes: encodeUtf16(partsText(a.parts), m) };
        });
        break;
      case 'base64':
      case 'base64offset':
        alts = alts.flatMap((a): Working[] => {
          if (a.kind === 're') throw err('sigma.modifier.combination', `'${m}' cannot apply to a regex in '${key}'`);
          if (a.kind === 'str' && hasWildcards(a.parts)) throw err('sigma.modifier.wildcard', `'${m}' cannot encode wildcards (escape them or drop them)`);
          const bytes = a.kind === 'bytes' ? a.bytes : Buffer.from(partsText(a.parts), 'utf8');
          const encoded = m === 'base64' ? [bytes.toString('base64')] : base64Offsets(bytes);
          return encoded.map((text) => ({ kind: 'str', parts: literalParts(text) }));
        });
        break;
      case 'cased':
        if (has('re')) throw err('sigma.modifier.combination', `'cased' does not apply to 're' (regexes are case-sensitive unless 'i')`);
        cased = true;
        break;
      case 're':
        break;
      case 'i': case 'ignorecase': case 'm': case 'multiline': case 's': case 'dotall':
        reFlags += REGEX_FLAG_MODIFIERS[m]!;
        break;
      case 'all': case 'neq': case 'expand':
        break;
      default:
        // exists/cidr/fieldref/comparisons were handled above.
        throw err('sigma.modifier.combination', `'${m}' cannot be combined this way in '${key}'`);
    }
  }
  // Keywords are full-text searches: a bare keyword matches inside any field value.
  if (keyword && !positional && !has('re')) {
    alts = alts.map((a) => (a.kind === 'str' ? { kind: 'str', parts: withTrailingAny(withLeadingAny(a.parts)) } : a));
  }
  if (alts.length > MAX_EXPANSION) throw err('sigma.expansion', `'${key}' expands to ${alts.length} values (limit ${MAX_EXPANSION})`);
  const out: Expr[] = [];
  const seen = new Set<string>();
  for (const a of alts) {
    let match: ValueMatch;
    if (a.kind === 're') {
      const r = translateRegex(a.source, reFlags);
      if (!r.ok) throw err(r.code, `${r.message} in '${key}': ${a.source}`);
      for (const note of r.notes) warn(ctx, 'sigma.regex.translated', `${note} in '${key}'`, v.loc, 'info');
      match = { kind: 'regex', source: r.source, flags: r.flags };
    } else if (a.kind === 'bytes') {
      match = { kind: 'pattern', parts: literalParts(a.bytes.toString('latin1')), cased };
    } else {
      match = { kind: 'pattern', parts: normalizeParts(a.parts), cased };
    }
    const sig = JSON.stringify(match);
    if (seen.has(sig)) continue;
    seen.add(sig);
    out.push(leaf(match));
  }
  return anyOf(out);
}

function warn(ctx: ItemContext, code: string, message: string, loc: Loc, severity: 'warning' | 'info' = 'warning'): void {
  ctx.problems.push({ severity, code, message, location: locate(ctx.file, loc) });
}

const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];

/** Every `-`/`/` that starts a word becomes each of the 5 dash variants (Cartesian product). */
function windash(parts: readonly PatternPart[], err: (code: string, message: string) => LocatedError): Working[] {
  const marked = partsToMarked(parts);
  const positions: number[] = [];
  for (const m of marked.matchAll(/\B[-/]\b/g)) positions.push(m.index!);
  if (positions.length === 0) return [{ kind: 'str', parts }];
  if (positions.length > MAX_WINDASH_POSITIONS) throw err('sigma.expansion', `windash on a value with ${positions.length} dash positions (limit ${MAX_WINDASH_POSITIONS})`);
  let variants = [''];
  let last = 0;
  for (const p of positions) {
    const between = marked.slice(last, p);
    variants = variants.flatMap((prefix) => DASHES.map((d) => prefix + between + d));
    last = p + 1;
  }
  const tail = marked.slice(last);
  return variants.map((s) => ({ kind: 'str', parts: markedToParts(s + tail) }));
}

function encodeUtf16(text: string, mod: 'wide' | 'utf16le' | 'utf16be' | 'utf16'): Buffer {
  const le = Buffer.from(text, 'utf16le');
  if (mod === 'wide' || mod === 'utf16le') return le;
  if (mod === 'utf16') return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
  const be = Buffer.from(le);
  be.swap16();
  return be;
}

/** The three base64 encodings of a value at byte offsets 0/1/2, edge characters trimmed. */
export function base64Offsets(bytes: Buffer): string[] {
  const out: string[] = [];
  const startTrim = [0, 2, 3];
  const endTrim = [0, 3, 2];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift, 0x20), bytes]).toString('base64');
    const cut = endTrim[(bytes.length + shift) % 3]!;
    out.push(encoded.slice(startTrim[shift], cut === 0 ? undefined : encoded.length - cut));
  }
  return out;
}

/** `%name%` placeholders (with `|expand`) → Cartesian product of the configured values. */
function expandPlaceholders(raw: string, ctx: ItemContext, v: YScalar, key: string): string[] {
  const segments: ({ literal: string } | { name: string })[] = [];
  let literal = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\' && raw[i + 1] === '%') { literal += '%'; i++; continue; }
    if (c === '%') {
      const end = raw.indexOf('%', i + 1);
      if (end > i + 1) {
        if (literal) segments.push({ literal });
        literal = '';
        segments.push({ name: raw.slice(i + 1, end) });
        i = end;
        continue;
      }
    }
    literal += c;
  }
  if (literal) segments.push({ literal });
  if (!segments.some((s) => 'name' in s)) {
    ctx.problems.push({ severity: 'warning', code: 'sigma.placeholder.none', message: `'expand' on a value without %placeholder% in '${key}'`, location: locate(ctx.file, v.loc) });
  }
  let results = [''];
  for (const s of segments) {
    if ('literal' in s) { results = results.map((r) => r + s.literal); continue; }
    const values = ctx.placeholders?.[s.name];
    if (values === undefined) {
      throw new LocatedError(
        'sigma.placeholder.missing',
        ctx.placeholders === undefined
          ? `placeholder %${s.name}% needs a placeholder config (none given)`
          : `placeholder %${s.name}% is not defined in the placeholder config`,
        locate(ctx.file, v.loc),
      );
    }
    results = results.flatMap((r) => values.map((x) => r + x));
    if (results.length > MAX_EXPANSION) throw new LocatedError('sigma.expansion', `placeholder expansion of '${key}' exceeds ${MAX_EXPANSION} values`, locate(ctx.file, v.loc));
  }
  return results;
}
