/**
 * Logsource resolution: a Sigma rule's `logsource` (product / category / service) becomes one
 * or more detection variants, each a Scope (channels, providers, EventIDs, precondition) and the
 * condition as the variant's events spell it. A pure function of the mappings and its inputs.
 */
import type { DetectionVariant, Expr, Scope } from '../ir/nodes.js';
import type { CategoryMapping, CategoryVariantSpec, LogsourceMappings, ServiceMapping } from './mapping-model.js';
import { and, exactMatch, or } from './patterns.js';
import { applyFieldMap } from './translate-fields.js';

export type LogsourceResolution =
  | { readonly variants: DetectionVariant[]; readonly warnings: string[] }
  /** `notWindows`: the rule is fine but targets logs Vigil does not read (linux, cloud, ...). */
  | { readonly error: string; readonly notWindows?: true };

/**
 * A logsource as written. Sigma values are single strings; a list (mdecrevoisier writes
 * `category: [ps_module, ps_script]`) resolves as the union of its items, with a warning.
 */
export type LogsourceInput = Readonly<Record<string, string | readonly string[]>>;

export interface LogsourceResolver {
  resolve(logsource: LogsourceInput, condition: Expr): LogsourceResolution;
}

/** Bound on the combinations list values may expand to. */
const MAX_COMBINATIONS = 32;

/** Keys of `logsource` that select events; `definition` and custom keys are documentation. */
const SELECTING_KEYS = ['product', 'category', 'service'] as const;

function describe(ls: { product?: string; category?: string; service?: string }): string {
  return SELECTING_KEYS.filter((k) => ls[k] !== undefined)
    .map((k) => `${k}: ${ls[k]}`)
    .join(', ');
}

/** Close names for an unknown one, to make the error actionable. */
function suggest(name: string, known: Iterable<string>): string {
  const n = name.toLowerCase().replace(/[-_ ]/g, '');
  const hits = [...known].filter((k) => {
    const c = k.replace(/[-_ ]/g, '');
    return n.length >= 3 && (c.startsWith(n) || n.startsWith(c) || c.includes(n));
  });
  return hits.length > 0 && hits.length <= 4 ? ` (did you mean ${hits.map((h) => `'${h}'`).join(' or ')}?)` : '';
}

function whereExpr(where: CategoryVariantSpec['where']): Expr | null {
  if (where.length === 0) return null;
  return and(where.map(([field, values]) => or(values.map((v) => exactMatch(field, v)))));
}

function scopeOf(spec: { channels: readonly string[]; providers: readonly string[]; eventIds?: readonly number[] }, extra: Expr | null): Scope {
  return { channels: [...spec.channels], providers: [...spec.providers], eventIds: [...(spec.eventIds ?? [])], extra };
}

function variantOf(spec: CategoryVariantSpec, condition: Expr, warnings: string[]): DetectionVariant | null {
  const scope = scopeOf(spec, whereExpr(spec.where));
  if (!spec.fieldMap) return { label: spec.label, scope, condition };
  const mapped = applyFieldMap(condition, spec.fieldMap);
  const name = `variant ${spec.label} (${spec.fieldMap.description})`;
  if (mapped.condition.kind === 'const' && !mapped.condition.value) {
    const why = [...mapped.unavailable, ...mapped.untranslatable].join('; ') || 'its condition is always false there';
    warnings.push(`${name} dropped: the rule can only match through what those events lack (${why})`);
    return null;
  }
  // Tests on missing fields in plain selections fall away silently, exactly as at run time; a
  // filter that cannot be checked, or a value that cannot be translated, changes the outcome.
  if (mapped.unavailableNegated.length > 0) {
    warnings.push(`${name}: filters on ${mapped.unavailableNegated.join(', ')} cannot be checked there and count as excluding`);
  }
  if (mapped.untranslatable.length > 0) {
    warnings.push(`${name}: untranslatable tests count as not matching, or as excluding under not (${mapped.untranslatable.join('; ')})`);
  }
  return { label: spec.label, scope, condition: mapped.condition };
}

