/** Synchronous whole-buffer EVTX parsing, for tests and tools (readers stream instead). */
import type { Diagnostic } from '../../core/diagnostics.js';
import { assertNever } from '../../core/xml-tree.js';
import { parseChunk } from './chunk.js';
import { EvtxFileSession, chunkOffset } from './file-session.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE } from './layout.js';
import type { EvtxParseResult, EvtxRecord } from './types.js';

export function parseEvtxBytes(bytes: Uint8Array, file: string, opts: { recover?: boolean } = {}): EvtxParseResult {
  const session = new EvtxFileSession(file, opts.recover === true);
  const verdict = session.readHeader(bytes.subarray(0, FILE_HEADER_SIZE));
  if (verdict.fatal !== null) {
    return { records: [], diagnostics: [verdict.fatal], failed: 0, recovered: 0, chunks: 0, fatal: verdict.fatal };
  }
  const records: EvtxRecord[] = [];
  const diagnostics: Diagnostic[] = [...verdict.warnings];
  let failed = 0;
  let recovered = 0;
  let chunks = 0;
  for (let index = 0; chunkOffset(index) < bytes.length; index++) {
    const start = chunkOffset(index);
    const parse = parseChunk(bytes.subarray(start, Math.min(start + CHUNK_SIZE, bytes.length)), file, index, start, session.chunkOptions);
    if (parse.empty) continue;
    chunks++;
    const extra = session.noteChunk(index);
    if (extra !== null) diagnostics.push(extra);
    for (const entry of parse.entries) {
      switch (entry.kind) {
        case 'record':
          if (!session.admit(entry.record.recordId, entry.record.recovered)) break;
          records.push(entry.record);
          if (entry.record.recovered) recovered++;
          break;
        case 'record-error':
          failed++;
          diagnostics.push(entry.diagnostic);
          break;
        case 'warning':
          diagnostics.push(entry.diagnostic);
          break;
        default:
          assertNever(entry, 'chunk entry');
      }
    }
  }
  if (records.length === 0) {
    // A corrupt header with nothing readable after it fails the file, as the streaming reader does.
    const unreadable = session.unreadableAfterCorruptHeader(chunks, diagnostics.length - verdict.warnings.length);
    if (unreadable !== null) return { records: [], diagnostics: [unreadable], failed: 0, recovered: 0, chunks, fatal: unreadable };
  }
  return { records, diagnostics, failed, recovered, chunks, fatal: null };
}
