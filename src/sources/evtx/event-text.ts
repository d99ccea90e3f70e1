/**
 * Worker-built event text. A consumer that only writes each event out (`vigil dump`) can name a
 * formatter module in `EvtxReadOptions.eventText`; EVTX worker threads then load it and produce
 * each event's final text themselves, so the main thread only counts and writes. Events read
 * this way still answer `fields`, `tree` and `render()`, decoded again on demand from the chunk.
 */
import type { VigilEvent } from '../../core/event.js';
import type { ReadOptions } from '../source.js';

/**
 * A module exporting `createEventTextWriter(config): (event: VigilEvent) => string`, and the
 * config to call it with (structured-cloneable: it is sent to worker threads).
 */
export interface EventTextFormat {
  readonly module: string;
  readonly config: unknown;
}

export interface EvtxReadOptions extends ReadOptions {
  /** Have worker threads produce each event's text (ignored when parsing inline). */
  readonly eventText?: EventTextFormat;
  /**
   * The consumer asks events for nothing but provenance and renderings: records are decoded to
   * their tree only, and `fields` and the routing facts are derived on first use.
   */
  readonly fieldsUnused?: boolean;
}

export type EventTextWriter = (event: VigilEvent) => string;

/** Events that carry a text made by a worker. */
export interface EventWithText extends VigilEvent {
  readonly preformattedText: string | null;
}

/** The text a worker made for this event with the reader's `eventText` format, if any. */
export function preformattedText(event: VigilEvent): string | null {
  return 'preformattedText' in event ? (event as EventWithText).preformattedText : null;
}

/** Loads the writer a format names; fails with a clear message when the module does not fit. */
export async function loadEventTextWriter(format: EventTextFormat): Promise<EventTextWriter> {
  const mod = (await import(format.module)) as { createEventTextWriter?: unknown };
  if (typeof mod.createEventTextWriter !== 'function') {
    throw new Error(`event text module ${format.module} does not export createEventTextWriter`);
  }
  const writer = (mod.createEventTextWriter as (config: unknown) => unknown)(format.config);
  if (typeof writer !== 'function') throw new Error(`createEventTextWriter in ${format.module} did not return a function`);
  return writer as EventTextWriter;
}
