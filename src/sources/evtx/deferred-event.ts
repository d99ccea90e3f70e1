/**
 * Events whose tree is decoded only when asked for: records read through a flat plan (their
 * fields came without a tree), and records a worker already turned into text (see
 * event-text.ts; the worker hands the chunk bytes back and the main thread keeps them with each
 * event instead of a tree).
 */
import type { FieldValue, Fields, Provenance, Rendering, VigilEvent } from '../../core/event.js';
import type { XmlDocument } from '../../core/xml-tree.js';
import { flattenTree } from '../../normalize/flatten-tree.js';
import { factsFromFields, renderTree } from '../../normalize/tree-event.js';
import { createChunkContext, decodeRecord, type ChunkContext } from './binxml/index.js';
import { RECORD_HEADER_SIZE, u32 } from './layout.js';
import type { EventWithText } from './event-text.js';

/** One chunk's bytes, shared by its events; the decoding context is made on first use. */
export class RetainedChunk {
  private ctx: ChunkContext | null = null;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
    readonly index: number,
    readonly offset: number,
  ) {}

  /** Decodes the record at chunk offset `at` exactly as the chunk walker did (same data range). */
  decode(at: number): XmlDocument {
    this.ctx ??= createChunkContext(this.bytes, this.file, this.index, this.offset);
    const size = u32(this.bytes, at + 4);
    return decodeRecord(this.ctx, at + RECORD_HEADER_SIZE, at + size - 4);
  }
}

export type EventFacts = Pick<VigilEvent, 'time' | 'channel' | 'provider' | 'eventId' | 'computer'>;

/**
 * Everything but provenance is derived on first use: the fields (from the tree unless given),
 * the routing facts (from the fields, as eventFromTree takes them) and the renderings.
 */
export class DeferredEvtxEvent implements EventWithText {
  private cachedTree: XmlDocument | null = null;
  private cachedFacts: EventFacts | null = null;
  private readonly rendered: Partial<Record<Rendering, string>> = {};

  /**
   * `treeOf` decodes the record; `fields`, when known, must equal `flattenTree` of that tree, and
   * `fieldValues` (only with `fields`) list their values as VigilEvent.fieldValues says.
   */
  constructor(
    private readonly treeOf: () => XmlDocument,
    private cachedFields: Fields | null,
    readonly provenance: Provenance,
    readonly preformattedText: string | null,
    readonly fieldValues: readonly FieldValue[] | null = null,
  ) {}

  get tree(): XmlDocument {
    return (this.cachedTree ??= this.treeOf());
  }

  get fields(): Fields {
    return (this.cachedFields ??= flattenTree(this.tree));
  }

  private get facts(): EventFacts {
    return (this.cachedFacts ??= factsFromFields(this.fields));
  }

  get time(): string | null {
    return this.facts.time;
  }

  get channel(): string | null {
    return this.facts.channel;
  }

  get provider(): string | null {
    return this.facts.provider;
  }

  get eventId(): number | null {
    return this.facts.eventId;
  }

  get computer(): string | null {
    return this.facts.computer;
  }

  render(kind: Rendering): string {
    return (this.rendered[kind] ??= renderTree(this.tree, kind));
  }
}
