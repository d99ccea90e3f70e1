/**
 * The risk layer's data files: mappings/risk/sigma.yml (Sigma levels → scores, risk and threat
 * objects) and mappings/risk/incident-rules.yml (risk incident rules). Every problem is a
 * LocatedError with file and line; all problems of a file are thrown together.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, type Node as YamlNode, type YAMLMap } from 'yaml';
import { LocatedError } from '../core/diagnostics.js';
import { YamlData } from '../core/yaml-data.js';
import { mappingsDir } from '../core/mappings-dir.js';
import type { Level } from '../ir/nodes.js';
import type { NotableSeverity, RiskObjectKind } from './types.js';

export const SIGMA_RISK_FILE = 'sigma.yml';
export const INCIDENT_RULES_FILE = 'incident-rules.yml';

export interface SigmaRiskObjectSpec {
  readonly type: RiskObjectKind;
  readonly fields: readonly string[];
}

export interface SigmaThreatObjectSpec {
  readonly field: string;
  readonly type: string;
  readonly transform: 'none' | 'basename';
}

export interface SigmaRiskConfig {
  readonly scores: Readonly<Record<Level, number>>;
  readonly message: string;
  readonly riskObjects: readonly SigmaRiskObjectSpec[];
  readonly userValuesToSkip: readonly string[];
  readonly skipMachineAccounts: boolean;
  readonly stripUserDomain: boolean;
  readonly threatObjects: readonly SigmaThreatObjectSpec[];
}

export interface SeverityBand {
  readonly above: number;
  readonly severity: NotableSeverity;
}

interface RuleBase {
  readonly name: string;
  /** `$risk_object$` and `$risk_object_type$` are filled. */
  readonly title: string;
  readonly windowSeconds: number;
  readonly securityDomain: string;
  readonly severity: readonly SeverityBand[];
  readonly defaultSeverity: NotableSeverity;
}

export interface ScoreThresholdRule extends RuleBase {
  readonly kind: 'score-threshold';
  /** Fires when the window's total is strictly greater. */
  readonly threshold: number;
}

export interface TacticThresholdRule extends RuleBase {
  readonly kind: 'tactic-threshold';
  readonly minTactics: number;
  readonly minSources: number;
}

export type IncidentRule = ScoreThresholdRule | TacticThresholdRule;

const LEVELS: readonly Level[] = ['informational', 'low', 'medium', 'high', 'critical'];
const SEVERITIES: readonly NotableSeverity[] = ['informational', 'low', 'medium', 'high', 'critical'];
const OBJECT_TYPES: readonly RiskObjectKind[] = ['user', 'system', 'other'];

