/**
 * A YAML data file (log-source mappings, ATT&CK data, risk settings and incident rules, field
 * views, WinEventLog label maps, the Splunk data files) read with positions: its syntax errors
 * become located errors under the reader's code (the parser's first line, without its own "at
 * line …" since the location says it), and any node can be placed at its file:line:column.
 * Locations carry no `offset`: YAML positions count characters, and `SourceLocation.offset`
 * means bytes. (Rules and content files keep their own located trees: src/sigma/yaml-tree.ts,
 * src/content/yaml-located.ts.)
 */
import { LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { LocatedError, type SourceLocation } from './diagnostics.js';

export class YamlData {
  /** The syntax errors, one per problem the parser found (the first line of its message). */
  readonly syntaxErrors: readonly LocatedError[];
  /** The top node; null when the text did not parse or holds nothing. */
  readonly root: YamlNode | null;
  private readonly lines = new LineCounter();

  constructor(
    readonly file: string,
    text: string,
    syntaxCode: string,
  ) {
    const doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    this.syntaxErrors = doc.errors.map((e) => new LocatedError(syntaxCode, e.message.split('\n')[0] ?? 'YAML error', this.at(e.pos[0])));
    this.root = doc.errors.length > 0 ? null : ((doc.contents as YamlNode | null) ?? null);
  }

  /** The file, line and column of a character offset in the text. */
  at(offset: number): SourceLocation & { readonly line: number; readonly column: number } {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  /** Where a node starts; the file alone for a node with no position (one the file did not spell out). */
  where(node: unknown): SourceLocation {
    const offset = (node as YamlNode | null | undefined)?.range?.[0];
    return offset === undefined ? { file: this.file } : this.at(offset);
  }
}
