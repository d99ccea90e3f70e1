/**
 * An event as a Splunk search sees it (docs/splunk-fields.md): the fields Splunk's Windows
 * add-on extracts (the `splunk` view, mappings/views/splunk-windows.yml), as Splunk text values,
 * plus `_time`, `host`, `source`, `sourcetype`, `index` (mappings/splunk/sources.yml),
 * `eventtype` and `tag` (mappings/splunk/eventtypes.yml), classic-text names for XML events
 * (mappings/splunk/messages.yml) and, on request, `_raw`.
 *
 * XmlWinEventLog rows re-encode `&`, `<`, `>` in values (and `'` in attribute values): the
 * add-on copies raw XML text, and ESCU searches match the encoded text (spl-and-rba.md §7.2).
 *
 * Every data file is read and compiled once per process; building a row is then a single pass
 * over the view's rules and the eventtype tests.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FieldValue, Fields, VigilEvent } from '../core/event.js';
import { LocatedError } from '../core/diagnostics.js';
import { mappingsDir } from '../core/mappings-dir.js';
import { applyView, compileView, forEachTargetValue, getView, type ViewDefinition } from '../normalize/views.js';
import type { Row, SplValue } from '../spl/exec/types.js';
import { classify, loadEventtypes, type EventtypeTable } from './eventtypes.js';
import { loadMessages, opcodeName, renderMessage, type MessageTable } from './messages.js';
import { rawText } from './raw.js';
import { encodeAttributeText, encodeElementText, epochSeconds, splunkValue } from './values.js';

export interface SplunkRowOptions {
  /** Adds `_raw` (the event's text). Default false: most searches never read it. */
  readonly raw?: boolean;
  /** Re-encode XML entities in XmlWinEventLog values, as Splunk's add-on leaves them. Default true. */
  readonly encodeEntities?: boolean;
  /** Metadata given at ingest (a test's attack_data `source`/`sourcetype`/`host`), replacing the derived values. */
  readonly metadata?: MetadataOverride;
  /**
   * The event's metadata when the caller has already worked it out (override applied), so the
   * row does not derive it a second time (the runner's pre-test on sourcetype needs it first).
   */
  readonly derived?: SplunkMetadata;
}

export interface MetadataOverride {
  readonly source?: string;
  readonly sourcetype?: string;
  readonly host?: string;
}

/** The derived metadata with the given values put in place (as Splunk's inputs would assign them). */
export function overrideMetadata(meta: SplunkMetadata, override: MetadataOverride | undefined): SplunkMetadata {
  if (override === undefined) return meta;
  return { ...meta, source: override.source ?? meta.source, sourcetype: override.sourcetype ?? meta.sourcetype, host: override.host ?? meta.host };
}

export interface SplunkTables {
  readonly view: ViewDefinition;
  readonly sources: ViewDefinition;
  /** Flattened names the add-on never extracts (sources.yml `not_extracted`). */
  readonly notExtracted: ReadonlySet<string>;
  /** Names our classic-text reader adds that the classic input does not have (`not_extracted_classic`). */
  readonly notExtractedClassic: ReadonlySet<string>;
  readonly eventtypes: EventtypeTable;
  readonly messages: MessageTable;
}

let loaded: SplunkTables | null = null;

/** The compiled data files (loaded on first use; errors are LocatedErrors naming the file). */
export function splunkTables(): SplunkTables {
  if (loaded !== null) return loaded;
  const dir = mappingsDir('splunk', 'sources.yml');
  const sourcesFile = path.join(dir, 'sources.yml');
  let sourcesText: string;
  try {
    sourcesText = readFileSync(sourcesFile, 'utf8');
  } catch (err) {
    throw new LocatedError('splunk.sources', `cannot read ${sourcesFile}: ${(err as Error).message}`, { file: sourcesFile });
  }
  const sources = compileView(sourcesText, sourcesFile, { extraKeys: ['not_extracted', 'not_extracted_classic'] });
  const names = (key: string): ReadonlySet<string> => {
    const list = sources.extras[key];
    return new Set(Array.isArray(list) ? list.map(String) : []);
  };
  loaded = {
    view: getView('splunk'),
    sources,
    notExtracted: names('not_extracted'),
    notExtractedClassic: names('not_extracted_classic'),
    eventtypes: loadEventtypes(path.join(dir, 'eventtypes.yml')),
    messages: loadMessages(path.join(dir, 'messages.yml')),
  };
  return loaded;
}

/** Row metadata every row (event or data model) carries. */
export interface SplunkMetadata {
  readonly time: number | null;
  readonly host: string | null;
  readonly source: string | null;
  readonly sourcetype: string | null;
  readonly index: string;
}

