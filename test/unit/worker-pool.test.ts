/**
 * The hunt worker pool on its own: warm workers taken by a pool and given the rules (or reading
 * them from the rule cache's entry, and asking for them when they cannot), warm workers no pool
 * took ended, a warm worker that cannot load its engine replaced by the pool's
 * own, and how much work the pool posts ahead (runsDryWithout).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HuntWorkerPool, rulesAhead, runsDryWithout, WarmWorkers, type TaskHandlers } from '../../src/cli/hunt/worker-pool.js';
import type { WorkerInit } from '../../src/cli/hunt/hunt-worker.js';
import type { FileCounter } from '../../src/cli/hunt/file-hunt.js';
import { detection } from '../cli/hunt-fakes.js';
import { cachedRuleLoad, type RuleCacheEntryRef } from '../../src/cli/hunt/rule-cache.js';
import { NO_RULE_FILTER } from '../../src/cli/hunt/filters.js';
import type { Rule } from '../../src/ir/nodes.js';
import { recoverRiskFile, type RiskHolding } from '../../src/cli/hunt/thread-risk.js';
import type { EncodedRisk } from '../../src/cli/hunt/held-risk.js';

const FAKE_ENGINE = new URL('../cli/hunt-fakes.js', import.meta.url).href;
const MB = 1024 * 1024;

function initFor(engineModule: string): WorkerInit {
  return { rules: [detection('r-4688', 'Process created', 'high', [4688])], format: 'jsonl', engineModule, eventFilter: null };
}

/** Runs one file through the pool; returns its counter and the JSONL the worker wrote. */
async function huntOne(pool: HuntWorkerPool, file: string): Promise<{ counter: FileCounter; text: string; diagnostics: string[] }> {
  let text = '';
  const diagnostics: string[] = [];
  const handlers: TaskHandlers = {
    onText: async (bytes) => {
      // Each piece is whole UTF-8 (the worker encodes whole findings).
      text += Buffer.from(bytes).toString('utf8');
    },
    onDiagnostic: (d) => diagnostics.push(`${d.code}: ${d.message}`),
    onProgress: () => undefined,
    onFeeds: () => undefined,
    onObserved: () => undefined,
    onObserverWarning: () => undefined,
  };
  const counter = await pool.run({ name: file, path: file, size: null }, handlers);
  return { counter, text, diagnostics };
}

/** Hunts one file on `pool` (then closes it): the rule ids of the findings, sorted; no diagnostics allowed. */
async function ruleIdsFound(pool: HuntWorkerPool, file: string): Promise<string[]> {
  try {
    const r = await huntOne(pool, file);
    assert.deepEqual(r.diagnostics, []);
    return r.text
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { rule: { id: string } }).rule.id)
      .sort();
  } finally {
    await pool.close();
  }
}

