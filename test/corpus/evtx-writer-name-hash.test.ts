/**
 * The writer's name hash against Windows itself: every name in the common string tables of real
 * Windows-written EVTX chunks carries a stored hash, and ours must reproduce each one, with the
 * name sitting in bucket hash % 64 as the writer files it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';
import { nameHash } from '../../src/sinks/evtx-writer/index.js';

const SAMPLES = [
  ['evtx', 'evtx-crate', 'samples', 'security.evtx'],
  ['evtx', 'evtx-crate', 'samples', 'sysmon.evtx'],
  ['evtx', 'evtx-crate', 'samples', 'system.evtx'],
  ['evtx', 'DeepBlueCLI', 'evtx', 'metasploit-sysmon.evtx'],
];

const u16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

for (const parts of SAMPLES) {
  const file = corpusPath(...parts);
  test(`name hashes match Windows in ${parts.at(-1)}`, { skip: file === null ? NO_CORPUS : false }, () => {
    const bytes = new Uint8Array(readFileSync(file!));
    let checked = 0;
    const chunkCount = Math.min(64, Math.floor((bytes.length - 4096) / 65536));
    for (let c = 0; c < chunkCount; c++) {
      const chunk = bytes.subarray(4096 + c * 65536, 4096 + (c + 1) * 65536);
      if (String.fromCharCode(...chunk.subarray(0, 7)) !== 'ElfChnk') continue;
      for (let bucket = 0; bucket < 64; bucket++) {
        let o = u32(chunk, 128 + bucket * 4);
        for (let guard = 0; o !== 0 && o + 8 < chunk.length && guard < 256; guard++) {
          const chars = u16(chunk, o + 6);
          if (o + 8 + chars * 2 > chunk.length) break;
          const name = String.fromCharCode(...Array.from({ length: chars }, (_, i) => u16(chunk, o + 8 + i * 2)));
          assert.equal(nameHash(name), u16(chunk, o + 4), `hash of "${name}" (chunk ${c}, offset ${o})`);
          assert.equal(u16(chunk, o + 4) % 64, bucket, `"${name}" filed in bucket hash % 64`);
          checked++;
          o = u32(chunk, o);
        }
      }
    }
    assert.ok(checked > 20, `checked ${checked} names`);
  });
}
