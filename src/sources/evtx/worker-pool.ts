/**
 * A small pool of chunk-parsing worker threads, shared by every file read with the same thread
 * count. Idle workers are unref'd so they never keep the process alive; a worker that dies
 * fails its task (reported against the chunk) and is replaced.
 */
import { Worker } from 'node:worker_threads';
import { failedChunkResult, type ChunkTask, type ChunkTaskResult } from './record-events.js';

/**
 * Heap caps per worker. A worker holds one chunk's records at a time (a few MB), so these are
 * generous for real work; they keep each worker near 50 MB resident (uncapped, V8 lets a young
 * generation grow to 48 MB and the old one far more), which with MAX_EVTX_THREADS keeps a read
 * under 300 MB. A runaway (a bug, a hostile file slipping past the decoder's limits) kills that
 * worker, which fails its chunk with a located error, instead of growing the process.
 * The young generation is where a worker's garbage dies: 16 MB cost ~5% less CPU than 8 MB.
 */
export const WORKER_OLD_GENERATION_MB = 48;
export const WORKER_YOUNG_GENERATION_MB = 16;

interface Pending {
  readonly task: ChunkTask;
  readonly resolve: (r: ChunkTaskResult) => void;
}

export class ChunkWorkerPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  /** Event text formats each worker has already been sent (see ChunkTask.eventText). */
  private readonly knownFormats = new WeakMap<Worker, Set<number>>();
  private closed = false;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  run(task: ChunkTask): Promise<ChunkTaskResult> {
    return new Promise((resolve) => {
      this.queue.push({ task, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    await Promise.all(all.map((w) => w.terminate()));
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./chunk-worker.js', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_GENERATION_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    worker.unref();
    worker.on('message', (result: ChunkTaskResult) => {
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      worker.unref();
      if (!this.closed) this.idle.push(worker);
      pending?.resolve(result);
      this.dispatch();
    });
    let dead = false;
    // A worker that errors or exits (busy or idle) is dropped once, its task failed, and replaced.
    const retire = (err: unknown): void => {
      if (dead) return;
      dead = true;
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      if (pending !== undefined) pending.resolve(failedResult(pending.task, err));
      if (!this.closed) {
        this.idle.push(this.spawn());
        this.dispatch();
      }
    };
    worker.on('error', retire);
    worker.on('exit', (code) => retire(new Error(`worker exited with code ${code}`)));
    return worker;
  }

  private dispatch(): void {
    while (this.queue.length > 0 && this.idle.length > 0) {
      const worker = this.idle.pop()!;
      const pending = this.queue.shift()!;
      this.busy.set(worker, pending);
      worker.ref();
      const buffer = pending.task.bytes.buffer;
      worker.postMessage(this.forWorker(worker, pending.task), buffer instanceof ArrayBuffer ? [buffer] : []);
    }
  }

  /** Sends an event text format (a view can be a few dozen KB) only to workers that lack it. */
  private forWorker(worker: Worker, task: ChunkTask): ChunkTask {
    const text = task.eventText;
    if (text === undefined) return task;
    let known = this.knownFormats.get(worker);
    if (known === undefined) {
      known = new Set();
      this.knownFormats.set(worker, known);
    }
    if (!known.has(text.id)) {
      known.add(text.id);
      return task;
    }
    return { ...task, eventText: { id: text.id } };
  }
}

function failedResult(task: ChunkTask, err: unknown): ChunkTaskResult {
  return failedChunkResult(task, `worker thread failed while parsing this chunk: ${err instanceof Error ? err.message : String(err)}`);
}

const pools = new Map<number, ChunkWorkerPool>();

/** The shared pool for `threads` workers. */
export function chunkWorkerPool(threads: number): ChunkWorkerPool {
  let pool = pools.get(threads);
  if (pool === undefined) {
    pool = new ChunkWorkerPool(threads);
    pools.set(threads, pool);
  }
  return pool;
}

/** Worker counts of the live shared pools (tests check the thread cap with it). */
export function workerPoolSizes(): number[] {
  return [...pools.values()].map((p) => p.size);
}

/** Terminates every shared pool (tests and CLI shutdown). */
export async function closeEvtxWorkers(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close()));
}
