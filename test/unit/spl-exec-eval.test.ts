/**
 * eval/where semantics, the eval function library, SPL regex translation and wildcards
 * (spl-and-rba.md §2.4, §2.8, §8 items 1-6): one test per pitfall.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LocatedError } from '../../src/core/diagnostics.js';
import type { EvalExpr } from '../../src/spl/ast.js';
import { compileEvalExpr } from '../../src/spl/exec/eval.js';
import { CappedRegExp, compileSplRegex, translateSplRegex } from '../../src/spl/exec/pcre.js';
import { DEFAULT_LIMITS, type EvalResult, type ExecContext, type Row, type SplValue } from '../../src/spl/exec/types.js';
import { likeMatcher, wildcardMatcher } from '../../src/spl/exec/wildcard.js';
import { parseSpl } from '../../src/spl/index.js';
import type { Diagnostic } from '../../src/core/diagnostics.js';

const NOW = Date.UTC(2024, 4, 15, 12, 30, 45) / 1000;

function makeCtx(overrides: Partial<ExecContext> = {}): ExecContext {
  return { now: NOW, earliest: null, latest: null, lookup: () => undefined, limits: DEFAULT_LIMITS, warn: () => {}, ...overrides };
}
const ctx = makeCtx();

function exprOf(text: string): EvalExpr {
  const command = parseSpl(`| where ${text}`).commands[0];
  assert.ok(command?.kind === 'where', `not a where: ${text}`);
  return command.expr;
}

const row = (fields: Record<string, SplValue> = {}): Row => new Map(Object.entries(fields));

/** The value of an eval expression on a row. */
function ev(text: string, fields: Record<string, SplValue> = {}, context = ctx): EvalResult {
  return compileEvalExpr(exprOf(text))(row(fields), context);
}

