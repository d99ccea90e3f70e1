/** stats / eventstats / streamstats / tstats aggregation (spl-and-rba.md §1.2, §2.2, §2.3, §8.5). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Diagnostic } from '../../src/core/diagnostics.js';
import { LocatedError } from '../../src/core/diagnostics.js';
import { parseSpl } from '../../src/spl/index.js';
import { compileSearch } from '../../src/spl/exec/compile.js';
import { DEFAULT_LIMITS, type ExecContext, type Row, type SplValue } from '../../src/spl/exec/types.js';

function row(fields: Record<string, SplValue>): Row {
  return new Map(Object.entries(fields));
}

function ctx(warnings: Diagnostic[] = []): ExecContext {
  return { now: 1_700_000_000, earliest: null, latest: null, lookup: () => undefined, limits: DEFAULT_LIMITS, warn: (d) => warnings.push(d) };
}

/** Runs `text` with the given rows as every head's rows (first head gets `rows`). */
function run(text: string, rows: Row[], heads: Row[][] = []): Row[] {
  const search = compileSearch(parseSpl(text));
  const all = [rows, ...heads];
  return search.run(search.heads.map((_, i) => all[i] ?? []), ctx());
}

const plain = (rows: Row[]): Record<string, SplValue>[] => rows.map((r) => Object.fromEntries(r));

describe('stats', () => {
  test('count, min, max by field; output sorted by the BY values', () => {
    const out = run('EventCode=1 | stats count min(_time) as firstTime max(_time) as lastTime by user', [
      row({ user: 'bob', _time: 30 }),
      row({ user: 'alice', _time: 20 }),
      row({ user: 'bob', _time: 10 }),
    ]);
    assert.deepEqual(plain(out), [
      { user: 'alice', count: 1, firstTime: 20, lastTime: 20 },
      { user: 'bob', count: 2, firstTime: 10, lastTime: 30 },
    ]);
  });

  test('a null BY field drops the row (plain stats has no fillnull)', () => {
    const out = run('x=* | stats count by dest Name', [row({ x: 1, dest: 'h1', Name: 'n' }), row({ x: 1, dest: 'h2' })]);
    assert.deepEqual(plain(out), [{ dest: 'h1', Name: 'n', count: 1 }]);
  });

  test('a multivalue BY field fans the row out to one group per value', () => {
    const out = run('x=* | stats count by tag', [row({ x: 1, tag: ['a', 'b'] }), row({ x: 1, tag: 'a' })]);
    assert.deepEqual(plain(out), [
      { tag: 'a', count: 2 },
      { tag: 'b', count: 1 },
    ]);
  });

  test('values() is distinct and sorted; list() keeps order and duplicates; dc counts distinct', () => {
    const out = run('x=* | stats values(p) as v list(p) as l dc(p) as d count(p) as c', [
      row({ x: 1, p: 'cmd.exe' }),
      row({ x: 1, p: 'b.exe' }),
      row({ x: 1, p: ['cmd.exe', 'a.exe'] }),
      row({ x: 1 }),
    ]);
    assert.deepEqual(plain(out), [{ v: ['a.exe', 'b.exe', 'cmd.exe'], l: ['cmd.exe', 'b.exe', 'cmd.exe', 'a.exe'], d: 3, c: 4 }]);
  });

  test('stats without BY over no rows gives count=0', () => {
    assert.deepEqual(plain(run('x=* | stats count dc(a) as d', [])), [{ count: 0, d: 0 }]);
  });

  test('min/max are numeric when all values are numbers, else textual', () => {
    const out = run('x=* | stats min(n) as lo max(n) as hi max(s) as ms', [row({ x: 1, n: '10', s: 'b' }), row({ x: 1, n: '9', s: '10' })]);
    assert.deepEqual(plain(out), [{ lo: 9, hi: 10, ms: 'b' }]);
  });

  test('sum, avg, stdev, range, median, perc, var, mode', () => {
    const rows = [1, 2, 3, 4, 10].map((n) => row({ x: 1, n, m: n === 10 ? 'z' : 'y' }));
    const [r] = run('x=* | stats sum(n) as s avg(n) as a stdev(n) as sd range(n) as rg median(n) as md p50(n) as p var(n) as v mode(m) as mo', rows);
    assert.equal(r!.get('s'), 20);
    assert.equal(r!.get('a'), 4);
    assert.ok(Math.abs((r!.get('sd') as number) - Math.sqrt(12.5)) < 1e-9);
    assert.equal(r!.get('v'), 12.5);
    assert.equal(r!.get('rg'), 9);
    assert.equal(r!.get('md'), 3);
    assert.equal(r!.get('p'), 3);
    assert.equal(r!.get('mo'), 'y');
  });

  test('earliest/latest pick the value on the first/last row by _time', () => {
    const out = run('x=* | stats earliest(u) as e latest(u) as l earliest_time(u) as et', [
      row({ x: 1, _time: 50, u: 'mid' }),
      row({ x: 1, _time: 10, u: 'first' }),
      row({ x: 1, _time: 90, u: 'last' }),
    ]);
    assert.deepEqual(plain(out), [{ e: 'first', l: 'last', et: 10 }]);
  });

  test('count(eval(...)) counts rows where the expression is true; quoted alias', () => {
    const out = run('x=* | stats count(eval(EventCode=4648)) as "Explicit Logons" count', [
      row({ x: 1, EventCode: '4648' }),
      row({ x: 1, EventCode: '4624' }),
      row({ x: 1, EventCode: '4648' }),
    ]);
    assert.deepEqual(plain(out), [{ 'Explicit Logons': 2, count: 3 }]);
  });

  test('default output names are fn(field)', () => {
    const out = run('x=* | stats dc(user) values(host)', [row({ x: 1, user: 'a', host: 'h' })]);
    assert.deepEqual([...out[0]!.keys()], ['dc(user)', 'values(host)']);
  });

  test('unknown aggregation function is a located error', () => {
    const text = 'x=* | stats foo(a)';
    assert.throws(
      () => compileSearch(parseSpl(text)),
      (e: unknown) => e instanceof LocatedError && e.code === 'spl.unsupported-function' && e.location.offset === text.indexOf('foo'),
    );
  });
});

