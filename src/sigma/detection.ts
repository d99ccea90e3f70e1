/** A rule's `detection` block → one IR Expr (search identifiers lowered, condition(s) applied). */
import type { Expr } from '../ir/nodes.js';
import { LocatedError } from '../core/diagnostics.js';
import type { Diagnostic } from '../core/diagnostics.js';
import { ConditionError, parseCondition, selectIdentifiers, type CondNode } from './condition.js';
import { allOf, anyOf, negate } from './expr.js';
import { lowerDetectionItem, type ItemContext } from './modifiers.js';
import { describe, locate, quotedScalar, type Loc, type YMap, type YNode, type YScalar } from './yaml-tree.js';

export interface DetectionContext extends ItemContext {
  readonly strict: boolean;
}

export interface LoweredDetection {
  readonly condition: Expr;
  /** Search identifiers → their lowered expressions (filters reuse these). */
  readonly identifiers: ReadonlyMap<string, Expr>;
}

/** Lowers a detection map. Throws LocatedError for anything that stops the rule from loading. */
export function lowerDetection(detection: YNode, ctx: DetectionContext): LoweredDetection {
  if (detection.kind !== 'map') {
    throw new LocatedError('sigma.detection.shape', `'detection' must be a map, got ${describe(detection)}`, locate(ctx.file, detection.loc));
  }
  const identifiers = new Map<string, Expr>();
  const conditionNodes: YNode[] = [];
  for (const pair of detection.pairs) {
    if (pair.key === 'condition') {
      if (conditionNodes.length > 0) {
        const message = `'condition' is given twice in 'detection'`;
        if (ctx.strict) throw new LocatedError('sigma.detection.duplicate-key', `${message}; not allowed with strict`, locate(ctx.file, pair.keyLoc));
        ctx.problems.push({ severity: 'warning', code: 'sigma.detection.duplicate-key', message: `${message}; both are ORed like a condition list`, location: locate(ctx.file, pair.keyLoc) });
      }
      conditionNodes.push(pair.value);
      continue;
    }
    if (pair.key === 'timeframe') {
      throw new LocatedError('sigma.legacy.timeframe', `deprecated 'timeframe' in detection (Sigma v1 aggregation); Sigma v2 uses correlation rules with 'timespan'`, locate(ctx.file, pair.keyLoc));
    }
    if (identifiers.has(pair.key)) {
      // Which of the two the author meant is unknowable, so this is an error even without strict.
      throw new LocatedError('sigma.detection.duplicate-identifier', `search identifier '${pair.key}' is defined twice`, locate(ctx.file, pair.keyLoc));
    }
    identifiers.set(pair.key, lowerSearch(pair.key, pair.value, ctx));
  }
  if (conditionNodes.length === 0) {
    throw new LocatedError('sigma.detection.condition-missing', `'detection' has no 'condition'`, locate(ctx.file, detection.loc));
  }
  const conditions: YScalar[] = [];
  for (const node of conditionNodes) {
    if (node.kind === 'seq') {
      if (node.items.length === 0) throw new LocatedError('sigma.condition.shape', 'empty condition list', locate(ctx.file, node.loc));
      for (const item of node.items) {
        if (item.kind !== 'scalar' || item.type !== 'string') {
          throw new LocatedError('sigma.condition.shape', `a condition must be a string, got ${describe(item)}`, locate(ctx.file, item.loc));
        }
        conditions.push(item);
      }
    } else if (node.kind === 'scalar' && node.type === 'string') {
      conditions.push(node);
    } else {
      throw new LocatedError('sigma.condition.shape', `'condition' must be a string or a list of strings, got ${describe(node)}`, locate(ctx.file, node.loc));
    }
  }
  const exprs = conditions.map((c) => lowerConditionString(c, identifiers, ctx));
  return { condition: anyOf(exprs), identifiers };
}

export function lowerConditionString(node: YScalar, identifiers: ReadonlyMap<string, Expr>, ctx: ItemContext): Expr {
  const names = [...identifiers.keys()];
  try {
    const tree = parseCondition(node.text, new Set(names));
    const expr = evaluate(tree, identifiers, names, ctx, node);
    if (expr === null) throw new ConditionError('sigma.condition.empty', 'the condition selects no search identifier (every `x of` pattern matched nothing)', 0);
    return expr;
  } catch (e) {
    if (e instanceof ConditionError) {
      throw new LocatedError(e.code, `condition '${node.text.trim().replace(/\s+/g, ' ')}': ${e.message}`, locate(ctx.file, offsetLoc(node, e.offset)));
    }
    throw e;
  }
}

