/** Search-command semantics over rows (spl-and-rba.md §2.1, §8 items 1-6): one test per pitfall. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LocatedError } from '../../src/core/diagnostics.js';
import type { SearchExpr } from '../../src/spl/ast.js';
import { compileEvalExpr } from '../../src/spl/exec/eval.js';
import { compileSearchExpr, requiredEventCodes, searchExprFields } from '../../src/spl/exec/search-match.js';
import { DEFAULT_LIMITS, type ExecContext, type Row, type SplValue } from '../../src/spl/exec/types.js';
import { parseSpl } from '../../src/spl/index.js';

const NOW = Date.UTC(2024, 4, 15, 12, 30, 0) / 1000;
const ctx: ExecContext = { now: NOW, earliest: null, latest: null, lookup: () => undefined, limits: DEFAULT_LIMITS, warn: () => {} };

function exprOf(spl: string): SearchExpr {
  const command = parseSpl(spl).commands[0];
  assert.ok(command?.kind === 'search' && command.expr !== null, `not a search: ${spl}`);
  return command.expr;
}

const row = (fields: Record<string, SplValue>): Row => new Map(Object.entries(fields));

/** Whether `search <spl>` keeps the row. */
function keeps(spl: string, fields: Record<string, SplValue>): boolean {
  return compileSearchExpr(exprOf(spl))(row(fields), ctx);
}

/** Whether `| where <expr>` keeps the row. */
function whereKeeps(expr: string, fields: Record<string, SplValue>): boolean {
  const command = parseSpl(`| where ${expr}`).commands[0];
  assert.ok(command?.kind === 'where');
  return compileEvalExpr(command.expr)(row(fields), ctx) === true;
}

describe('spl exec search: boolean structure', () => {
  test('precedence: OR binds tighter than implicit AND in search (a=1 b=2 OR c=3)', () => {
    assert.equal(keeps('a=1 b=2 OR c=3', { a: '1', c: '3' }), true);
    // Without a, the whole expression is false: it is a=1 AND (b=2 OR c=3), not (a=1 AND b=2) OR c=3.
    assert.equal(keeps('a=1 b=2 OR c=3', { c: '3' }), false);
    // where has the opposite precedence: (a=1 AND b=2) OR c=3.
    assert.equal(whereKeeps('a=1 AND b=2 OR c=3', { c: '3' }), true);
  });

  test('NOT applies to the next term only, and groups override precedence', () => {
    assert.equal(keeps('NOT a=1 b=2', { a: '2', b: '2' }), true);
    assert.equal(keeps('NOT a=1 b=2', { a: '1', b: '2' }), false);
    assert.equal(keeps('NOT (a=1 OR b=2)', { a: '3', b: '2' }), false);
    assert.equal(keeps('(a=1 b=2) OR c=3', { c: '3' }), true);
  });

  test('a bare * matches every row', () => {
    assert.equal(keeps('*', {}), true);
  });
});

describe('spl exec search: missing fields, != and NOT', () => {
  test('NOT f=v matches rows without f', () => {
    assert.equal(keeps('NOT user=admin', {}), true);
    assert.equal(keeps('NOT user=admin', { user: 'ADMIN' }), false);
  });

  test('f!=v requires f to exist (unlike NOT f=v)', () => {
    assert.equal(keeps('user!=admin', {}), false);
    assert.equal(keeps('user!=admin', { user: 'bob' }), true);
    assert.equal(keeps('user!=admin', { user: 'Admin' }), false);
  });

  test('f!=* matches nothing, NOT f=* matches rows without f, f=* means f exists', () => {
    assert.equal(keeps('user!=*', { user: 'bob' }), false);
    assert.equal(keeps('user!=*', {}), false);
    assert.equal(keeps('NOT user=*', {}), true);
    assert.equal(keeps('NOT user=*', { user: 'bob' }), false);
    assert.equal(keeps('user=*', { user: '' }), true);
    assert.equal(keeps('user=*', {}), false);
  });
});

