/** Textual macro expansion (spl-and-rba.md §3): arity overloading, $arg$, nesting, cycles, locations. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type MacroDefinition, expandMacros, makeSource, originalOffset, parseSpl, parseSplWithMacros } from '../../src/spl/index.js';
import { errorOf } from './spl-test-helpers.js';

/** Our own small macro library, keyed `name(arity)` like macros.conf stanzas. */
const LIBRARY: Record<string, MacroDefinition> = {
  'src_sysmon(0)': { definition: 'sourcetype=sysmon OR source=sysmon_xml', args: [] },
  'only_cfg(0)': { definition: 'false', args: [] },
  'old_cfg(0)': { definition: 'true', args: [] },
  'summaries(0)': { definition: 'summariesonly=`only_cfg` allow_old_summaries=`old_cfg` fillnull_value=null', args: [] },
  'to_time(1)': { definition: 'convert timeformat="%Y-%m-%dT%H:%M:%S" ctime($field$)', args: ['field'] },
  'strip_prefix(1)': { definition: 'rename $object$.* AS *', args: ['object'] },
  'pair(2)': { definition: '$left$=$right$ "$left$"', args: ['left', 'right'] },
  'pair(0)': { definition: 'no_args', args: [] },
  'wrap(1)': { definition: '(`pair($v$, 1)`)', args: ['v'] },
  'loop_a(0)': { definition: 'x `loop_b`', args: [] },
  'loop_b(0)': { definition: 'y `loop_a`', args: [] },
  'self(0)': { definition: '`self`', args: [] },
  'calls_missing(0)': { definition: 'a `nowhere(1)`', args: [] },
  'x_filter(0)': { definition: 'search *', args: [] },
  'bad_arity(1)': { definition: '$a$ $b$', args: ['a', 'b'] },
  'broken(0)': { definition: 'a=1 (b=2', args: [] },
};
const lookup = (name: string, arity: number): MacroDefinition | undefined => LIBRARY[`${name}(${arity})`];

