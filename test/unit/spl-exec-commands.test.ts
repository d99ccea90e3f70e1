/** One golden test per command pitfall (spl-and-rba.md §2.4-§2.9, §3, §8). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Diagnostic } from '../../src/core/diagnostics.js';
import { LocatedError } from '../../src/core/diagnostics.js';
import type { Lookup } from '../../src/content/model.js';
import { parseSpl } from '../../src/spl/index.js';
import { compileSearch } from '../../src/spl/exec/compile.js';
import { DEFAULT_LIMITS, type ExecContext, type ExecLimits, type Row, type SplValue } from '../../src/spl/exec/types.js';

function row(fields: Record<string, SplValue>): Row {
  return new Map(Object.entries(fields));
}

const plain = (rows: Row[]): Record<string, SplValue>[] => rows.map((r) => Object.fromEntries(r));

function lookupOf(name: string, fields: string[], rows: string[][], extra: Partial<Lookup> = {}): Lookup {
  return {
    kind: 'lookup',
    name,
    description: null,
    lookupType: 'csv',
    filename: `${name}.csv`,
    path: null,
    defaultMatch: null,
    matchType: [],
    minMatches: null,
    maxMatches: null,
    caseSensitiveMatch: null,
    fieldsList: [],
    filter: null,
    collection: null,
    table: { fields, rows, truncated: false },
    origin: { file: `${name}.yml`, pos: { line: 1, column: 1 } } as Lookup['origin'],
    ...extra,
  };
}

interface RunOptions {
  readonly lookups?: Lookup[];
  readonly warnings?: Diagnostic[];
  readonly limits?: Partial<ExecLimits>;
}

/** Runs `text`; head i gets heads[i]. The pipeline text's first search keeps whatever it is given. */
function runHeads(text: string, heads: Row[][], options: RunOptions = {}): Row[] {
  const search = compileSearch(parseSpl(text));
  const lookups = new Map((options.lookups ?? []).map((l) => [l.name, l]));
  const ctx: ExecContext = {
    now: 1_700_000_000,
    earliest: null,
    latest: null,
    lookup: (name) => lookups.get(name),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    warn: (d) => options.warnings?.push(d),
  };
  return search.run(search.heads.map((_, i) => heads[i] ?? []), ctx);
}

const run = (text: string, rows: Row[], options: RunOptions = {}): Row[] => runHeads(text, [rows], options);

function assertLocated(text: string, code: string, at: string, message?: RegExp): void {
  assert.throws(
    () => compileSearch(parseSpl(text)),
    (e: unknown) => {
      assert.ok(e instanceof LocatedError, `expected LocatedError, got ${String(e)}`);
      assert.equal(e.code, code);
      assert.equal(e.location.offset, text.indexOf(at));
      if (message !== undefined) assert.match(e.message, message);
      return true;
    },
  );
}

describe('rename', () => {
  test('renaming a missing field clears an existing target', () => {
    const out = run('x=* | rename Computer as dest', [row({ x: 1, dest: 'old' }), row({ x: 1, Computer: 'c1', dest: 'old' })]);
    assert.deepEqual(plain(out), [{ x: 1 }, { x: 1, dest: 'c1' }]);
  });

  test('rename Processes.* AS * strips the prefix and overwrites existing fields', () => {
    const out = run('x=* | rename Processes.* AS *', [row({ x: 1, 'Processes.dest': 'h', 'Processes.user': 'u', dest: 'other', count: 2 })]);
    assert.deepEqual(plain(out), [{ x: 1, dest: 'h', user: 'u', count: 2 }]);
  });

  test('quoted dataset argument form "Processes".* works the same; renames apply left to right', () => {
    const out = run('x=* | rename "Processes".* as * | rename a as b, b as c', [row({ x: 1, 'Processes.a': 'v' })]);
    assert.deepEqual(plain(out), [{ x: 1, c: 'v' }]);
  });
});