describe('eventstats and streamstats', () => {
  test('eventstats keeps every row and adds its group aggregate', () => {
    const out = run('x=* | eventstats count as n by user', [row({ x: 1, user: 'a' }), row({ x: 1, user: 'b' }), row({ x: 1, user: 'a' }), row({ x: 1 })]);
    assert.deepEqual(
      out.map((r) => r.get('n')),
      [2, 1, 2, undefined],
    );
  });

  test('streamstats gives running counts per group', () => {
    const out = run('x=* | streamstats count as n by user', [row({ x: 1, user: 'a' }), row({ x: 1, user: 'b' }), row({ x: 1, user: 'a' })]);
    assert.deepEqual(
      out.map((r) => r.get('n')),
      [1, 1, 2],
    );
  });

  test('streamstats current=f window=2', () => {
    const out = run('x=* | streamstats current=f window=2 sum(v) as s', [1, 2, 3, 4].map((v) => row({ x: 1, v })));
    assert.deepEqual(
      out.map((r) => r.get('s')),
      [undefined, 1, 3, 5],
    );
  });
});

describe('tstats', () => {
  const dm = (fields: Record<string, SplValue>): Row => row(fields);

  test('a head over the data model with the WHERE clause; fillnull_value=null keeps null BY fields as "null"', () => {
    const search = compileSearch(
      parseSpl('| tstats summariesonly=false allow_old_summaries=true fillnull_value=null count from datamodel=Endpoint.Processes where Processes.process_name=cmd.exe by Processes.dest Processes.process_guid'),
    );
    assert.deepEqual(search.datasets, ['Endpoint.Processes']);
    assert.equal(search.heads.length, 1);
    assert.deepEqual(search.heads[0]!.source, { kind: 'datamodel', model: 'Endpoint', dataset: 'Processes' });
    const rows = [dm({ 'Processes.process_name': 'CMD.EXE', 'Processes.dest': 'h1' }), dm({ 'Processes.process_name': 'powershell.exe', 'Processes.dest': 'h1' })];
    const kept = rows.filter((r) => search.heads[0]!.test(r, ctx()));
    assert.equal(kept.length, 1);
    assert.deepEqual(plain(search.run([kept], ctx())), [{ 'Processes.dest': 'h1', 'Processes.process_guid': 'null', count: 1 }]);
  });

  test('without fillnull_value, rows with a null BY field are dropped', () => {
    const out = run('| tstats count from datamodel=Endpoint.Processes by Processes.dest Processes.process_guid', [
      dm({ 'Processes.dest': 'h1' }),
      dm({ 'Processes.dest': 'h1', 'Processes.process_guid': 'g' }),
    ]);
    assert.deepEqual(plain(out), [{ 'Processes.dest': 'h1', 'Processes.process_guid': 'g', count: 1 }]);
  });

  test('BY _time span=1h floors _time', () => {
    const out = run('| tstats count from datamodel=Endpoint.Processes by _time span=1h', [dm({ _time: 7200 + 59 }), dm({ _time: 7200 + 3599 }), dm({ _time: 10800 })]);
    assert.deepEqual(plain(out), [
      { _time: 7200, count: 2 },
      { _time: 10800, count: 1 },
    ]);
  });

  test('prestats=true is reported as unsupported; eval in tstats aggregations is refused', () => {
    assert.throws(() => compileSearch(parseSpl('| tstats prestats=true count from datamodel=Endpoint.Processes')), (e: unknown) => e instanceof LocatedError && e.code === 'spl.unsupported-option');
    assert.throws(() => compileSearch(parseSpl('| tstats count(eval(x=1)) from datamodel=Endpoint.Processes')), (e: unknown) => e instanceof LocatedError && e.code === 'spl.unsupported-function');
  });
});