describe('spl expandMacros', () => {
  test('a macro without arguments, left and right context untouched, no parentheses added', () => {
    assert.equal(expandMacros('`src_sysmon` EventCode=1', lookup).text, 'sourcetype=sysmon OR source=sysmon_xml EventCode=1');
  });

  test('nested macros inside a definition (the summariesonly pattern)', () => {
    assert.equal(expandMacros('| tstats `summaries` count', lookup).text, '| tstats summariesonly=false allow_old_summaries=true fillnull_value=null count');
  });

  test('$arg$ substitution, including inside quotes of the definition', () => {
    assert.equal(expandMacros('x | `to_time(firstTime)`', lookup).text, 'x | convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)');
    assert.equal(expandMacros('`pair(user, bob)`', lookup).text, 'user=bob "user"');
  });

  test('overloading by arity', () => {
    assert.equal(expandMacros('`pair` `pair(a,b)`', lookup).text, 'no_args a=b "a"');
  });

  test('named arguments are bound by name', () => {
    assert.equal(expandMacros('`pair(right=2, left=k)`', lookup).text, 'k=2 "k"');
  });

  test('a fully quoted one-word argument loses its quotes; other quoted arguments are kept', () => {
    assert.equal(expandMacros('`strip_prefix("Processes")`', lookup).text, 'rename Processes.* AS *');
    assert.equal(expandMacros('`pair(a, "b c")`', lookup).text, 'a="b c" "a"');
    assert.equal(expandMacros('`strip_prefix("Processes")`', lookup, { unquoteArguments: false }).text, 'rename "Processes".* AS *');
  });

  test('an argument containing a macro call and a comma inside quotes', () => {
    assert.equal(expandMacros('`wrap(z)`', lookup).text, '(z=1 "z")');
    assert.equal(expandMacros('`pair(a, "x,y")`', lookup).text, 'a="x,y" "a"');
  });

  test('backticks inside quoted values and comments are not expanded', () => {
    const text = 'a="foo`bar`baz" ```see `nowhere` ``` b=1';
    assert.equal(expandMacros(text, lookup).text, text);
  });

  test('the expanded detection-shaped text parses', () => {
    const expanded = expandMacros(
      '| tstats `summaries` count min(_time) as firstTime from datamodel=Endpoint.Processes where Processes.process_name=x.exe by Processes.dest | `strip_prefix(Processes)` | `to_time(firstTime)` | `x_filter`',
      lookup,
    );
    const ast = parseSpl(expanded.text);
    assert.deepEqual(
      ast.commands.map((c) => c.kind),
      ['tstats', 'rename', 'convert', 'search'],
    );
  });

  test('source map: offsets inside an expansion map to the macro call, others shift back', () => {
    const original = 'a=1 | `to_time(t)` | where b=2';
    const expanded = expandMacros(original, lookup);
    assert.equal(expanded.expansions.length, 1);
    const e = expanded.expansions[0]!;
    assert.deepEqual([e.name, e.arity, e.start, e.end], ['to_time', 1, original.indexOf('`'), original.lastIndexOf('`') + 1]);
    assert.equal(expanded.text.slice(e.outputStart, e.outputEnd), 'convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(t)');
    assert.equal(originalOffset(expanded, expanded.text.indexOf('ctime')), original.indexOf('`'));
    assert.equal(originalOffset(expanded, expanded.text.indexOf('where')), original.indexOf('where'));
    assert.equal(originalOffset(expanded, 2), 2);
  });

  test('unknown macro: located error at the call, with file line and column', () => {
    const text = 'index=a\n  | `nowhere(x)`';
    const e = errorOf(() => expandMacros(text, lookup, { source: makeSource(text, 'det.yml', 10) }));
    assert.deepEqual([e.code, e.file, e.line, e.column], ['spl.macro.unknown', 'det.yml', 11, 5]);
    assert.match(e.message, /nowhere/);
  });

  test('unknown macro reached through a nested definition is reported at the outer call', () => {
    const e = errorOf(() => expandMacros('a=1 `calls_missing`', lookup));
    assert.deepEqual([e.code, e.column], ['spl.macro.unknown', 5]);
    assert.match(e.message, /calls_missing/);
  });

  test('cycles and self-reference are detected', () => {
    const e = errorOf(() => expandMacros('`loop_a`', lookup));
    assert.equal(e.code, 'spl.macro.cycle');
    assert.match(e.message, /loop_a\(0\) → loop_b\(0\) → loop_a\(0\)/);
    assert.equal(errorOf(() => expandMacros('b `self`', lookup)).column, 3);
  });

  test('depth cap and output size cap', () => {
    const chain: Record<string, MacroDefinition> = {};
    for (let i = 0; i < 30; i++) chain[`m${i}(0)`] = { definition: `x\`m${i + 1}\``, args: [] };
    chain['m30(0)'] = { definition: 'end', args: [] };
    const chainLookup = (name: string, arity: number) => chain[`${name}(${arity})`];
    assert.equal(errorOf(() => expandMacros('`m0`', chainLookup)).code, 'spl.macro.too-deep');
    assert.equal(expandMacros('`m0`', chainLookup, { maxDepth: 40 }).text, `${'x'.repeat(30)}end`);
    // Exponential growth: each level doubles.
    const boom: Record<string, MacroDefinition> = { 'b0(0)': { definition: 'xxxxxxxx', args: [] } };
    for (let i = 1; i <= 19; i++) boom[`b${i}(0)`] = { definition: `\`b${i - 1}\` \`b${i - 1}\``, args: [] };
    const boomLookup = (name: string, arity: number) => boom[`${name}(${arity})`];
    assert.equal(errorOf(() => expandMacros('`b19`', boomLookup, { maxLength: 100_000 })).code, 'spl.macro.too-long');
  });

  test('malformed and unterminated macro calls, argument-count mismatch', () => {
    assert.equal(errorOf(() => expandMacros('a `pair(a, b`', lookup)).code, 'spl.macro.malformed');
    assert.deepEqual([errorOf(() => expandMacros('a\n `pair', lookup)).code, errorOf(() => expandMacros('a\n `pair', lookup)).line], ['spl.macro.unterminated', 2]);
    assert.equal(errorOf(() => expandMacros('`bad_arity(1)`', lookup)).code, 'spl.macro.arity');
  });

  test('parseSplWithMacros: syntax errors map back to the original text', () => {
    const ok = parseSplWithMacros('`src_sysmon` EventCode=1 | `to_time(firstTime)`', lookup);
    assert.deepEqual(ok.commands.map((c) => c.kind), ['search', 'convert']);
    // Error inside an expansion → reported at the macro call, naming the macro.
    const text = 'x=1\n| search `broken` c=3';
    const inside = errorOf(() => parseSplWithMacros(text, lookup, makeSource(text, 'd.yml', 7)));
    assert.deepEqual([inside.code, inside.file, inside.line, inside.column], ['spl.parse.unclosed-paren', 'd.yml', 8, 10]);
    assert.match(inside.message, /broken/);
    // Error after an expansion → shifted back to its original column.
    const after = errorOf(() => parseSplWithMacros('`to_time(t)` | eval x=(1', lookup));
    assert.deepEqual([after.code, after.column], ['spl.parse.unclosed-paren', 23]);
  });
});
