/**
 * EVTX BinXml decoder: turns one record's BinXml payload into an XmlDocument. The file layer
 * creates one ChunkContext per chunk (names and compiled templates are cached there) and calls
 * decodeRecord for each record in it.
 */
export type { ChunkContext } from './chunk-context.js';
export { LIMITS, createChunkContext } from './chunk-context.js';
export { decodeRecord, decodeRecordFields } from './decoder.js';
export type { FlatFields } from './flat-plan.js';
/** FILETIME (low, high u32) as `{ text: libevtx 100 ns form, json: crate µs form }`. */
export { fileTimeValue } from './values.js';
