/**
 * A small pool of chunk-parsing worker threads, shared by every file read with the same thread
 * count. Idle workers are unref'd so they never keep the process alive; a worker that dies
 * fails its task (reported against the chunk) and is replaced.
 */
import { Worker } from 'node:worker_threads';
import { failedChunkResult, type ChunkTask, type ChunkTaskResult } from './record-events.js';

interface Pending {
  readonly task: ChunkTask;
  readonly resolve: (r: ChunkTaskResult) => void;
}

export class ChunkWorkerPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
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
    const worker = new Worker(new URL('./chunk-worker.js', import.meta.url));
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
      worker.postMessage(pending.task, buffer instanceof ArrayBuffer ? [buffer] : []);
    }
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

/** Terminates every shared pool (tests and CLI shutdown). */
export async function closeEvtxWorkers(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close()));
}
