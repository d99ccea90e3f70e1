/** ByteLines: output assembled as bytes, and buffers the writer is done with filled again. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ByteLines } from '../../src/cli/output/byte-lines.js';
import { OutputSink } from '../../src/cli/output/sink.js';
import { HuntEnd } from '../../src/cli/hunt/hunt-end.js';
import { encodeSigmaRisk, sigmaRuleJson } from '../../src/cli/hunt/held-risk.js';
import { sigmaEventFields, sigmaFindingRisk, sigmaRuleRisk } from '../../src/risk/sigma-risk.js';

/** Lines of every length from 1 to 300 bytes, some with multi-byte characters. */
function sampleLines(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(`${i}:` + (i % 3 === 0 ? 'é' : 'x').repeat(i % 300));
  return out;
}

/** Writes every line through `out`, handing each buffer to `write` as soon as one is full. */
function writeLines(out: ByteLines, lines: readonly string[], write: (piece: Buffer) => void): void {
  const src = Buffer.from(lines.join('\n'));
  let at = 0;
  for (const line of lines) {
    const n = Buffer.byteLength(line);
    out.bytes(src, at, at + n);
    out.newline();
    at += n + 1;
    if (out.hasFull) for (const piece of out.take()) write(piece);
  }
  for (const piece of out.take(true)) write(piece);
}

/**
 * Writes the lines through a ByteLines of 4 KiB buffers; each full buffer is "written" (copied
 * out, as a file write takes it) and, with `reuse`, handed back. What came out, and how many
 * buffers' memory it took.
 */
function written(lines: readonly string[], reuse: boolean): { readonly text: string; readonly pieces: number; readonly memories: number } {
  const out = new ByteLines(4096);
  const memory = new Set<ArrayBufferLike>();
  const copies: Buffer[] = [];
  writeLines(out, lines, (piece) => {
    memory.add(piece.buffer);
    copies.push(Buffer.from(piece));
    if (reuse) out.reuse(piece);
  });
  return { text: Buffer.concat(copies).toString('utf8'), pieces: copies.length, memories: memory.size };
}

test('a buffer handed back is filled again, and the bytes come out the same', () => {
  const lines = sampleLines(2000);
  const expected = lines.map((l) => l + '\n').join('');
  const fresh = written(lines, false);
  const reused = written(lines, true);
  assert.equal(fresh.text, expected);
  assert.equal(reused.text, expected);
  assert.ok(fresh.pieces > 50, `${fresh.pieces} buffers`);
  assert.equal(fresh.memories, fresh.pieces, 'without reuse every buffer is new');
  assert.ok(reused.memories <= 3, `with reuse ${reused.memories} buffers' memory serves ${reused.pieces} pieces`);
});

test('only whole standard buffers of its own are reused, each once', () => {
  // Larger than Node's pool, so each buffer has memory of its own, as the 1 MB ones do.
  const SIZE = 8192;
  const out = new ByteLines(SIZE);
  const first = out.take();
  assert.equal(first.length, 0);
  out.reuse(Buffer.alloc(SIZE + 1).subarray(1));
  out.reuse(Buffer.alloc(2 * SIZE));
  // A piece of the standard size that is the start of its own buffer is taken, once.
  const own = Buffer.alloc(SIZE);
  out.reuse(own);
  out.reuse(own);
  out.ascii('a'.repeat(SIZE));
  out.ascii('b');
  const [full] = out.take();
  assert.equal(full!.toString(), 'a'.repeat(SIZE));
  assert.notEqual(full!.buffer, own.buffer, 'the first buffer was made before anything was handed back');
  // The buffer now holding "b" is the one handed back; the others were not kept.
  out.ascii('c'.repeat(SIZE - 1));
  out.ascii('d');
  const [second] = out.take();
  assert.equal(second!.buffer, own.buffer, 'the handed-back buffer was filled');
  assert.equal(second!.toString(), 'b' + 'c'.repeat(SIZE - 1));
  const rest = out.take(true);
  assert.notEqual(rest[0]!.buffer, own.buffer, 'the same buffer was not kept twice');
  assert.equal(rest[0]!.toString(), 'd');
  // A line longer than a standard buffer gets a buffer of its own size, never a spare.
  const big = new ByteLines(SIZE);
  const spare = Buffer.alloc(SIZE);
  big.reuse(spare);
  big.ascii('x'.repeat(SIZE + 40));
  const [long] = big.take(true);
  assert.equal(long!.toString(), 'x'.repeat(SIZE + 40));
  assert.notEqual(long!.buffer, spare.buffer);
});

test('a file releases what it was given at once; any stream but standard output keeps it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bytelines-'));
  try {
    const file = await OutputSink.file(path.join(dir, 'out'));
    assert.equal(file.releasesWritten, true);
    await file.close();
    const kept: Buffer[] = [];
    const collector = OutputSink.fromStream(
      new Writable({
        write(chunk: Buffer, _enc, cb): void {
          kept.push(chunk);
          cb();
        },
      }),
      'collector',
    );
    await collector.write(Buffer.from('x'));
    assert.equal(collector.releasesWritten, false, 'a collector keeps the chunks it was given');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Enough Sigma risk events for several megabytes of end-of-run JSONL. */
function heldRiskRun(released: (() => boolean) | undefined): { run: () => Promise<string>; memory: Set<ArrayBufferLike> } {
  const end = new HuntEnd(null, 'jsonl', { risk: true, topEntities: 10, quiet: true, report: () => undefined });
  const view = { id: 'r1', title: 'Module installed', level: 'high', tags: ['attack.persistence', 'attack.t1505.004'] } as const;
  const rule = sigmaRuleJson(sigmaRuleRisk(view));
  for (let i = 0; i < 6000; i++) {
    const fields = { Computer: `WEB${i % 7}`, SubjectUserName: `user${i % 11}`, CommandLine: `appcmd install module /name:m${i} ${'z'.repeat(i % 500)}` };
    const risk = sigmaFindingRisk({ rule: view, time: `2024-05-14T0${i % 10}:00:00.000Z`, fields }, () => rule.rule);
    assert.ok(risk !== null);
    end.riskHolding()!.add(encodeSigmaRisk(risk, JSON.stringify(sigmaEventFields(fields)), rule));
  }
  const memory = new Set<ArrayBufferLike>();
  const copies: Buffer[] = [];
  const write = async (chunk: string | Uint8Array): Promise<boolean> => {
    if (typeof chunk !== 'string') memory.add(chunk.buffer);
    copies.push(Buffer.from(chunk));
    return true;
  };
  return {
    memory,
    run: async () => {
      await end.atEnd(write, undefined, released);
      end.discard();
      return Buffer.concat(copies).toString('utf8');
    },
  };
}

test("the end of a hunt fills the output's buffers again once written, and prints the same", async () => {
  const plain = heldRiskRun(undefined);
  const reusing = heldRiskRun(() => true);
  const a = await plain.run();
  const b = await reusing.run();
  assert.ok(a.length > 4 * 1024 * 1024, `${a.length} bytes`);
  assert.equal(b, a);
  assert.ok(plain.memory.size >= 4, `without reuse: ${plain.memory.size} buffers`);
  assert.ok(reusing.memory.size <= 2, `with reuse: ${reusing.memory.size} buffers`);
});