describe('spl exec search: case and wildcards', () => {
  test('values are case-insensitive in search but case-sensitive in where; field names always case-sensitive', () => {
    assert.equal(keeps('process_name=CMD.EXE', { process_name: 'cmd.exe' }), true);
    assert.equal(keeps('Process_Name=cmd.exe', { process_name: 'cmd.exe' }), false);
    assert.equal(whereKeeps('process_name="CMD.EXE"', { process_name: 'cmd.exe' }), false);
    assert.equal(whereKeeps('process_name="cmd.exe"', { process_name: 'cmd.exe' }), true);
  });

  test('wildcards are anchored: cmd* is a prefix, *whoami* is contains, cmd is the whole value', () => {
    assert.equal(keeps('process_name=cmd*', { process_name: 'CMD.exe' }), true);
    assert.equal(keeps('process_name=cmd*', { process_name: 'xcmd.exe' }), false);
    assert.equal(keeps('process=*whoami*', { process: 'c:\\x\\WHOAMI.exe /all' }), true);
    assert.equal(keeps('process_name=cmd', { process_name: 'cmd.exe' }), false);
    assert.equal(keeps('process=*.exe', { process: 'a.exe b' }), false);
  });

  test('* cannot be escaped: a backslash before * stays a literal backslash', () => {
    // `"a\*"` keeps the unknown escape: the pattern is `a\` followed by a wildcard.
    assert.equal(keeps('f="a\\*"', { f: 'a\\bc' }), true);
    assert.equal(keeps('f="a\\*"', { f: 'a*' }), false);
  });

  test('escaped backslashes: "*\\\\AppData\\\\*" matches a path with single backslashes', () => {
    assert.equal(keeps('Image="*\\\\AppData\\\\Local\\\\*"', { Image: 'C:\\Users\\bob\\AppData\\Local\\Temp\\x.exe' }), true);
    assert.equal(keeps('Image="*\\\\AppData\\\\Local\\\\*"', { Image: 'C:\\Users\\bob\\AppDataLocal\\x.exe' }), false);
  });

  test('IN (...) in search takes wildcards; in() in where does not', () => {
    assert.equal(keeps('f IN (cmd*, "c d", x)', { f: 'CMD.exe' }), true);
    assert.equal(keeps('f IN (cmd*, "c d", x)', { f: 'C D' }), true);
    assert.equal(keeps('f IN (cmd*, "c d", x)', { f: 'y' }), false);
    assert.equal(keeps('NOT f IN (cmd*, x)', {}), true);
    assert.equal(whereKeeps('in(f, "cmd*")', { f: 'cmd.exe' }), false);
    assert.equal(whereKeeps('in(f, "cmd*")', { f: 'cmd*' }), true);
  });

  test('TERM() matches its text and CASE() makes the match case-sensitive', () => {
    assert.equal(keeps('user=CASE(Admin)', { user: 'Admin' }), true);
    assert.equal(keeps('user=CASE(Admin)', { user: 'admin' }), false);
    assert.equal(keeps('TERM(10.0.0.1)', { _raw: 'src=10.0.0.1 dst=x' }), true);
  });
});

