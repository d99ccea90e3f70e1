/**
 * Worker-thread entry: parses one chunk per message and answers with plain events (fields and
 * pre-rendered strings, or in text mode each event's finished text) so no element tree has to
 * be cloned back to the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { assertNever } from '../../core/xml-tree.js';
import { parseChunk } from './chunk.js';
import { loadEventTextWriter, type EventTextWriter } from './event-text.js';
import {
  EventColumnsWriter,
  NEXT_EVENT,
  NEXT_ITEM,
  eventFromRecord,
  failedChunkResult,
  isDiagnostic,
  type ChunkTask,
  type ChunkTaskResult,
  type WireItem,
} from './record-events.js';

export function runChunkTask(task: ChunkTask, textWriter: EventTextWriter | null = null): ChunkTaskResult {
  const parse = parseChunk(task.bytes, task.file, task.chunkIndex, task.chunkOffset, task.options);
  const columns = new EventColumnsWriter(task.renderings, textWriter);
  const sequence: number[] = [];
  const items: WireItem[] = [];
  const item = (x: WireItem): void => {
    sequence.push(NEXT_ITEM);
    items.push(x);
  };
  for (const entry of parse.entries) {
    switch (entry.kind) {
      case 'record': {
        const event = eventFromRecord(entry.record, task.file, task.options.flatFields === false);
        if (isDiagnostic(event)) {
          item({ kind: 'record-error', diagnostic: event });
          break;
        }
        try {
          columns.add(event, entry.record);
          sequence.push(NEXT_EVENT);
        } catch (e) {
          item({
            kind: 'record-error',
            diagnostic: {
              severity: 'error',
              code: 'evtx.record.render',
              message: `record could not be rendered: ${e instanceof Error ? e.message : String(e)}`,
              location: { file: task.file, chunk: entry.record.chunk, offset: entry.record.offset, recordId: entry.record.recordId },
            },
          });
        }
        break;
      }
      case 'record-error':
      case 'warning':
        item(entry);
        break;
      default:
        assertNever(entry, 'chunk entry');
    }
  }
  const bytes = textWriter === null ? null : task.bytes;
  return { seq: task.seq, empty: parse.empty, sequence, items, events: columns.finish(), bytes };
}

/** Text writers by format id; the pool sends each format to a worker once. */
const writers = new Map<number, Promise<EventTextWriter>>();

function textWriterFor(task: ChunkTask): Promise<EventTextWriter> | null {
  const wire = task.eventText;
  if (wire === undefined) return null;
  let writer = writers.get(wire.id);
  if (writer === undefined) {
    if (wire.format === undefined) return Promise.reject(new Error(`event text format ${wire.id} was never sent to this worker`));
    writer = loadEventTextWriter(wire.format);
    writers.set(wire.id, writer);
  }
  return writer;
}

async function answer(task: ChunkTask): Promise<ChunkTaskResult> {
  try {
    const writer = textWriterFor(task);
    return runChunkTask(task, writer === null ? null : await writer);
  } catch (e) {
    // parseChunk contains its own failures; this only catches a bug (or an unusable text
    // format), reported against the chunk.
    return failedChunkResult(task, `chunk parsing failed in a worker: ${e instanceof Error ? e.message : String(e)}`);
  }
}

if (parentPort !== null) {
  const port = parentPort;
  port.on('message', (task: ChunkTask) => {
    // The pool sends one task at a time per worker, so answering asynchronously keeps order.
    void answer(task).then((result) => {
      const back = result.bytes?.buffer;
      port.postMessage(result, back instanceof ArrayBuffer ? [back] : []);
    });
  });
}