/** The LocatedError compiling `text` throws. */
function compileError(text: string): LocatedError {
  try {
    compileEvalExpr(exprOf(text));
  } catch (e) {
    assert.ok(e instanceof LocatedError, `expected a LocatedError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${text} to fail`);
}

describe('spl exec eval: null and three-valued logic', () => {
  test('where drops NULL: comparisons with a missing field are not true, nor is their NOT', () => {
    assert.equal(ev('x > 5'), null);
    assert.equal(ev('NOT x > 5'), null);
    assert.equal(ev('x != "a"'), null);
    assert.equal(ev('x > 5', { x: '7' }), true);
  });

  test('AND/OR/XOR are three-valued', () => {
    assert.equal(ev('x=1 OR true()'), true);
    assert.equal(ev('x=1 AND false()'), false);
    assert.equal(ev('x=1 AND true()'), null);
    assert.equal(ev('x=1 OR false()'), null);
    assert.equal(ev('true() XOR false()'), true);
    assert.equal(ev('x=1 XOR true()'), null);
  });

  test('if/case with null conditions take the else branch / no branch', () => {
    assert.equal(ev('if(x="a", "yes", "no")'), 'no');
    assert.equal(ev('if(x="a", "yes", "no")', { x: 'a' }), 'yes');
    assert.equal(ev('case(x="a", 1, x="b", 2)'), null);
    assert.equal(ev('case(x="a", 1, true(), "default")'), 'default');
    assert.equal(ev('case(x="a", 1, x="b", 2)', { x: 'b' }), 2);
  });

  test('arithmetic with null is null; division by zero is null', () => {
    assert.equal(ev('x + 1'), null);
    assert.equal(ev('x . "a"'), null);
    assert.equal(ev('10 / 0'), null);
    assert.equal(ev('10 % 0'), null);
    assert.equal(ev('7 / 2'), 3.5);
    assert.equal(ev('-x', { x: '4' }), -4);
  });

  test('null handling functions: coalesce, isnull, isnotnull, null(), nullif', () => {
    assert.equal(ev('coalesce(a, b, "z")', { b: 'B' }), 'B');
    assert.equal(ev('isnull(a)'), true);
    assert.equal(ev('isnotnull(a)', { a: '' }), true);
    assert.equal(ev('null()'), null);
    assert.equal(ev('nullif(a, "x")', { a: 'x' }), null);
    assert.equal(ev('nullif(a, "x")', { a: 'y' }), 'y');
  });
});

describe('spl exec eval: comparison and operators', () => {
  test('string comparison in where is case-sensitive', () => {
    assert.equal(ev('user="Admin"', { user: 'admin' }), false);
    assert.equal(ev('user=="Admin"', { user: 'Admin' }), true);
  });

  test('an unquoted word on the right is a field reference, not a string', () => {
    assert.equal(ev('process_name=cmd.exe', { process_name: 'cmd.exe' }), null);
    assert.equal(ev('process_name=cmd.exe', { process_name: 'cmd.exe', 'cmd.exe': 'cmd.exe' }), true);
    assert.equal(ev("'Processes.dest'=\"h1\"", { 'Processes.dest': 'h1' }), true);
  });

  test('"1" vs "1.0": numbers compare numerically, string literals as text', () => {
    assert.equal(ev('x=1', { x: '1.0' }), true);
    assert.equal(ev('x="1.0"', { x: '1' }), false);
    assert.equal(ev('EventCode=4688', { EventCode: '4688' }), true);
    assert.equal(ev('count > 9', { count: '10' }), true);
    assert.equal(ev('name > "b"', { name: '10' }), false);
  });

  test('+ adds numbers and concatenates strings; . always concatenates', () => {
    assert.equal(ev('a + b', { a: '2', b: 3 }), 5);
    assert.equal(ev('"a" + "b"'), 'ab');
    assert.equal(ev('a . b', { a: 2, b: '3' }), '23');
    assert.equal(ev('"x" + 1'), null);
  });

  test('like uses % and _ anchored and case-sensitive; * is not special', () => {
    assert.equal(ev('like(p, "%\\\\cmd.exe")', { p: 'C:\\Windows\\cmd.exe' }), true);
    assert.equal(ev('p LIKE "c_d%"', { p: 'cmd.exe' }), true);
    assert.equal(ev('p LIKE "C_D%"', { p: 'cmd.exe' }), false);
    assert.equal(ev('p LIKE "cmd"', { p: 'cmd.exe' }), false);
    assert.equal(ev('like(p, "cmd*")', { p: 'cmd.exe' }), false);
    assert.equal(ev('like(p, "cmd*")', { p: 'cmd*' }), true);
  });

  test('IN operator and in(): exact values, any value of a multivalue', () => {
    assert.equal(ev('x IN ("a", "b")', { x: 'b' }), true);
    assert.equal(ev('x IN ("a", "b")', { x: 'B' }), false);
    assert.equal(ev('in(x, "a", "b")', { x: ['c', 'a'] }), true);
    assert.equal(ev('in(x, "a")'), null);
    assert.equal(ev('EventCode IN (1, 4688)', { EventCode: '4688' }), true);
  });

  test('multivalue comparisons hold when any value does', () => {
    assert.equal(ev('x="b"', { x: ['a', 'b'] }), true);
    assert.equal(ev('x="c"', { x: ['a', 'b'] }), false);
  });
});

describe('spl exec eval: regex functions', () => {
  test('match is unanchored and case-sensitive unless (?i)', () => {
    assert.equal(ev('match(x, "ell")', { x: 'hello' }), true);
    assert.equal(ev('match(x, "^ell")', { x: 'hello' }), false);
    assert.equal(ev('match(x, "ELL")', { x: 'hello' }), false);
    assert.equal(ev('match(x, "(?i)ELL")', { x: 'hello' }), true);
    assert.equal(ev('match(x, "a")'), null);
  });

  test('match: double-escaped classes in SPL strings reach the regex as \\d', () => {
    assert.equal(ev('match(x, "^\\\\d+$")', { x: '123' }), true);
    assert.equal(ev('match(x, "^\\\\d+$")', { x: '12a' }), false);
  });

  test('replace uses \\1 back-references; $ in the replacement is literal', () => {
    assert.equal(ev('replace(x, "(\\\\w+)@(\\\\w+)", "\\\\2\\\\\\\\\\\\1")', { x: 'bob@corp' }), 'corp\\bob');
    assert.equal(ev('replace(x, "o", "$0")', { x: 'foo' }), 'f$0$0');
    assert.deepEqual(ev('replace(x, "^a", "b")', { x: ['ax', 'ya'] }), ['bx', 'ya']);
  });

  test('a regex given by a field is compiled per value; a bad one warns and gives null', () => {
    const warnings: Diagnostic[] = [];
    const context = makeCtx({ warn: (d) => warnings.push(d) });
    assert.equal(ev('match(x, r)', { x: 'abc', r: 'b.' }, context), true);
    assert.equal(ev('match(x, r)', { x: 'abc', r: '(?>a)' }, context), null);
    assert.equal(warnings[0]?.code, 'spl.unsupported-regex');
  });

  test('a literal regex that could backtrack catastrophically is rejected at compile time', () => {
    const e = compileError('match(x, "(\\\\w+\\\\s?)+\\\\1$")');
    assert.equal(e.code, 'spl.unsafe-regex');
    assert.equal(e.location.offset, 17); // the regex argument
  });

  test('regex input is capped at limits.maxRegexInput', () => {
    const small = makeCtx({ limits: { ...DEFAULT_LIMITS, maxRegexInput: 10 } });
    assert.equal(ev('match(x, "END")', { x: 'a'.repeat(20) + 'END' }, small), false);
    assert.equal(ev('match(x, "END")', { x: 'a'.repeat(20) + 'END' }), true);
  });
});

describe('spl exec eval: multivalue functions', () => {
  test('mvindex counts from 0 and negative indexes from the end', () => {
    assert.equal(ev('mvindex(x, 0)', { x: ['a', 'b', 'c'] }), 'a');
    assert.equal(ev('mvindex(x, -1)', { x: ['a', 'b', 'c'] }), 'c');
    assert.deepEqual(ev('mvindex(x, 1, -1)', { x: ['a', 'b', 'c'] }), ['b', 'c']);
    assert.equal(ev('mvindex(x, 5)', { x: ['a', 'b'] }), null);
  });

  test('basename idiom: mvindex(split(path, "\\\\"), -1)', () => {
    assert.equal(ev('mvindex(split(path,"\\\\"),-1)', { path: 'C:\\Windows\\System32\\cmd.exe' }), 'cmd.exe');
    assert.equal(ev('mvjoin(split(path, "\\\\"), "/")', { path: 'C:\\a\\b' }), 'C:/a/b');
  });

  test('mvcount is null for a null field', () => {
    assert.equal(ev('mvcount(x)'), null);
    assert.equal(ev('mvcount(x)', { x: 'a' }), 1);
    assert.equal(ev('mvcount(x)', { x: ['a', 'b'] }), 2);
  });

  test('mvfilter evaluates its expression with the field bound to each value', () => {
    const fields = { dest: ['10.0.0.1', 'host1', '192.168.0.9'] };
    assert.deepEqual(ev('mvfilter(match(dest, "^\\\\d"))', fields), ['10.0.0.1', '192.168.0.9']);
    assert.equal(ev('mvfilter(dest="host1")', fields), 'host1');
    assert.equal(ev('mvfilter(dest="none")', fields), null);
    assert.equal(compileError('mvfilter(a=b)').code, 'spl.bad-argument');
  });

  test('mvfind, mvdedup, mvappend, mvzip, mvsort, mvmap', () => {
    assert.equal(ev('mvfind(x, "^b")', { x: ['a', 'bb', 'b'] }), 1);
    assert.equal(ev('mvfind(x, "z")', { x: ['a'] }), null);
    assert.deepEqual(ev('mvdedup(x)', { x: ['a', 'b', 'a'] }), ['a', 'b']);
    assert.deepEqual(ev('mvappend(x, "c", y)', { x: ['a', 'b'] }), ['a', 'b', 'c']);
    assert.deepEqual(ev('mvzip(x, y, ":")', { x: ['a', 'b'], y: ['1', '2', '3'] }), ['a:1', 'b:2']);
    assert.deepEqual(ev('mvsort(x)', { x: ['b', '10', 'a', '9'] }), ['10', '9', 'a', 'b']);
    assert.deepEqual(ev('mvmap(x, x*2)', { x: ['1', '2'] }), [2, 4]);
  });
});

describe('spl exec eval: text, math, time and other functions', () => {
  test('substr is 1-based with negative starts from the end', () => {
    assert.equal(ev('substr("abcdef", 2, 3)'), 'bcd');
    assert.equal(ev('substr("abcdef", -2)'), 'ef');
    assert.equal(ev('substr("abcdef", 1, 0)'), '');
  });

  test('case and trimming, len, urldecode', () => {
    assert.equal(ev('upper(x)', { x: 'aB' }), 'AB');
    assert.deepEqual(ev('lower(x)', { x: ['A', 'B'] }), ['a', 'b']);
    assert.equal(ev('trim("  a b ")'), 'a b');
    assert.equal(ev('ltrim("xxaxx", "x")'), 'axx');
    assert.equal(ev('rtrim("xxaxx", "x")'), 'xxa');
    assert.equal(ev('len("héllo")'), 5);
    assert.equal(ev('urldecode("a%20b%2Fc%C3%A9")'), 'a b/cé');
  });

  test('tonumber with a base, tostring hex and commas, printf', () => {
    assert.equal(ev('tonumber("0xf84", 16)'), 0xf84);
    assert.equal(ev('tonumber("ff", 16)'), 255);
    assert.equal(ev('tonumber("12abc")'), null);
    assert.equal(ev('tonumber(" 42 ")'), 42);
    assert.equal(ev('tostring(255, "hex")'), '0xFF');
    assert.equal(ev('tostring(1234567.891, "commas")'), '1,234,567.89');
    assert.equal(ev('tostring(3725, "duration")'), '01:02:05');
    assert.equal(ev('printf("%05.1f|%-4s|%x|%d%%", 3.14159, "ab", 255, 7)'), '003.1|ab  |ff|7%');
  });

  test('math: round half away from zero, floor, ceil, abs, pow, sqrt, log, min, max', () => {
    assert.equal(ev('round(2.5)'), 3);
    assert.equal(ev('round(-2.5)'), -3);
    assert.equal(ev('round(1.005, 2)'), 1.01);
    assert.equal(ev('floor(1.7) + ceil(1.2) + ceiling(0.1)'), 4);
    assert.equal(ev('abs(-3) * pow(2, 3)'), 24);
    assert.equal(ev('sqrt(-1)'), null);
    assert.equal(ev('log(1000)'), 3);
    assert.equal(ev('ln(0)'), null);
    assert.equal(ev('min(3, x, 10)', { x: ['2', '7'] }), 2);
    assert.equal(ev('max(3, "b", 10)'), 'b');
    const r = ev('random()');
    assert.ok(typeof r === 'number' && Number.isInteger(r) && r >= 0);
  });

  test('time: now(), relative_time, strftime, strptime', () => {
    assert.equal(ev('now()'), NOW);
    assert.equal(ev('relative_time(now(), "-1d@d")'), Date.UTC(2024, 4, 14) / 1000);
    assert.equal(ev('strftime(t, "%Y-%m-%d %H:%M:%S")', { t: NOW }), '2024-05-15 12:30:45');
    assert.equal(ev('strptime("2024-05-15", "%Y-%m-%d")'), Date.UTC(2024, 4, 15) / 1000);
    assert.equal(compileError('relative_time(now(), "-1q@zz")').code, 'spl.bad-time-modifier');
  });

  test('cidrmatch, hashes, typeof, isnum/isstr/isint, validate', () => {
    assert.equal(ev('cidrmatch("10.0.0.0/8", ip)', { ip: '10.9.8.7' }), true);
    assert.equal(ev('cidrmatch("10.0.0.0/8", ip)', { ip: '192.168.0.1' }), false);
    assert.equal(ev('md5("abc")'), '900150983cd24fb0d6963f7d28e17f72');
    assert.equal(ev('sha256("")'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(ev('typeof(x)', { x: '12' }), 'Number');
    assert.equal(ev('typeof(x)', { x: 'ab' }), 'String');
    assert.equal(ev('typeof(x)'), 'Invalid');
    assert.equal(ev('typeof(1=1)'), 'Boolean');
    assert.equal(ev('isnum(x) AND isint(x) AND NOT isstr(x)', { x: '3' }), true);
    assert.equal(ev('validate(isnotnull(a), "no a", a>0, "a not positive")', { a: '-1' }), 'a not positive');
    assert.equal(ev('validate(isnotnull(a), "no a")', { a: '1' }), null);
  });

  test('json_extract (0-based) and spath (1-based, {} for every element)', () => {
    const j = { j: '{"a":{"b":[10,20,30],"c":"x","d":{"e":true}}}' };
    assert.equal(ev('json_extract(j, "a.b{1}")', j), 20);
    assert.equal(ev('spath(j, "a.b{1}")', j), 10);
    assert.deepEqual(ev('spath(j, "a.b{}")', j), [10, 20, 30]);
    assert.equal(ev('json_extract(j, "a.d")', j), '{"e":true}');
    assert.equal(ev('json_extract(j, "a.d.e")', j), 'true');
    assert.equal(ev('json_extract("not json", "a")'), null);
  });

  test('searchmatch applies search semantics (case-insensitive, wildcards) to the row', () => {
    const fields = { user: 'ADMIN', process: 'c:\\x\\whoami.exe', _raw: 'Event user=ADMIN' };
    assert.equal(ev('searchmatch("user=admin process=*whoami*")', fields), true);
    assert.equal(ev('searchmatch("user=root")', fields), false);
    assert.equal(compileError('searchmatch(x)').code, 'spl.bad-argument');
  });
});

describe('spl exec eval: errors', () => {
  test('an unknown function is a located error naming it', () => {
    const e = compileError('x=1 AND frobnicate(x)');
    assert.equal(e.code, 'spl.unsupported-function');
    assert.match(e.message, /frobnicate/);
    assert.equal(e.location.offset, '| where x=1 AND '.length);
  });

  test('a wrong argument count is spl.bad-arity at the call', () => {
    const e = compileError('if(x, 1)');
    assert.equal(e.code, 'spl.bad-arity');
    assert.equal(e.location.offset, '| where '.length);
    assert.equal(compileError('case(x=1, 2, 3)').code, 'spl.bad-arity');
    assert.equal(compileError('now(1)').code, 'spl.bad-arity');
  });

  test('function names are looked up case-insensitively', () => {
    assert.equal(ev('IF(isnull(x), "none", x)'), 'none');
  });
});

describe('spl exec regex translation (pcre.ts)', () => {
  test('(?i) becomes two-case classes: no i flag, original case kept in captures', () => {
    const r = compileSplRegex('(?i)^cmd\\.exe$');
    assert.equal(r.flags.includes('i'), false);
    assert.equal(r.test('CMD.EXE'), true);
    assert.equal(r.test('cmdxexe'), false);
    const m = compileSplRegex('(?i)user=(?<u>[a-z]+)').exec('USER=BoB;');
    assert.equal(m?.groups?.['u'], 'BoB');
  });

  test('(?P<name>...) and (?P=name) translate to JS named groups and back-references', () => {
    const r = compileSplRegex('(?P<q>["\'])(?P<v>\\w+)(?P=q)');
    const m = r.exec('x="abc"');
    assert.equal(m?.groups?.['v'], 'abc');
    assert.equal(r.test('x="abc\''), false);
  });

  test('scoped and mid-pattern inline flags apply to their scope only', () => {
    const r = compileSplRegex('a(?i:b)c');
    assert.equal(r.test('aBc'), true);
    assert.equal(r.test('aBC'), false);
    const s = compileSplRegex('x(?s).y');
    assert.equal(s.test('x\ny'), true);
    assert.equal(compileSplRegex('x.y').test('x\ny'), false);
  });

  test('\\Q..\\E quoting, \\A and \\z anchors, POSIX classes, a leading ] in a class', () => {
    assert.equal(compileSplRegex('\\Qa.b*c\\E').test('a.b*c'), true);
    assert.equal(compileSplRegex('\\Qa.b*c\\E').test('aXbbc'), false);
    assert.equal(compileSplRegex('\\Aab\\z').test('ab'), true);
    assert.equal(compileSplRegex('\\Aab\\z').test('xab'), false);
    assert.equal(compileSplRegex('^[[:digit:]]+$').test('123'), true);
    assert.equal(compileSplRegex('[]x]').test(']'), true);
  });

  test('possessive quantifiers, atomic groups, recursion and \\K are unsupported', () => {
    for (const p of ['a++b', 'a{2}+', '(?>ab)c', '(a(?R)?b)', 'ab\\Kc']) {
      assert.throws(() => translateSplRegex(p), (e: unknown) => e instanceof LocatedError && e.code === 'spl.unsupported-regex', p);
    }
  });

  test('an invalid regex is spl.bad-regex at the given location', () => {
    assert.throws(() => compileSplRegex('a(b', { start: 42 }), (e: unknown) => e instanceof LocatedError && e.code === 'spl.bad-regex' && e.location.offset === 42);
  });

  test('a pattern that needs the backtracking engine is input-capped', () => {
    const r = compileSplRegex('(a)\\1');
    assert.ok(r instanceof CappedRegExp);
    assert.equal(r.test('x'.repeat(20_000) + 'aa'), false);
    assert.equal(r.test('aa'), true);
    assert.equal('xaay'.replace(compileSplRegex('(a)\\1', undefined, { flags: 'g' }), '-'), 'x-y');
  });

  test('nested quantifiers on the linear engine stay fast on hostile input', () => {
    const r = compileSplRegex('^(a+)+$');
    const started = Date.now();
    assert.equal(r.test('a'.repeat(5000) + 'b'), false);
    assert.ok(Date.now() - started < 2000);
  });
});

describe('spl exec wildcards (wildcard.ts)', () => {
  test('wildcardMatcher is anchored and optionally case-insensitive', () => {
    assert.equal(wildcardMatcher('*\\cmd.exe', false)('C:\\X\\CMD.EXE'), true);
    assert.equal(wildcardMatcher('*\\cmd.exe', true)('C:\\X\\CMD.EXE'), false);
    assert.equal(wildcardMatcher('a*b*a', false)('aba'), true);
    assert.equal(wildcardMatcher('a*b*a', false)('ab'), false);
    assert.equal(wildcardMatcher('ab*ba', false)('aba'), false);
  });

  test('many stars on a long text finish quickly (no backtracking)', () => {
    const m = wildcardMatcher('*a*a*a*a*a*a*a*a*a*a*b', false);
    const started = Date.now();
    assert.equal(m('a'.repeat(100_000)), false);
    assert.ok(Date.now() - started < 1000);
  });

  test('likeMatcher: % any run, _ one character', () => {
    assert.equal(likeMatcher('a_c%')('abcdef'), true);
    assert.equal(likeMatcher('a_c%')('ac'), false);
    assert.equal(likeMatcher('%%x%_')('yyxz'), true);
  });
});
