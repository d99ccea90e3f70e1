/**
 * A Sigma finding as risk events, the same on the main thread and in hunt workers (each worker
 * turns its own findings into risk and posts the events back, so risk does not cost the hunt
 * its worker threads). Held events keep only the matched fields, so they stay small.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import type { FieldScalar, FieldValue } from '../../core/event.js';
import type { RuleMeta } from '../../ir/nodes.js';
import { defaultAttackCatalog, type RiskEvent } from '../../risk/index.js';
import {
  sigmaEventFields,
  sigmaFindingRisk,
  sigmaRiskEvents,
  sigmaRuleRisk,
  type SigmaFindingRisk,
  type SigmaRiskContext,
  type SigmaRuleRisk,
} from '../../risk/sigma-risk.js';
import type { SplScalar, SplValue } from '../../spl/exec/types.js';
import { assertNever } from '../../core/xml-tree.js';
import type { Finding } from './api.js';
import { matchedJson, type FindingRecord } from './finding-record.js';
import { encodeSigmaRisk, sigmaRuleJson, type EncodedSigmaRisk, type SigmaRuleJson } from './held-risk.js';

/** Event field values as SPL values (null dropped, booleans as text). */
export function splFields(fields: Readonly<Record<string, FieldValue>>): Record<string, SplValue> {
  const out: Record<string, SplValue> = {};
  const scalar = (v: FieldScalar): SplScalar | null => (v === null ? null : typeof v === 'boolean' ? String(v) : v);
  for (const [k, v] of Object.entries(fields)) {
    if (Array.isArray(v)) {
      const values = (v as readonly FieldScalar[]).map(scalar).filter((x): x is SplScalar => x !== null);
      if (values.length > 0) out[k] = values;
    } else {
      const x = scalar(v as FieldScalar);
      if (x !== null) out[k] = x;
    }
  }
  return out;
}

/**
 * In JSON.stringify's text of fields, a null, a boolean or an empty list can only come right
 * after ':', ',' or '['. Text without this pattern holds none of them, so `splFields` would
 * leave the fields as they are; text with it (perhaps only inside a string) has its fields
 * converted, which gives the same text again when they needed no converting.
 */
const NOT_ONLY_SPL_VALUES = /[:,[](?:null|true|false|\[\])/;

/** A rule's part of its risk events and their JSON, made on its first finding with risk. */
interface RuleRisk {
  readonly risk: SigmaRuleRisk;
  readonly json: SigmaRuleJson;
}

export class FindingRisk {
  /** By the rule's meta object, which every finding of the rule shares. */
  private readonly rules = new WeakMap<RuleMeta, RuleRisk>();
  private context: SigmaRiskContext | null = null;

  constructor(private readonly warn: (d: Diagnostic) => void) {}

  /** The finding's risk events, encoded for HeldRisk (JSON made here, in the finding's thread). */
  encoded(record: FindingRecord, finding: Finding): EncodedSigmaRisk[] {
    const risk = this.findingRisk(record, finding);
    return risk === null ? [] : encodeSigmaRisk(risk, this.eventFieldsJson(record, finding), this.ruleRisk(record, finding).json);
  }

  /** `eventFields` as JSON: a match's matched fields that are SPL values already share the text of its finding line. */
  private eventFieldsJson(record: FindingRecord, finding: Finding): string {
    if (finding.kind === 'match' && record.kind === 'match') {
      // A text search, not a walk over the fields' keys: the finding's line made this text already.
      const json = matchedJson(record.matched);
      if (!NOT_ONLY_SPL_VALUES.test(json)) return json;
    }
    return JSON.stringify(this.eventFields(record, finding));
  }

  /** The same events as objects (what `encoded` writes as JSON). */
  events(record: FindingRecord, finding: Finding): RiskEvent[] {
    const risk = this.findingRisk(record, finding);
    return risk === null ? [] : sigmaRiskEvents(risk, this.eventFields(record, finding));
  }

  private findingRisk(record: FindingRecord, finding: Finding): SigmaFindingRisk | null {
    const context = this.riskContext();
    const rule = (): SigmaRuleRisk => this.ruleRisk(record, finding).risk;
    switch (finding.kind) {
      case 'match': {
        const e = finding.event;
        return sigmaFindingRisk({ rule: record.rule, time: e.time, fields: e.fields, computer: e.computer }, rule, context);
      }
      case 'correlation':
        return sigmaFindingRisk({ rule: record.rule, time: finding.last, fields: finding.group }, rule, context);
      default:
        return assertNever(finding, 'finding');
    }
  }

  /** A match's events keep only the matched fields; a correlation's carry its group. */
  private eventFields(record: FindingRecord, finding: Finding): Record<string, SplValue> {
    switch (finding.kind) {
      case 'match':
        return record.kind === 'match' ? splFields(record.matched) : {};
      case 'correlation':
        return sigmaEventFields(finding.group);
      default:
        return assertNever(finding, 'finding');
    }
  }

  private ruleRisk(record: FindingRecord, finding: Finding): RuleRisk {
    let hit = this.rules.get(finding.rule);
    if (hit === undefined) {
      const r = record.rule;
      const risk = sigmaRuleRisk({ id: r.id, title: r.title, level: r.level, tags: r.tags }, this.riskContext());
      hit = { risk, json: sigmaRuleJson(risk) };
      this.rules.set(finding.rule, hit);
    }
    return hit;
  }

  private riskContext(): SigmaRiskContext {
    this.context ??= { attack: defaultAttackCatalog(), warn: this.warn };
    return this.context;
  }
}