async function withEvents<T>(body: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-pool-'));
  try {
    const file = path.join(dir, 'events.jsonl');
    const events = [{ EventID: 4688, Computer: 'a' }, { EventID: 4624, Computer: 'a' }, { EventID: 4688, Computer: 'b' }];
    await writeFile(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    return await body(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a pool takes the warm workers it is given and sends them the rules', async () => {
  await withEvents(async (file) => {
    const warm = WarmWorkers.start(2, FAKE_ENGINE);
    const pool = new HuntWorkerPool(initFor(FAKE_ENGINE), 1, warm);
    try {
      // One was taken; the pool never starts more than its size.
      const r = await huntOne(pool, file);
      assert.deepEqual(r.diagnostics, []);
      assert.equal(r.counter.events, 3);
      const lines = r.text.trim().split('\n').map((l) => JSON.parse(l) as { rule: { id: string } });
      assert.deepEqual(lines.map((l) => l.rule.id), ['r-4688', 'r-4688']);
      const left = warm.take();
      assert.notEqual(left, null, 'the second warm worker was left untaken');
      await left?.worker.terminate();
      assert.equal(warm.take(), null);
    } finally {
      await pool.close();
    }
  });
});

test('warm workers offered the rules ahead run those the pool names, and only those', async () => {
  await withEvents(async (file) => {
    const created = detection('r-4688', 'Process created', 'high', [4688]);
    const logon = detection('r-4624', 'Logon', 'low', [4624]);
    // Offered both; the main thread then runs only the first (as when it refuses a rule).
    const warm = WarmWorkers.start(1, FAKE_ENGINE);
    warm.offerRules([created, logon]);
    const pool = new HuntWorkerPool({ ...initFor(FAKE_ENGINE), rules: [created] }, 1, warm);
    assert.deepEqual(await ruleIdsFound(pool, file), ['r-4688', 'r-4688']);
    // Offered exactly the pool's rules: both run.
    const warmAll = WarmWorkers.start(1, FAKE_ENGINE);
    warmAll.offerRules([created, logon]);
    const poolAll = new HuntWorkerPool({ ...initFor(FAKE_ENGINE), rules: [created, logon] }, 1, warmAll);
    assert.deepEqual(await ruleIdsFound(poolAll, file), ['r-4624', 'r-4688', 'r-4688']);
  });
});

/** Writes a rule cache entry holding `rules` (as `vigil hunt` would), returns where it is. */
async function cacheEntryOf(dir: string, rules: readonly Rule[]): Promise<RuleCacheEntryRef> {
  const key = 'k'.repeat(64);
  const reports = rules.map((r) => ({ file: r.meta.source.file, id: r.meta.id, status: 'loaded' as const }));
  await cachedRuleLoad(dir, key, async () => ({ rules, reports }));
  const file = path.join(dir, `sigma-${key.slice(0, 40)}.v8`);
  return { file, key };
}

test('warm workers read the rules from the rule cache entry and keep those the filter keeps', async () => {
  await withEvents(async (file) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vigil-pool-cache-'));
    const created = detection('r-4688', 'Process created', 'high', [4688]);
    const logon = detection('r-4624', 'Logon', 'low', [4624]);
    try {
      const entry = await cacheEntryOf(dir, [created, logon]);
      const filter = { ...NO_RULE_FILTER, minLevel: 'high' as const };
      const warm = WarmWorkers.start(1, FAKE_ENGINE);
      warm.offerRuleFile(entry, filter);
      // The main thread read the same entry: nothing more is posted. Had the worker not read the
      // file, 'init' would name rules it never had; had it not filtered, the logon rule would run.
      warm.offerRules([created], 'hit');
      const pool = new HuntWorkerPool({ ...initFor(FAKE_ENGINE), rules: [created] }, 1, warm);
      assert.deepEqual(await ruleIdsFound(pool, file), ['r-4688', 'r-4688']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('a warm worker that cannot read the cache entry asks for the rules; a load that missed sends them', async () => {
  await withEvents(async (file) => {
    const created = detection('r-4688', 'Process created', 'high', [4688]);
    const logon = detection('r-4624', 'Logon', 'low', [4624]);
    const gone = { file: path.join(tmpdir(), `vigil-no-such-entry-${process.pid}.v8`), key: 'k'.repeat(64) };
    // The main thread read the entry, but it was gone when the worker looked: the worker asks.
    const warm = WarmWorkers.start(1, FAKE_ENGINE);
    warm.offerRuleFile(gone, null);
    warm.offerRules([created, logon], 'hit');
    const pool = new HuntWorkerPool({ ...initFor(FAKE_ENGINE), rules: [created] }, 1, warm);
    assert.deepEqual(await ruleIdsFound(pool, file), ['r-4688', 'r-4688']);
    // The main thread could not use the entry either and loaded the rules: they are posted.
    const warmMiss = WarmWorkers.start(1, FAKE_ENGINE);
    warmMiss.offerRuleFile(gone, null);
    warmMiss.offerRules([created, logon], 'miss');
    const poolMiss = new HuntWorkerPool({ ...initFor(FAKE_ENGINE), rules: [created, logon] }, 1, warmMiss);
    assert.deepEqual(await ruleIdsFound(poolMiss, file), ['r-4624', 'r-4688', 'r-4688']);
  });
});

test('rulesAhead names offered rules by position, and sends the rules when it cannot', () => {
  const a = detection('a', 'A', 'high', [1]);
  const b = detection('b', 'B', 'high', [2]);
  const c = detection('c', 'C', 'high', [3]);
  const offered = { rules: [a, b, c], engineModule: FAKE_ENGINE };
  assert.deepEqual(rulesAhead({ ...initFor(FAKE_ENGINE), rules: [a, b, c] }, offered), { kind: 'ahead', keep: null });
  assert.deepEqual(rulesAhead({ ...initFor(FAKE_ENGINE), rules: [c, a] }, offered), { kind: 'ahead', keep: [2, 0] });
  // An equal rule that is another object was not offered; nor does another engine's compile count.
  assert.equal(rulesAhead({ ...initFor(FAKE_ENGINE), rules: [a, detection('b', 'B', 'high', [2])] }, offered), undefined);
  assert.equal(rulesAhead({ ...initFor('file:///other-engine.js'), rules: [a] }, offered), undefined);
});

test('warm workers no pool took are ended by close()', async () => {
  const warm = WarmWorkers.start(2, FAKE_ENGINE);
  await warm.close();
  assert.equal(warm.take(), null);
});

test('a warm worker whose engine cannot load fails its file with a reason, then the pool gives up', async () => {
  await withEvents(async (file) => {
    const missing = new URL('./no-such-engine.js', import.meta.url).href;
    const pool = new HuntWorkerPool(initFor(missing), 1, WarmWorkers.start(1, missing));
    try {
      const first = await huntOne(pool, file);
      assert.equal(first.counter.fatal?.code, 'hunt.worker-failed');
      assert.match(first.diagnostics.join('\n'), /hunt\.worker-failed/);
      // The replacements fail the same way; once none is left, files fail at once.
      for (let i = 0; i < 3; i++) assert.equal((await huntOne(pool, file)).counter.fatal?.code, 'hunt.worker-failed');
      assert.equal(pool.wantsFile(1), false, 'a broken pool takes no more files');
    } finally {
      await pool.close();
    }
  });
});

test('a warm worker offered rules its engine cannot compile fails its file with a reason', async () => {
  await withEvents(async (file) => {
    const missing = new URL('./no-such-engine.js', import.meta.url).href;
    const warm = WarmWorkers.start(1, missing);
    const rules = [detection('r-4688', 'Process created', 'high', [4688])];
    warm.offerRules(rules);
    const pool = new HuntWorkerPool({ ...initFor(missing), rules }, 1, warm);
    try {
      const first = await huntOne(pool, file);
      assert.equal(first.counter.fatal?.code, 'hunt.worker-failed');
      assert.match(first.diagnostics.join('\n'), /hunt\.worker-failed/);
    } finally {
      await pool.close();
    }
  });
});

test('ranges of a large file go only to a worker that is ready, and only when it has nothing to do', async () => {
  await withEvents(async (file) => {
    const pool = new HuntWorkerPool(initFor(FAKE_ENGINE), 1);
    try {
      // Not started: a whole file would start a worker; a range never waits on one.
      assert.equal(pool.wantsFile(MB), true);
      assert.equal(pool.wantsFile(2 * MB, true), false);
      pool.startAll();
      assert.equal(pool.wantsFile(2 * MB, true), false, 'started, still compiling');
      for (let waited = 0; !pool.wantsFile(2 * MB, true); waited += 10) {
        assert.ok(waited < 20_000, 'the worker never said it was ready');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // Ready and idle: it takes one; while it has it, it wants no other.
      const r = huntOne(pool, file);
      assert.equal(pool.wantsFile(2 * MB, true), false);
      assert.equal((await r).counter.events, 3);
      assert.equal(pool.wantsFile(2 * MB, true), true);
    } finally {
      await pool.close();
    }
  });
});

test('work is posted ahead until the backlog outlasts the file the main thread would take', () => {
  // Nothing ahead: post.
  assert.equal(runsDryWithout(0, 0, 100 * MB), true);
  // Post while the bytes ahead are under the main thread's file, and under the floor, however
  // few the files: a worker holding one 16 MB file gets no second while the main thread's is as large.
  assert.equal(runsDryWithout(1, 16 * MB, 16 * MB), false);
  assert.equal(runsDryWithout(7, 50 * MB, 1), false);
  assert.equal(runsDryWithout(1, 4 * MB, 1), true);
  assert.equal(runsDryWithout(8, 4 * MB, 1), true);
  assert.equal(runsDryWithout(8, 9 * MB, 1), false);
  assert.equal(runsDryWithout(8, 9 * MB, 20 * MB), true);
  assert.equal(runsDryWithout(8, 21 * MB, 20 * MB), false);
  // A pipe counts as 1 MB; the cap on files holds whatever the bytes.
  assert.equal(runsDryWithout(8, 9 * MB, null), false);
  assert.equal(runsDryWithout(64, 0, 100 * MB), false);
  // A range of a large file: only to a worker with nothing posted, whatever the sizes.
  assert.equal(runsDryWithout(0, 0, 2 * MB, true), true);
  assert.equal(runsDryWithout(1, 2 * MB, 2 * MB, true), false);
  assert.equal(runsDryWithout(1, 1, 100 * MB, true), false);
});

test('a worker that dies leaves the risk events it held, read back by the main thread; its replacement ends with its own', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-pool-risk-'));
  try {
    const held = path.join(dir, 'held.jsonl');
    const dies = path.join(dir, 'dies.jsonl');
    await writeFile(held, [{ EventID: 4688, Computer: 'web-a' }, { EventID: 4688, Computer: 'web-b' }].map((e) => JSON.stringify(e)).join('\n') + '\n');
    await writeFile(dies, JSON.stringify({ EventID: 4688, Computer: 'web-c', EndThread: 1 }) + '\n');
    const recovered: (string | null)[] = [];
    let files = 0;
    const risk: RiskHolding = {
      add: () => assert.fail('the pool adds nothing itself'),
      printsLines: true,
      budget: new SharedArrayBuffer(4),
      limit: 1_000_000,
      newFile: () => path.join(dir, `thread-${++files}.jsonl`),
      recover: (file) => recovered.push(file),
      collect: () => undefined,
    };
    const pool = new HuntWorkerPool(initFor(FAKE_ENGINE), 1, null, risk);
    try {
      assert.equal((await huntOne(pool, held)).counter.fatal, null);
      assert.equal((await huntOne(pool, dies)).counter.fatal?.code, 'hunt.worker-failed');
      assert.deepEqual(recovered, [path.join(dir, 'thread-1.jsonl')]);
      const back: EncodedRisk[] = [];
      assert.deepEqual(await recoverRiskFile(recovered[0]!, (e) => back.push(e)), { events: 2, bad: 0 });
      assert.deepEqual(back.map((e) => e.risk_object).sort(), ['web-a', 'web-b']);
      // The replacement took a file of its own and held nothing.
      const ends = await pool.endRisk(true);
      assert.equal(ends.length, 1);
      assert.equal(ends[0]?.part.time.length, 0);
      assert.equal(await ends[0]?.lines, null);
    } finally {
      await pool.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
