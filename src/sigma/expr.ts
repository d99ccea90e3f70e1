/** Small Expr builders that flatten nested and/or and drop one-item groups. */
import type { Expr } from '../ir/nodes.js';

export function anyOf(items: readonly Expr[]): Expr {
  const flat: Expr[] = [];
  for (const item of items) {
    if (item.kind === 'or') flat.push(...item.items);
    else flat.push(item);
  }
  if (flat.length === 0) return { kind: 'const', value: false };
  return flat.length === 1 ? flat[0]! : { kind: 'or', items: flat };
}

export function allOf(items: readonly Expr[]): Expr {
  const flat: Expr[] = [];
  for (const item of items) {
    if (item.kind === 'and') flat.push(...item.items);
    else flat.push(item);
  }
  if (flat.length === 0) return { kind: 'const', value: true };
  return flat.length === 1 ? flat[0]! : { kind: 'and', items: flat };
}

export function negate(item: Expr): Expr {
  return { kind: 'not', item };
}
