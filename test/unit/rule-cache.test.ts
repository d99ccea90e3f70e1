/**
 * The rule-set cache (src/cli/hunt/rule-cache.ts): a key that changes with anything the load
 * depends on, an entry read back equal to what was written without loading again, a damaged or
 * foreign entry loaded again and replaced, a folder that cannot be written leaving the load
 * unaffected, and the oldest entries removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cachedRuleLoad, MAX_ENTRIES, ruleCacheKey } from '../../src/cli/hunt/rule-cache.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();

interface FakeLoad {
  readonly rules: { id: string; pattern: RegExp; nested: { values: string[] } }[];
  readonly reports: { file: string; status: string }[];
}

function fakeLoad(n: number): FakeLoad {
  return {
    rules: Array.from({ length: n }, (_, i) => ({ id: `r${i}`, pattern: /a+b/i, nested: { values: [`v${i}`, 'w'] } })),
    reports: Array.from({ length: n }, (_, i) => ({ file: `f${i}.yml`, status: 'loaded' })),
  };
}

/** A load that counts how often it ran. */
function counting(n: number): { load: () => Promise<FakeLoad>; calls: () => number } {
  let calls = 0;
  return {
    load: async () => {
      calls++;
      return fakeLoad(n);
    },
    calls: () => calls,
  };
}

test('the key changes with a rule file\'s content, the set of files, the paths, strict and the placeholders', () => {
  const dir = tempDir('vigil-rule-key-');
  const a = path.join(dir, 'a.yml');
  const b = path.join(dir, 'b.yml');
  writeFileSync(a, 'title: a\n');
  writeFileSync(b, 'title: b\n');
  const base = { paths: [dir], files: [a, b], strict: false, placeholders: { Admins: ['x'] } };
  const key = ruleCacheKey(base);
  assert.equal(ruleCacheKey(base), key, 'the same inputs, the same key');
  assert.notEqual(ruleCacheKey({ ...base, files: [a] }), key, 'a file fewer');
  assert.notEqual(ruleCacheKey({ ...base, paths: [a, b] }), key, 'other paths');
  assert.notEqual(ruleCacheKey({ ...base, strict: true }), key, 'strict');
  assert.notEqual(ruleCacheKey({ ...base, placeholders: { Admins: ['y'] } }), key, 'placeholder values');
  assert.notEqual(ruleCacheKey({ ...base, placeholders: undefined }), key, 'no placeholders');
  // Placeholder order does not matter, their values do.
  const two = { ...base, placeholders: { A: ['1'], B: ['2'] } };
  assert.equal(ruleCacheKey(two), ruleCacheKey({ ...base, placeholders: { B: ['2'], A: ['1'] } }));
  writeFileSync(b, 'title: B\n');
  assert.notEqual(ruleCacheKey(base), key, 'an edited rule file');
});

test('a rule file over the loader\'s 8 MB limit is keyed by its size, not read (the loader refuses it unread)', () => {
  const dir = tempDir('vigil-rule-key-big-');
  const big = path.join(dir, 'big.yml');
  writeFileSync(big, Buffer.alloc(9 * 1024 * 1024, 0x61));
  const input = { paths: [dir], files: [big], strict: false, placeholders: undefined };
  const key = ruleCacheKey(input);
  // Other bytes of the same size: the load's outcome (the size in its reason) is the same.
  writeFileSync(big, Buffer.alloc(9 * 1024 * 1024, 0x62));
  assert.equal(ruleCacheKey(input), key);
  writeFileSync(big, Buffer.alloc(9 * 1024 * 1024 + 1, 0x62));
  assert.notEqual(ruleCacheKey(input), key);
});

