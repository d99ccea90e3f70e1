/**
 * Splunk `macros.conf` (spl-and-rba.md §3): `[name]` or `[name(N)]` stanzas with `definition`,
 * `args = a, b`, `description`; a line ending in `\` continues on the next line; `#` comments.
 */
import type { Diagnostic } from '../core/diagnostics.js';
import type { Macro } from './model.js';

export interface MacrosConfLoad {
  readonly macros: readonly Macro[];
  readonly diagnostics: readonly Diagnostic[];
}

const STANZA = /^\[([^\]]*)\]\s*$/;
const STANZA_NAME = /^([A-Za-z0-9_.:-]+)(?:\((\d+)\))?$/;
const KNOWN_KEYS = new Set(['definition', 'args', 'description', 'iseval', 'validation', 'errormsg', 'disabled']);
const ARG_NAME = /^[A-Za-z0-9_-]+$/;
const MAX_LINES = 1_000_000;

interface Stanza {
  readonly raw: string;
  readonly line: number;
  readonly keys: Map<string, { value: string; line: number }>;
}

export function loadMacrosConf(text: string, file: string): MacrosConfLoad {
  const diagnostics: Diagnostic[] = [];
  const report = (severity: Diagnostic['severity'], code: string, message: string, line: number, column = 1): void => {
    diagnostics.push({ severity, code, message, location: { file, line, column } });
  };
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_LINES) {
    report('error', 'content.conf.too-large', `more than ${MAX_LINES} lines`, 1);
    return { macros: [], diagnostics };
  }
  const stanzas: Stanza[] = [];
  let current: Stanza | null = null;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    // Continuation: a trailing backslash joins the next physical line (the newline is kept).
    const parts = [lines[i]!];
    while (parts[parts.length - 1]!.endsWith('\\') && i + 1 < lines.length) {
      parts[parts.length - 1] = parts[parts.length - 1]!.slice(0, -1);
      parts.push(lines[++i]!);
    }
    const line = parts.join('\n');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const stanza = STANZA.exec(trimmed);
    if (stanza !== null) {
      current = { raw: stanza[1]!.trim(), line: lineNo, keys: new Map() };
      stanzas.push(current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) {
      report('error', 'content.conf.syntax', `expected 'key = value' or '[stanza]'`, lineNo);
      continue;
    }
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (current === null) {
      report('warning', 'content.conf.outside-stanza', `'${key}' outside any stanza is ignored`, lineNo);
      continue;
    }
    if (!KNOWN_KEYS.has(key)) report('warning', 'content.unknown-key', `unknown key '${key}' in [${current.raw}]`, lineNo);
    if (current.keys.has(key)) report('warning', 'content.duplicate-key', `duplicate key '${key}' in [${current.raw}] (the last one is used)`, lineNo);
    current.keys.set(key, { value, line: lineNo });
  }
  const macros: Macro[] = [];
  const seen = new Set<string>();
  for (const s of stanzas) {
    if (s.raw === 'default') continue;
    const m = STANZA_NAME.exec(s.raw);
    if (m === null) {
      report('error', 'content.conf.bad-stanza', `bad macro stanza name [${s.raw}]`, s.line, 2);
      continue;
    }
    const name = m[1]!;
    const arity = m[2] === undefined ? 0 : Number(m[2]);
    const def = s.keys.get('definition');
    if (def === undefined) {
      report('error', 'content.missing-key', `[${s.raw}] has no 'definition'`, s.line);
      continue;
    }
    if (s.keys.get('iseval')?.value.match(/^(1|true)$/i)) {
      report('warning', 'content.conf.iseval', `[${s.raw}] is an eval-based macro (iseval), which is not supported; skipped`, s.keys.get('iseval')!.line);
      continue;
    }
    const argsEntry = s.keys.get('args');
    const args = argsEntry === undefined ? [] : argsEntry.value.split(',').map((a) => a.trim()).filter((a) => a !== '');
    if (args.length !== arity) {
      report('error', 'content.conf.arity', `[${s.raw}] takes ${arity} argument${arity === 1 ? '' : 's'} but args names ${args.length}`, argsEntry?.line ?? s.line);
      continue;
    }
    const bad = args.find((a) => !ARG_NAME.test(a));
    if (bad !== undefined) report('warning', 'content.macro.bad-argument', `argument name '${bad}' should use letters, digits, _ and - only`, argsEntry!.line);
    const key = `${name}(${arity})`;
    if (seen.has(key)) report('warning', 'content.macro.duplicate', `[${s.raw}] is defined again (the last one is used)`, s.line);
    seen.add(key);
    let definition = def.value;
    if (definition === '' && name.endsWith('_filter')) {
      report('info', 'content.macro.empty-filter', `filter macro '${name}' is empty: it means \`search *\``, def.line);
      definition = 'search *';
    }
    macros.push({
      kind: 'macro',
      name,
      arguments: args,
      definition,
      description: s.keys.get('description')?.value ?? null,
      source: 'conf',
      origin: { file, pos: { line: s.line, column: 1, offset: 0 } },
    });
  }
  return { macros, diagnostics };
}
