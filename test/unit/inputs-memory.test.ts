import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { openAll, tempDir } from './inputs-helpers.js';
import { readInput } from '../../src/sources/read.js';

const TARGET_BYTES = 50 * 1024 * 1024;

/** In-process gc(), so heap samples measure what is retained rather than garbage. */
function gcFunction(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

function retainedBytes(gc: () => void): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

test('a 50 MB JSONL file streams with flat memory', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'big.jsonl');
  const fd = openSync(f, 'w');
  let written = 0;
  let lines = 0;
  // Written in ~1 MiB pieces so the generator itself stays small too.
  while (written < TARGET_BYTES) {
    const piece: string[] = [];
    for (let k = 0; k < 4000; k++, lines++) {
      piece.push(
        JSON.stringify({
          EventID: 4688 + (lines % 7),
          Computer: `host-${lines % 97}`,
          TimeCreated: new Date(Date.UTC(2025, 0, 1) + lines * 1000).toISOString(),
          EventRecordID: lines + 1,
          NewProcessName: `C:\\Windows\\System32\\tool${lines % 13}.exe`,
          CommandLine: `tool${lines % 13}.exe /arg ${lines} ${'z'.repeat(lines % 50)}`,
        }),
      );
    }
    const buf = Buffer.from(`${piece.join('\n')}\n`);
    writeSync(fd, buf);
    written += buf.length;
  }
  closeSync(fd);

  const gc = gcFunction();
  const { inputs } = await openAll([f]);
  let seen = 0;
  let lastRecord = 0;
  let failed = 0;
  let bytesDone = 0;
  const samples: number[] = [];
  let nextSample = written / 5;
  for await (const batch of readInput(inputs[0]!, {})) {
    for (const item of batch) {
      if (item.kind === 'event') {
        seen++;
        lastRecord = item.event.provenance.recordId ?? -1;
        bytesDone = item.event.provenance.offset;
      } else failed++;
    }
    if (bytesDone >= nextSample) {
      samples.push(retainedBytes(gc));
      nextSample += written / 5;
    }
  }
  assert.equal(failed, 0);
  assert.equal(seen, lines);
  assert.equal(lastRecord, lines);
  assert.ok(samples.length >= 3, `took ${samples.length} samples`);
  const growth = Math.max(...samples) - samples[0]!;
  t.diagnostic(`${(written / 1048576).toFixed(1)} MiB, ${lines} events; retained memory samples (MiB): ${samples.map((s) => (s / 1048576).toFixed(1)).join(', ')}`);
  // Holding even a fifth of the file would add > 10 MiB of strings plus the events built from it.
  assert.ok(growth < 8 * 1024 * 1024, `retained memory grew by ${(growth / 1048576).toFixed(1)} MiB while streaming`);
});