export function createResolver(mappings: LogsourceMappings): LogsourceResolver {
  const lookupService = (name: string): ServiceMapping | undefined => {
    const canonical = mappings.serviceAliases.get(name) ?? name;
    return mappings.services.get(canonical);
  };

  const resolveOne = (raw: Readonly<Record<string, unknown>>, condition: Expr): LogsourceResolution => {
    const warnings: string[] = [];
    const ls: { product?: string; category?: string; service?: string } = {};
    for (const key of SELECTING_KEYS) {
      const value = raw[key];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string') return { error: `logsource ${key} must be a single text value, not ${JSON.stringify(value)}` };
      const lower = value.trim().toLowerCase();
      if (lower === '') continue;
      if (lower !== value) warnings.push(`logsource ${key} '${value}' read as '${lower}' (Sigma log source names are lower-case)`);
      ls[key] = lower;
    }
    const { product, category, service } = ls;
    const what = describe(ls);

    if (product !== undefined && product !== 'windows') {
      return { error: `logsource product ${product} is not a Windows event log source Vigil reads (${what})`, notWindows: true };
    }
    const categoryMapping: CategoryMapping | undefined = category === undefined ? undefined : mappings.categories.get(category);
    if (product === undefined) {
      if (categoryMapping?.withoutProduct) {
        // Generic categories SigmaHQ writes without a product (antivirus): resolve as Windows.
      } else if (category === undefined && service === undefined) {
        return { error: 'logsource names no product, category or service' };
      } else {
        return { error: `logsource without a product (${what}) is not a Windows event log source Vigil reads`, notWindows: true };
      }
    }

    let serviceMapping: ServiceMapping | undefined;
    if (service !== undefined) {
      serviceMapping = lookupService(service);
      if (!serviceMapping) {
        return { error: `cannot map logsource service ${service} for product windows: no channel is known for it${suggest(service, mappings.services.keys())}` };
      }
      if (serviceMapping.warning) warnings.push(serviceMapping.warning);
    }

    if (category !== undefined) {
      if (!categoryMapping) return { error: `cannot map logsource category ${category}${suggest(category, mappings.categories.keys())}` };
      if (categoryMapping.warning) warnings.push(categoryMapping.warning);
      let specs = categoryMapping.variants;
      if (serviceMapping) {
        // A service next to a category narrows the category to that service's channels.
        const channels = new Set(serviceMapping.channels.map((c) => c.toLowerCase()));
        specs = specs
          .filter((s) => s.channels.some((c) => channels.has(c.toLowerCase())))
          .map((s) => ({ ...s, channels: s.channels.filter((c) => channels.has(c.toLowerCase())) }));
        if (specs.length === 0) return { error: `cannot map logsource ${what}: category ${category} has no events in the channels of service ${service}` };
      }
      const variants: DetectionVariant[] = [];
      for (const spec of specs) {
        const v = variantOf(spec, condition, warnings);
        if (v) variants.push(v);
      }
      if (variants.length === 0) return { error: `cannot map logsource ${what}: no variant of category ${category} can match (${warnings.join('; ')})` };
      return { variants, warnings };
    }

    if (serviceMapping) {
      return { variants: [{ label: serviceMapping.name, scope: scopeOf(serviceMapping, null), condition }], warnings };
    }

    // `product: windows` alone: every Windows event log (SigmaHQ has one such keyword rule).
    warnings.push('logsource names only product windows: the rule is tested against events of every channel');
    return { variants: [{ label: 'windows', scope: scopeOf({ channels: [], providers: [] }, null), condition }], warnings };
  };

  const resolve = (raw: LogsourceInput, condition: Expr): LogsourceResolution => {
    const listed = SELECTING_KEYS.filter((k) => Array.isArray(raw[k]));
    if (listed.length === 0) return resolveOne(raw, condition);
    // Expand list values into single-valued logsources and take the union of their variants.
    let combos: Record<string, unknown>[] = [{ ...raw }];
    for (const key of listed) {
      const items = raw[key] as readonly unknown[];
      if (items.length === 0) return { error: `logsource ${key} is an empty list` };
      combos = combos.flatMap((c) => items.map((item) => ({ ...c, [key]: item })));
      if (combos.length > MAX_COMBINATIONS) return { error: `logsource lists expand to more than ${MAX_COMBINATIONS} combinations` };
    }
    const warnings = [`logsource ${listed.map((k) => `${k} lists ${(raw[k] as readonly unknown[]).map(String).join(', ')}`).join('; ')}: resolved as their union (Sigma expects one value)`];
    const variants: DetectionVariant[] = [];
    for (const combo of combos) {
      const r = resolveOne(combo, condition);
      if ('error' in r) return r;
      for (const w of r.warnings) if (!warnings.includes(w)) warnings.push(w);
      for (const v of r.variants) mergeVariant(variants, v, listed.map((k) => String(combo[k])).join('-'));
    }
    return { variants, warnings };
  };

  return { resolve };
}

/** Adds `v` to `into`, joining EventIDs with a variant that differs only in them. */
function mergeVariant(into: DetectionVariant[], v: DetectionVariant, suffix: string): void {
  const sameButIds = (a: DetectionVariant): boolean =>
    a.label === v.label &&
    JSON.stringify([a.scope.channels, a.scope.providers, a.scope.extra, a.condition]) ===
      JSON.stringify([v.scope.channels, v.scope.providers, v.scope.extra, v.condition]);
  const i = into.findIndex(sameButIds);
  if (i >= 0) {
    const a = into[i]!;
    const anyId = a.scope.eventIds.length === 0 || v.scope.eventIds.length === 0;
    const eventIds = anyId ? [] : [...new Set([...a.scope.eventIds, ...v.scope.eventIds])].sort((x, y) => x - y);
    into[i] = { ...a, scope: { ...a.scope, eventIds } };
    return;
  }
  const label = into.some((a) => a.label === v.label) ? `${v.label}:${suffix}` : v.label;
  into.push({ ...v, label });
}