describe('table, fields, fillnull', () => {
  test('table keeps listed fields in list order, wildcards in row order', () => {
    const out = run('x=* | table b a* _time', [row({ x: 1, a2: 2, b: 'B', a1: 1, _time: 5, z: 0 })]);
    assert.deepEqual([...out[0]!.entries()], [['b', 'B'], ['a2', 2], ['a1', 1], ['_time', 5]]);
  });

  test('fields - removes, fields + keeps listed plus internal fields', () => {
    assert.deepEqual(plain(run('x=* | fields - x, y*', [row({ x: 1, y1: 1, z: 2 })])), [{ z: 2 }]);
    assert.deepEqual(plain(run('x=* | fields z', [row({ x: 1, z: 2, _time: 3 })])), [{ z: 2, _time: 3 }]);
  });

  test('fillnull fills listed fields, or every field of the result set, default 0', () => {
    assert.deepEqual(plain(run('x=* | fillnull value=NULL a b', [row({ x: 1, a: 'v' })])), [{ x: 1, a: 'v', b: 'NULL' }]);
    assert.deepEqual(plain(run('x=* | fillnull', [row({ x: 1, a: 'v' }), row({ x: 1, b: 'w' })])), [
      { x: 1, a: 'v', b: 0 },
      { x: 1, b: 'w', a: 0 },
    ]);
  });
});

describe('eval and where', () => {
  test('assignments run left to right and a null result removes the field', () => {
    const out = run('x=* | eval a=1, b=a+1, x=null()', [row({ x: 'gone' })]);
    assert.deepEqual(plain(out), [{ a: 1, b: 2 }]);
  });

  test('where is case-sensitive and drops NULL', () => {
    const out = run('x=* | where user="Admin"', [row({ x: 1, user: 'Admin' }), row({ x: 2, user: 'admin' }), row({ x: 3 })]);
    assert.deepEqual(
      out.map((r) => r.get('x')),
      [1],
    );
  });
});

describe('convert', () => {
  test('ctime renders in UTC with the ESCU timeformat; non-numeric values stay', () => {
    const out = run('x=* | convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime) ctime(lastTime)', [row({ x: 1, firstTime: 1_700_000_000, lastTime: 'n/a' })]);
    assert.deepEqual(plain(out), [{ x: 1, firstTime: '2023-11-14T22:13:20', lastTime: 'n/a' }]);
  });

  test('default timeformat, AS alias keeps the source', () => {
    const out = run('x=* | convert ctime(t) AS shown', [row({ x: 1, t: '86400' })]);
    assert.deepEqual(plain(out), [{ x: 1, t: '86400', shown: '01/02/1970 00:00:00' }]);
  });

  test('dur2sec, rmunit, num, memk', () => {
    const out = run('x=* | convert dur2sec(d) rmunit(u) num(n) memk(m)', [row({ x: 1, d: '1+01:00:05', u: '12.5ms', n: 'abc', m: '2m' })]);
    assert.deepEqual(plain(out), [{ x: 1, d: 90005, u: 12.5, m: 2048 }]);
  });
});

