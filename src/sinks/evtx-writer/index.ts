/** EVTX writer: valid, template-based EVTX files from events, for tests and benchmarks. */
export type { TypedWriterValue, WriterEvent, WriterProvider, WriterValue, WriterValueType } from './types.js';
export { EvtxWriter, writeEvtx, FILE_HEADER_SIZE, type EvtxSink, type EvtxWriteSummary, type EvtxWriterOptions } from './evtx-writer.js';
export { CHUNK_SIZE, CHUNK_HEADER_SIZE } from './chunk-builder.js';
export { nameHash } from './name-hash.js';
export { filetimeTicks, guidBytes, sidBytes, ValueType } from './values.js';