const META_NAMES = new Set(['source', 'sourcetype', 'host', 'index', 'eventtype', 'tag']);

/** System attributes: Splunk's XML has them in single quotes, so `'` is an entity there too. */
const ATTRIBUTE_FIELDS = new Set([
  'Name', 'Guid', 'EventSourceName', 'Qualifiers', 'SystemTime', 'ProcessID', 'ThreadID', 'UserID', 'ActivityID', 'RelatedActivityID', 'user_id',
  'Provider_Name', 'Provider_Guid', 'Provider_EventSourceName', 'EventID_Qualifiers', 'Execution_ProcessID', 'Execution_ThreadID',
  'Security_UserID', 'Correlation_ActivityID', 'Correlation_RelatedActivityID',
]);

function text(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === null || s === '' ? null : String(s);
}

export function splunkMetadata(event: VigilEvent, tables: SplunkTables = splunkTables()): SplunkMetadata {
  const m = applyView(event, tables.sources);
  return { time: epochSeconds(event.time), host: text(m.host), source: text(m.source), sourcetype: text(m.sourcetype), index: text(m.index) ?? 'main' };
}

/** Formats whose values our readers decoded from XML (so they need re-encoding for Splunk). */
function decodedXml(event: VigilEvent): boolean {
  const f = event.provenance.format;
  return f === 'evtx' || f === 'xml' || f === 'evtx-json' || f === 'ecs-json';
}

/** Whether values of this event are shown entity-encoded (an XmlWinEventLog row from decoded XML). */
export function encodesEntities(event: VigilEvent, meta: SplunkMetadata, options: SplunkRowOptions = {}): boolean {
  return options.encodeEntities !== false && decodedXml(event) && meta.sourcetype !== null && meta.sourcetype.toLowerCase().startsWith('xmlwineventlog');
}

export function putMetadata(row: Row, meta: SplunkMetadata): void {
  if (meta.time !== null) row.set('_time', meta.time);
  if (meta.host !== null) row.set('host', meta.host);
  if (meta.source !== null) row.set('source', meta.source);
  if (meta.sourcetype !== null) row.set('sourcetype', meta.sourcetype);
  row.set('index', meta.index);
}

/** Sets a converted field; metadata and Splunk's internal `_` fields (in exports) are set apart. */
function putField(row: Row, name: string, v: FieldValue, encode: boolean, skip: ReadonlySet<string> | null): void {
  if (META_NAMES.has(name) || name.charCodeAt(0) === 95 /* _ */ || (skip !== null && skip.has(name))) return;
  const value: SplValue | undefined = splunkValue(v, encode ? (ATTRIBUTE_FIELDS.has(name) ? encodeAttributeText : encodeElementText) : null);
  if (value === undefined) row.delete(name); // a rule that yields nothing Splunk would extract
  else row.set(name, value);
}

/** OpCode and Message as the classic input writes them, for XML events that lack them. */
function addClassicText(row: Row, event: VigilEvent, fields: Fields, messages: MessageTable, encode: boolean): void {
  if (!row.has('OpCode')) {
    const op = opcodeName(messages, fields['Opcode']);
    if (op !== null) row.set('OpCode', op);
  }
  if (!row.has('Message')) {
    const message = renderMessage(messages, event.provider, event.eventId, fields);
    if (message !== null) row.set('Message', encode ? encodeElementText(message) : message);
  }
}

export function splunkRow(event: VigilEvent, options: SplunkRowOptions = {}): Row {
  const tables = splunkTables();
  const meta = options.derived ?? overrideMetadata(splunkMetadata(event, tables), options.metadata);
  const encode = encodesEntities(event, meta, options);
  const row: Row = new Map();
  putMetadata(row, meta);
  // The view keeps every source field and adds the add-on's names; written straight into the row.
  const fields = event.fields;
  const format = event.provenance.format;
  const skip = format === 'kv' || format === 'flat-json' ? null : format === 'winevtlog' ? tables.notExtractedClassic : tables.notExtracted;
  for (const name in fields) putField(row, name, fields[name]!, encode, skip);
  forEachTargetValue(event, tables.view, (name, value) => putField(row, name, value, encode, null));
  if (decodedXml(event)) addClassicText(row, event, event.fields, tables.messages, encode);
  const { eventtypes, tags } = classify(tables.eventtypes, row);
  if (eventtypes.length > 0) row.set('eventtype', eventtypes.length === 1 ? eventtypes[0]! : eventtypes);
  if (tags.length > 0) row.set('tag', tags.length === 1 ? tags[0]! : tags);
  if (options.raw === true) row.set('_raw', rawText(event));
  return row;
}
