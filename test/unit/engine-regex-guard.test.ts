/** Hostile regexes: no rule and no event can make matching hang. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileSafeRegex, foldPatternSource, hasNestedQuantifier, minMatchLength, repeatedCharTest, requiredLiteral, trimLeadingRepetition } from '../../src/engine/regex-guard.js';
import { compileRules } from '../../src/engine/index.js';
import { detection, event, field, run } from './engine-test-kit.js';
import { seededRandom } from '../fuzz/evtx-synth.js';

const re = (source: string, flags = '') => ({ kind: 'regex' as const, source, flags });

describe('regex guard', () => {
  test('classic catastrophic patterns run in bounded time on hostile input', () => {
    const hostile = `${'a'.repeat(5000)}!`;
    const patterns: [string, string][] = [
      ['(a+)+$', ''],
      ['(a|aa)+$', ''],
      ['(a*)*b', ''],
      ['^(a+)+$', 'i'],
      ['(x+x+)+y', ''],
      ['(.*a){12}', 's'],
    ];
    const rules = patterns.map(([s, f], i) => detection(`h${i}`, field('C', re(s, f))));
    const started = performance.now();
    const { findings, problems } = run(rules, [event({ C: hostile }), event({ C: 'x'.repeat(3000) })]);
    const ms = performance.now() - started;
    assert.ok(ms < 5000, `took ${ms} ms`);
    // Patterns the linear engine cannot take are refused with a reason instead.
    for (const p of problems) assert.match(p, /catastrophic|linear/);
    assert.ok(findings.length <= rules.length * 2);
  });

  test('a back-reference with nested quantifiers is refused with a reason', () => {
    const r = compileSafeRegex('(a+)+\\1$', '');
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /catastrophic/);
    const { problems } = run([detection('bad', field('C', re('(a+)+\\1$')))], []);
    assert.equal(problems.length, 1);
  });

  test('a look-around pattern runs on capped input', () => {
    const r = compileSafeRegex('a(?=b)', '');
    assert.equal(r.ok, true);
    if (r.ok) {
      assert.equal(r.value.linear, false);
      assert.ok(r.value.inputCap <= 64 * 1024);
    }
  });

  test('case-insensitive patterns are folded to run on the linear engine', () => {
    assert.equal(foldPatternSource('Foo[A-Z]\\d\\W'), 'foo[a-z]\\d\\W');
    assert.equal(foldPatternSource('[@-Z]'), null, 'a range mixing letters and others is left alone');
    assert.equal(foldPatternSource('\\x41'), null);
    const r = compileSafeRegex('(A+)+$', 'i');
    assert.equal(r.ok, true);
    if (r.ok) assert.equal(r.value.linear, true);
  });

  test('nested-quantifier detection', () => {
    assert.equal(hasNestedQuantifier('(a+)+'), true);
    assert.equal(hasNestedQuantifier('(a|b)*'), true);
    assert.equal(hasNestedQuantifier('(?:ab){2,}c+'), false);
    assert.equal(hasNestedQuantifier('[(a+)]+'), false);
    assert.equal(hasNestedQuantifier('\\(a+\\)+'), false);
    assert.equal(hasNestedQuantifier('((a)b+)?'), false, 'optional group is not repeated');
    assert.equal(hasNestedQuantifier('https?://(?:0[0-9]{1,11}\\.){3}0[0-9]{1,11}'), false, 'fixed count (SigmaHQ rule)');
    assert.equal(hasNestedQuantifier('(a+){2,}'), true);
    assert.equal(hasNestedQuantifier('(a+){1,100}'), true);
  });

  test('very long values are searched in a capped prefix and counted', () => {
    const rule = detection('tail', field('C', re('b(?=c)')));
    const long = `${'a'.repeat(100_000)}bc`;
    const { engine } = compileRules([rule]);
    let found = 0;
    engine.process(event({ C: long }), () => found++);
    assert.equal(found, 0, 'the match lies past the cap');
    assert.equal(engine.stats.regexInputsTruncated, 1);
  });

  test('required literals for the substring prefilter are truly required', () => {
    const cases: [string, string | null][] = [
      ['\\w+`(?:\\w+|-|.)`[\\w+|\\s]', '`'],
      ['abc?d', 'ab'],
      ['ab*cd+ef', 'cd'],
      ['a|b', null],
      ['(foo)bar{0,2}x', 'ba'],
      ['\\.exe$', '.exe'],
      ['[abc]+de\\d', 'de'],
    ];
    for (const [source, want] of cases) assert.equal(requiredLiteral(source), want, source);
    // Differential check: whenever the regex matches, the literal is in the text.
    const texts = ['abd', 'abcd', 'acdef', 'xbarx', 'bax', 'a.exe', 'de1', 'foo', 'x`y`z'];
    for (const [source] of cases) {
      const lit = requiredLiteral(source);
      if (lit === null) continue;
      for (const t of texts) if (new RegExp(source).test(t)) assert.ok(t.includes(lit), `${source} on ${t}`);
    }
  });

  test('escapes with operands (hex, unicode, control, named and numbered references) give no literal text', () => {
    const cases: [string, string, string | null][] = [
      // [pattern, a text it matches, the literal wanted]
      ['\\x41BCD', 'ABCD', 'BCD'],
      ['\\u0041BCD', 'ABCD', 'BCD'],
      ['\\u{41}BCD', 'ABCD', 'BCD'],
      ['\\cJxyz', '\nxyz', 'xyz'],
      ['(?<q>[\'"])run\\k<q>', '"run"', 'run'],
      // Annex B: \123 past the group count is the octal escape for S; a reference may take more digits, so all go.
      ['(a)\\12345', 'aS45', '5'],
      ['\\p{L}abc', 'xabc', 'abc'],
    ];
    for (const [source, text, want] of cases) {
      const flags = source.includes('\\p{') || source.includes('\\u{') ? 'u' : '';
      assert.ok(new RegExp(source, flags).test(text), `${source} should match ${text}`);
      const lit = requiredLiteral(source);
      assert.equal(lit, want, source);
      if (lit !== null) assert.ok(text.includes(lit), `${source}: ${lit} is not in ${text}`);
    }
  });
});


test('X.*X.*…X is counted, with the same answers as the regex (line ends, the s flag)', () => {
  const rnd = seededRandom(99).int;
  const alphabet = ['+', '+', '+', 'a', 'B', ' ', '\n', '\r', '\u2028', '\u2029', '{', 'é'];
  const patterns = ['\\+.*\\+', '\\+.*\\+.*\\+.*\\+', '\\{.*\\{.*\\{', '`.*`.*`', '%.*%.*%.*%.*%'];
  for (const source of patterns) {
    for (const flags of ['', 's', 'i', 'im', 'is']) {
      const counted = repeatedCharTest(source, flags);
      assert.notEqual(counted, null, source);
      const regex = new RegExp(source, flags);
      for (let k = 0; k < 300; k++) {
        const pool = source.startsWith('\\{') ? ['{', '{', 'a', '\n', '+'] : source.startsWith('`') ? ['`', '`', 'x', '\r', ' '] : source.startsWith('%') ? ['%', '%', 'q', '\u2028'] : alphabet;
        const text = Array.from({ length: rnd(30) }, () => pool[rnd(pool.length)]!).join('');
        assert.equal(counted!(text), regex.test(text), `/${source}/${flags} on ${JSON.stringify(text)}`);
      }
    }
  }
  for (const other of ['\\+.*\\-', 'a.*a', '\\+.+\\+', '\\+', '\\+.*\\+.*', '\\d.*\\d', '(\\+).*\\+', '\\+.*?\\+']) assert.equal(repeatedCharTest(other, ''), null, other);
});

test('the least match length is a true lower bound, and settles short values before the regex runs', () => {
  const cases: [string, string, number][] = [
    ['.{1000,}', '', 1000],
    ['\\w+`(?:\\w+|-|.)`[\\w+|\\s]', '', 4],
    ['a|b', '', 0],
    ['^abc$', 'm', 3],
    ['(foo)+bar', '', 3],
    ['\\d{3,5}-x?', '', 4],
    ['[a-z]{2}b*?c+?', 'i', 3],
    ['a{', '', 2],
    ['\\bfoo\\B', '', 3],
    ['(a)\\1', '', 0],
    ['\\x41\\u{1F600}\\p{L}', 'u', 3],
    ['(?<=ab)c(?=de)', '', 1],
    ['[\\q{}]', 'v', 0],
  ];
  for (const [source, flags, want] of cases) assert.equal(minMatchLength(source, flags), want, `/${source}/${flags}`);
  // Differential check: no text shorter than the bound is ever matched.
  const rnd = seededRandom(7).int;
  const pool = ['a', 'b', 'c', 'f', 'o', 'r', '1', '2', '3', '-', 'x', '`', ' ', 'A', 'é', '\n'];
  for (const [source, flags] of cases) {
    const regex = new RegExp(source, flags);
    const least = minMatchLength(source, flags);
    for (let k = 0; k < 400; k++) {
      const text = Array.from({ length: rnd(14) }, () => pool[rnd(pool.length)]!).join('');
      if (regex.test(text)) assert.ok(text.length >= least, `/${source}/${flags} matched ${JSON.stringify(text)}, shorter than ${least}`);
    }
  }
  // In the engine: a rule on overlong values matches the long one only.
  const long = detection('long', field('CommandLine', re('.{1000,}')));
  const found = (value: string): number => run([long], [event({ CommandLine: value })]).findings.length;
  assert.equal(found('x'.repeat(999)), 0);
  assert.equal(found('x'.repeat(1000)), 1);
  assert.equal(found(`${'x'.repeat(600)}\n${'x'.repeat(600)}`), 0, '. stops at a line end');
});

test('a leading repetition is cut to its least count, and the cut pattern matches the same texts', () => {
  const cut: [string, string, string][] = [
    ['\\w+`(\\w+|-|.)`[\\w+|\\s]', '', '\\w`(\\w+|-|.)`[\\w+|\\s]'],
    ['.*cmd.{0,5}(?:\\/c|\\/r).+powershell', 'i', 'cmd.{0,5}(?:\\/c|\\/r).+powershell'],
    ['.*.*\\w*foo', '', 'foo'],
    ['a{2,5}x', '', 'a{2}x'],
    ['a{2,}?b+', '', 'a{2}b+'],
    ['[a-z]+?\\.exe', 'i', '[a-z]\\.exe'],
    ['\\x41+B', '', '\\x41B'],
    ['\\p{L}+x', 'u', '\\p{L}x'],
    ['\\.+x$', 'm', '\\.x$'],
  ];
  for (const [source, flags, want] of cut) assert.equal(trimLeadingRepetition(source, flags), want, `/${source}/${flags}`);
  // Left alone: an anchor, a group, a back-reference or assertion, a top-level |, g or y, a
  // pattern the cut would empty, a first atom without a quantifier.
  for (const [source, flags] of [['^\\w+x', ''], ['(ab)+c', ''], ['\\1+x', ''], ['\\b+x', ''], ['a+|b', ''], ['\\w+x', 'g'], ['\\w+x', 'y'], ['.*', ''], ['a{3}b', ''], ['abc', ''], ['(?<=a)b+', '']]) {
    assert.equal(trimLeadingRepetition(source!, flags!), source, `/${source}/${flags}`);
  }
  // Differential: on random texts the cut pattern finds a match exactly when the original does.
  const rnd = seededRandom(31).int;
  const pool = ['a', 'a', 'b', 'x', '`', '-', ' ', 'c', 'm', 'd', '/', 'A', '\n', '.', 'é'];
  const patterns: [string, string][] = [
    ['\\w+`(\\w+|-|.)`[\\w+|\\s]', ''],
    ['a+b', ''],
    ['a*b+x', ''],
    ['a{2,4}b', ''],
    ['.*a.*b', ''],
    ['.+ab$', 'm'],
    ['[ab]+?x\\b', ''],
    ['\\w+(?<=ab)x', ''],
    ['.+a', 's'],
    ['A+b', 'i'],
  ];
  for (const [source, flags] of patterns) {
    const trimmed = trimLeadingRepetition(source, flags);
    assert.notEqual(trimmed, source, `/${source}/${flags} is cut`);
    const before = new RegExp(source, flags);
    const after = new RegExp(trimmed, flags);
    for (let k = 0; k < 500; k++) {
      const text = Array.from({ length: rnd(16) }, () => pool[rnd(pool.length)]!).join('');
      assert.equal(after.test(text), before.test(text), `/${source}/${flags} and /${trimmed}/ on ${JSON.stringify(text)}`);
    }
  }
  // In the engine, the rule's answers do not change.
  const backtick = detection('backtick', field('ScriptBlockText', re('\\w+`(\\w+|-|.)`[\\w+|\\s]')));
  const found = (value: string): number => run([backtick], [event({ ScriptBlockText: value })]).findings.length;
  assert.equal(found('I`nv`oke-Expression'), 1);
  assert.equal(found('word'.repeat(5000)), 0);
  assert.equal(found(`${'w'.repeat(5000)}\`x\` `), 1);
});
