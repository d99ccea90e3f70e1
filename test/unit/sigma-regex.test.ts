/** `|re` values: PCRE-isms translated (sigma.md §6.4), untranslatable and catastrophic patterns refused. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { translateRegex } from '../../src/sigma/regex.js';
import { conditionOf, errorsOf } from './sigma-test-helpers.js';

const ok = (pattern: string, flags = ''): { source: string; flags: string } => {
  const r = translateRegex(pattern, flags);
  assert.ok(r.ok, `expected ${pattern} to translate: ${JSON.stringify(r)}`);
  return { source: r.source, flags: r.flags };
};
const refused = (pattern: string): string => {
  const r = translateRegex(pattern, '');
  assert.ok(!r.ok, `expected ${pattern} to be refused`);
  return r.code;
};

describe('sigma regex translation', () => {
  test('leading (?i) / (?s) / (?m) / (?is) become flags', () => {
    assert.deepEqual(ok('(?i)mimikatz'), { source: 'mimikatz', flags: 'i' });
    assert.deepEqual(ok('(?s)a.b'), { source: 'a.b', flags: 's' });
    assert.deepEqual(ok('(?m)^x'), { source: '^x', flags: 'm' });
    assert.deepEqual(ok('(?is)x', 'm'), { source: 'x', flags: 'ims' });
  });
  test('(?P<name>…) and (?P=name) become JS named groups and back-references', () => {
    assert.deepEqual(ok('(?P<q>[\'"])x(?P=q)'), { source: '(?<q>[\'"])x\\k<q>', flags: '' });
  });
  test('\\A and \\z anchors, (?#comments)', () => {
    assert.deepEqual(ok('\\Aabc\\z'), { source: '^abc$', flags: '' });
    assert.deepEqual(ok('a(?# note)b'), { source: 'ab', flags: '' });
  });
  test('identity escapes that fail with the u flag still work (no u flag)', () => {
    assert.deepEqual(ok('\\"\\-x'), { source: '\\"\\-x', flags: '' });
  });
  test('untranslatable constructs are refused with the construct named', () => {
    for (const p of ['a++', 'a*+b', '(?>ab)', 'x(?i)y', '(?i:ab)', '[[:alpha:]]', '\\p{L}', '(?R)', '(?(1)a|b)', '\\Kx']) {
      assert.equal(refused(p), 'sigma.regex.untranslatable', p);
    }
  });
  test('invalid patterns are refused as syntax errors', () => {
    assert.equal(refused('(abc'), 'sigma.regex.syntax');
    assert.equal(refused('a{2,1}'), 'sigma.regex.syntax');
  });
  test('lazy quantifiers are not possessive', () => {
    assert.deepEqual(ok('a+?b*?c??'), { source: 'a+?b*?c??', flags: '' });
  });
});

describe('sigma regex: catastrophic backtracking', () => {
  test('nested unbounded quantifiers are refused', () => {
    for (const p of ['(a+)+$', '(.*)*x', '(\\w+\\s?)+$', '(?:a*b*)*c', '((ab)+)+', '(x+){2,20}']) assert.equal(refused(p), 'sigma.regex.redos', p);
  });
  test('overlapping alternatives under a repeated group are refused', () => {
    for (const p of ['(a|a)*b', '(\\w|\\d)+$', '(a|ab)+c', '(.|\\s)*x']) assert.equal(refused(p), 'sigma.regex.redos', p);
  });
  test('safe repetitions pass', () => {
    for (const p of ['(\\w|-|\\.)+', '(?:ab|cd)+', '(.){200,}', '([0-9a-f]{2}\\s?){2,20}', '(?:[a-z0-9\\-]+\\.){2}', '\\$env:ComSpec\\[(\\s*\\d{1,3}\\s*,){2}', 'a.*b.*c']) ok(p);
  });
  test('(?:.*X){1,} is reduced to .*X (same language), as in the Invoke-Obfuscation rules', () => {
    assert.deepEqual(ok('-f(?:.*\\)){1,}.*"'), { source: '-f(?:.*\\)).*"', flags: '' });
    assert.deepEqual(ok('(?:.*x)+'), { source: '(?:.*x)', flags: '' });
    assert.deepEqual(ok('(?:.*x){3,}'), { source: '(?:.*x){3}', flags: '' });
    // A group whose tail can match a newline is not the same language after the rewrite.
    assert.equal(refused('(?:.*\\s)+'), 'sigma.regex.redos');
  });
  test('a rule with a risky regex is not loaded, with the reason located', () => {
    const [e] = errorsOf(`  sel:\n    CommandLine|re: '(a+)+$'\n  condition: sel\n`);
    assert.equal(e!.code, 'sigma.regex.redos');
    assert.match(e!.message, /nested unbounded quantifiers.*CommandLine\|re/);
    assert.equal(e!.line, 10);
  });
  test('a rule with (?i) loads with the flag; backslashes are regex syntax, not Sigma escapes', () => {
    assert.deepEqual(conditionOf(`  sel:\n    CommandLine|re: '(?i)\\\\temp\\\\'\n  condition: sel\n`), {
      kind: 'field', field: 'CommandLine', match: { kind: 'regex', source: '\\\\temp\\\\', flags: 'i' },
    });
  });
});
