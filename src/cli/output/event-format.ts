/**
 * Turns events into output text: JSONL (one object a line), JSON (one array) or XML (one
 * `<Events>` document holding each record as Windows renders it).
 */
import type { Rendering, VigilEvent } from '../../core/event.js';
import { applyView, type ViewDefinition } from '../../normalize/views.js';

export const DUMP_FORMATS = ['jsonl', 'json', 'xml'] as const;
export type DumpFormat = (typeof DUMP_FORMATS)[number];

export interface EventFormatOptions {
  readonly format: DumpFormat;
  /** Field names carried in `fields` (JSON formats). */
  readonly view: ViewDefinition;
  /** Carry the evtx_dump-shaped rendering under `event` instead of flat `fields`. */
  readonly raw: boolean;
}

export interface EventFormatter {
  readonly header: string;
  /** Text for one event, including its separator/newline. */
  event(event: VigilEvent): string;
  /** Text after the last event. */
  footer(): string;
}

/** Renderings the reader should prepare (worker threads pre-render them). */
export function renderingsFor(options: EventFormatOptions): Rendering[] {
  if (options.format === 'xml') return ['xml'];
  return options.raw ? ['json'] : [];
}

/** The object one event becomes in JSONL/JSON output (key order is part of the format). */
export function eventObject(event: VigilEvent, view: ViewDefinition, raw: boolean): Record<string, unknown> {
  const p = event.provenance;
  const out: Record<string, unknown> = {
    file: p.file,
    format: p.format,
    record_id: p.recordId,
    offset: p.offset,
  };
  if (p.line !== undefined) out.line = p.line;
  if (p.recovered === true) out.recovered = true;
  out.time = event.time;
  out.channel = event.channel;
  out.provider = event.provider;
  out.event_id = event.eventId;
  out.computer = event.computer;
  if (raw) out.event = JSON.parse(event.render('json')) as unknown;
  else out.fields = applyView(event, view);
  return out;
}

function jsonText(v: string | number | null): string {
  return v === null ? 'null' : typeof v === 'number' ? (Number.isFinite(v) ? String(v) : 'null') : JSON.stringify(v);
}

/**
 * JSON text of `eventObject` built by hand: the hot path of `vigil dump`. The file/format prefix
 * is stringified once per input, and no intermediate object is made per event.
 */
export function createEventJsonWriter(view: ViewDefinition, raw: boolean): (event: VigilEvent) => string {
  let lastFile: string | null = null;
  let lastFormat: string | null = null;
  let prefix = '';
  return (event) => {
    const p = event.provenance;
    if (p.file !== lastFile || p.format !== lastFormat) {
      lastFile = p.file;
      lastFormat = p.format;
      prefix = `{"file":${JSON.stringify(p.file)},"format":${JSON.stringify(p.format)},"record_id":`;
    }
    let s = prefix + jsonText(p.recordId) + ',"offset":' + jsonText(p.offset);
    if (p.line !== undefined) s += ',"line":' + jsonText(p.line);
    if (p.recovered === true) s += ',"recovered":true';
    s +=
      ',"time":' + jsonText(event.time) +
      ',"channel":' + jsonText(event.channel) +
      ',"provider":' + jsonText(event.provider) +
      ',"event_id":' + jsonText(event.eventId) +
      ',"computer":' + jsonText(event.computer);
    if (raw) s += ',"event":' + JSON.stringify(JSON.parse(event.render('json')) as unknown);
    else s += ',"fields":' + JSON.stringify(applyView(event, view));
    return s + '}';
  };
}

const XML_DECLARATION = /^\s*<\?xml[^>]*\?>\s*/;

/**
 * The text of one event without separators: the part of the output that depends on nothing but
 * the event and the options, so EVTX worker threads can produce it (see `eventTextFormat`).
 */
export function createEventTextWriter(options: EventFormatOptions): (event: VigilEvent) => string {
  const { format, view, raw } = options;
  switch (format) {
    case 'jsonl':
    case 'json':
      return createEventJsonWriter(view, raw);
    case 'xml':
      return (e) => e.render('xml').replace(XML_DECLARATION, '').trimEnd();
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

/**
 * How a reader's worker threads can build the event text themselves: this module's URL plus the
 * options (structured-cloneable). The worker imports the module and calls `createEventTextWriter`.
 */
export function eventTextFormat(options: EventFormatOptions): { readonly module: string; readonly config: EventFormatOptions } {
  return { module: import.meta.url, config: { format: options.format, view: options.view, raw: options.raw } };
}

export interface EventFormatterWithText extends EventFormatter {
  /** Like `event`, for an event whose text (from `createEventTextWriter`) is already known. */
  eventText(text: string): string;
}

export function createEventFormatter(options: EventFormatOptions): EventFormatterWithText {
  const textOf = createEventTextWriter(options);
  const { format } = options;
  switch (format) {
    case 'jsonl':
    case 'xml': {
      const eventText = (text: string): string => text + '\n';
      const header = format === 'xml' ? '<?xml version="1.0" encoding="utf-8"?>\n<Events>\n' : '';
      const footer = format === 'xml' ? '</Events>\n' : '';
      return { header, footer: () => footer, eventText, event: (e) => eventText(textOf(e)) };
    }
    case 'json': {
      let first = true;
      const eventText = (text: string): string => {
        if (first) {
          first = false;
          return text;
        }
        return ',\n' + text;
      };
      return {
        header: '[\n',
        footer: () => (first ? ']\n' : '\n]\n'),
        eventText,
        event: (e) => eventText(textOf(e)),
      };
    }
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}
