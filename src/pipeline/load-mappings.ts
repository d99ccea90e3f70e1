/**
 * Loads and validates the Sigma logsource mappings (`mappings/sigma/windows-services.yml` and
 * `windows-categories.yml`). Every problem is a LocatedError with file and line; all problems
 * of both files are collected and thrown together as one AggregateError.
 */
import { mappingsDir } from '../core/mappings-dir.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, type Node as YamlNode, type YAMLMap } from 'yaml';
import { LocatedError, type SourceLocation } from '../core/diagnostics.js';
import { YamlData } from '../core/yaml-data.js';
import type { SourceRef } from '../ir/nodes.js';
import type {
  AccountFields,
  CategoryMapping,
  CategoryVariantSpec,
  FieldMap,
  FieldRule,
  LogsourceMappings,
  LookupTable,
  ServiceMapping,
} from './mapping-model.js';

export const SERVICES_FILE = 'windows-services.yml';
export const CATEGORIES_FILE = 'windows-categories.yml';

// ---------------------------------------------------------------------------------------------
// Locating the folder

/**
 * The `mappings/sigma` folder: `$VIGIL_MAPPINGS_DIR/sigma` when set (the variable names the
 * `mappings/` folder, as for views), else found above this module (src/ or dist/src/), else
 * under the working directory.
 */
export function defaultSigmaMappingsDir(): string {
  return mappingsDir('sigma', SERVICES_FILE);
}

// ---------------------------------------------------------------------------------------------
// YAML reading with locations

class FileReader {
  readonly errors: LocatedError[];
  readonly root: YamlNode | null;
  private readonly yaml: YamlData;

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.yaml = new YamlData(file, text, 'logsource.mapping.yaml');
    this.errors = [...this.yaml.syntaxErrors];
    this.root = this.yaml.root;
  }

  /** False when the YAML itself did not parse (its errors are already recorded). */
  get parsed(): boolean {
    return this.root !== null || this.errors.length === 0;
  }

  where(node: YamlNode | null | undefined): SourceLocation {
    return this.yaml.where(node);
  }

  ref(node: YamlNode | null | undefined): SourceRef {
    const loc = this.where(node);
    return { file: loc.file, line: loc.line, column: loc.column };
  }

  error(node: YamlNode | null | undefined, message: string): null {
    this.errors.push(new LocatedError('logsource.mapping.invalid', message, this.where(node)));
    return null;
  }

  map(node: YamlNode | null | undefined, what: string, allowed?: readonly string[]): YAMLMap<unknown, unknown> | null {
    if (!isMap(node)) return this.error(node, `${what} must be a mapping`);
    if (allowed) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        if (!allowed.includes(key)) this.error(pair.key as YamlNode, `unknown key '${key}' in ${what} (allowed: ${allowed.join(', ')})`);
      }
    }
    return node;
  }

  /** The entries of a mapping, keys as text, in file order. */
  entries(node: YAMLMap<unknown, unknown>): [string, YamlNode | null, YamlNode][] {
    const out: [string, YamlNode | null, YamlNode][] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode;
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
        this.error(keyNode, 'mapping keys must be plain text');
        continue;
      }
      out.push([String(keyNode.value), (pair.value as YamlNode | null) ?? null, keyNode]);
    }
    return out;
  }

  get(node: YAMLMap<unknown, unknown>, key: string): YamlNode | null {
    for (const pair of node.items) if (isScalar(pair.key) && pair.key.value === key) return (pair.value as YamlNode | null) ?? null;
    return null;
  }

  /** Strings and numbers read as their text; booleans and null are refused (quote them). */
  text(node: YamlNode | null | undefined, what: string): string | null {
    if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) return String(node.value);
    return this.error(node, `${what} must be a text value`);
  }

  /** A single text value or a list of them. */
  texts(node: YamlNode | null | undefined, what: string): string[] | null {
    if (isSeq(node)) {
      const out: string[] = [];
      for (const item of node.items) {
        const t = this.text(item as YamlNode, `each item of ${what}`);
        if (t !== null) out.push(t);
      }
      return out;
    }
    const one = this.text(node, what);
    return one === null ? null : [one];
  }

  eventIds(node: YamlNode | null | undefined, what: string): number[] {
    if (!isSeq(node)) {
      this.error(node, `${what} must be a list of EventIDs`);
      return [];
    }
    const out: number[] = [];
    for (const item of node.items) {
      const v = isScalar(item) ? item.value : undefined;
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535) out.push(v);
      else this.error(item as YamlNode, `${what}: EventIDs are integers from 0 to 65535`);
    }
    return out;
  }

  nonEmpty(node: YamlNode | null | undefined, what: string): string | null {
    const t = this.text(node, what);
    if (t !== null && t.trim() === '') return this.error(node, `${what} must not be empty`);
    return t;
  }
}

