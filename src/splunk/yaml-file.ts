/**
 * Reading the small YAML data files under `mappings/splunk` and `mappings/cim`: parse with
 * positions, and report problems as LocatedErrors with file:line:column.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { LocatedError, type SourceLocation } from '../core/diagnostics.js';

export interface YamlFile {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
}

/** Parses a YAML text; throws a LocatedError at the first syntax error. */
export function parseYamlFile(text: string, file: string, code: string): YamlFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = lines.linePos(first.pos[0]);
    throw new LocatedError(code, first.message.split('\n')[0] ?? first.message, { file, offset: first.pos[0], line: pos.line, column: pos.col });
  }
  return { file, doc, lines };
}

export function readYamlFile(file: string, code: string): YamlFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new LocatedError(code, `cannot read ${file}: ${(err as Error).message}`, { file });
  }
  return parseYamlFile(text, file, code);
}

/** Where a node sits in its file. */
export function locationOf(y: YamlFile, node: unknown): SourceLocation {
  const offset = (node as YamlNode | null | undefined)?.range?.[0];
  if (offset === undefined) return { file: y.file };
  const pos = y.lines.linePos(offset);
  return { file: y.file, offset, line: pos.line, column: pos.col };
}
