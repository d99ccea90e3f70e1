/** Shared helpers for the Sigma front-end tests: load YAML text with a fake logsource resolver. */
import assert from 'node:assert/strict';
import type { DetectionRule, Expr, PatternPart, ValueMatch } from '../../src/ir/nodes.js';
import { loadSigmaText } from '../../src/sigma/index.js';
import type { LogsourceResolver, RuleSetLoad, SigmaLoadOptions } from '../../src/sigma/index.js';

/** One unrestricted variant, the condition passed through unchanged. */
export const passThroughResolver: LogsourceResolver = {
  resolve: (_logsource, condition) => ({
    variants: [{ label: 'test', scope: { channels: [], providers: [], eventIds: [], extra: null }, condition }],
    warnings: [],
  }),
};

export function load(text: string, options: SigmaLoadOptions = {}, file = 'rule.yml'): RuleSetLoad {
  return loadSigmaText(text, file, { logsources: passThroughResolver, ...options });
}

/** A minimal rule around a detection block (indented by the caller as YAML under `detection:`). */
export function rule(detection: string, extra = ''): string {
  return `title: Test rule
id: 11111111-2222-4333-8444-555555555555
status: test
level: high
logsource:
  product: windows
  category: process_creation
${extra}detection:
${detection}`;
}

/** Loads a rule and returns its (single) condition, failing with the problems when it did not load. */
export function conditionOf(detection: string, options: SigmaLoadOptions = {}): Expr {
  const res = load(rule(detection), options);
  const r = res.rules[0];
  assert.ok(r !== undefined && r.kind === 'detection', `rule did not load: ${JSON.stringify(res.reports[0]?.problems)}`);
  return (r as DetectionRule).variants[0]!.condition;
}

/** Loads a rule expected to fail; returns the error diagnostics. */
export function errorsOf(detection: string, options: SigmaLoadOptions = {}): { code: string; message: string; line?: number; column?: number }[] {
  const res = load(rule(detection), options);
  assert.equal(res.rules.length, 0, 'rule unexpectedly loaded');
  assert.equal(res.reports[0]!.status, 'not-loaded');
  return res.reports[0]!.problems
    .filter((p) => p.severity === 'error')
    .map((p) => ({ code: p.code, message: p.message, line: p.location.line, column: p.location.column }));
}

export const ANY: PatternPart = { kind: 'any' };
export const ONE: PatternPart = { kind: 'one' };
export const T = (text: string): PatternPart => ({ kind: 'text', text });

export function pat(parts: PatternPart[], cased = false): ValueMatch {
  return { kind: 'pattern', parts, cased };
}

export function fm(field: string, parts: PatternPart[], cased = false): Expr {
  return { kind: 'field', field, match: pat(parts, cased) };
}

export function kw(parts: PatternPart[], cased = false): Expr {
  return { kind: 'keyword', match: pat(parts, cased) };
}

export const or = (...items: Expr[]): Expr => ({ kind: 'or', items });
export const and = (...items: Expr[]): Expr => ({ kind: 'and', items });
export const not = (item: Expr): Expr => ({ kind: 'not', item });