describe('lookup', () => {
  const systemFiles = lookupOf('is_windows_system_file', ['filename', 'systemFile'], [['cmd.exe', 'true'], ['svchost.exe', 'true']], {
    caseSensitiveMatch: false,
    minMatches: 1,
    defaultMatch: 'false',
  });

  test('OUTPUT overwrites; default_match fills a non-match; case-insensitive', () => {
    const out = run('x=* | lookup is_windows_system_file filename as process_name OUTPUT systemFile', [
      row({ x: 1, process_name: 'CMD.EXE', systemFile: 'old' }),
      row({ x: 2, process_name: 'evil.exe' }),
    ], { lookups: [systemFiles] });
    assert.deepEqual(
      out.map((r) => r.get('systemFile')),
      ['true', 'false'],
    );
  });

  test('OUTPUTNEW only fills missing fields; OUTPUT clears a non-matching row output', () => {
    const table = lookupOf('t', ['k', 'v'], [['a', 'fromLookup']]);
    const outNew = run('x=* | lookup t k OUTPUTNEW v', [row({ x: 1, k: 'a', v: 'mine' }), row({ x: 2, k: 'a' })], { lookups: [table] });
    assert.deepEqual(
      outNew.map((r) => r.get('v')),
      ['mine', 'fromLookup'],
    );
    const out = run('x=* | lookup t k OUTPUT v AS w', [row({ x: 1, k: 'a', w: 'mine' }), row({ x: 2, k: 'b', w: 'mine' })], { lookups: [table] });
    assert.deepEqual(
      out.map((r) => r.get('w')),
      ['fromLookup', undefined],
    );
  });

  test('WILDCARD match type; several matches give a multivalue in file order; no output clause = all other columns', () => {
    const table = lookupOf('paths', ['path', 'tag', 'sev'], [['*\\temp\\*', 'temp', '2'], ['c:\\users\\*', 'user', '1']], { matchType: ['WILDCARD(path)'], caseSensitiveMatch: false });
    const out = run('x=* | lookup paths path AS p', [row({ x: 1, p: 'C:\\Users\\bob\\Temp\\a.exe' })], { lookups: [table] });
    assert.deepEqual(plain(out), [{ x: 1, p: 'C:\\Users\\bob\\Temp\\a.exe', tag: ['temp', 'user'], sev: ['2', '1'] }]);
  });

  test('a multivalue input is looked up value by value', () => {
    const table = lookupOf('t', ['k', 'v'], [['a', '1'], ['b', '2']]);
    const out = run('x=* | lookup t k OUTPUT v', [row({ x: 1, k: ['b', 'zz', 'a'] })], { lookups: [table] });
    assert.deepEqual(out[0]!.get('v'), ['2', '1']);
  });

  test('an unknown lookup warns once and rows pass unchanged', () => {
    const warnings: Diagnostic[] = [];
    const out = run('x=* | lookup nope k OUTPUT v', [row({ x: 1, k: 'a' }), row({ x: 2, k: 'b' })], { warnings });
    assert.deepEqual(plain(out), [{ x: 1, k: 'a' }, { x: 2, k: 'b' }]);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.code, 'spl.unknown-lookup');
  });

  test('inputlookup with WHERE (search semantics) as a generating command', () => {
    const table = lookupOf('t', ['k', 'v'], [['alpha', '1'], ['beta', '']]);
    const out = run('| inputlookup t where k=ALPHA OR v=2', [], { lookups: [table] });
    assert.deepEqual(plain(out), [{ k: 'alpha', v: '1' }]);
  });
});

describe('rex, regex', () => {
  test('rex named groups; max_match=0 gives multivalue; no match leaves fields alone', () => {
    const out = run('x=* | rex field=cmd "-(?<flag>\\w+)" max_match=0', [row({ x: 1, cmd: 'a.exe -enc -nop -w' }), row({ x: 2, cmd: 'none', flag: 'kept' })]);
    assert.deepEqual(
      out.map((r) => r.get('flag')),
      [['enc', 'nop', 'w'], 'kept'],
    );
  });

  test('rex default max_match=1, Python-style group names, default field _raw', () => {
    const out = run('x=* | rex "user=(?P<u>\\w+)"', [row({ x: 1, _raw: 'user=alice user=bob' })]);
    assert.equal(out[0]!.get('u'), 'alice');
  });

  test('rex mode=sed s///g with backreference and y///', () => {
    const out = run('x=* | rex mode=sed field=a "s/(\\d+)/<\\1>/g" | rex mode=sed field=b "y/abc/xyz/"', [row({ x: 1, a: 'a1b22', b: 'aabbcc' })]);
    assert.deepEqual([out[0]!.get('a'), out[0]!.get('b')], ['a<1>b<22>', 'xxyyzz']);
  });

  test('regex field= keeps matches; != drops them', () => {
    const rows = () => [row({ x: 1, p: 'cmd.exe' }), row({ x: 2, p: 'calc.exe' })];
    assert.deepEqual(
      run('x=* | regex p="^c.d"', rows()).map((r) => r.get('x')),
      [1],
    );
    assert.deepEqual(
      run('x=* | regex p!="^c.d"', rows()).map((r) => r.get('x')),
      [2],
    );
  });
});