test('a miss loads and writes an entry; a hit reads it back equal, without loading', async () => {
  const dir = tempDir('vigil-rule-cache-');
  const first = counting(50);
  const miss = await cachedRuleLoad(dir, 'k'.repeat(64), first.load);
  assert.equal(miss.cache, 'miss');
  assert.equal(miss.problem, null);
  assert.equal(first.calls(), 1);
  const second = counting(50);
  const hit = await cachedRuleLoad(dir, 'k'.repeat(64), second.load);
  assert.equal(hit.cache, 'hit');
  assert.equal(second.calls(), 0, 'a hit does not load');
  assert.deepEqual(hit.load, fakeLoad(50));
  assert.ok(hit.load.rules[0]!.pattern instanceof RegExp);
  // Another key is another entry.
  const other = counting(3);
  assert.equal((await cachedRuleLoad(dir, 'j'.repeat(64), other.load)).cache, 'miss');
  assert.equal(other.calls(), 1);
});

test('a damaged entry, or one written for another key under the same name, is loaded again and replaced', async () => {
  const dir = tempDir('vigil-rule-cache-bad-');
  const key = 'a'.repeat(64);
  await cachedRuleLoad(dir, key, counting(5).load);
  const [entry] = readdirSync(dir);
  writeFileSync(path.join(dir, entry!), 'not a cache entry at all');
  const again = counting(5);
  const r = await cachedRuleLoad(dir, key, again.load);
  assert.equal(r.cache, 'miss');
  assert.equal(again.calls(), 1);
  assert.match(r.problem ?? '', /unusable/);
  assert.deepEqual(r.load, fakeLoad(5));
  assert.equal((await cachedRuleLoad(dir, key, counting(5).load)).cache, 'hit', 'replaced by a sound entry');
  // Same file name (the first 40 hex digits), another key: not used.
  const sibling = 'a'.repeat(40) + 'b'.repeat(24);
  const s = counting(7);
  const r2 = await cachedRuleLoad(dir, sibling, s.load);
  assert.equal(r2.cache, 'miss');
  assert.equal(s.calls(), 1);
  assert.equal(r2.load.rules.length, 7);
});

test('a load during which a rule file changed is not written (it may belong to neither version)', async () => {
  const dir = tempDir('vigil-rule-cache-race-');
  const r = await cachedRuleLoad(dir, 'd'.repeat(64), counting(2).load, () => 'e'.repeat(64));
  assert.equal(r.cache, 'miss');
  assert.deepEqual(readdirSync(dir), []);
  const same = await cachedRuleLoad(dir, 'd'.repeat(64), counting(2).load, () => 'd'.repeat(64));
  assert.equal(same.cache, 'miss');
  assert.equal(readdirSync(dir).length, 1);
});

test('a cache folder that cannot be written leaves the load as it is, with the reason', async () => {
  const dir = tempDir('vigil-rule-cache-ro-');
  const blocked = path.join(dir, 'file-not-folder');
  writeFileSync(blocked, 'x');
  const c = counting(4);
  const r = await cachedRuleLoad(blocked, 'c'.repeat(64), c.load);
  assert.equal(r.cache, 'miss');
  assert.deepEqual(r.load, fakeLoad(4));
  assert.match(r.problem ?? '', /not written/);
});

test(`only the ${MAX_ENTRIES} entries used last are kept`, async () => {
  const dir = tempDir('vigil-rule-cache-prune-');
  const keys = Array.from({ length: MAX_ENTRIES + 3 }, (_, i) => `${i.toString(16)}-`.repeat(32).slice(0, 64));
  for (const [i, key] of keys.entries()) {
    await cachedRuleLoad(dir, key, counting(1).load);
    // Older entries look older (file times have coarse resolution on some file systems).
    const [newest] = readdirSync(dir).filter((n) => n.includes(key.slice(0, 40)));
    const t = new Date(Date.now() - (keys.length - i) * 60_000);
    utimesSync(path.join(dir, newest!), t, t);
  }
  const left = readdirSync(dir);
  assert.equal(left.length, MAX_ENTRIES);
  // The first three written (and not used since) are the ones gone.
  for (const key of keys.slice(0, 3)) assert.ok(!left.some((n) => n.includes(key.slice(0, 40))), `${key} removed`);
});
