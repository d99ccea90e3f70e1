/**
 * Turns decoded records into VigilEvents, and (for worker threads) into column data that
 * crosses the thread boundary cheaply: no element trees, field-name lists shared between
 * events of the same shape, renderings produced up front.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import type { FieldValue, Fields, Provenance, Rendering, VigilEvent } from '../../core/event.js';
import { eventFromTree } from '../../normalize/tree-event.js';
import { DeferredEvtxEvent, type RetainedChunk } from './deferred-event.js';
import type { EventTextFormat, EventTextWriter } from './event-text.js';
import type { ChunkParseOptions, EvtxRecord } from './types.js';

export function recordProvenance(record: EvtxRecord, file: string): Provenance {
  return provenance(file, record.recordId, record.offset, record.recovered);
}

function provenance(file: string, recordId: number, offset: number, recovered: boolean): Provenance {
  return { file, format: 'evtx', recordId, offset, recovered };
}

/**
 * The event for a record; a failure in the flattener is reported as a record error, not thrown.
 * `lazyFields` (the consumer reads no fields, EvtxReadOptions.fieldsUnused): a tree record's
 * fields and facts are derived on first use instead of up front.
 */
export function eventFromRecord(record: EvtxRecord, file: string, lazyFields = false): VigilEvent | Diagnostic {
  try {
    if (lazyFields && record.fields === undefined) {
      const tree = record.tree;
      return new DeferredEvtxEvent(() => tree, null, recordProvenance(record, file), null);
    }
    const fields = record.fields;
    if (fields !== undefined) {
      // Fields known (from a flat plan, or from a tree the walker flattened and dropped): no tree
      // until someone asks for it.
      return new DeferredEvtxEvent(() => record.tree, fields, recordProvenance(record, file), null, record.fieldValues ?? null);
    }
    return eventFromTree(record.tree, recordProvenance(record, file));
  } catch (e) {
    return {
      severity: 'error',
      code: 'evtx.record.event',
      message: `record decoded but could not be turned into an event: ${e instanceof Error ? e.message : String(e)}`,
      location: { file, chunk: record.chunk, offset: record.offset, recordId: record.recordId },
    };
  }
}

export function isDiagnostic(x: VigilEvent | Diagnostic): x is Diagnostic {
  return 'severity' in x;
}

/**
 * One chunk's events as columns. Structured clone pays per object and per property name, so
 * each event's fields travel as a shape index (its list of names, sent once) plus its values.
 */
export interface EventColumns {
  readonly shapes: string[][];
  readonly shapeOf: number[];
  readonly values: FieldValue[];
  readonly recordIds: number[];
  readonly offsets: number[];
  readonly recovered: boolean[];
  /** Five per event: time, channel, provider, eventId, computer (not in text mode: derived on demand). */
  readonly facts: Array<string | number | null>;
  readonly rendered: Partial<Record<Rendering, string[]>>;
  /**
   * Text mode (a reader given `eventText`): every event's finished text, joined (one string
   * clones far faster than hundreds), and where each ends. Fields and renderings are then not
   * shipped at all; the main thread decodes them again from the chunk if asked.
   */
  text: string | null;
  readonly textEnds: number[];
}

/** Worker side: collects events into columns. */
/** A trie over field-name lists, so finding an event's shape allocates nothing. */
interface ShapeNode {
  shape: number;
  readonly next: Map<string, ShapeNode>;
}

export class EventColumnsWriter {
  private readonly shapeRoot: ShapeNode = { shape: -1, next: new Map() };
  private readonly columns: EventColumns;

  constructor(
    private readonly renderings: readonly Rendering[],
    private readonly textWriter: EventTextWriter | null = null,
  ) {
    const rendered: Partial<Record<Rendering, string[]>> = {};
    if (textWriter === null) for (const kind of renderings) rendered[kind] = [];
    const text = textWriter === null ? null : '';
    this.columns = { shapes: [], shapeOf: [], values: [], recordIds: [], offsets: [], recovered: [], facts: [], rendered, text, textEnds: [] };
  }

  /** Adds an event; renders first so a renderer failure leaves the columns untouched. */
  add(event: VigilEvent, record: EvtxRecord): void {
    const c = this.columns;
    if (this.textWriter !== null) {
      c.text += this.textWriter(event);
      c.textEnds.push(c.text!.length);
      this.addIdentity(record);
      return;
    }
    const strings: string[] = this.renderings.map((kind) => event.render(kind));
    const fields = event.fields;
    let node = this.shapeRoot;
    for (const name in fields) {
      let child = node.next.get(name);
      if (child === undefined) {
        child = { shape: -1, next: new Map() };
        node.next.set(name, child);
      }
      node = child;
      c.values.push(fields[name]!);
    }
    if (node.shape < 0) {
      node.shape = c.shapes.length;
      c.shapes.push(Object.keys(fields));
    }
    c.shapeOf.push(node.shape);
    this.addIdentity(record);
    c.facts.push(event.time, event.channel, event.provider, event.eventId, event.computer);
    this.renderings.forEach((kind, i) => c.rendered[kind]!.push(strings[i]!));
  }

  /** Provenance, shipped in every mode. */
  private addIdentity(record: EvtxRecord): void {
    const c = this.columns;
    c.recordIds.push(record.recordId);
    c.offsets.push(record.offset);
    c.recovered.push(record.recovered);
  }

