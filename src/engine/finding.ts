/**
 * What the engine reports. A match finding points at the event; a correlation finding points
 * at the events it joined through `EventRef`s, small enough to keep in windows and output.
 */
import type { FieldScalar, FieldValue, VigilEvent } from '../core/event.js';
import type { RuleMeta } from '../ir/nodes.js';

export interface EventRef {
  readonly file: string;
  readonly recordId: number | null;
  readonly time: string | null;
  /** Id of the detection rule that matched this event. */
  readonly ruleId: string;
}

export interface MatchFinding {
  readonly kind: 'match';
  readonly rule: RuleMeta;
  /** Label of the variant (scope) that fired. */
  readonly variant: string;
  readonly event: VigilEvent;
  /** The fields the rule's condition names that are present on the event, with the event's values. */
  readonly matched: Record<string, FieldValue>;
}

export interface CorrelationFinding {
  readonly kind: 'correlation';
  readonly rule: RuleMeta;
  /** Group-by field (or alias) → value shared by the joined events. */
  readonly group: Record<string, FieldScalar>;
  /** The aggregate compared by the condition (count, distinct count, sum, average, percentile, rules seen). */
  readonly value: number;
  readonly first: string | null;
  readonly last: string | null;
  readonly events: EventRef[];
}

export type Finding = MatchFinding | CorrelationFinding;

/**
 * A rule's hit that feeds correlations, as one thread hands it to another: the hit's time, the
 * fields the correlations it feeds read (after their aliases), and the event it points at. A hunt
 * worker's engine holds these instead of feeding its own correlation state; the main thread's
 * engine adds them to the run's one state (correlation windows do not depend on arrival order).
 */
export interface CorrelationFeed {
  readonly ruleId: string;
  readonly time: string | null;
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly ref: EventRef;
}

export type Emit = (finding: Finding) => void;
