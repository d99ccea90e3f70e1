/**
 * Rule load outcomes as both commands show them: one line per rule that did not load (with its
 * reasons), counts by reason category, and the placeholder config file (`--placeholders`).
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { formatLocation, type Diagnostic } from '../../core/diagnostics.js';
import type { Level, Rule } from '../../ir/nodes.js';
import type { CompileProblem, RuleKind, RuleReport } from './api.js';
import type { ExclusionReason } from './filters.js';
import { assertNever } from '../../core/xml-tree.js';

/**
 * Where a report points: its first located error in the rule's own file (`file:line:column`, the
 * place a YAML syntax error or an unmapped logsource is), else the rule's document (`file:line`).
 */
export function reportLocation(r: RuleReport): string {
  const at = r.problems.find((p) => p.severity === 'error' && p.location.file === r.file && p.location.line !== undefined)?.location;
  if (at !== undefined) return formatLocation({ file: r.file, line: at.line!, ...(at.column !== undefined ? { column: at.column } : {}) });
  return formatLocation(r.line !== undefined ? { file: r.file, line: r.line } : { file: r.file });
}

function errorsOf(r: RuleReport): readonly Diagnostic[] {
  const errors = r.problems.filter((p) => p.severity === 'error');
  return errors.length > 0 ? errors : r.problems;
}

/**
 * A short category for counting reasons: the first error's code without the front end's
 * `sigma.` prefix, cut at the next dot (`sigma.logsource.unmapped` → `logsource`).
 */
export function reasonCategory(r: RuleReport): string {
  const first = errorsOf(r)[0];
  if (first === undefined) return 'unknown';
  const code = first.code.replace(/^sigma\./, '');
  const dot = code.indexOf('.');
  return dot > 0 ? code.slice(0, dot) : code;
}

function reasonsText(problems: readonly Diagnostic[]): string {
  return problems.map((p) => `${p.message} [${p.code}]`).join('; ');
}

/** `'Title' (id): `, or the rule's kind; nothing for a document not read far enough to tell. */
function ruleName(r: RuleReport): string {
  const parts: string[] = [];
  if (r.title !== undefined) parts.push(`'${r.title}'`);
  if (r.id !== undefined) parts.push(`(${r.id})`);
  if (parts.length > 0) return `${parts.join(' ')}: `;
  return r.kind === 'unknown' ? '' : `${r.kind} rule: `;
}

/** One line: `file:line[:column]: not loaded: 'Title' (id): reason [code]; reason [code]`. */
export function notLoadedLine(r: RuleReport): string {
  return `${reportLocation(r)}: not loaded: ${ruleName(r)}${reasonsText(errorsOf(r))}`;
}

/**
 * A compile problem that leaves the rule running: flagged `severity: 'warning'` by the engine,
 * or the engine's duplicate-id notice (both rules still run; correlations see the first).
 */
export function isCompileWarning(p: CompileProblem): boolean {
  return p.severity === 'warning' || /^duplicate rule id /.test(p.message);
}

/**
 * Folds engine compile problems into the reports: a rule the engine refuses is not loaded, with
 * the engine's message as its reason (category `engine`); a compile warning makes the rule
 * loaded-with-warnings. Returns the rules that remain.
 */
export function applyCompileProblems(
  rules: readonly Rule[],
  reports: readonly RuleReport[],
  problems: readonly CompileProblem[],
): { rules: readonly Rule[]; reports: readonly RuleReport[] } {
  if (problems.length === 0) return { rules, reports };
  const byRule = new Map<string, CompileProblem[]>();
  for (const p of problems) byRule.set(p.ruleId, [...(byRule.get(p.ruleId) ?? []), p]);
  const diagnosticsFor = (id: string, file: string, line: number | undefined): Diagnostic[] =>
    (byRule.get(id) ?? []).map((p) => ({
      severity: isCompileWarning(p) ? 'warning' : 'error',
      code: isCompileWarning(p) ? 'engine.compile-warning' : 'engine.compile',
      message: p.message,
      location: line !== undefined ? { file, line } : { file },
    }));
  const refused = new Set(problems.filter((p) => !isCompileWarning(p)).map((p) => p.ruleId));
  const seen = new Set<string>();
  const updated = reports.map((r): RuleReport => {
    if (r.id === undefined || !byRule.has(r.id) || r.status === 'not-loaded' || r.status === 'not-applicable') return r;
    seen.add(r.id);
    const status = refused.has(r.id) ? 'not-loaded' : 'loaded-with-warnings';
    return { ...r, status, problems: [...diagnosticsFor(r.id, r.file, r.line), ...r.problems] };
  });
  // A refused rule no report carries still gets a line of its own.
  for (const id of refused) {
    if (seen.has(id)) continue;
    const rule = rules.find((x) => x.meta.id === id);
    const file = rule?.meta.source.file ?? '(rules)';
    const line = rule?.meta.source.line;
    updated.push({
      file,
      ...(line !== undefined ? { line } : {}),
      id,
      ...(rule !== undefined ? { title: rule.meta.title } : {}),
      status: 'not-loaded',
      kind: rule?.kind ?? 'unknown',
      problems: diagnosticsFor(id, file, line),
    });
  }
  return { rules: rules.filter((x) => !refused.has(x.meta.id)), reports: updated };
}

/** A rule that loaded but that the user's filters left out (`--min-level`, `--exclude-tag`, ...). */
export interface ExcludedRule {
  readonly file: string;
  readonly line?: number;
  readonly id: string;
  readonly title: string;
  readonly kind: RuleKind;
  readonly reason: ExclusionReason;
  readonly message: string;
}

