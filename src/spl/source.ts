/**
 * Where an SPL text came from, so errors point at the right file:line:column even when the
 * search is embedded in a YAML file or a .conf stanza (graphql-js `Source` idea).
 */
import { LocatedError } from '../core/diagnostics.js';

export interface Source {
  /** File name (or any label) used in error locations. */
  readonly name: string;
  readonly text: string;
  /** 1-based line of the first character of `text` inside the file (default 1). */
  readonly lineOffset?: number;
  /** 1-based column of the first character on the first line (default 1). */
  readonly columnOffset?: number;
}

export function makeSource(text: string, name = '<spl>', lineOffset = 1, columnOffset = 1): Source {
  return { name, text, lineOffset, columnOffset };
}

/** Line and column (both 1-based, file coordinates) of `offset` in `source.text`. */
export function lineColumnOf(source: Source, offset: number): { line: number; column: number } {
  const text = source.text;
  const end = Math.max(0, Math.min(offset, text.length));
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  const firstLine = source.lineOffset ?? 1;
  const firstColumn = source.columnOffset ?? 1;
  return { line: firstLine + line, column: line === 0 ? firstColumn + (end - lineStart) : end - lineStart + 1 };
}

/** A LocatedError whose location is `offset` in `source` (file offset is relative to the text). */
export function splError(source: Source, code: string, message: string, offset: number): LocatedError {
  const { line, column } = lineColumnOf(source, offset);
  return new LocatedError(code, message, { file: source.name, offset, line, column });
}