class ConfigFile {
  readonly errors: LocatedError[];
  readonly root: YAMLMap | null;
  private readonly yaml: YamlData;

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.yaml = new YamlData(file, text, 'risk.config');
    this.errors = [...this.yaml.syntaxErrors];
    const root = this.yaml.root;
    if (this.errors.length === 0 && !isMap(root)) this.failOffset(0, 'expected a map at the top level');
    this.root = isMap(root) ? root : null;
  }

  private failOffset(offset: number, message: string): void {
    this.errors.push(new LocatedError('risk.config', message, this.yaml.at(offset)));
  }

  fail(node: unknown, message: string): void {
    this.failOffset((node as YamlNode | null | undefined)?.range?.[0] ?? 0, message);
  }

  node(map: YAMLMap, key: string): unknown {
    return map.get(key, true);
  }

  text(map: YAMLMap, key: string, fallback?: string): string {
    const n = this.node(map, key);
    if (isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number')) return String(n.value);
    if (n === undefined && fallback !== undefined) return fallback;
    this.fail(n ?? map, `'${key}' must be text`);
    return fallback ?? '';
  }

  number(map: YAMLMap, key: string, min: number, max: number, fallback?: number): number {
    const n = this.node(map, key);
    if (n === undefined && fallback !== undefined) return fallback;
    if (isScalar(n) && typeof n.value === 'number' && Number.isFinite(n.value) && n.value >= min && n.value <= max) return n.value;
    this.fail(n ?? map, `'${key}' must be a number from ${min} to ${max}`);
    return fallback ?? min;
  }

  bool(map: YAMLMap, key: string, fallback: boolean): boolean {
    const n = this.node(map, key);
    if (n === undefined) return fallback;
    if (isScalar(n) && typeof n.value === 'boolean') return n.value;
    this.fail(n, `'${key}' must be true or false`);
    return fallback;
  }

  texts(map: YAMLMap, key: string): string[] {
    const n = this.node(map, key);
    if (n === undefined) return [];
    if (!isSeq(n)) {
      this.fail(n, `'${key}' must be a list`);
      return [];
    }
    const out: string[] = [];
    for (const item of n.items) {
      if (isScalar(item) && (typeof item.value === 'string' || typeof item.value === 'number')) out.push(String(item.value));
      else this.fail(item, `'${key}' items must be text`);
    }
    return out;
  }

  maps(map: YAMLMap, key: string): YAMLMap[] {
    const n = this.node(map, key);
    if (!isSeq(n)) {
      this.fail(n ?? map, `'${key}' must be a list of maps`);
      return [];
    }
    const out: YAMLMap[] = [];
    for (const item of n.items) {
      if (isMap(item)) out.push(item);
      else this.fail(item, `'${key}' items must be maps`);
    }
    return out;
  }

  oneOf<T extends string>(map: YAMLMap, key: string, allowed: readonly T[], fallback?: T): T {
    const value = this.text(map, key, fallback);
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.fail(this.node(map, key) ?? map, `'${key}' must be one of ${allowed.join(', ')}`);
    return fallback ?? allowed[0]!;
  }

  throwIfFailed(what: string): void {
    if (this.errors.length > 0) throw new AggregateError(this.errors, `${what}: ${this.errors.length} problem(s); first: ${this.errors[0]!.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// sigma.yml

export function sigmaRiskConfigFromText(text: string, file = SIGMA_RISK_FILE): SigmaRiskConfig {
  const y = new ConfigFile(file, text);
  const root = y.root;
  if (root === null) {
    y.throwIfFailed(file);
    throw new Error(`${file}: empty`);
  }
  const scoresNode = y.node(root, 'scores');
  const scores = {} as Record<Level, number>;
  if (!isMap(scoresNode)) y.fail(scoresNode ?? root, `'scores' must map each Sigma level to a score`);
  for (const level of LEVELS) scores[level] = isMap(scoresNode) ? y.number(scoresNode, level, 0, 100) : 0;
  const riskObjects = y.maps(root, 'risk_objects').map((m) => ({ type: y.oneOf(m, 'type', OBJECT_TYPES), fields: y.texts(m, 'fields') }));
  const threatObjects = y.maps(root, 'threat_objects').map((m) => ({
    field: y.text(m, 'field'),
    type: y.text(m, 'type'),
    transform: y.oneOf(m, 'transform', ['none', 'basename'] as const, 'none'),
  }));
  const config: SigmaRiskConfig = {
    scores,
    message: y.text(root, 'message'),
    riskObjects,
    userValuesToSkip: y.texts(root, 'user_values_to_skip'),
    skipMachineAccounts: y.bool(root, 'skip_machine_accounts', true),
    stripUserDomain: y.bool(root, 'strip_user_domain', true),
    threatObjects,
  };
  y.throwIfFailed(file);
  return config;
}

// ---------------------------------------------------------------------------------------------
// incident-rules.yml

function severityBands(y: ConfigFile, m: YAMLMap): SeverityBand[] {
  if (y.node(m, 'severity') === undefined) return [];
  return y
    .maps(m, 'severity')
    .map((b) => ({ above: y.number(b, 'above', 0, Number.MAX_SAFE_INTEGER), severity: y.oneOf(b, 'severity', SEVERITIES) }))
    .sort((a, b) => b.above - a.above);
}

function incidentRule(y: ConfigFile, m: YAMLMap): IncidentRule {
  const kind = y.oneOf(m, 'kind', ['score-threshold', 'tactic-threshold'] as const);
  const base: RuleBase = {
    name: y.text(m, 'name'),
    title: y.text(m, 'title', `${y.text(m, 'name')} for $risk_object_type$=$risk_object$`),
    windowSeconds: y.number(m, 'window_seconds', 1, 366 * 86400),
    securityDomain: y.text(m, 'security_domain', 'threat'),
    severity: severityBands(y, m),
    defaultSeverity: y.oneOf(m, 'default_severity', SEVERITIES, kind === 'score-threshold' ? 'medium' : 'high'),
  };
  if (kind === 'score-threshold') return { ...base, kind, threshold: y.number(m, 'threshold', 0, Number.MAX_SAFE_INTEGER) };
  return { ...base, kind, minTactics: y.number(m, 'min_tactics', 1, 100), minSources: y.number(m, 'min_sources', 1, 10_000, 1) };
}

export function incidentRulesFromText(text: string, file = INCIDENT_RULES_FILE): IncidentRule[] {
  const y = new ConfigFile(file, text);
  const rules = y.root === null ? [] : y.maps(y.root, 'rules').map((m) => incidentRule(y, m));
  y.throwIfFailed(file);
  return rules;
}

// ---------------------------------------------------------------------------------------------
// Files

export function defaultRiskDir(): string {
  return mappingsDir('risk', INCIDENT_RULES_FILE);
}

export function loadSigmaRiskConfig(dir: string = defaultRiskDir()): SigmaRiskConfig {
  const file = path.join(dir, SIGMA_RISK_FILE);
  return sigmaRiskConfigFromText(readFileSync(file, 'utf8'), file);
}

export function loadIncidentRules(dir: string = defaultRiskDir()): IncidentRule[] {
  const file = path.join(dir, INCIDENT_RULES_FILE);
  return incidentRulesFromText(readFileSync(file, 'utf8'), file);
}