/** One line: `file:line: excluded: 'Title' (id): level low is below --min-level high`. */
export function excludedLine(e: ExcludedRule): string {
  const where = formatLocation(e.line !== undefined ? { file: e.file, line: e.line } : { file: e.file });
  return `${where}: excluded: '${e.title}' (${e.id}): ${e.message}`;
}

/** Counts by reason, largest first. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): readonly (readonly [string, number])[] {
  const by = new Map<string, number>();
  for (const i of items) by.set(key(i), (by.get(key(i)) ?? 0) + 1);
  return [...by.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export interface RuleTotals {
  readonly documents: number;
  readonly loaded: number;
  readonly loadedWithWarnings: number;
  readonly notLoaded: number;
  /** Rules for log sources Vigil does not read (not Windows event logs): reported, not errors. */
  readonly notApplicable: number;
  /** Not-loaded counts by reason category, largest first. */
  readonly notLoadedBy: readonly (readonly [string, number])[];
  readonly byKind: Readonly<Record<string, number>>;
  /** Rules that loaded but the filters left out; counted in `documents`, not in `loaded`. */
  readonly excluded: number;
  readonly excludedBy: readonly (readonly [string, number])[];
}

export function ruleTotals(reports: readonly RuleReport[], excluded: readonly ExcludedRule[] = []): RuleTotals {
  let loaded = 0;
  let warned = 0;
  let notLoaded = 0;
  let notApplicable = 0;
  const by = new Map<string, number>();
  const byKind: Record<string, number> = {};
  for (const r of reports) {
    switch (r.status) {
      case 'loaded':
        loaded++;
        break;
      case 'loaded-with-warnings':
        warned++;
        break;
      case 'not-applicable':
        notApplicable++;
        break;
      case 'not-loaded': {
        notLoaded++;
        const c = reasonCategory(r);
        by.set(c, (by.get(c) ?? 0) + 1);
        break;
      }
      default:
        return assertNever(r.status, 'rule status');
    }
    byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
  }
  for (const e of excluded) byKind[e.kind] = (byKind[e.kind] ?? 0) + 1;
  return {
    documents: reports.length + excluded.length,
    loaded: loaded + warned,
    loadedWithWarnings: warned,
    notLoaded,
    notApplicable,
    notLoadedBy: [...by.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    byKind,
    excluded: excluded.length,
    excludedBy: countBy(excluded, (e) => e.reason),
  };
}

/** `1234 loaded (56 with warnings), 7 not loaded (4 legacy, 3 condition), 890 not applicable (...)`. */
export function totalsText(t: RuleTotals): string {
  const by = t.notLoadedBy.map(([c, n]) => `${n} ${c}`).join(', ');
  return (
    `${t.loaded} loaded` +
    (t.loadedWithWarnings > 0 ? ` (${t.loadedWithWarnings} with warnings)` : '') +
    `, ${t.notLoaded} not loaded` +
    (by.length > 0 ? ` (${by})` : '') +
    (t.notApplicable > 0 ? `, ${t.notApplicable} not applicable (not Windows event logs)` : '') +
    (t.excluded > 0 ? `, ${t.excluded} excluded by filters (${t.excludedBy.map(([c, n]) => `${n} ${c}`).join(', ')})` : '')
  );
}

/**
 * Reads a placeholder config: a YAML (or JSON) map from placeholder name to a value or a list of
 * values, e.g. `admins: [adm_alice, adm_bob]`, optionally nested under a `placeholders:` key.
 * Names may be written with or without `%...%`.
 * Throws an Error naming the file and the bad entry.
 */
export async function readPlaceholders(file: string): Promise<Record<string, string[]>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read placeholder file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${file}: expected a map of placeholder name to values`);
  // The front end's own config shape nests the map under `placeholders:`; accept both.
  const top = doc as Record<string, unknown>;
  const inner = top['placeholders'];
  const map = Object.keys(top).length === 1 && inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Record<string, unknown>) : top;
  const out: Record<string, string[]> = {};
  for (const [rawName, value] of Object.entries(map)) {
    const name = rawName.replace(/^%(.*)%$/, '$1');
    const list = Array.isArray(value) ? value : [value];
    const values: string[] = [];
    for (const v of list) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') values.push(String(v));
      else throw new Error(`${file}: placeholder '${name}' must hold strings (got ${v === null ? 'null' : typeof v})`);
    }
    out[name] = values;
  }
  return out;
}

/** Findings of one rule in a run (`--summary-json` lists all; the text summary the top few). */
export interface RuleHit {
  readonly id: string;
  readonly title: string;
  readonly level: Level;
  readonly hits: number;
}

/**
 * Counts findings per rule. Worker threads count their own and send the counts with their
 * findings (`drain`); the main thread merges them (`merge`).
 */
export class RuleHitCounter {
  private readonly counts = new Map<string, { id: string; title: string; level: Level; hits: number }>();

  add(id: string, title: string, level: Level, n = 1): void {
    const key = `${id}\u0000${title}`;
    const c = this.counts.get(key);
    if (c !== undefined) c.hits += n;
    else this.counts.set(key, { id, title, level, hits: n });
  }

  merge(hits: readonly RuleHit[]): void {
    for (const h of hits) this.add(h.id, h.title, h.level, h.hits);
  }

  /** The counts so far, and starts again from zero. */
  drain(): RuleHit[] {
    const out = [...this.counts.values()];
    this.counts.clear();
    return out;
  }

  /** Most hits first; ties by title, then id, so the order is stable. */
  sorted(): RuleHit[] {
    return [...this.counts.values()].map((c) => ({ ...c })).sort((a, b) => b.hits - a.hits || a.title.localeCompare(b.title) || a.id.localeCompare(b.id));
  }
}
