/** The EVTX file layer: header, chunks, records, recovery; BinXml decoding lives in ./binxml. */
export { parseEvtxBytes } from './parse-bytes.js';
export { readEvtx } from './reader.js';
export { closeEvtxWorkers } from './worker-pool.js';
export type { EvtxParseResult, EvtxRecord } from './types.js';
export { MAX_EVTX_THREADS } from './reader.js';
export { preformattedText } from './event-text.js';
export type { EventTextFormat, EvtxReadOptions } from './event-text.js';
