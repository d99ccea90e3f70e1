/**
 * A Sigma finding as risk events, the same on the main thread and in hunt workers (each worker
 * turns its own findings into risk and posts the events back, so risk does not cost the hunt
 * its worker threads). Held events keep only the matched fields, so they stay small.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import type { FieldScalar, FieldValue } from '../../core/event.js';
import { defaultAttackCatalog, riskEventsFromSigmaFinding, type RiskEvent } from '../../risk/index.js';
import type { SplScalar, SplValue } from '../../spl/exec/types.js';
import { assertNever } from '../../core/xml-tree.js';
import type { Finding } from './api.js';
import type { FindingRecord } from './finding-record.js';
import { encodeRisk, type EncodedRisk } from './held-risk.js';

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

export class FindingRisk {

  constructor(private readonly warn: (d: Diagnostic) => void) {}


  /** The finding's risk events, encoded for HeldRisk (JSON made here, in the finding's thread). */
  encoded(record: FindingRecord, finding: Finding): EncodedRisk[] {
    return this.events(record, finding).map(encodeRisk);
  }

  events(record: FindingRecord, finding: Finding): RiskEvent[] {
    const rule = { id: record.rule.id, title: record.rule.title, level: record.rule.level, tags: record.rule.tags };
    const context = { attack: defaultAttackCatalog(), warn: this.warn };
    switch (finding.kind) {
      case 'match': {
        const matched = record.kind === 'match' ? splFields(record.matched) : {};
        return riskEventsFromSigmaFinding({ rule, time: finding.event.time, fields: finding.event.fields, computer: finding.event.computer }, context).map((e) => ({ ...e, fields: matched }));
      }
      case 'correlation':
        return riskEventsFromSigmaFinding({ rule, time: finding.last, fields: finding.group }, context);
      default:
        return assertNever(finding, 'finding');
    }
  }
}
