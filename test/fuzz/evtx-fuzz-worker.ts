/**
 * Runs the EVTX fuzz cases inside a worker thread so the test can put a watchdog on every run:
 * a run that hangs is terminated and reported with the case that caused it. Posts `start` before
 * each run, `done` after, and a final `summary`. Inert when loaded outside a worker.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseEvtxBytes, readEvtx } from '../../src/sources/evtx/index.js';
import type { EvtxParseResult } from '../../src/sources/evtx/index.js';
import type { InputFile } from '../../src/sources/source.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE, prng, readU32, stampChunk, stampFile, writeU32 } from './evtx-synth.js';

export interface FuzzBase {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface FuzzConfig {
  readonly seed: number;
  readonly iterations: number;
  readonly bases: readonly FuzzBase[];
}

export type FuzzMessage =
  | { readonly kind: 'start'; readonly index: number; readonly description: string }
  | { readonly kind: 'done'; readonly index: number; readonly ms: number }
  | { readonly kind: 'failure'; readonly index: number; readonly description: string; readonly error: string }
  | { readonly kind: 'summary'; readonly summary: FuzzSummary };

export interface FuzzSummary {
  runs: number;
  fatal: number;
  records: number;
  recovered: number;
  failed: number;
  streamed: number;
  maxMs: number;
  maxHeapMb: number;
  byMutation: Record<string, number>;
}

type Rng = () => number;

const MUTATIONS = ['truncate', 'bit-flips', 'smash', 'random-chunks', 'splice', 'hostile-fields', 'zero-run'] as const;
type Mutation = (typeof MUTATIONS)[number];

function int(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

function mutate(rng: Rng, base: Uint8Array, kind: Mutation): { bytes: Uint8Array; detail: string } {
  const b = base.slice();
  switch (kind) {
    case 'truncate': {
      const n = int(rng, b.length + 1);
      return { bytes: b.subarray(0, n), detail: `length ${n}` };
    }
    case 'bit-flips': {
      const flips = 1 + int(rng, 64);
      for (let i = 0; i < flips; i++) b[int(rng, b.length)]! ^= 1 << int(rng, 8);
      // Half the time keep checksums valid so damage reaches the record walker unflagged.
      if (rng() < 0.5) restamp(b);
      return { bytes: b, detail: `${flips} flips` };
    }
    case 'smash': {
      const start = int(rng, b.length);
      const len = 1 + int(rng, 2048);
      const fill = [0x00, 0xff, 0x2a, -1][int(rng, 4)]!;
      for (let i = start; i < Math.min(b.length, start + len); i++) b[i] = fill < 0 ? int(rng, 256) : fill;
      return { bytes: b, detail: `${len} bytes at ${start} = ${fill < 0 ? 'random' : fill}` };
    }
    case 'random-chunks': {
      // Valid file and chunk magics around random bytes: every structure is hostile.
      for (let c = FILE_HEADER_SIZE; c < b.length; c += CHUNK_SIZE) {
        for (let i = c + 8; i < Math.min(b.length, c + CHUNK_SIZE); i++) b[i] = int(rng, 256);
        if (rng() < 0.7) {
          // Sprinkle record headers with random sizes so the walker and carver have work.
          for (let k = 0; k < 40; k++) {
            const at = c + 512 + int(rng, CHUNK_SIZE - 600);
            if (at + 8 > b.length) continue;
            writeU32(b, at, 0x2a2a);
            writeU32(b, at + 4, [0, 28, 0xffffffff, 24 + int(rng, 4000)][int(rng, 4)]!);
          }
        }
      }
      return { bytes: b, detail: 'random chunk bodies' };
    }
    case 'splice': {
      const from = int(rng, b.length);
      const to = int(rng, b.length);
      const len = 1 + int(rng, 8192);
      b.copyWithin(to, from, Math.min(b.length, from + len));
      return { bytes: b, detail: `copy ${len} from ${from} to ${to}` };
    }
    case 'hostile-fields': {
      // Chunk header fields and record sizes set to zero, huge, or self-referencing values.
      const edits: string[] = [];
      for (let c = FILE_HEADER_SIZE; c + 512 <= b.length; c += CHUNK_SIZE) {
        const which = int(rng, 5);
        const v = [0, 0xffffffff, 512, 0x10000, int(rng, 0x10000)][int(rng, 5)]!;
        if (which === 0) writeU32(b, c + 48, v); // free space offset
        if (which === 1) writeU32(b, c + 128 + 4 * int(rng, 96), int(rng, 2) === 0 ? v : 128); // string/template buckets
        if (which === 2 && c + 520 <= b.length) writeU32(b, c + 516, v); // first record size
        if (which === 3) writeU32(b, c + 44, v); // last record offset
        if (which === 4) {
          // A template-instance-looking token whose definition offset points at itself.
          const at = c + 512 + int(rng, CHUNK_SIZE - 1024);
          if (at + 10 <= b.length) {
            b[at] = 0x0c;
            b[at + 1] = 0x01;
            writeU32(b, at + 6, at - c);
          }
        }
        edits.push(`${which}:${v}`);
      }
      if (rng() < 0.5) writeU32(b, 42, 0xffff); // chunk count
      if (rng() < 0.5) restamp(b);
      return { bytes: b, detail: edits.join(',') };
    }
    case 'zero-run': {
      const start = FILE_HEADER_SIZE + int(rng, Math.max(1, b.length - FILE_HEADER_SIZE));
      const len = 4096 * (1 + int(rng, 4));
      b.fill(0, start, Math.min(b.length, start + len));
      return { bytes: b, detail: `${len} zero bytes at ${start}` };
    }
  }
}

/** Recomputes header and chunk checksums so checksum warnings do not hide structural damage. */
function restamp(b: Uint8Array): void {
  if (b.length >= 128) stampFile(b);
  for (let c = FILE_HEADER_SIZE; c + CHUNK_SIZE <= b.length; c += CHUNK_SIZE) {
    const chunk = b.subarray(c, c + CHUNK_SIZE);
    if (readU32(chunk, 0) === 0x43666c45) stampChunk(chunk);
  }
}

