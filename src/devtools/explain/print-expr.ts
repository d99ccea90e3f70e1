/** Short one-line text for IR expressions and predicates (scope preconditions, text output). */
import { assertNever } from '../../core/xml-tree.js';
import type { Expr } from '../../ir/nodes.js';
import { leafPredicate } from './ir-predicates.js';
import type { Predicate } from './types.js';

const MAX_TEXT = 400;

/** A value in double quotes; only quotes and control characters are escaped (backslashes in paths stay readable). */
export function quoteValue(v: string): string {
  return `"${v.replace(/["\u0000-\u001f]/g, (c) => (c === '"' ? '\\"' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))}"`;
}

export function predicateText(p: Predicate): string {
  const field = p.field ?? '(any field)';
  const mods = p.modifiers.length > 0 ? ` [${p.modifiers.join(', ')}]` : '';
  if (p.op === 'exists' || p.op === 'null') return `${field} ${p.op}${mods}`;
  const values = p.values.map(quoteValue);
  const shown = values.length === 1 ? values[0]! : `${p.modifiers.includes('all') ? 'all of' : 'any of'} (${values.join(', ')})`;
  return `${field} ${p.op} ${shown}${mods}`;
}

export function printExpr(e: Expr): string {
  const text = print(e);
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

function print(e: Expr): string {
  const leaf = leafPredicate(e);
  if (leaf !== null) return predicateText(leaf);
  switch (e.kind) {
    case 'and':
    case 'or':
      return `(${e.items.map(print).join(` ${e.kind} `)})`;
    case 'not':
      return `not ${print(e.item)}`;
    case 'const':
      return String(e.value);
    case 'field':
    case 'keyword':
    case 'exists':
    case 'null':
    case 'fieldref':
      return '?';
    default:
      return assertNever(e, 'expression');
  }
}
