/**
 * The field-map pass: rewrites a rule condition written in Sysmon field names so it reads the
 * events of another source (Security 4688, 4657, 5156, Defender). Pure: returns new nodes and
 * shares untouched subtrees; never mutates its input.
 *
 * Fields the target events never carry ("unavailable") and rule values that cannot be
 * translated are resolved *pessimistically*: the variant fires only when the condition holds
 * whatever those fields would have said. A positive test on such a field is false (an OR
 * branch like `OriginalFileName: x` falls away, an AND with it can never fire), and a test under
 * `not` counts as matching, so `not filter` on a Sysmon-only field blocks the variant instead of
 * letting through every event the author meant to filter out.
 */
import { assertNever } from '../core/xml-tree.js';
import type { Expr, FieldMatch, PatternMatch, PatternPart, ValueMatch } from '../ir/nodes.js';
import type { AccountFields, FieldMap, FieldRule } from './mapping-model.js';
import { FALSE, TRUE, and, exactMatch, globParts, normalizeParts, not, or, patternMatch, valueMatchesText } from './patterns.js';

export interface FieldMapResult {
  readonly condition: Expr;
  /** Unavailable fields the condition tested, sorted. */
  readonly unavailable: readonly string[];
  /** The subset tested under `not` (filters), where the pessimistic reading changes the outcome. */
  readonly unavailableNegated: readonly string[];
  /** `field: reason` for rule values that could not be translated, sorted. */
  readonly untranslatable: readonly string[];
}

interface Walk {
  readonly map: FieldMap;
  readonly unavailable: Set<string>;
  readonly unavailableNegated: Set<string>;
  readonly untranslatable: Set<string>;
}

export function applyFieldMap(condition: Expr, map: FieldMap): FieldMapResult {
  const walk: Walk = { map, unavailable: new Set(), unavailableNegated: new Set(), untranslatable: new Set() };
  const out = rewrite(condition, false, walk);
  return {
    condition: out,
    unavailable: [...walk.unavailable].sort(),
    unavailableNegated: [...walk.unavailableNegated].sort(),
    untranslatable: [...walk.untranslatable].sort(),
  };
}

function lacks(w: Walk, field: string, negated: boolean): Expr {
  w.unavailable.add(field);
  if (negated) w.unavailableNegated.add(field);
  return pessimistic(negated);
}

/** The value an unknowable test takes: false where it must hold, true under `not`. */
function pessimistic(negated: boolean): Expr {
  return negated ? TRUE : FALSE;
}

function rewrite(e: Expr, negated: boolean, w: Walk): Expr {
  switch (e.kind) {
    case 'keyword':
    case 'const':
      return e;
    case 'field': {
      if (w.map.unavailable.has(e.field)) return lacks(w, e.field, negated);
      const rule = w.map.fields.get(e.field);
      if (!rule) return e;
      const out = translateMatch(rule, e.match);
      if (typeof out === 'string') {
        w.untranslatable.add(`${e.field}: ${out}`);
        return pessimistic(negated);
      }
      return out;
    }
    case 'exists':
    case 'null': {
      if (w.map.unavailable.has(e.field)) return lacks(w, e.field, negated);
      const rule = w.map.fields.get(e.field);
      if (!rule) return e;
      if (rule.kind === 'account') {
        // Presence of an account: the effective user name field.
        const fields = rule.override ? [rule.override.user, rule.fields.user] : [rule.fields.user];
        const tests = fields.map((field): Expr => ({ kind: e.kind, field }));
        return e.kind === 'exists' ? or(tests) : and(tests);
      }
      return { kind: e.kind, field: rule.to };
    }
    case 'fieldref': {
      const names: string[] = [];
      for (const field of [e.field, e.other]) {
        if (w.map.unavailable.has(field)) return lacks(w, field, negated);
        const rule = w.map.fields.get(field);
        if (rule && rule.kind !== 'rename') {
          w.untranslatable.add(`${field}: compared with another field, but its values are written differently here`);
          return pessimistic(negated);
        }
        names.push(rule ? rule.to : field);
      }
      const [field, other] = names as [string, string];
      return field === e.field && other === e.other ? e : { ...e, field, other };
    }
    case 'and':
    case 'or': {
      const items = e.items.map((item) => rewrite(item, negated, w));
      if (items.every((item, i) => item === e.items[i])) return e;
      return e.kind === 'and' ? and(items) : or(items);
    }
    case 'not': {
      const item = rewrite(e.item, !negated, w);
      return item === e.item ? e : not(item);
    }
    default:
      return assertNever(e, 'expression');
  }
}

