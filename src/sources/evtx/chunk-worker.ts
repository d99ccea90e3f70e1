/**
 * Worker-thread entry: parses one chunk per message and answers with plain events (fields and
 * pre-rendered strings) so no element tree has to be cloned back to the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { assertNever } from '../../core/xml-tree.js';
import { parseChunk } from './chunk.js';
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

export function runChunkTask(task: ChunkTask): ChunkTaskResult {
  const parse = parseChunk(task.bytes, task.file, task.chunkIndex, task.chunkOffset, task.options);
  const columns = new EventColumnsWriter(task.renderings);
  const sequence: number[] = [];
  const items: WireItem[] = [];
  const item = (x: WireItem): void => {
    sequence.push(NEXT_ITEM);
    items.push(x);
  };
  for (const entry of parse.entries) {
    switch (entry.kind) {
      case 'record': {
        const event = eventFromRecord(entry.record, task.file);
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
  return { seq: task.seq, empty: parse.empty, sequence, items, events: columns.finish() };
}

if (parentPort !== null) {
  const port = parentPort;
  port.on('message', (task: ChunkTask) => {
    let result: ChunkTaskResult;
    try {
      result = runChunkTask(task);
    } catch (e) {
      // parseChunk contains its own failures; this only catches a bug, reported against the chunk.
      result = failedChunkResult(task, `chunk parsing failed in a worker: ${e instanceof Error ? e.message : String(e)}`);
    }
    port.postMessage(result);
  });
}