describe('bin, dedup, sort, head, tail, mvexpand, makemv, spath', () => {
  test('bin span=5m floors _time; bucket AS alias', () => {
    const out = run('x=* | bin _time span=5m | bucket t span=1h AS hour', [row({ x: 1, _time: 1_700_000_123, t: 3_700 })]);
    assert.deepEqual(plain(out), [{ x: 1, _time: 1_700_000_100, t: 3_700, hour: 3_600 }]);
  });

  test('dedup keeps the first row per key and drops rows missing a field', () => {
    const out = run('x=* | dedup user', [row({ x: 1, user: 'a' }), row({ x: 2, user: 'b' }), row({ x: 3, user: 'a' }), row({ x: 4 })]);
    assert.deepEqual(
      out.map((r) => r.get('x')),
      [1, 2],
    );
    const empty = run('x=* | dedup 2 user keepempty=true', [row({ x: 1, user: 'a' }), row({ x: 2, user: 'a' }), row({ x: 3, user: 'a' }), row({ x: 4 })]);
    assert.deepEqual(
      empty.map((r) => r.get('x')),
      [1, 2, 4],
    );
  });

  test('sort: numeric before text, descending, limit', () => {
    const rows = () => [row({ x: 1, n: '10' }), row({ x: 2, n: '9' }), row({ x: 3, n: 'b' }), row({ x: 4 })];
    assert.deepEqual(
      run('x=* | sort n', rows()).map((r) => r.get('x')),
      [2, 1, 3, 4],
    );
    assert.deepEqual(
      run('x=* | sort 2 - n', rows()).map((r) => r.get('x')),
      [3, 1],
    );
  });

  test('head and tail', () => {
    const rows = () => [1, 2, 3, 4].map((x) => row({ x }));
    assert.deepEqual(
      run('x=* | head 2', rows()).map((r) => r.get('x')),
      [1, 2],
    );
    assert.deepEqual(
      run('x=* | tail 2', rows()).map((r) => r.get('x')),
      [4, 3],
    );
  });

  test('mvexpand copies the row per value; makemv splits', () => {
    const out = run('x=* | makemv delim="," v | mvexpand v', [row({ x: 1, v: 'a,b,c' })]);
    assert.deepEqual(plain(out), [
      { x: 1, v: 'a' },
      { x: 1, v: 'b' },
      { x: 1, v: 'c' },
    ]);
    out[0]!.set('x', 99);
    assert.equal(out[1]!.get('x'), 1);
  });

  test('spath on JSON: path with {} and auto-extraction', () => {
    const json = JSON.stringify({ a: { b: [{ c: 1 }, { c: 2 }] }, d: 'x' });
    const out = run('x=* | spath input=j path=a.b{}.c output=cs', [row({ x: 1, j: json })]);
    assert.deepEqual(out[0]!.get('cs'), [1, 2]);
    const auto = run('x=* | spath input=j', [row({ x: 1, j: json })]);
    assert.deepEqual(auto[0]!.get('a.b{}.c'), [1, 2]);
    assert.equal(auto[0]!.get('d'), 'x');
  });

  test('spath on XML: elements and attributes', () => {
    const xml = '<Event><System><EventID Qualifiers="0">4688</EventID></System></Event>';
    const out = run('x=* | spath input=m path=Event.System.EventID output=id | spath input=m path=Event.System.EventID{@Qualifiers} output=q', [row({ x: 1, m: xml })]);
    assert.deepEqual([out[0]!.get('id'), out[0]!.get('q')], ['4688', '0']);
  });
});

describe('join, append, subsearch, foreach', () => {
  test('join keeps only the first subsearch match by default (max=1); inner drops unmatched', () => {
    const out = runHeads('x=* | join process_guid [search y=* | fields process_guid parent]', [
      [row({ x: 1, process_guid: 'g1' }), row({ x: 2, process_guid: 'g2' })],
      [row({ y: 1, process_guid: 'g1', parent: 'p1' }), row({ y: 1, process_guid: 'g1', parent: 'p2' })],
    ]);
    assert.deepEqual(plain(out), [{ x: 1, process_guid: 'g1', parent: 'p1' }]);
  });

  test('join type=left max=0 keeps unmatched rows and joins every match', () => {
    const out = runHeads('x=* | join type=left max=0 k [search y=*]', [
      [row({ x: 1, k: 'a' }), row({ x: 2, k: 'b' })],
      [row({ y: 1, k: 'a', v: 1 }), row({ y: 2, k: 'a', v: 2 })],
    ]);
    assert.deepEqual(
      out.map((r) => [r.get('x'), r.get('v')]),
      [
        [1, 1],
        [1, 2],
        [2, undefined],
      ],
    );
  });

  test('append adds the subsearch rows', () => {
    const out = runHeads('x=* | append [search y=*]', [[row({ x: 1 })], [row({ y: 2 })]]);
    assert.deepEqual(plain(out), [{ x: 1 }, { y: 2 }]);
  });

  test('a subsearch in a search becomes (f=v AND ...) OR ...; the head keeps a superset while streaming', () => {
    const search = compileSearch(parseSpl('EventCode=1 [search EventCode=2 | fields user] | stats count by user'));
    assert.equal(search.heads.length, 2);
    // The subsearch's head is registered first: it is compiled while the outer expression is.
    const outerHead = search.heads[1]!;
    const ctx: ExecContext = { now: 0, earliest: null, latest: null, lookup: () => undefined, limits: DEFAULT_LIMITS, warn: () => undefined };
    const events = [row({ EventCode: '1', user: 'alice' }), row({ EventCode: '1', user: 'bob' }), row({ EventCode: '1', user: 'ALICE' })];
    assert.ok(events.every((e) => outerHead.test(e, ctx)));
    const out = search.run([[row({ EventCode: '2', user: 'alice', other: 'x' })], events], ctx);
    assert.deepEqual(plain(out), [
      { user: 'ALICE', count: 1 },
      { user: 'alice', count: 1 },
    ]);
  });

  test('NOT [subsearch] with no subsearch rows keeps everything', () => {
    const out = runHeads('x=* NOT [search y=* | fields user]', [[], [row({ x: 1, user: 'a' })]]);
    assert.deepEqual(plain(out), [{ x: 1, user: 'a' }]);
  });

  test('foreach instantiates the template per matching field', () => {
    const out = run('x=* | foreach count_* [eval <<FIELD>> = <<FIELD>> * 2, total_<<MATCHSTR>> = 1]', [row({ x: 1, count_a: 2, count_b: 5 })]);
    assert.deepEqual(plain(out), [{ x: 1, count_a: 4, count_b: 10, total_a: 1, total_b: 1 }]);
  });
});

