/**
 * Every logsource combination in the SigmaHQ and mdecrevoisier rule sets resolves, or gets one
 * of the precise errors. SigmaHQ rules outside deprecated/ and unsupported/ that target Windows
 * must all resolve (they have to load). Counts are reported as test diagnostics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';
import { createLogsourceResolver, type LogsourceInput } from '../../src/pipeline/index.js';
import type { Expr } from '../../src/ir/nodes.js';

const resolver = createLogsourceResolver({ mappingsDir: path.join(process.cwd(), 'mappings', 'sigma') });
const ANY: Expr = { kind: 'const', value: true };

const PRECISE_ERRORS = [
  /^logsource product \S+ is not a Windows event log source Vigil reads \(.+\)$/,
  /^logsource without a product \(.+\) is not a Windows event log source Vigil reads$/,
  /^cannot map logsource category \S+/,
  /^cannot map logsource service .+ for product windows: no channel is known for it/,
  /^cannot map logsource .+: category \S+ has no events in the channels of service \S+$/,
  /^logsource \w+ must be a single text value/,
  /^logsource names no product, category or service$/,
];

function* yamlFiles(dir: string, depth = 0): Generator<string> {
  if (depth > 12) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* yamlFiles(p, depth + 1);
    else if (/\.ya?ml$/i.test(entry.name)) yield p;
  }
}

interface Entry {
  readonly rel: string;
  readonly logsource: Record<string, unknown>;
}

/** Every rule document's logsource under a folder (one parse per file). */
function collect(root: string): Entry[] {
  const out: Entry[] = [];
  for (const file of yamlFiles(root)) {
    const rel = path.relative(root, file);
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const value = doc.errors.length > 0 ? null : (doc.toJS() as { logsource?: unknown } | null);
      const ls = value?.logsource;
      if (ls && typeof ls === 'object' && !Array.isArray(ls)) out.push({ rel, logsource: ls as Record<string, unknown> });
    }
  }
  return out;
}

interface Tally {
  rules: number;
  resolved: number;
  errors: Map<string, number>;
  combos: Map<string, { rules: number; result: string }>;
  variants: Map<string, number>;
  failures: string[];
}

function tally(entries: readonly Entry[], mustResolve: (e: Entry) => boolean): Tally {
  const t: Tally = { rules: 0, resolved: 0, errors: new Map(), combos: new Map(), variants: new Map(), failures: [] };
  for (const entry of entries) {
    const { rel, logsource: ls } = entry;
    t.rules++;
    const key = ['product', 'category', 'service'].filter((k) => ls[k] !== undefined).map((k) => `${k}=${String(ls[k])}`).join(' ');
    const r = resolver.resolve(ls as LogsourceInput, ANY);
    const result = 'error' in r ? `error: ${r.error}` : r.variants.map((v) => v.label).join('+');
    const combo = t.combos.get(key) ?? { rules: 0, result };
    combo.rules++;
    t.combos.set(key, combo);
    if ('error' in r) {
      t.errors.set(r.error, (t.errors.get(r.error) ?? 0) + 1);
      if (!PRECISE_ERRORS.some((re) => re.test(r.error))) t.failures.push(`${rel}: imprecise error: ${r.error}`);
      if (mustResolve(entry)) t.failures.push(`${rel}: must resolve, got: ${r.error}`);
      continue;
    }
    t.resolved++;
    t.variants.set(result, (t.variants.get(result) ?? 0) + 1);
    const productOnly = ls.category === undefined && ls.service === undefined;
    for (const v of r.variants) {
      if (v.scope.channels.length === 0 && v.scope.providers.length === 0 && !productOnly) {
        t.failures.push(`${rel}: variant ${v.label} has no channel or provider restriction`);
      }
    }
  }
  return t;
}

function report(t: Tally, diag: (s: string) => void): void {
  diag(`${t.rules} rules, ${t.resolved} resolved, ${t.rules - t.resolved} with an error; ${t.combos.size} distinct logsource combinations`);
  const resolvedCombos = [...t.combos.values()].filter((c) => !c.result.startsWith('error')).length;
  diag(`combinations resolved: ${resolvedCombos}/${t.combos.size}`);
  for (const [v, n] of [...t.variants].sort((a, b) => b[1] - a[1])) diag(`  variants ${v}: ${n} rules`);
  for (const [e, n] of [...t.errors].sort((a, b) => b[1] - a[1]).slice(0, 25)) diag(`  ${n} × ${e}`);
}

const sigmahq = corpusPath('sigma', 'sigmahq-rules');
const mdecrevoisier = corpusPath('sigma', 'mdecrevoisier-rules');

test('SigmaHQ: every Windows logsource resolves; every other one gets a precise error', { skip: sigmahq ? false : NO_CORPUS }, (t) => {
  const isWindowsPath = (rel: string): boolean => /(^|[\\/])windows([\\/]|$)/.test(rel) || /category[\\/]antivirus/.test(rel);
  const live = (rel: string): boolean => /^rules[^\\/]*[\\/]/.test(rel);
  const entries = collect(sigmahq!);
  const all = tally(entries, (e) => live(e.rel) && (isWindowsPath(e.rel) || e.logsource.product === 'windows'));
  report(all, (s) => t.diagnostic(s));
  assert.deepEqual(all.failures, []);
  assert.ok(all.rules > 3000, `${all.rules} rules scanned`);
  // Windows rules in the live folders: every one resolves, and process_creation has both variants.
  const windows = tally(entries.filter((e) => live(e.rel) && isWindowsPath(e.rel)), () => true);
  t.diagnostic(`live Windows rules: ${windows.rules}, resolved ${windows.resolved}, combinations ${windows.combos.size}`);
  assert.equal(windows.resolved, windows.rules);
  assert.ok(windows.rules > 2500, `${windows.rules} live Windows rules`);
  assert.ok((windows.variants.get('sysmon+security-4688') ?? 0) > 1000);
});

test('mdecrevoisier: every logsource resolves or gets a precise error', { skip: mdecrevoisier ? false : NO_CORPUS }, (t) => {
  const all = tally(collect(mdecrevoisier!), (e) => e.logsource.product === 'windows' && (e.logsource.service === 'security' || e.logsource.category === 'process_creation'));
  report(all, (s) => t.diagnostic(s));
  assert.deepEqual(all.failures, []);
  assert.ok(all.rules > 300, `${all.rules} rules scanned`);
  // The list-valued PowerShell categories resolve as a union.
  assert.ok((all.variants.get('powershell+powershell-classic') ?? 0) > 30);
});
