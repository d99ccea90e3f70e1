/** What `vigil validate` reports: located findings, each with a stable code. */
import type { Diagnostic } from '../../core/diagnostics.js';

export type FindingSeverity = 'error' | 'warning';

export interface Finding {
  readonly severity: FindingSeverity;
  /** Stable code, e.g. `validate.schema.unknown-key`. */
  readonly code: string;
  readonly message: string;
  readonly file: string;
  /** 1-based; null when the problem is about a whole file or folder. */
  readonly line: number | null;
  readonly column: number | null;
}

export interface Pos {
  readonly line: number;
  readonly column: number;
}

export function finding(severity: FindingSeverity, code: string, message: string, file: string, pos?: Pos | null): Finding {
  return { severity, code, message, file, line: pos?.line ?? null, column: pos?.column ?? null };
}

/** A loader diagnostic as a finding (info notes are dropped by the callers). */
export function fromDiagnostic(d: Diagnostic, severity: FindingSeverity = d.severity === 'error' ? 'error' : 'warning', code = d.code): Finding {
  return { severity, code, message: d.message, file: d.location.file, line: d.location.line ?? null, column: d.location.column ?? null };
}

/** Sorted by file, line, column, code; duplicates (same place, code and message) removed. */
export function sortFindings(list: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const f of list) {
    const key = `${f.file}\u0000${f.line}\u0000${f.column}\u0000${f.code}\u0000${f.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)));
}
