/**
 * Sigma risk events on their way from a hunt worker to the main thread. A worker posts tens of
 * thousands of them, and most of each event is its rule's: JSON pieces, detection reference,
 * ATT&CK annotations. Posted whole, every event would be copied with all of that and rebuilt on
 * the main thread, which is also hunting. So a worker sends each rule's shared parts once, then
 * events that name their rule by number; the main thread keeps one table per worker and gives
 * every event of a rule the same objects again.
 */
import { assertNever } from '../../core/xml-tree.js';
import type { EncodedJsonRisk, EncodedRisk, EncodedSigmaRisk, SigmaRulePieces } from './held-risk.js';

/** A rule's parts every one of its events shares, sent once per worker. */
export interface RiskRuleEntry {
  readonly pieces: SigmaRulePieces;
  readonly score: number;
  readonly source: EncodedSigmaRisk['source'];
  readonly detection: EncodedSigmaRisk['detection'];
  readonly annotations: EncodedSigmaRisk['annotations'];
}

/** A Sigma risk event without its rule's parts (`rule`: the rule's number in the table). */
export interface PackedSigmaRisk {
  readonly kind: 'packed';
  readonly rule: number;
  readonly stored: string;
  readonly key: number;
  readonly _time: number;
  readonly risk_object: string;
  readonly risk_object_type: EncodedSigmaRisk['risk_object_type'];
}

export type PackedRisk = PackedSigmaRisk | EncodedJsonRisk;

/** Worker side: numbers rules as their events first go out. */
export class RiskPacker {
  private readonly numbers = new Map<SigmaRulePieces, number>();
  private fresh: RiskRuleEntry[] = [];

  pack(e: EncodedRisk): PackedRisk {
    switch (e.kind) {
      case 'json':
        return e;
      case 'sigma': {
        let rule = this.numbers.get(e.pieces);
        if (rule === undefined) {
          rule = this.numbers.size;
          this.numbers.set(e.pieces, rule);
          this.fresh.push({ pieces: e.pieces, score: e.risk_score, source: e.source, detection: e.detection, annotations: e.annotations });
        }
        return { kind: 'packed', rule, stored: e.stored, key: e.key, _time: e._time, risk_object: e.risk_object, risk_object_type: e.risk_object_type };
      }
      default:
        return assertNever(e, 'encoded risk');
    }
  }

  /** Rules numbered since the last call, in number order: post them with (before) their events. */
  takeNewRules(): RiskRuleEntry[] {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }
}

/** Main-thread side, one per worker: its messages must be unpacked in the order they came. */
export class RiskUnpacker {
  private readonly rules: RiskRuleEntry[] = [];

  unpack(newRules: readonly RiskRuleEntry[], events: readonly PackedRisk[]): EncodedRisk[] {
    for (const r of newRules) this.rules.push(r);
    return events.map((p) => {
      if (p.kind === 'json') return p;
      const r = this.rules[p.rule];
      if (r === undefined) throw new Error(`risk event of rule #${p.rule}, which the worker never sent`);
      return {
        kind: 'sigma',
        stored: p.stored,
        key: p.key,
        pieces: r.pieces,
        _time: p._time,
        risk_object: p.risk_object,
        risk_object_type: p.risk_object_type,
        risk_score: r.score,
        calculated_risk_score: r.score,
        source: r.source,
        detection: r.detection,
        annotations: r.annotations,
      };
    });
  }
}