describe('spl exec search: values', () => {
  test('multivalue fields match when any value matches (and NOT excludes them)', () => {
    const fields = { tag: ['process', 'report'] };
    assert.equal(keeps('tag=report', fields), true);
    assert.equal(keeps('tag=rep*', fields), true);
    assert.equal(keeps('NOT tag=report', fields), false);
    assert.equal(keeps('tag IN (x, proc*)', fields), true);
    assert.equal(keeps('tag!=report', fields), false);
  });

  test('= compares text: "1" does not match "1.0", except a number-typed row value', () => {
    assert.equal(keeps('x=1', { x: '1.0' }), false);
    assert.equal(keeps('x=1.0', { x: '1' }), false);
    assert.equal(keeps('x=1', { x: '1' }), true);
    assert.equal(keeps('x=1', { x: 1 }), true);
    assert.equal(keeps('count=3', { count: 3.0 }), true);
  });

  test('< > compare numerically when both are numbers, else lexicographically', () => {
    assert.equal(keeps('count>9', { count: '10' }), true);
    assert.equal(keeps('count>9', { count: 10 }), true);
    assert.equal(keeps('name>b', { name: 'c' }), true);
    assert.equal(keeps('name>b', { name: 'a' }), false);
    // "10" vs "9x": not both numeric, so text order ("1" < "9").
    assert.equal(keeps('v<9x', { v: '10' }), true);
    assert.equal(keeps('count<=3', {}), false);
  });

  test('CIDR values match IP addresses (IPv4 and IPv6)', () => {
    assert.equal(keeps('ip=10.0.0.0/8', { ip: '10.20.30.40' }), true);
    assert.equal(keeps('ip=10.0.0.0/8', { ip: '11.0.0.1' }), false);
    assert.equal(keeps('ip="192.168.1.0/24"', { ip: ['8.8.8.8', '192.168.1.77'] }), true);
    assert.equal(keeps('ip=2001:db8::/32', { ip: '2001:db8:1::5' }), true);
    assert.equal(keeps('ip=2001:db8::/32', { ip: '2001:db9::5' }), false);
    assert.equal(keeps('NOT ip=10.0.0.0/8', { ip: 'not-an-ip' }), true);
  });

  test('bare terms and quoted phrases are case-insensitive substrings of _raw', () => {
    const raw = { _raw: '<Data>The Print Spooler failed to load a plug-in module</Data>' };
    assert.equal(keeps('"print spooler failed"', raw), true);
    assert.equal(keeps('DrsReplicaAdd', raw), false);
    assert.equal(keeps('spool*module', raw), true);
    // Without _raw (after stats), any field value may hold the term.
    assert.equal(keeps('bob', { user: 'BOB', count: 3 }), true);
  });

  test('index=... is always true (Vigil has no indexes)', () => {
    assert.equal(keeps('index=windows EventCode=1', { EventCode: '1' }), true);
    assert.equal(keeps('index=windows EventCode=1', { EventCode: '2' }), false);
    assert.equal(keeps('NOT index=main', {}), true);
  });

  test('inline earliest= / latest= compare _time with the modifier at now()', () => {
    const hourAgo = NOW - 3600;
    assert.equal(keeps('earliest=-2h', { _time: hourAgo }), true);
    assert.equal(keeps('earliest=-30m', { _time: hourAgo }), false);
    assert.equal(keeps('earliest=-2h latest=-90m', { _time: hourAgo }), false);
    assert.equal(keeps('latest=now', { _time: NOW }), false); // latest is exclusive
    assert.equal(keeps('earliest=0', {}), false);
    assert.throws(() => compileSearchExpr(exprOf('earliest=-3x')), (e: unknown) => e instanceof LocatedError && e.code === 'spl.bad-time-modifier');
  });
});

describe('spl exec search: subsearches, macros and routing hints', () => {
  test('a subsearch term is an error unless a hook compiles it', () => {
    const expr = exprOf('a=1 [search b=2 | fields c]');
    assert.throws(() => compileSearchExpr(expr), (e: unknown) => e instanceof LocatedError && e.code === 'spl.subsearch-in-search');
    let seen = 0;
    const predicate = compileSearchExpr(expr, {
      subsearch: (pipeline) => {
        seen = pipeline.commands.length;
        return (r) => r.get('c') === 'x';
      },
    });
    assert.equal(seen, 2);
    assert.equal(predicate(row({ a: '1', c: 'x' }), ctx), true);
    assert.equal(predicate(row({ a: '1', c: 'y' }), ctx), false);
  });

  test('an unexpanded macro is a located error', () => {
    assert.throws(() => compileSearchExpr(exprOf('a=1 `sysmon`')), (e: unknown) => e instanceof LocatedError && e.code === 'spl.unexpanded-macro' && e.location.offset === 4);
  });

  test('requiredEventCodes: literal codes under AND, union under OR, null otherwise', () => {
    const codes = (spl: string) => requiredEventCodes(exprOf(spl))?.sort() ?? null;
    assert.deepEqual(codes('EventCode=4104 ScriptBlockText=*'), ['4104']);
    assert.deepEqual(codes('source=x (EventCode IN (1, 4688))'), ['1', '4688']);
    assert.deepEqual(codes('EventCode=1 OR EventCode="4688"'), ['1', '4688']);
    assert.deepEqual(codes('EventCode IN (1, 4688) EventCode=1'), ['1']);
    assert.equal(codes('EventCode=1 OR user=bob'), null);
    assert.equal(codes('NOT EventCode=1'), null);
    assert.equal(codes('EventCode=46*'), null);
    assert.equal(codes('EventCode!=1'), null);
  });

  test('searchExprFields lists the fields read, _raw for bare terms, nothing for index', () => {
    assert.deepEqual(searchExprFields(exprOf('index=x EventCode=1 NOT (user IN (a, b) OR "phrase")')).sort(), ['EventCode', '_raw', 'user']);
    assert.deepEqual(searchExprFields(exprOf('earliest=-1h x=1')).sort(), ['_time', 'x']);
  });
});
