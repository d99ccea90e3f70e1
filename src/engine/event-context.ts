/**
 * Per-event field access shared by every compiled rule. Field names are interned to slots at
 * compile time; each slot caches the field's text and its case-folded text for the current
 * event only (an epoch stamp invalidates the cache without clearing arrays), so a value is
 * stringified and folded at most once per event however many rules read it.
 */
import type { FieldScalar, FieldValue, Fields } from '../core/event.js';

/** The text view of a field: one string, several (list fields), or null when absent/null. */
export type FieldText = string | readonly string[] | null;

export class FieldSlots {
  private readonly bySlotName = new Map<string, number>();
  readonly names: string[] = [];

  slot(name: string): number {
    let s = this.bySlotName.get(name);
    if (s === undefined) {
      s = this.names.length;
      this.names.push(name);
      this.bySlotName.set(name, s);
    }
    return s;
  }
}

export function scalarText(v: FieldScalar): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  return String(v);
}

export function valueText(v: FieldValue | undefined): FieldText {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const out: string[] = [];
  for (const item of v as readonly FieldScalar[]) {
    const t = scalarText(item);
    if (t !== null) out.push(t);
  }
  return out.length === 0 ? null : out;
}

function foldText(t: FieldText): FieldText {
  if (t === null) return null;
  if (typeof t === 'string') return t.toLowerCase();
  return t.map((s) => s.toLowerCase());
}

export class EventContext {
  fields: Fields = {};
  /** The event's field values as a list, when its source gave one (VigilEvent.fieldValues). */
  values: readonly FieldValue[] | null = null;
  /** Changes with every event (read by per-event caches elsewhere). */
  epoch = 1;
  private readonly slotNames: string[];
  private rawEpoch: Uint32Array;
  private foldEpoch: Uint32Array;
  private readonly raw: FieldText[] = [];
  private readonly folded: FieldText[] = [];
  private allRawEpoch = 0;
  private allFoldEpoch = 0;
  private allRaw: string[] = [];
  private allFolded: string[] = [];

  constructor(slots: FieldSlots) {
    this.slotNames = slots.names;
    this.rawEpoch = new Uint32Array(slots.names.length);
    this.foldEpoch = new Uint32Array(slots.names.length);
  }

  reset(fields: Fields, values: readonly FieldValue[] | null = null): void {
    this.fields = fields;
    this.values = values;
    this.epoch++;
    if (this.epoch === 0xffffffff) {
      // Wrap-around: clear stamps so no stale entry looks current.
      this.rawEpoch.fill(0);
      this.foldEpoch.fill(0);
      this.allRawEpoch = 0;
      this.allFoldEpoch = 0;
      this.epoch = 1;
    }
  }

  value(slot: number): FieldValue | undefined {
    return this.fields[this.slotNames[slot]!];
  }

  text(slot: number): FieldText {
    if (this.rawEpoch[slot] === this.epoch) return this.raw[slot]!;
    const t = valueText(this.fields[this.slotNames[slot]!]);
    this.raw[slot] = t;
    this.rawEpoch[slot] = this.epoch;
    return t;
  }

  foldedText(slot: number): FieldText {
    if (this.foldEpoch[slot] === this.epoch) return this.folded[slot]!;
    const t = foldText(this.text(slot));
    this.folded[slot] = t;
    this.foldEpoch[slot] = this.epoch;
    return t;
  }

  /** Every field value of the event as text (for keyword searches), lists flattened. */
  allTexts(folded: boolean): readonly string[] {
    if (folded) {
      if (this.allFoldEpoch === this.epoch) return this.allFolded;
      this.allFolded = this.allTexts(false).map((s) => s.toLowerCase());
      this.allFoldEpoch = this.epoch;
      return this.allFolded;
    }
    if (this.allRawEpoch === this.epoch) return this.allRaw;
    const out: string[] = [];
    const push = (v: FieldValue | undefined): void => {
      const t = valueText(v);
      if (t === null) return;
      if (typeof t === 'string') out.push(t);
      else for (const s of t) out.push(s);
    };
    if (this.values !== null) for (const v of this.values) push(v);
    else for (const key in this.fields) push(this.fields[key]);
    this.allRaw = out;
    this.allRawEpoch = this.epoch;
    return out;
  }
}
