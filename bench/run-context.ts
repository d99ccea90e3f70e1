/** The head every bench results file opens with: when, how and on what machine the bench ran. */
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';

export function benchRunHead(script: string, loadBefore: readonly number[]) {
  return {
    date: new Date().toISOString(),
    /** 1/5/15-minute load averages when the runs started and ended (the machine may be shared). */
    loadAverage: { start: loadBefore.map((v) => Number(v.toFixed(2))), end: loadavg().map((v) => Number(v.toFixed(2))) },
    command: `node dist/bench/${script} ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: availableParallelism(),
      memoryGb: Number((totalmem() / 1024 ** 3).toFixed(1)),
      node: process.version,
      kernel: release(),
    },
  };
}
