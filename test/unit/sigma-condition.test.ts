/** Sigma condition grammar (sigma.md §1.6, §4.3/§4.4 behaviours, pitfall §6.9). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Expr } from '../../src/ir/nodes.js';
import { parseCondition } from '../../src/sigma/condition.js';
import { T, and, conditionOf, errorsOf, fm, not, or } from './sigma-test-helpers.js';

/** Each identifier `x` selects `F: x`, so the expected IR is easy to write. */
const det = (ids: string[], condition: string): string =>
  `${ids.map((id) => `  ${id}:\n    F: '${id}'\n`).join('')}  condition: ${condition}\n`;
const id = (name: string): Expr => fm('F', [T(name)]);

describe('sigma condition: precedence and grouping', () => {
  test('or < and < not: a and not b or not c and d', () => {
    assert.deepEqual(conditionOf(det(['a', 'b', 'c', 'd'], 'a and not b or not c and d')), or(and(id('a'), not(id('b'))), and(not(id('c')), id('d'))));
  });
  test('parentheses override precedence', () => {
    assert.deepEqual(conditionOf(det(['a', 'b', 'c'], 'a and (b or c)')), and(id('a'), or(id('b'), id('c'))));
    assert.deepEqual(conditionOf(det(['a', 'b', 'c'], '(a or b) and not (c)')), and(or(id('a'), id('b')), not(id('c'))));
  });
  test('x of binds tighter than not', () => {
    assert.deepEqual(conditionOf(det(['sel', 'f_1', 'f_2'], 'sel and not 1 of f_*')), and(id('sel'), not(or(id('f_1'), id('f_2')))));
  });
  test('double not, nested parentheses', () => {
    assert.deepEqual(conditionOf(det(['a', 'b'], 'not not ((a)) and b')), and(not(not(id('a'))), id('b')));
  });
  test('a multi-line plain condition with nested parentheses', () => {
    assert.deepEqual(
      conditionOf(`  a:\n    F: 'a'\n  b:\n    F: 'b'\n  c:\n    F: 'c'\n  condition: a and\n    (b or\n      (not c))\n`),
      and(id('a'), or(id('b'), not(id('c')))),
    );
  });
});

describe('sigma condition: x of pattern', () => {
  test('1 of / any of / all of with wildcards (fullmatch)', () => {
    const ids = ['selection_a', 'selection_b', 'other'];
    assert.deepEqual(conditionOf(det(ids, '1 of selection_*')), or(id('selection_a'), id('selection_b')));
    assert.deepEqual(conditionOf(det(ids, 'any of selection_*')), or(id('selection_a'), id('selection_b')));
    assert.deepEqual(conditionOf(det(ids, 'all of selection_*')), and(id('selection_a'), id('selection_b')));
    assert.deepEqual(conditionOf(det(ids, 'all of *_a')), id('selection_a'));
  });
  test('1 of selection matches only selection, not selection_x', () => {
    assert.deepEqual(conditionOf(det(['selection', 'selection_x'], '1 of selection')), id('selection'));
  });
  test('them excludes _-prefixed identifiers; a _ pattern reaches them', () => {
    assert.deepEqual(conditionOf(det(['a', 'b', '_hidden'], 'all of them')), and(id('a'), id('b')));
    assert.deepEqual(conditionOf(det(['a', 'b', '_hidden'], '1 of them')), or(id('a'), id('b')));
    assert.deepEqual(conditionOf(det(['a', '_h1', '_h2'], 'a and 1 of _h*')), and(id('a'), or(id('_h1'), id('_h2'))));
    assert.deepEqual(conditionOf(det(['a', '_h1'], '1 of *')), id('a'));
  });
  test('a selector that matches nothing is dropped with its not/and', () => {
    assert.deepEqual(conditionOf(det(['sel', 'filter_a'], 'sel and not 1 of filter_z*')), id('sel'));
    assert.deepEqual(conditionOf(det(['sel'], 'sel and all of filter_*')), id('sel'));
    assert.deepEqual(conditionOf(det(['sel'], '1 of nothing_* or sel')), id('sel'));
  });
  test('a condition that selects nothing at all is an error', () => {
    assert.equal(errorsOf(det(['sel'], '1 of nothing_*'))[0]!.code, 'sigma.condition.empty');
  });
  test('identifiers with a dot or a | are reachable through a pattern', () => {
    assert.deepEqual(conditionOf(det(['sel', 'filter_main_mdadm.conf'], 'sel and not 1 of filter_main_*')), and(id('sel'), not(id('filter_main_mdadm.conf'))));
    assert.deepEqual(conditionOf(det(['select_a', 'select_tree_execution|endswith'], '1 of select*')), or(id('select_a'), id('select_tree_execution|endswith')));
  });
});