// ---------------------------------------------------------------------------------------------
// One field test → the test on the target events, or the reason it cannot be translated

function translateMatch(rule: FieldRule, match: ValueMatch): Expr | string {
  switch (rule.kind) {
    case 'rename':
      return { kind: 'field', field: rule.to, match };
    case 'number':
      return translateNumber(rule.to, match);
    case 'lookup': {
      const renamed: FieldMatch = { kind: 'field', field: rule.to, match };
      if (match.kind !== 'pattern' && match.kind !== 'regex') return renamed;
      const targets: string[] = [];
      for (const [key, values] of rule.table) if (valueMatchesText(match, key) === true) targets.push(...values);
      // The original value stays an alternative: rules often list the target spelling too.
      return or([renamed, ...targets.map((t) => exactMatch(rule.to, t))]);
    }
    case 'account':
      return translateAccount(rule, match);
    case 'registry-key':
      return translateRegistryKey(rule, match);
    case 'device-path':
      return translateDevicePath(rule.to, match);
    default:
      return assertNever(rule, 'field rule');
  }
}

const NUMBER_TEXT = /^(?:\d+|0x[0-9a-f]+)$/i;

function translateNumber(to: string, match: ValueMatch): Expr | string {
  switch (match.kind) {
    case 'pattern': {
      const [only, ...rest] = match.parts;
      if (only?.kind === 'text' && rest.length === 0 && NUMBER_TEXT.test(only.text.trim())) {
        // Numeric compare: the event may write 4660, 0x1234 or 0x0000000000001234.
        return { kind: 'field', field: to, match: { kind: 'number', op: 'eq', value: Number(only.text.trim()) } };
      }
      const hasDigits = match.parts.some((p) => p.kind === 'text' && /[0-9a-f]/i.test(p.text));
      if (!hasDigits) return { kind: 'field', field: to, match };
      return 'a number with wildcards cannot be compared with the hexadecimal form';
    }
    case 'number':
    case 'cidr':
    case 'time-part':
      return { kind: 'field', field: to, match };
    case 'regex':
      return 'a regular expression on a decimal number cannot be applied to the hexadecimal form';
    default:
      return assertNever(match, 'value match');
  }
}

// --- accounts: Sysmon `DOMAIN\user` over separate user / domain fields ---

function splitAccount(p: PatternMatch, f: AccountFields): Expr | null {
  const parts = p.parts;
  const slashes: [number, number][] = [];
  parts.forEach((part, i) => {
    if (part.kind !== 'text') return;
    for (let j = part.text.indexOf('\\'); j >= 0; j = part.text.indexOf('\\', j + 1)) slashes.push([i, j]);
  });
  if (slashes.length === 1) {
    const [i, j] = slashes[0]!;
    const text = (parts[i] as { text: string }).text;
    const domain = normalizeParts([...parts.slice(0, i), { kind: 'text', text: text.slice(0, j) }]);
    const user = normalizeParts([{ kind: 'text', text: text.slice(j + 1) }, ...parts.slice(i + 1)]);
    const anyOnly = (ps: PatternPart[]): boolean => ps.length === 1 && ps[0]!.kind === 'any';
    return and([
      anyOnly(domain) ? TRUE : patternMatch(f.domain, domain, p.cased),
      anyOnly(user) ? TRUE : patternMatch(f.user, user, p.cased),
    ]);
  }
  if (slashes.length > 1) return null;
  // No backslash: the text lies wholly in the domain or in the user name.
  const lead = parts[0]?.kind === 'any';
  const trail = parts.length > 1 && parts[parts.length - 1]?.kind === 'any';
  const inner = parts.slice(lead ? 1 : 0, trail ? -1 : undefined);
  if (inner.some((part) => part.kind !== 'text')) return null;
  if (lead && trail) return or([patternMatch(f.domain, parts, p.cased), patternMatch(f.user, parts, p.cased)]);
  if (trail) return patternMatch(f.domain, parts, p.cased); // startswith
  return patternMatch(f.user, parts, p.cased); // endswith, or a bare user name
}

function accountSide(rule: Extract<FieldRule, { kind: 'account' }>, p: PatternMatch, f: AccountFields): Expr | null {
  const split = splitAccount(p, f);
  const sids: Expr[] = [];
  if (rule.wellKnown && f.sid) {
    for (const [name, values] of rule.wellKnown) if (valueMatchesText(p, name) === true) sids.push(...values.map((v) => exactMatch(f.sid!, v)));
  }
  if (split === null && sids.length === 0) return null;
  return or([split ?? FALSE, ...sids]);
}