describe('xmlkv, from, tstats nodename', () => {
  test('xmlkv extracts tag/value pairs of a field; repeated tags become multivalue', () => {
    const out = run('x=* | xmlkv UserData_Xml', [row({ x: 1, UserData_Xml: '<Op><Path>a&amp;b</Path><Item>1</Item><Item>2</Item></Op>' })]);
    assert.deepEqual([out[0]!.get('Path'), out[0]!.get('Item')], ['a&amp;b', ['1', '2']]);
  });

  test('from datamodel in its three spellings; tstats WHERE nodename= is dropped', () => {
    for (const text of ['| from datamodel:Endpoint.Processes', '| from datamodel Endpoint.Processes', '| from datamodel:"Endpoint.Processes"']) {
      assert.deepEqual(compileSearch(parseSpl(text)).heads[0]!.source, { kind: 'datamodel', model: 'Endpoint', dataset: 'Processes' }, text);
    }
    const search = compileSearch(parseSpl('| tstats count from datamodel=Endpoint.Processes where nodename=Processes Processes.user=bob'));
    const ctx = { now: 0, earliest: null, latest: null, lookup: () => undefined, limits: DEFAULT_LIMITS, warn: () => undefined };
    assert.equal(search.heads[0]!.test(row({ 'Processes.user': 'BOB' }), ctx), true);
    assert.equal(search.heads[0]!.test(row({ 'Processes.user': 'amy' }), ctx), false);
  });
});

describe('errors and limits', () => {
  test('an unsupported command is located and named', () => {
    assertLocated('EventCode=1 | transaction user maxspan=5m', 'spl.unsupported-command', 'transaction', /'transaction'/);
  });

  test('an unexpanded macro command is an error at the macro', () => {
    assertLocated('EventCode=1 | `drop_dm_object_name(Processes)`', 'spl.unexpanded-macro', '`drop');
  });

  test('an unknown option is refused', () => {
    assertLocated('x=* | mvexpand v foo=1', 'spl.unsupported-option', 'foo');
  });

  test('maxRows caps a command output with one warning', () => {
    const warnings: Diagnostic[] = [];
    const out = run('x=* | mvexpand v', [row({ x: 1, v: ['a', 'b', 'c', 'd'] })], { warnings, limits: { maxRows: 2 } });
    assert.equal(out.length, 2);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.code, 'spl.rows-capped');
  });

  test('maxSubsearchRows caps a subsearch', () => {
    const warnings: Diagnostic[] = [];
    const out = runHeads('x=* | append [search y=*]', [[], [row({ y: 1 }), row({ y: 2 }), row({ y: 3 })]], { warnings, limits: { maxSubsearchRows: 2 } });
    assert.equal(out.length, 2);
    assert.equal(warnings[0]!.code, 'spl.subsearch-capped');
  });
});
