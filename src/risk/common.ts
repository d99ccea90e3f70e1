/**
 * Pieces both risk front ends (Splunk-style runs and Sigma findings) share: ATT&CK enrichment,
 * `$field$` message tokens, event times, notable severity bands and a warning counter.
 */
import type { Diagnostic } from '../core/diagnostics.js';
import type { Row, SplScalar, SplValue } from '../spl/exec/types.js';
import { normalizeTechniqueId, type AttackCatalog } from './attack.js';
import type { MitreAnnotations, NotableSeverity, RiskWarn } from './types.js';

/** Longest risk message kept (a multivalue token can be huge). */
export const MAX_MESSAGE_LENGTH = 8192;
/** Values one risk-object or threat-object field may contribute per row. */
export const MAX_VALUES_PER_FIELD = 1000;

// ---------------------------------------------------------------------------------------------
// Values

function scalarText(v: SplScalar): string {
  if (typeof v === 'string') return v;
  return Number.isInteger(v) && Math.abs(v) < 1e21 ? v.toFixed(0) : String(v);
}

/** The field's values as text: [] when absent, one per multivalue item. */
export function textValues(v: SplValue | undefined): string[] {
  if (v === undefined) return [];
  const list: readonly SplScalar[] = Array.isArray(v) ? (v as readonly SplScalar[]) : [v as SplScalar];
  return list.map(scalarText);
}

/** Distinct non-empty values, in first-seen order, capped. */
export function distinctNonEmpty(values: readonly string[]): string[] {
  // One value or none is the usual case (a finding's field): no set for that.
  if (values.length <= 1) return values.length === 1 && values[0]!.trim() !== '' ? [values[0]!] : [];
  const seen = new Set<string>();
  for (const v of values) {
    if (v.trim() === '' || seen.has(v)) continue;
    seen.add(v);
    if (seen.size >= MAX_VALUES_PER_FIELD) break;
  }
  return [...seen];
}

export function rowRecord(row: Row): Record<string, SplValue> {
  const out: Record<string, SplValue> = {};
  for (const [k, v] of row) out[k] = v;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Messages

const TOKEN = /\$([A-Za-z0-9_.:@-]{1,200})\$/g;

export interface FilledMessage {
  readonly text: string;
  /** Tokens whose field had no value (each left empty). */
  readonly missing: readonly string[];
}

/** A message template read once: literal text and `$field$` tokens, in order. */
export type MessagePart = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'field'; readonly field: string };

/** Splits a template at its `$field$` tokens (the tokens `fillMessage` fills). */
export function messageParts(template: string): MessagePart[] {
  const parts: MessagePart[] = [];
  let at = 0;
  for (const m of template.matchAll(TOKEN)) {
    if (m.index > at) parts.push({ kind: 'text', text: template.slice(at, m.index) });
    parts.push({ kind: 'field', field: m[1]! });
    at = m.index + m[0].length;
  }
  if (at < template.length) parts.push({ kind: 'text', text: template.slice(at) });
  return parts;
}

/**
 * Replaces every `$field$`; `fillMessage` on a template split once by `messageParts` (a message
 * filled per event need not be parsed per event).
 */
export function fillMessageParts(parts: readonly MessagePart[], lookup: (field: string) => readonly string[] | undefined): FilledMessage {
  const missing: string[] = [];
  let text = '';
  for (const part of parts) {
    if (part.kind === 'text') {
      text += part.text;
      continue;
    }
    const values = lookup(part.field);
    if (values === undefined || values.length === 0) {
      if (!missing.includes(part.field)) missing.push(part.field);
    } else {
      text += values.join(', ');
    }
  }
  return { text: text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : text, missing };
}

/**
 * Replaces every `$field$` with the field's value (multivalue joined with ", "); a field with no
 * value leaves the token empty and is reported. `$$` and unmatched `$` stay as written.
 */
export function fillMessage(template: string, lookup: (field: string) => readonly string[] | undefined): FilledMessage {
  return fillMessageParts(messageParts(template), lookup);
}

// ---------------------------------------------------------------------------------------------
// Time

const ESCU_CTIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z)?$/;