// ---------------------------------------------------------------------------------------------
// windows-services.yml

function readServices(r: FileReader): { services: Map<string, ServiceMapping>; aliases: Map<string, string> } {
  const services = new Map<string, ServiceMapping>();
  const aliases = new Map<string, string>();
  if (!r.parsed) return { services, aliases };
  const root = r.map(r.root, 'the services file', ['services', 'aliases']);
  if (!root) return { services, aliases };
  const list = r.map(r.get(root, 'services'), "'services'");
  if (list) {
    for (const [name, value, keyNode] of r.entries(list)) {
      const entry = r.map(value, `service '${name}'`, ['channels', 'providers', 'from', 'warning']);
      if (!entry) continue;
      const channelsNode = r.get(entry, 'channels');
      const providersNode = r.get(entry, 'providers');
      const channels = channelsNode ? (r.texts(channelsNode, `channels of service '${name}'`) ?? []) : [];
      const providers = providersNode ? (r.texts(providersNode, `providers of service '${name}'`) ?? []) : [];
      if (channels.length === 0 && providers.length === 0) r.error(keyNode, `service '${name}' names no channel and no provider`);
      const fromNode = r.get(entry, 'from');
      const from = fromNode ? (r.texts(fromNode, `'from' of service '${name}'`) ?? []) : [];
      const warningNode = r.get(entry, 'warning');
      const warning = warningNode ? r.nonEmpty(warningNode, `warning of service '${name}'`) : null;
      if (name !== name.toLowerCase()) r.error(keyNode, `service name '${name}' must be lower-case`);
      services.set(name, { name, channels, providers, from, warning, source: r.ref(keyNode) });
    }
  }
  const aliasNode = r.get(root, 'aliases');
  if (aliasNode) {
    const aliasMap = r.map(aliasNode, "'aliases'");
    if (aliasMap) {
      for (const [alias, value, keyNode] of r.entries(aliasMap)) {
        const target = r.text(value, `alias '${alias}'`);
        if (target === null) continue;
        if (!services.has(target)) r.error(value, `alias '${alias}' names unknown service '${target}'`);
        else if (services.has(alias)) r.error(keyNode, `alias '${alias}' is also a service`);
        else aliases.set(alias, target);
      }
    }
  }
  return { services, aliases };
}

// ---------------------------------------------------------------------------------------------
// windows-categories.yml

function readTables(r: FileReader, node: YamlNode | null): Map<string, LookupTable> {
  const tables = new Map<string, LookupTable>();
  if (!node) return tables;
  const m = r.map(node, "'tables'");
  if (!m) return tables;
  for (const [name, value] of r.entries(m)) {
    const rows = r.map(value, `table '${name}'`);
    if (!rows) continue;
    const table = new Map<string, readonly string[]>();
    for (const [key, v, keyNode] of r.entries(rows)) {
      const targets = r.texts(v, `table '${name}' row '${key}'`);
      if (targets === null) continue;
      if ([...table.keys()].some((k) => k.toLowerCase() === key.toLowerCase())) r.error(keyNode, `table '${name}' has '${key}' twice`);
      else table.set(key, targets);
    }
    tables.set(name, table);
  }
  return tables;
}