  finish(): EventColumns {
    return this.columns;
  }
}

/** Main-thread side: reads the events back in order. */
export class EventColumnsReader {
  private index = 0;
  private valueAt = 0;

  /** `chunk` (the bytes handed back by the worker) is required for columns in text mode. */
  constructor(
    private readonly c: EventColumns,
    private readonly file: string,
    private readonly chunk: RetainedChunk | null = null,
  ) {}

  /** Record id and recovered flag of the next event, for de-duplication before building it. */
  peek(): { recordId: number; recovered: boolean } {
    return { recordId: this.c.recordIds[this.index]!, recovered: this.c.recovered[this.index]! };
  }

  /** Builds the next event (`keep` false skips it cheaply). */
  next(keep: boolean): VigilEvent | null {
    const c = this.c;
    const i = this.index++;
    if (c.text !== null) return keep ? this.deferred(i, c.text.slice(i === 0 ? 0 : c.textEnds[i - 1]!, c.textEnds[i]!)) : null;
    const names = c.shapes[c.shapeOf[i]!]!;
    if (!keep) {
      this.valueAt += names.length;
      return null;
    }
    const fields: Record<string, FieldValue> = {};
    for (const name of names) fields[name] = c.values[this.valueAt++]!;
    const rendered: Partial<Record<Rendering, string>> = {};
    for (const kind of Object.keys(c.rendered) as Rendering[]) rendered[kind] = c.rendered[kind]![i]!;
    return preRenderedEvent(fields, this.provenanceAt(i), this.factsAt(i), rendered);
  }

  private deferred(i: number, text: string): VigilEvent {
    if (this.chunk === null) throw new Error('EventColumnsReader: text-mode columns need the chunk bytes');
    const chunk = this.chunk;
    const prov = this.provenanceAt(i);
    return new DeferredEvtxEvent(() => chunk.decode(prov.offset - chunk.offset), null, prov, text);
  }

  private provenanceAt(i: number): Provenance {
    const c = this.c;
    return provenance(this.file, c.recordIds[i]!, c.offsets[i]!, c.recovered[i]!);
  }

  private factsAt(i: number): Pick<VigilEvent, 'time' | 'channel' | 'provider' | 'eventId' | 'computer'> {
    const c = this.c;
    const f = i * 5;
    return {
      time: c.facts[f] as string | null,
      channel: c.facts[f + 1] as string | null,
      provider: c.facts[f + 2] as string | null,
      eventId: c.facts[f + 3] as number | null,
      computer: c.facts[f + 4] as string | null,
    };
  }
}

/** An event whose `render` serves strings produced earlier (in a worker) and nothing else. */
function preRenderedEvent(
  fields: Fields,
  prov: Provenance,
  facts: Pick<VigilEvent, 'time' | 'channel' | 'provider' | 'eventId' | 'computer'>,
  rendered: Readonly<Partial<Record<Rendering, string>>>,
): VigilEvent {
  return {
    fields,
    provenance: prov,
    ...facts,
    render(kind: Rendering): string {
      const s = rendered[kind];
      if (s === undefined) {
        throw new Error(
          `rendering '${kind}' was not requested from the EVTX worker threads (ReadOptions.renderings = [${Object.keys(rendered).join(', ')}]); pass it in ReadOptions.renderings or use threads 1`,
        );
      }
      return s;
    },
  };
}

/** Task sent to a chunk worker; `bytes` owns its whole buffer, which is transferred. */
export interface ChunkTask {
  readonly seq: number;
  readonly file: string;
  readonly chunkIndex: number;
  readonly chunkOffset: number;
  readonly bytes: Uint8Array;
  readonly options: ChunkParseOptions;
  readonly renderings: readonly Rendering[];
  /** Text mode: the format's id, and (the first time a worker sees that id) the format itself. */
  readonly eventText?: WireEventText;
}

export interface WireEventText {
  readonly id: number;
  readonly format?: EventTextFormat;
}

/** In `ChunkTaskResult.sequence`: the next event from the columns, or the next item. */
export const NEXT_EVENT = 0;
export const NEXT_ITEM = 1;

export type WireItem = { readonly kind: 'record-error'; readonly diagnostic: Diagnostic } | { readonly kind: 'warning'; readonly diagnostic: Diagnostic };

export interface ChunkTaskResult {
  readonly seq: number;
  readonly empty: boolean;
  /** Chunk order of events and items (NEXT_EVENT / NEXT_ITEM). */
  readonly sequence: number[];
  readonly items: WireItem[];
  readonly events: EventColumns;
  /** Text mode: the chunk bytes, handed back so events can be decoded again on demand. */
  readonly bytes: Uint8Array | null;
}

/** The result for a chunk whose parsing failed outright (a bug or a dead worker). */
export function failedChunkResult(task: ChunkTask, message: string): ChunkTaskResult {
  return {
    seq: task.seq,
    empty: false,
    sequence: [NEXT_ITEM],
    items: [
      {
        kind: 'record-error',
        diagnostic: {
          severity: 'error',
          code: 'evtx.chunk.worker',
          message,
          location: { file: task.file, chunk: task.chunkIndex, offset: task.chunkOffset },
        },
      },
    ],
    events: new EventColumnsWriter([]).finish(),
    bytes: null,
  };
}