/** Location of a character inside a scalar (exact for one-line scalars, the start line otherwise). */
function offsetLoc(node: YScalar, offset: number): Loc {
  if (node.text.includes('\n')) return node.loc;
  const quote = quotedScalar(node) ? 1 : 0;
  return { line: node.loc.line, column: node.loc.column + quote + offset, offset: node.loc.offset + quote + offset };
}

function evaluate(node: CondNode, ids: ReadonlyMap<string, Expr>, names: readonly string[], ctx: ItemContext, at: YScalar): Expr | null {
  switch (node.kind) {
    case 'id': {
      const e = ids.get(node.name);
      if (e === undefined) {
        throw new ConditionError('sigma.condition.undefined', `'${node.name}' is not a search identifier of this rule (have: ${names.join(', ') || 'none'})`, node.offset);
      }
      return e;
    }
    case 'of': {
      const selected = selectIdentifiers(node.pattern, names);
      if (selected.length === 0) {
        // pySigma drops a selector that matches nothing (with its `not`/`and`); say so.
        ctx.problems.push({
          severity: 'info',
          code: 'sigma.condition.empty-selector',
          message: `'${node.quantifier === 'all' ? 'all' : '1'} of ${node.pattern ?? 'them'}' matches no search identifier and is dropped`,
          location: locate(ctx.file, offsetLoc(at, node.offset)),
        });
        return null;
      }
      const exprs = selected.map((n) => ids.get(n)!);
      return node.quantifier === 'all' ? allOf(exprs) : anyOf(exprs);
    }
    case 'and':
    case 'or': {
      const l = evaluate(node.left, ids, names, ctx, at);
      const r = evaluate(node.right, ids, names, ctx, at);
      if (l === null) return r;
      if (r === null) return l;
      return node.kind === 'and' ? allOf([l, r]) : anyOf([l, r]);
    }
    case 'not': {
      const inner = evaluate(node.item, ids, names, ctx, at);
      return inner === null ? null : negate(inner);
    }
  }
}

function lowerSearch(name: string, node: YNode, ctx: DetectionContext): Expr {
  switch (node.kind) {
    case 'map':
      return lowerSelectionMap(name, node, ctx);
    case 'seq': {
      if (node.items.length === 0) {
        throw new LocatedError('sigma.detection.empty', `search identifier '${name}' is an empty list`, locate(ctx.file, node.loc));
      }
      if (node.items.every((i) => i.kind === 'scalar')) return lowerDetectionItem('', node.loc, node, ctx);
      const items = node.items.map((item) => {
        if (item.kind === 'map') return lowerSelectionMap(name, item, ctx);
        if (item.kind === 'scalar') return lowerDetectionItem('', item.loc, item, ctx);
        throw new LocatedError('sigma.detection.shape', `search identifier '${name}' contains a nested list`, locate(ctx.file, item.loc));
      });
      return anyOf(items);
    }
    case 'scalar':
      if (node.type === 'null') {
        throw new LocatedError('sigma.detection.empty', `search identifier '${name}' is empty`, locate(ctx.file, node.loc));
      }
      return lowerDetectionItem('', node.loc, node, ctx);
  }
}

function lowerSelectionMap(name: string, map: YMap, ctx: DetectionContext): Expr {
  if (map.pairs.length === 0) {
    throw new LocatedError('sigma.detection.empty', `search identifier '${name}' is an empty map`, locate(ctx.file, map.loc));
  }
  const seen = new Map<string, Loc>();
  const items: Expr[] = [];
  for (const pair of map.pairs) {
    const first = seen.get(pair.key);
    if (first !== undefined) {
      const message = `duplicate key '${pair.key}' in '${name}' (first at line ${first.line}); both are ANDed as the author meant`;
      if (ctx.strict) throw new LocatedError('sigma.detection.duplicate-key', `duplicate key '${pair.key}' in '${name}' (first at line ${first.line}); not allowed with strict`, locate(ctx.file, pair.keyLoc));
      ctx.problems.push({ severity: 'warning', code: 'sigma.detection.duplicate-key', message, location: locate(ctx.file, pair.keyLoc) });
    } else seen.set(pair.key, pair.keyLoc);
    items.push(lowerDetectionItem(pair.key, pair.keyLoc, pair.value, ctx));
  }
  return allOf(items);
}
