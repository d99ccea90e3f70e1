/**
 * The `MacroLookup` callback `expandMacros` needs, built from loaded content plus the user's
 * override file. Precedence: override > content macros > CIM built-ins > implicit `<name>_filter`
 * (`search *`, as contentctl creates it). Overrides are how a user points the data-source macros
 * (`sysmon`, `wineventlog_security`, ...) and filter macros at their own data without editing detections.
 */
import type { Diagnostic } from '../core/diagnostics.js';
import type { MacroDefinition } from '../spl/index.js';
import { FieldReader } from './fields.js';
import { loadMacrosConf } from './macros-conf.js';
import type { ContentLoad, Macro } from './model.js';
import { readMacroMap } from './objects.js';
import { type YMap, parseYamlFile } from './yaml-located.js';

export interface ContentMacroLookup {
  (name: string, arity: number): MacroDefinition | undefined;
  /** Info notes collected while looking up (implicit filters, built-ins), one per macro. */
  readonly notes: readonly Diagnostic[];
  /** The macro a lookup resolves to, with where it came from. */
  resolve(name: string, arity: number): Macro | undefined;
}

export interface MacroOverrides {
  readonly macros: readonly Macro[];
  readonly diagnostics: readonly Diagnostic[];
}

export const FILTER_DEFAULT_DEFINITION = 'search *';

/** Splunk_SA_CIM macros ESCU relies on but does not ship (contentctl ignores them too). */
const BUILTINS: readonly { name: string; arguments: readonly string[]; definition: string; description: string }[] = [
  { name: 'drop_dm_object_name', arguments: ['object'], definition: 'rename $object$.* AS *', description: 'Splunk_SA_CIM: strip the data-model object prefix from field names' },
];

const key = (name: string, arity: number): string => `${name}(${arity})`;

export function macroLookup(load: ContentLoad, overrides?: MacroOverrides | readonly Macro[]): ContentMacroLookup {
  const table = new Map<string, Macro>();
  for (const b of BUILTINS) {
    table.set(key(b.name, b.arguments.length), {
      kind: 'macro', name: b.name, arguments: b.arguments, definition: b.definition, description: b.description, source: 'builtin',
      origin: { file: '<builtin>', pos: { line: 1, column: 1, offset: 0 } },
    });
  }
  // First definition wins inside the content (duplicates were reported by the loader).
  const fromContent = new Set<string>();
  for (const m of load.macros) {
    const k = key(m.name, m.arguments.length);
    if (fromContent.has(k)) continue;
    fromContent.add(k);
    table.set(k, m);
  }
  const notes: Diagnostic[] = [];
  const overrideList = overrides === undefined ? [] : 'macros' in overrides ? overrides.macros : overrides;
  for (const m of overrideList) {
    const k = key(m.name, m.arguments.length);
    const replaced = table.get(k);
    table.set(k, m);
    const at = { file: m.origin.file, line: m.origin.pos.line, column: m.origin.pos.column };
    if (replaced === undefined && !m.name.endsWith('_filter')) {
      notes.push({ severity: 'info', code: 'content.override.new', message: `override '${k}' defines a macro the content does not have`, location: at });
    }
  }
  // Where a filter macro is used, so its implicit-default note points at the detection.
  const filterUsers = new Map<string, { file: string; line: number; column: number }>();
  for (const d of load.detections) {
    const p = d.searchPositions.start;
    filterUsers.set(d.filterMacro, { file: d.origin.file, line: p.line, column: p.column });
  }
  const noted = new Set<string>();
  const resolve = (name: string, arity: number): Macro | undefined => {
    const k = key(name, arity);
    const found = table.get(k);
    if (found !== undefined) {
      if (found.source === 'builtin' && !noted.has(k)) {
        noted.add(k);
        notes.push({ severity: 'info', code: 'content.macro.builtin', message: `macro '${k}' is not in the content; using the built-in CIM definition \`${found.definition}\``, location: { file: '<builtin>' } });
      }
      return found;
    }
    if (arity !== 0 || !name.endsWith('_filter')) return undefined;
    const implicit: Macro = {
      kind: 'macro', name, arguments: [], definition: FILTER_DEFAULT_DEFINITION, description: 'implicit empty filter', source: 'default-filter',
      origin: { file: '<default>', pos: { line: 1, column: 1, offset: 0 } },
    };
    if (!noted.has(k)) {
      noted.add(k);
      notes.push({
        severity: 'info',
        code: 'content.macro.default-filter',
        message: `filter macro '${name}' is not defined; using \`${FILTER_DEFAULT_DEFINITION}\``,
        location: filterUsers.get(name) ?? { file: load.root },
      });
    }
    return implicit;
  };
  const lookup = (name: string, arity: number): MacroDefinition | undefined => {
    const m = resolve(name, arity);
    return m === undefined ? undefined : { definition: m.definition, args: m.arguments };
  };
  return Object.assign(lookup, { notes, resolve });
}

/**
 * Reads the user's override file: a macros.conf (`.conf`, or text starting with a `[stanza]`), or
 * YAML holding one macro map, a list of them, or `macros: [...]`.
 */
export function loadMacroOverrides(text: string, file: string): MacroOverrides {
  if (/\.conf$/i.test(file) || /^\s*(?:#[^\n]*\n\s*)*\[[^\]\n]*\]\s*(?:\r?\n|$)/.test(text)) return loadMacrosConf(text, file);
  const yfile = parseYamlFile(text, file);
  const r = new FieldReader(file);
  r.diagnostics.push(...yfile.diagnostics);
  const macros: Macro[] = [];
  const root = yfile.root;
  let items: readonly YMap[] = [];
  if (root === null) {
    if (yfile.diagnostics.length === 0) r.error('content.empty', 'empty override file', yfile.posAt(0));
  } else if (root.kind === 'seq') {
    items = root.items.filter((i): i is YMap => i.kind === 'map');
    if (items.length !== root.items.length) r.error('content.bad-value', 'every item of the override list must be a macro map', root.loc);
  } else if (root.kind === 'map' && root.pairs.some((p) => p.key === 'macros')) {
    items = r.mapList(root, 'macros', 'the override file');
  } else if (root.kind === 'map') {
    items = [root];
  } else {
    r.error('content.bad-value', 'an override file holds a macro map, a list of them, or macros: [...]', root.loc);
  }
  for (const m of items) {
    const macro = readMacroMap(yfile, m, r);
    if (macro !== null) macros.push(macro);
  }
  return { macros, diagnostics: r.diagnostics };
}