function readAccount(r: FileReader, node: YAMLMap<unknown, unknown>, what: string): AccountFields | null {
  const user = r.nonEmpty(r.get(node, 'user'), `'user' of ${what}`);
  const domain = r.nonEmpty(r.get(node, 'domain'), `'domain' of ${what}`);
  const sidNode = r.get(node, 'sid');
  const sid = sidNode ? r.nonEmpty(sidNode, `'sid' of ${what}`) : null;
  return user === null || domain === null ? null : { user, domain, sid };
}

function readPairs(r: FileReader, node: YamlNode | null, what: string): [string, string][] {
  if (!node) return [];
  const m = r.map(node, what);
  if (!m) return [];
  const out: [string, string][] = [];
  for (const [from, value] of r.entries(m)) {
    const to = r.text(value, `${what} '${from}'`);
    if (from === '') r.error(value, `${what}: empty text cannot be replaced`);
    else if (to !== null) out.push([from, to]);
  }
  return out;
}

const RULE_KEYS = ['to', 'translate', 'table', 'user', 'domain', 'sid', 'override', 'value_name', 'prefixes', 'replace'];

function readFieldRule(r: FileReader, field: string, node: YamlNode | null, tables: Map<string, LookupTable>, mapName: string): FieldRule | null {
  const what = `field '${field}' of field map '${mapName}'`;
  if (isScalar(node)) {
    const to = r.nonEmpty(node, what);
    return to === null ? null : { kind: 'rename', to };
  }
  const m = r.map(node, what, RULE_KEYS);
  if (!m) return null;
  const toNode = r.get(m, 'to');
  const to = toNode ? r.nonEmpty(toNode, `'to' of ${what}`) : field;
  if (to === null) return null;
  const translateNode = r.get(m, 'translate');
  const translate = translateNode ? r.text(translateNode, `'translate' of ${what}`) : 'rename';
  const table = (required: boolean): LookupTable | null => {
    const tNode = r.get(m, 'table');
    if (!tNode) return required ? r.error(m, `${what} needs a 'table'`) : null;
    const name = r.text(tNode, `'table' of ${what}`);
    if (name === null) return null;
    return tables.get(name) ?? r.error(tNode, `${what} names unknown table '${name}'`);
  };
  switch (translate) {
    case 'rename':
      return { kind: 'rename', to };
    case 'number':
      return { kind: 'number', to };
    case 'lookup': {
      const t = table(true);
      const tableName = r.text(r.get(m, 'table'), `'table' of ${what}`) ?? '';
      return t === null ? null : { kind: 'lookup', to, table: t, tableName };
    }
    case 'account': {
      const fields = readAccount(r, m, what);
      const overrideNode = r.get(m, 'override');
      let override: (AccountFields & { unset: readonly string[] }) | null = null;
      if (overrideNode) {
        const om = r.map(overrideNode, `'override' of ${what}`, ['user', 'domain', 'sid', 'unset']);
        const of = om ? readAccount(r, om, `'override' of ${what}`) : null;
        const unsetNode = om ? r.get(om, 'unset') : null;
        const unset = unsetNode ? (r.texts(unsetNode, `'unset' of ${what}`) ?? []) : [];
        if (of) override = { ...of, unset };
      }
      const wellKnown = table(false);
      return fields === null ? null : { kind: 'account', fields, override, wellKnown };
    }
    case 'registry-key': {
      const vnNode = r.get(m, 'value_name');
      const valueName = vnNode ? r.nonEmpty(vnNode, `'value_name' of ${what}`) : null;
      const prefixes = readPairs(r, r.get(m, 'prefixes'), `'prefixes' of ${what}`);
      const replace = readPairs(r, r.get(m, 'replace'), `'replace' of ${what}`);
      return { kind: 'registry-key', to, valueName, prefixes, replace };
    }
    case 'device-path':
      return { kind: 'device-path', to };
    case null:
      return null;
    default:
      return r.error(translateNode, `${what}: unknown translation '${translate}' (rename, number, lookup, account, registry-key, device-path)`);
  }
}

