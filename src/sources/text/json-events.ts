/**
 * JSON and JSONL events: evtx_dump records, Winlogbeat / Elastic Agent ECS documents, and
 * flat objects. Objects come from the streaming splitter (one per line, back-to-back
 * pretty-printed, or inside one array), so neither layout nor file size matters.
 *
 * - evtx_dump records are turned back into an element tree and built with `eventFromTree`,
 *   so their fields and XML rendering match the EVTX path;
 * - ECS documents map onto the canonical names (see ecs-fields.ts);
 * - flat objects keep their fields (nested objects as dotted names) plus canonical aliases.
 * Elasticsearch hits (`{"_index": .., "_source": {..}}` per line) are read through `_source`.
 * `render('json')` always returns the object's original text.
 *
 * The kind is the forced/detected format when the reader is told one (`options.inputFormat`),
 * otherwise decided per object.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import type { InputFormat, Provenance, Rendering, VigilEvent } from '../../core/event.js';
import { assertNever } from '../../core/xml-tree.js';
import { eventFromTree } from '../../normalize/tree-event.js';
import type { InputFile, ReadOptions, SourceItem } from '../source.js';
import { addCanonicalAliases } from './aliases.js';
import { fieldsFromEcs, flattenJson, isEcsDocument } from './ecs-fields.js';
import { evtxJsonRecordId, isEvtxJsonRecord, treeFromEvtxJson } from './evtx-json-tree.js';
import { type SplitItem, splitJsonObjects } from './json-split.js';
import { type FieldBag, factsFromFields, setOwn, textEvent } from './text-event.js';

type JsonKind = 'evtx-json' | 'ecs-json' | 'flat-json';

function forcedKind(format: InputFormat | undefined): JsonKind | null {
  return format === 'evtx-json' || format === 'ecs-json' || format === 'flat-json' ? format : null;
}

export async function* readJsonEvents(input: InputFile, options: ReadOptions): AsyncGenerator<readonly SourceItem[]> {
  const forced = forcedKind(options.inputFormat);
  let batch: SourceItem[] = [];
  for await (const items of splitJsonObjects(input.stream())) {
    for (const item of items) batch.push(toSourceItem(item, input.name, forced));
    // One batch per input chunk: whatever was read is delivered before a later stream error.
    if (batch.length > 0) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function recordError(code: string, message: string, file: string, offset: number, line: number): SourceItem {
  const diagnostic: Diagnostic = { severity: 'error', code, message, location: { file, offset, line } };
  return { kind: 'record-error', diagnostic };
}

function toSourceItem(item: SplitItem, file: string, forced: JsonKind | null): SourceItem {
  if (item.kind === 'error') return recordError(item.code, item.message, file, item.offset, item.line);
  const text = item.bytes.toString('utf8');
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return recordError('json.syntax', `invalid JSON object: ${message}`, file, item.offset, item.line);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return recordError('json.not-object', 'JSON value is not an object', file, item.offset, item.line);
  }
  const record = unwrapSearchHit(obj as Record<string, unknown>);
  const kind: JsonKind = forced ?? (isEvtxJsonRecord(record) ? 'evtx-json' : isEcsDocument(record) ? 'ecs-json' : 'flat-json');
  try {
    switch (kind) {
      case 'evtx-json':
        return { kind: 'event', event: evtxJsonEvent(record, text, file, item) };
      case 'ecs-json':
        return { kind: 'event', event: ecsEvent(record, text, file, item) };
      case 'flat-json':
        return { kind: 'event', event: flatEvent(record, text, file, item) };
      default:
        return assertNever(kind, 'json kind');
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return recordError(`${kind}.shape`, `cannot read ${kind} record: ${message}`, file, item.offset, item.line);
  }
}

/** Elasticsearch exports (elasticdump, `_search` hits as NDJSON) wrap each document in `_source`. */
function unwrapSearchHit(obj: Record<string, unknown>): Record<string, unknown> {
  const source = obj['_source'];
  if (typeof source === 'object' && source !== null && !Array.isArray(source) && ('_index' in obj || '_id' in obj)) {
    return source as Record<string, unknown>;
  }
  return obj;
}

type ObjectItem = Extract<SplitItem, { kind: 'object' }>;

function evtxJsonEvent(record: Record<string, unknown>, text: string, file: string, item: ObjectItem): VigilEvent {
  if (!isEvtxJsonRecord(record)) throw new Error('expected {"Event": {...}}');
  const tree = treeFromEvtxJson(record);
  const provenance: Provenance = { file, format: 'evtx-json', recordId: evtxJsonRecordId(record) ?? item.banner, offset: item.offset, line: item.line };
  const base = eventFromTree(tree, provenance);
  return {
    fields: base.fields,
    provenance: base.provenance,
    time: base.time,
    channel: base.channel,
    provider: base.provider,
    eventId: base.eventId,
    computer: base.computer,
    tree,
    render(kind: Rendering): string {
      return kind === 'json' ? text : base.render(kind);
    },
  };
}

function ecsEvent(record: Record<string, unknown>, text: string, file: string, item: ObjectItem): VigilEvent {
  const { fields, eventData } = fieldsFromEcs(record);
  const facts = factsFromFields(fields);
  return textEvent({
    fields: Object.freeze(fields),
    eventData: Object.freeze(eventData),
    facts,
    provenance: { file, format: 'ecs-json', recordId: facts.recordId, offset: item.offset, line: item.line },
    json: () => text,
  });
}

function flatEvent(record: Record<string, unknown>, text: string, file: string, item: ObjectItem): VigilEvent {
  const fields: FieldBag = {};
  for (const [k, v] of flattenJson(record)) setOwn(fields, k, v);
  addCanonicalAliases(fields);
  const facts = factsFromFields(fields);
  return textEvent({
    fields: Object.freeze(fields),
    facts,
    provenance: { file, format: 'flat-json', recordId: facts.recordId, offset: item.offset, line: item.line },
    json: () => text,
  });
}