/** The invariants every run must keep, whatever the bytes. */
function check(r: EvtxParseResult, bytes: Uint8Array, name: string): void {
  const fail = (m: string): never => {
    throw new Error(m);
  };
  const errors = r.diagnostics.filter((d) => d.severity === 'error' && d !== r.fatal);
  if (r.failed !== errors.length) fail(`failed ${r.failed} but ${errors.length} record errors`);
  if (r.recovered !== r.records.filter((x) => x.recovered).length) fail('recovered count disagrees with flags');
  if (r.fatal !== null && (r.records.length > 0 || r.failed > 0)) fail('records after a fatal error');
  if (r.records.length > bytes.length / 28) fail('more records than bytes allow');
  const offsets = new Set<number>();
  for (const rec of r.records) {
    if (rec.offset < FILE_HEADER_SIZE || rec.offset + 28 > bytes.length) fail(`record offset ${rec.offset} outside the file`);
    if (offsets.has(rec.offset)) fail(`record at ${rec.offset} reported twice`);
    offsets.add(rec.offset);
    if (rec.tree.kind !== 'document') fail('record without a document');
  }
  for (const d of r.diagnostics) {
    if (d.location.file !== name) fail(`diagnostic without the file name: ${d.code}`);
    const off = d.location.offset;
    if (off === undefined || off < 0 || off > Math.max(bytes.length, FILE_HEADER_SIZE)) fail(`diagnostic ${d.code} offset ${off} outside the file`);
    if (d.message === '') fail(`diagnostic ${d.code} without a message`);
  }
}

async function streamCounts(bytes: Uint8Array, name: string, recover: boolean, piece: number): Promise<{ events: number; errors: number; fatal: number }> {
  const input: InputFile = {
    name,
    size: bytes.length,
    path: null,
    async *stream() {
      for (let i = 0; i < bytes.length; i += piece) yield Buffer.from(bytes.subarray(i, i + piece));
    },
  };
  const counts = { events: 0, errors: 0, fatal: 0 };
  for await (const batch of readEvtx(input, { recover })) {
    for (const item of batch) {
      if (item.kind === 'event') counts.events++;
      else if (item.kind === 'record-error') counts.errors++;
      else if (item.kind === 'fatal') counts.fatal++;
    }
  }
  return counts;
}

export async function runFuzz(config: FuzzConfig, post: (m: FuzzMessage) => void): Promise<void> {
  const rng = prng(config.seed);
  const summary: FuzzSummary = { runs: 0, fatal: 0, records: 0, recovered: 0, failed: 0, streamed: 0, maxMs: 0, maxHeapMb: 0, byMutation: {} };
  for (let i = 0; i < config.iterations; i++) {
    const base = config.bases[int(rng, config.bases.length)]!;
    const kind = MUTATIONS[int(rng, MUTATIONS.length)]!;
    const recover = rng() < 0.5;
    const stream = rng() < 0.1;
    const piece = 1 + int(rng, 70_000);
    const { bytes, detail } = mutate(rng, base.bytes, kind);
    const name = `fuzz-${i}.evtx`;
    const description = `seed ${config.seed} iteration ${i}: ${base.name} ${kind} (${detail}) recover=${recover}${stream ? ` streamed in ${piece}-byte pieces` : ''}`;
    post({ kind: 'start', index: i, description });
    const t0 = performance.now();
    try {
      const r = parseEvtxBytes(bytes, name, { recover });
      check(r, bytes, name);
      if (stream) {
        const s = await streamCounts(bytes, name, recover, piece);
        if (s.events !== r.records.length || s.errors !== r.failed || s.fatal !== (r.fatal === null ? 0 : 1)) {
          throw new Error(`streamed ${JSON.stringify(s)} but parsed ${r.records.length} records / ${r.failed} failed`);
        }
        summary.streamed++;
      }
      summary.runs++;
      summary.records += r.records.length;
      summary.recovered += r.recovered;
      summary.failed += r.failed;
      if (r.fatal !== null) summary.fatal++;
      summary.byMutation[kind] = (summary.byMutation[kind] ?? 0) + 1;
    } catch (e) {
      post({ kind: 'failure', index: i, description, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      return;
    }
    const ms = performance.now() - t0;
    summary.maxMs = Math.max(summary.maxMs, ms);
    if (i % 25 === 0) summary.maxHeapMb = Math.max(summary.maxHeapMb, process.memoryUsage().heapUsed / 2 ** 20);
    post({ kind: 'done', index: i, ms });
  }
  summary.maxHeapMb = Math.max(summary.maxHeapMb, process.memoryUsage().heapUsed / 2 ** 20);
  post({ kind: 'summary', summary });
}

if (!isMainThread && parentPort !== null && (workerData as { fuzz?: FuzzConfig } | null)?.fuzz !== undefined) {
  const port = parentPort;
  void runFuzz((workerData as { fuzz: FuzzConfig }).fuzz, (m) => port.postMessage(m));
}