describe('sigma condition: lists and errors', () => {
  test('a condition list is an OR', () => {
    assert.deepEqual(conditionOf(`  a:\n    F: 'a'\n  b:\n    F: 'b'\n  condition:\n    - a\n    - not b\n`), or(id('a'), not(id('b'))));
  });
  test('uppercase operators are errors, located at the operator', () => {
    const [e] = errorsOf(det(['a', 'b'], 'a OR b'));
    assert.equal(e!.code, 'sigma.condition.case');
    assert.match(e!.message, /'OR' must be lowercase/);
    // Line 13: rule header (8 lines) + two identifiers (2 lines each); column of `OR`.
    assert.equal(e!.line, 13);
    assert.equal(e!.column, 16);
    assert.equal(errorsOf(det(['a', 'b'], 'a and (b OR NOT a)'))[0]!.code, 'sigma.condition.case');
    assert.equal(errorsOf(det(['a', 'b'], 'NOT a'))[0]!.code, 'sigma.condition.case');
  });
  test('an identifier named like an uppercase operator is still an identifier', () => {
    assert.deepEqual(conditionOf(det(['OR'], 'OR')), id('OR'));
  });
  test('undefined identifier', () => {
    const [e] = errorsOf(det(['selection_event'], 'selection'));
    assert.equal(e!.code, 'sigma.condition.undefined');
    assert.match(e!.message, /'selection' is not a search identifier.*selection_event/);
  });
  test('dangling and, missing parenthesis, stray tokens', () => {
    assert.equal(errorsOf(det(['a'], 'a and'))[0]!.code, 'sigma.condition.syntax');
    assert.equal(errorsOf(det(['a'], '(a'))[0]!.code, 'sigma.condition.syntax');
    assert.equal(errorsOf(det(['a'], 'a)'))[0]!.code, 'sigma.condition.syntax');
    assert.equal(errorsOf(det(['a', 'b'], 'a b'))[0]!.code, 'sigma.condition.syntax');
    assert.equal(errorsOf(det(['a'], 'sel*'))[0]!.code, 'sigma.condition.syntax');
  });
  test('only 1/any/all quantifiers exist', () => {
    const [e] = errorsOf(det(['a'], '2 of a*'));
    assert.equal(e!.code, 'sigma.condition.syntax');
    assert.match(e!.message, /'2 of' is not Sigma/);
  });
  test('pipe aggregation and near are legacy, with a precise reason', () => {
    const [agg] = errorsOf(det(['selection'], `'selection | count(TargetUserName) by IpAddress > 10'`));
    assert.equal(agg!.code, 'sigma.legacy.aggregation');
    assert.match(agg!.message, /count\(\.\.\.\)/);
    assert.equal(errorsOf(det(['a', 'b'], `'a | near b'`))[0]!.code, 'sigma.legacy.near');
  });
  test('deep nesting is refused, not a stack overflow', () => {
    const deep = `${'('.repeat(5000)}a${')'.repeat(5000)}`;
    assert.throws(() => parseCondition(deep, new Set(['a'])), /nested too deeply/);
    assert.throws(() => parseCondition(`${'not '.repeat(5000)}a`, new Set(['a'])), /nested too deeply/);
  });
});
