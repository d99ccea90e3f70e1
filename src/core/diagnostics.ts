/**
 * Located, collected problems. Nothing in Vigil throws past a file boundary for bad input:
 * readers report a Diagnostic and move on, and every record is accounted for.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface SourceLocation {
  readonly file: string;
  /** Byte offset in the (decompressed) input. */
  readonly offset?: number;
  readonly line?: number;
  readonly column?: number;
  /** EVTX chunk index, when relevant. */
  readonly chunk?: number;
  readonly recordId?: number;
}

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable machine-readable code, e.g. `evtx.record.size-mismatch`. */
  readonly code: string;
  readonly message: string;
  readonly location: SourceLocation;
}

export function formatLocation(loc: SourceLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}${loc.column !== undefined ? `:${loc.column}` : ''}`;
  const extra: string[] = [];
  if (loc.chunk !== undefined) extra.push(`chunk ${loc.chunk}`);
  if (loc.offset !== undefined) extra.push(`offset 0x${loc.offset.toString(16)}`);
  if (loc.recordId !== undefined) extra.push(`record ${loc.recordId}`);
  if (extra.length > 0) s += ` (${extra.join(', ')})`;
  return s;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${formatLocation(d.location)}: ${d.severity}: ${d.message} [${d.code}]`;
}

/** Error carrying a location, used inside a layer and turned into a Diagnostic at its boundary. */
export class LocatedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly location: SourceLocation,
  ) {
    super(message);
    this.name = 'LocatedError';
  }

  toDiagnostic(severity: Severity = 'error'): Diagnostic {
    return { severity, code: this.code, message: this.message, location: this.location };
  }
}