/** `%Y-%m-%dT%H:%M:%S` (ESCU's `security_content_ctime`) read as UTC; null when it is not that. */
export function parseEscuTime(text: string): number | null {
  const m = ESCU_CTIME.exec(text.trim());
  if (m === null) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

function numericValue(v: SplValue | undefined): number | null {
  if (v === undefined) return null;
  const first = Array.isArray(v) ? (v as readonly SplScalar[])[0] : (v as SplScalar);
  if (first === undefined) return null;
  if (typeof first === 'number') return Number.isFinite(first) ? first : null;
  if (!/^\s*[+-]?\d+(\.\d+)?\s*$/.test(first)) return null;
  const n = Number(first);
  return Number.isFinite(n) ? n : null;
}

function timeField(v: SplValue | undefined): number | null {
  const n = numericValue(v);
  if (n !== null) return n;
  const text = textValues(v)[0];
  return text === undefined ? null : parseEscuTime(text);
}

/**
 * A result row's time: numeric `_time`; else `lastTime`, then `firstTime` (epoch or
 * `%Y-%m-%dT%H:%M:%S` UTC); else the run's nominal time.
 */
export function rowEventTime(row: Row, fallback: number): number {
  return numericValue(row.get('_time')) ?? timeField(row.get('lastTime')) ?? timeField(row.get('firstTime')) ?? fallback;
}

// ---------------------------------------------------------------------------------------------
// Severity

/** ES's notable severity from a 0–100 risk score (contentctl bands). */
export function severityForScore(score: number | null): NotableSeverity {
  if (score === null) return 'high';
  if (score <= 20) return 'informational';
  if (score <= 40) return 'low';
  if (score <= 60) return 'medium';
  if (score <= 80) return 'high';
  return 'critical';
}

// ---------------------------------------------------------------------------------------------
// ATT&CK

/**
 * ES's enrichment of `annotations.mitre_attack`: technique names and the tactics they belong to,
 * plus tactics named directly (Sigma's `attack.persistence`). An unknown technique adds nothing
 * and is reported through `warn`.
 */
export function mitreAnnotations(
  techniques: readonly string[],
  catalog: AttackCatalog,
  warn: (unknownTechnique: string) => void,
  directTactics: readonly string[] = [],
): MitreAnnotations {
  const stated: string[] = [];
  const ids: string[] = [];
  const names: string[] = [];
  const tactics: string[] = [];
  for (const raw of techniques) {
    const id = normalizeTechniqueId(raw);
    const shown = id ?? raw.trim();
    if (shown === '' || stated.includes(shown)) continue;
    stated.push(shown);
    const t = id === null ? undefined : catalog.technique(id);
    if (t === undefined) {
      warn(shown);
      continue;
    }
    ids.push(t.id);
    names.push(t.name);
    tactics.push(...t.tactics);
  }
  for (const d of directTactics) {
    const t = catalog.tactic(d);
    if (t !== undefined) tactics.push(t.id);
  }
  const tacticIds = catalog.sortTacticIds(tactics);
  return {
    mitre_attack: stated,
    mitre_technique_id: ids,
    mitre_technique: names,
    mitre_tactic_id: tacticIds,
    mitre_tactic: tacticIds.map((id) => catalog.tactic(id)?.short ?? id),
  };
}

// ---------------------------------------------------------------------------------------------
// Warnings

export interface CountedWarning {
  readonly diagnostic: Diagnostic;
  readonly count: number;
}

/**
 * Collects warnings once per (code, message) with how often each happened, so a detection that
 * misses a message field on a million rows gives one line with a count.
 */
export class WarningCounter {
  private readonly seen = new Map<string, { diagnostic: Diagnostic; count: number }>();

  readonly warn: RiskWarn = (d) => {
    const key = `${d.code}\u0000${d.message}`;
    const entry = this.seen.get(key);
    if (entry !== undefined) entry.count++;
    else this.seen.set(key, { diagnostic: d, count: 1 });
  };

  list(): CountedWarning[] {
    return [...this.seen.values()].map((e) => ({ diagnostic: e.diagnostic, count: e.count }));
  }

  /** Occurrences of one code (all messages). */
  count(code: string): number {
    let n = 0;
    for (const e of this.seen.values()) if (e.diagnostic.code === code) n += e.count;
    return n;
  }
}