function translateAccount(rule: Extract<FieldRule, { kind: 'account' }>, match: ValueMatch): Expr | string {
  if (match.kind !== 'pattern') return `a ${match.kind} test cannot be split over user and domain fields`;
  const base = accountSide(rule, match, rule.fields);
  if (base === null) return 'this value cannot be split into a domain and a user name';
  const o = rule.override;
  if (!o) return base;
  const preferred = accountSide(rule, match, o);
  const unset = or([{ kind: 'null', field: o.user }, ...o.unset.map((u) => exactMatch(o.user, u))]);
  return or([preferred ?? FALSE, and([unset, base])]);
}

// --- registry: Sysmon `HKLM\...\Value` → kernel key path + value name ---

function startsWithText(text: string, prefix: string): boolean {
  return text.length >= prefix.length && text.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase();
}

function replaceInText(text: string, from: string, to: PatternPart[]): PatternPart[] {
  const out: PatternPart[] = [];
  const lower = text.toLowerCase();
  const needle = from.toLowerCase();
  let at = 0;
  for (let i = lower.indexOf(needle); i >= 0; i = lower.indexOf(needle, at)) {
    out.push({ kind: 'text', text: text.slice(at, i) }, ...to);
    at = i + needle.length;
  }
  out.push({ kind: 'text', text: text.slice(at) });
  return out;
}

function translateRegistryKey(rule: Extract<FieldRule, { kind: 'registry-key' }>, match: ValueMatch): Expr | string {
  if (match.kind === 'regex') return 'a regular expression on a Sysmon registry path cannot be applied to the kernel path';
  if (match.kind !== 'pattern') return { kind: 'field', field: rule.to, match };
  let parts: PatternPart[] = [...match.parts];
  const first = parts[0];
  if (first?.kind === 'text') {
    const prefix = rule.prefixes.find(([from]) => startsWithText(first.text, from));
    if (prefix) parts = [...globParts(prefix[1]), { kind: 'text', text: first.text.slice(prefix[0].length) }, ...parts.slice(1)];
  }
  for (const [from, to] of rule.replace) {
    parts = parts.flatMap((part) => (part.kind === 'text' ? replaceInText(part.text, from, globParts(to)) : [part]));
  }
  parts = normalizeParts(parts);
  const alternatives: Expr[] = [patternMatch(rule.to, parts, match.cased)];
  if (rule.valueName) {
    // Sysmon appends the value name to the key; 4657 keeps it apart.
    const trailingAny = parts[parts.length - 1]?.kind === 'any';
    const lastTextAt = parts.length - (trailingAny ? 2 : 1);
    const last = parts[lastTextAt];
    if (last?.kind === 'text' && last.text.includes('\\')) {
      const cut = last.text.lastIndexOf('\\');
      const key = [...parts.slice(0, lastTextAt), { kind: 'text', text: last.text.slice(0, cut) } as PatternPart];
      const value = [{ kind: 'text', text: last.text.slice(cut + 1) } as PatternPart, ...parts.slice(lastTextAt + 1)];
      if (normalizeParts(value).length > 0) alternatives.push(and([patternMatch(rule.to, key, match.cased), patternMatch(rule.valueName, value, match.cased)]));
    } else if (parts[0]?.kind === 'any' && !parts.some((p) => p.kind === 'text' && p.text.includes('\\'))) {
      alternatives.push(patternMatch(rule.valueName, parts, match.cased));
    }
  }
  return or(alternatives);
}

// --- file paths: `C:\...` → `\Device\HarddiskVolumeN\...` ---

const DRIVE = /^[a-z]:\\/i;

function translateDevicePath(to: string, match: ValueMatch): Expr | string {
  if (match.kind === 'regex') return 'a regular expression on a drive-letter path cannot be applied to the device path';
  const renamed: FieldMatch = { kind: 'field', field: to, match };
  if (match.kind !== 'pattern') return renamed;
  const first = match.parts[0];
  if (first?.kind !== 'text' || !DRIVE.test(first.text)) return renamed;
  const device: PatternPart[] = [{ kind: 'text', text: '\\device\\harddiskvolume' }, { kind: 'any' }, { kind: 'text', text: first.text.slice(2) }, ...match.parts.slice(1)];
  return or([renamed, patternMatch(to, device, match.cased)]);
}