function readFieldMaps(r: FileReader, node: YamlNode | null, tables: Map<string, LookupTable>): Map<string, FieldMap> {
  const maps = new Map<string, FieldMap>();
  if (!node) return maps;
  const m = r.map(node, "'field_maps'");
  if (!m) return maps;
  for (const [name, value, keyNode] of r.entries(m)) {
    const entry = r.map(value, `field map '${name}'`, ['description', 'fields', 'unavailable']);
    if (!entry) continue;
    const descNode = r.get(entry, 'description');
    const description = descNode ? (r.text(descNode, `description of field map '${name}'`) ?? '') : name;
    const fields = new Map<string, FieldRule>();
    const fieldsNode = r.get(entry, 'fields');
    const fm = fieldsNode ? r.map(fieldsNode, `fields of field map '${name}'`) : null;
    if (fm) {
      for (const [field, v] of r.entries(fm)) {
        const rule = readFieldRule(r, field, v, tables, name);
        if (rule) fields.set(field, rule);
      }
    }
    const unavailableNode = r.get(entry, 'unavailable');
    const unavailable = new Set(unavailableNode ? (r.texts(unavailableNode, `unavailable of field map '${name}'`) ?? []) : []);
    for (const f of unavailable) if (fields.has(f)) r.error(unavailableNode, `field map '${name}': '${f}' is both mapped and unavailable`);
    maps.set(name, { name, description, fields, unavailable, source: r.ref(keyNode) });
  }
  return maps;
}

const VARIANT_KEYS = ['label', 'service', 'channels', 'providers', 'event_ids', 'where', 'field_map'];

function readVariant(
  r: FileReader,
  node: YamlNode,
  category: string,
  services: ReadonlyMap<string, ServiceMapping>,
  fieldMaps: ReadonlyMap<string, FieldMap>,
): CategoryVariantSpec | null {
  const what = `a variant of category '${category}'`;
  const m = r.map(node, what, VARIANT_KEYS);
  if (!m) return null;
  const label = r.nonEmpty(r.get(m, 'label'), `label of ${what}`);
  const channels: string[] = [];
  const providers: string[] = [];
  const serviceNode = r.get(m, 'service');
  if (serviceNode) {
    const name = r.text(serviceNode, `service of ${what}`);
    const service = name === null ? undefined : services.get(name);
    if (name !== null && !service) r.error(serviceNode, `${what} names unknown service '${name}'`);
    if (service) {
      channels.push(...service.channels);
      providers.push(...service.providers);
    }
  }
  const channelsNode = r.get(m, 'channels');
  if (channelsNode) channels.push(...(r.texts(channelsNode, `channels of ${what}`) ?? []));
  const providersNode = r.get(m, 'providers');
  if (providersNode) providers.push(...(r.texts(providersNode, `providers of ${what}`) ?? []));
  if (channels.length === 0 && providers.length === 0) r.error(node, `${what} names no service, channel or provider`);
  const idsNode = r.get(m, 'event_ids');
  const eventIds = idsNode ? r.eventIds(idsNode, `event_ids of ${what}`) : [];
  const where: [string, string[]][] = [];
  const whereNode = r.get(m, 'where');
  if (whereNode) {
    const wm = r.map(whereNode, `'where' of ${what}`);
    if (wm) {
      for (const [field, v] of r.entries(wm)) {
        const values = r.texts(v, `'where' ${field} of ${what}`);
        if (values !== null && values.length === 0) r.error(v, `'where' ${field} of ${what} lists no value`);
        else if (values !== null) where.push([field, values]);
      }
    }
  }
  const fmNode = r.get(m, 'field_map');
  let fieldMap: FieldMap | null = null;
  if (fmNode) {
    const name = r.text(fmNode, `field_map of ${what}`);
    fieldMap = name === null ? null : (fieldMaps.get(name) ?? null);
    if (name !== null && !fieldMap) r.error(fmNode, `${what} names unknown field map '${name}'`);
  }
  if (label === null) return null;
  return { label, channels, providers, eventIds, where, fieldMap, source: r.ref(node) };
}

