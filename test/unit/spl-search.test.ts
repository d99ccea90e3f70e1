/** Search-syntax parsing (spl-and-rba.md §2.1, §8.1): precedence, values, wildcards, IN, quoting. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  and,
  andExplicit,
  cmp,
  group,
  inList,
  macro,
  not,
  num,
  or,
  parse,
  searchOf,
  str,
  term,
  wild,
} from './spl-test-helpers.js';

describe('spl search: boolean structure and precedence', () => {
  test('juxtaposed terms are an implicit AND', () => {
    assert.deepEqual(searchOf('web error'), and(term(str('web')), term(str('error'))));
  });

  test('OR binds tighter than implicit AND: a=1 b=2 OR c=3 is a=1 AND (b=2 OR c=3)', () => {
    assert.deepEqual(searchOf('a=1 b=2 OR c=3'), and(cmp('a', '=', num('1')), or(cmp('b', '=', num('2')), cmp('c', '=', num('3')))));
  });

  test('OR binds tighter than explicit AND too', () => {
    assert.deepEqual(
      searchOf('x=1 OR y=2 AND z=3'),
      andExplicit([true], or(cmp('x', '=', num('1')), cmp('y', '=', num('2'))), cmp('z', '=', num('3'))),
    );
  });

  test('an unparenthesised source-macro expansion followed by EventCode groups as (… OR …) AND EventCode', () => {
    const expr = searchOf('sourcetype=sysmon OR source=XmlWinEventLog:Sysmon EventCode=1');
    assert.deepEqual(expr, and(or(cmp('sourcetype', '=', str('sysmon')), cmp('source', '=', str('XmlWinEventLog:Sysmon'))), cmp('EventCode', '=', num('1'))));
  });

  test('NOT applies to the next term only, and binds tighter than OR', () => {
    assert.deepEqual(searchOf('NOT a=1 OR b=2'), or(not(cmp('a', '=', num('1'))), cmp('b', '=', num('2'))));
    assert.deepEqual(searchOf('NOT a=1 b=2'), and(not(cmp('a', '=', num('1'))), cmp('b', '=', num('2'))));
  });

  test('parentheses group, and are kept as group nodes', () => {
    assert.deepEqual(
      searchOf('(a=1 b=2) OR NOT (c=3 OR d=4)'),
      or(group(and(cmp('a', '=', num('1')), cmp('b', '=', num('2')))), not(group(or(cmp('c', '=', num('3')), cmp('d', '=', num('4')))))),
    );
  });

  test('lowercase and/or/not are plain search terms', () => {
    assert.deepEqual(searchOf('a or b'), and(term(str('a')), term(str('or')), term(str('b'))));
    assert.deepEqual(searchOf('not x'), and(term(str('not')), term(str('x'))));
  });

  test('!= is a comparison, distinct from NOT field=value', () => {
    assert.deepEqual(searchOf('user!=admin'), cmp('user', '!=', str('admin')));
    assert.deepEqual(searchOf('NOT user=admin'), not(cmp('user', '=', str('admin'))));
    assert.deepEqual(searchOf('user!=*'), cmp('user', '!=', wild('*')));
  });

  test('comparison operators <, <=, >, >= and spaces around operators', () => {
    assert.deepEqual(
      searchOf('count > 5 bytes<=1024 ratio>=0.5 age <3'),
      and(cmp('count', '>', num('5')), cmp('bytes', '<=', num('1024')), cmp('ratio', '>=', num('0.5')), cmp('age', '<', num('3'))),
    );
    assert.deepEqual(searchOf('TaskContent = "x y"'), cmp('TaskContent', '=', str('x y', true)));
  });
});

describe('spl search: values', () => {
  test('numbers, strings and wildcard patterns are told apart', () => {
    assert.deepEqual(
      searchOf('EventCode=4688 process_name=cmd.exe process=*whoami* name=cmd* earliest=-70m@m'),
      and(
        cmp('EventCode', '=', num('4688')),
        cmp('process_name', '=', str('cmd.exe')),
        cmp('process', '=', wild('*whoami*')),
        cmp('name', '=', wild('cmd*')),
        cmp('earliest', '=', str('-70m@m')),
      ),
    );
  });

  test('a quoted number stays a string; a quoted wildcard stays a pattern', () => {
    assert.deepEqual(searchOf('id="42" path="*\\\\temp\\\\*"'), and(cmp('id', '=', str('42', true)), cmp('path', '=', wild('*\\temp\\*', true))));
  });

  test('backslash escapes in quotes: \\\\ \\" \\| are decoded, others are kept', () => {
    // SPL text: p="C:\\Windows\\x \"q\" a\|b \s"
    assert.deepEqual(searchOf('p="C:\\\\Windows\\\\x \\"q\\" a\\|b \\s"'), cmp('p', '=', str('C:\\Windows\\x "q" a|b \\s', true)));
  });

  test('unquoted values keep their backslashes verbatim', () => {
    assert.deepEqual(searchOf('path=*\\\\AppData\\\\*'), cmp('path', '=', wild('*\\\\AppData\\\\*')));
  });

  test('quoted keywords are values, not operators', () => {
    assert.deepEqual(searchOf('country="IN" iso="AND"'), and(cmp('country', '=', str('IN', true)), cmp('iso', '=', str('AND', true))));
  });

  test('quoted field names', () => {
    assert.deepEqual(searchOf('"result.message"="x"'), cmp('result.message', '=', str('x', true), true));
  });

  test('bare keywords and quoted phrases are raw-text terms', () => {
    assert.deepEqual(searchOf('DrsReplicaAdd "the spooler failed"'), and(term(str('DrsReplicaAdd')), term(str('the spooler failed', true))));
  });

  test('a quoted value glued to the next term still splits into two terms', () => {
    assert.deepEqual(searchOf('a="* Nul*"b=c'), and(cmp('a', '=', wild('* Nul*', true)), cmp('b', '=', str('c'))));
  });

  test('a word glued to parentheses is kept raw: TERM(), CASE(), latest=now()', () => {
    const fn = (text: string) => ({ kind: 'function' as const, text });
    assert.deepEqual(searchOf('TERM(10.0.0.1) CASE(Admin) latest=now()'), and(term(fn('TERM(10.0.0.1)')), term(fn('CASE(Admin)')), cmp('latest', '=', fn('now()'))));
    // ...but IN( and NOT( keep their operator meaning.
    assert.deepEqual(searchOf('f IN("a") NOT(g=1)'), and(inList('f', str('a', true)), not(group(cmp('g', '=', num('1'))))));
    // A space before the parenthesis makes it a group again.
    assert.deepEqual(searchOf('a (b)'), and(term(str('a')), group(term(str('b')))));
  });

  test('comments are ignored', () => {
    assert.deepEqual(searchOf('a=1 ```only on DCs``` b=2'), and(cmp('a', '=', num('1')), cmp('b', '=', num('2'))));
  });
});

describe('spl search: IN lists and macros', () => {
  test('IN with wildcards, quotes and commas', () => {
    assert.deepEqual(searchOf('f IN (a, b*, "c d")'), inList('f', str('a'), wild('b*'), str('c d', true)));
  });

  test('NOT f IN (...)', () => {
    assert.deepEqual(searchOf('x=1 NOT p IN ("*2>&1*", "*&gt;*")'), and(cmp('x', '=', num('1')), not(inList('p', wild('*2>&1*', true), wild('*&gt;*', true)))));
  });

  test('lowercase in is a term, not the IN operator', () => {
    assert.deepEqual(searchOf('f in x'), and(term(str('f')), term(str('in')), term(str('x'))));
  });

  test('macros inside a search expression stay macro nodes', () => {
    assert.deepEqual(searchOf('`sysmon` EventCode=1 NOT `benign(a, "b c")`'), and(macro('sysmon'), cmp('EventCode', '=', num('1')), not(macro('benign', ['a', '"b c"']))));
  });

  test('a subsearch inside a search expression', () => {
    const expr = searchOf('index=main [search index=ref | fields user]');
    assert.equal(expr?.kind, 'search-and');
    if (expr?.kind !== 'search-and') return;
    const sub = expr.operands[1]!;
    assert.equal(sub.kind, 'search-subsearch');
    if (sub.kind !== 'search-subsearch') return;
    assert.deepEqual(sub.pipeline.commands.map((c) => c.kind), ['search', 'fields']);
    assert.equal(sub.pipeline.commands[0]!.kind === 'search' && sub.pipeline.commands[0]!.implicit, false);
  });

  test('| search after a pipe, and `search` as the first word, are explicit search commands', () => {
    const p = parse('index=a | search user=b');
    assert.deepEqual(p.commands[1], { kind: 'search', implicit: false, expr: cmp('user', '=', str('b')) });
    const q = parse('search user=b');
    assert.deepEqual(q.commands[0], { kind: 'search', implicit: false, expr: cmp('user', '=', str('b')) });
  });
});
