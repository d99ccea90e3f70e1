/**
 * CIM data-model rows (`Endpoint.Processes`, ...) of an event. Every data set is a data file
 * `mappings/cim/<Model>.<Dataset>.yml` in the view language (docs/views.md) plus `constraint`
 * (the named conditions an event must meet) and `tags` (the data model's tag constraint, for
 * reference). Row fields are prefixed with the data set's own name (`Processes.process_name`),
 * beside the unprefixed `_time`, `host`, `source`, `sourcetype` of the event's Splunk row.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LocatedError } from '../core/diagnostics.js';
import type { VigilEvent } from '../core/event.js';
import { mappingsDir } from '../core/mappings-dir.js';
import { applyView, compileView, whenHolds, type ViewDefinition, type When } from '../normalize/views.js';
import type { Row } from '../spl/exec/types.js';
import { encodesEntities, splunkMetadata, splunkTables, type SplunkMetadata } from './row.js';
import { encodeElementText, splunkValue } from './values.js';

export interface Dataset {
  /** `<Model>.<Dataset>`, e.g. `Endpoint.Processes`. */
  readonly name: string;
  /** The row-field prefix: the data set's own name (`Processes`). */
  readonly object: string;
  readonly tags: readonly string[];
  readonly constraint: When;
  readonly view: ViewDefinition;
  /** `Processes.` + target name, per view target (built once). */
  readonly prefixed: ReadonlyMap<string, string>;
}

const DATASET_NAME = /^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$/;

function compileDataset(file: string): Dataset {
  const view = compileView(readFileSync(file, 'utf8'), file, { extraKeys: ['tags', 'constraint'] });
  const where = { file };
  if (!DATASET_NAME.test(view.name)) throw new LocatedError('cim.bad-name', `data set name '${view.name}' must be <Model>.<Dataset>`, where);
  if (path.basename(file, '.yml') !== view.name) throw new LocatedError('cim.bad-name', `data set '${view.name}' must live in ${view.name}.yml`, where);
  const constraintNames = view.extras['constraint'];
  if (!Array.isArray(constraintNames) || constraintNames.length === 0) throw new LocatedError('cim.no-constraint', `data set '${view.name}' needs a 'constraint' list of condition names`, where);
  const constraint: When = constraintNames.flatMap((n: unknown) => {
    const when = typeof n === 'string' ? view.conditions.get(n) : undefined;
    if (when === undefined) throw new LocatedError('cim.unknown-condition', `data set '${view.name}': constraint '${String(n)}' is not a condition of the file`, where);
    return [...when];
  });
  const tags = view.extras['tags'];
  const object = view.name.slice(view.name.indexOf('.') + 1);
  return {
    name: view.name,
    object,
    tags: Array.isArray(tags) ? tags.map(String) : [],
    constraint,
    view,
    prefixed: new Map(view.targets.map((t) => [t.name, `${object}.${t.name}`])),
  };
}

let registry: ReadonlyMap<string, Dataset> | null = null;

/** Every data set under `mappings/cim` (loaded once). Throws a LocatedError naming a bad file. */
export function datasets(): ReadonlyMap<string, Dataset> {
  if (registry !== null) return registry;
  const dir = mappingsDir('cim', 'Endpoint.Processes.yml');
  const out = new Map<string, Dataset>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yml')).sort()) {
    const ds = compileDataset(path.join(dir, f));
    out.set(ds.name, ds);
  }
  registry = out;
  return out;
}

/** The data sets rows can be built for (`Endpoint.Processes`, ...), sorted. */
export function knownDatasets(): string[] {
  return [...datasets().keys()];
}

/** The event's row in `dataset` (e.g. `Endpoint.Processes`); null when the event is not in it or the data set is unknown. */
export function datamodelRow(event: VigilEvent, dataset: string, metadata?: () => SplunkMetadata): Row | null {
  const ds = datasets().get(dataset);
  if (ds === undefined || !whenHolds(ds.constraint, event)) return null;
  // The caller's metadata (derived once per event, any ingest override applied) when it has it.
  const meta = metadata !== undefined ? metadata() : splunkMetadata(event, splunkTables());
  // The data model reads the add-on's fields, which keep XmlWinEventLog entities.
  const encode = encodesEntities(event, meta) ? encodeElementText : null;
  const fields = applyView(event, ds.view);
  const row: Row = new Map();
  if (meta.time !== null) row.set('_time', meta.time);
  if (meta.host !== null) row.set('host', meta.host);
  if (meta.source !== null) row.set('source', meta.source);
  if (meta.sourcetype !== null) row.set('sourcetype', meta.sourcetype);
  for (const [name, key] of ds.prefixed) {
    const v = splunkValue(fields[name], encode);
    if (v !== undefined) row.set(key, v);
  }
  return row;
}