function readCategories(r: FileReader, services: ReadonlyMap<string, ServiceMapping>): { categories: Map<string, CategoryMapping>; fieldMaps: Map<string, FieldMap> } {
  const categories = new Map<string, CategoryMapping>();
  if (!r.parsed) return { categories, fieldMaps: new Map() };
  const root = r.map(r.root, 'the categories file', ['categories', 'field_maps', 'tables']);
  if (!root) return { categories, fieldMaps: new Map() };
  const tables = readTables(r, r.get(root, 'tables'));
  const fieldMaps = readFieldMaps(r, r.get(root, 'field_maps'), tables);
  const list = r.map(r.get(root, 'categories'), "'categories'");
  if (!list) return { categories, fieldMaps };
  for (const [name, value, keyNode] of r.entries(list)) {
    const entry = r.map(value, `category '${name}'`, ['variants', 'without_product', 'warning']);
    if (!entry) continue;
    const variantsNode = r.get(entry, 'variants');
    const variants: CategoryVariantSpec[] = [];
    if (!isSeq(variantsNode) || variantsNode.items.length === 0) r.error(variantsNode ?? keyNode, `category '${name}' needs a non-empty list of variants`);
    else {
      for (const item of variantsNode.items) {
        const v = readVariant(r, item as YamlNode, name, services, fieldMaps);
        if (!v) continue;
        if (variants.some((o) => o.label === v.label)) r.error(item as YamlNode, `category '${name}' has two variants labelled '${v.label}'`);
        else variants.push(v);
      }
    }
    const wpNode = r.get(entry, 'without_product');
    let withoutProduct = false;
    if (wpNode) {
      if (isScalar(wpNode) && typeof wpNode.value === 'boolean') withoutProduct = wpNode.value;
      else r.error(wpNode, `without_product of category '${name}' must be true or false`);
    }
    const warningNode = r.get(entry, 'warning');
    const warning = warningNode ? r.nonEmpty(warningNode, `warning of category '${name}'`) : null;
    if (name !== name.toLowerCase()) r.error(keyNode, `category name '${name}' must be lower-case`);
    categories.set(name, { name, variants, withoutProduct, warning, source: r.ref(keyNode) });
  }
  return { categories, fieldMaps };
}

// ---------------------------------------------------------------------------------------------
// Entry points

/** Parses both files from text. Throws an AggregateError of LocatedErrors when any is invalid. */
export function parseLogsourceMappings(
  services: { text: string; file: string },
  categories: { text: string; file: string },
  dir = path.dirname(services.file),
): LogsourceMappings {
  const sr = new FileReader(services.file, services.text);
  const s = readServices(sr);
  const cr = new FileReader(categories.file, categories.text);
  const c = readCategories(cr, s.services);
  const errors = [...sr.errors, ...cr.errors];
  if (errors.length > 0) throw new AggregateError(errors, `${errors.length} error(s) in the Sigma logsource mappings`);
  return { services: s.services, serviceAliases: s.aliases, categories: c.categories, fieldMaps: c.fieldMaps, dir };
}

/** Loads `windows-services.yml` and `windows-categories.yml` from a folder. */
export function loadLogsourceMappings(dir: string = defaultSigmaMappingsDir()): LogsourceMappings {
  const read = (name: string): { text: string; file: string } => {
    const file = path.join(dir, name);
    try {
      return { text: readFileSync(file, 'utf8'), file };
    } catch (err) {
      throw new AggregateError(
        [new LocatedError('logsource.mapping.missing', `cannot read the logsource mapping: ${(err as Error).message}`, { file })],
        `cannot read ${file}`,
      );
    }
  };
  return parseLogsourceMappings(read(SERVICES_FILE), read(CATEGORIES_FILE), dir);
}
