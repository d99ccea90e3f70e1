/** Located errors: code, file, line and column (also for SPL embedded at line N of a YAML file). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeSource, parseSpl } from '../../src/spl/index.js';
import { errorOf } from './spl-test-helpers.js';

const at = (text: string) => {
  const e = errorOf(() => parseSpl(text));
  return { code: e.code, line: e.line, column: e.column };
};

describe('spl located errors', () => {
  test('unterminated quoted string points at the opening quote', () => {
    assert.deepEqual(at('index=a\nuser="bob'), { code: 'spl.lex.unterminated-string', line: 2, column: 6 });
  });

  test('an escaped quote does not close the string', () => {
    assert.deepEqual(at('a="x\\"'), { code: 'spl.lex.unterminated-string', line: 1, column: 3 });
  });

  test('unclosed parenthesis in search points at the (', () => {
    assert.deepEqual(at('a=1 (b=2 OR c=3'), { code: 'spl.parse.unclosed-paren', line: 1, column: 5 });
    assert.deepEqual(at('a=1 (b=2 | stats count'), { code: 'spl.parse.unclosed-paren', line: 1, column: 5 });
  });

  test('stray closing parenthesis', () => {
    assert.deepEqual(at('a=1 b=2)'), { code: 'spl.parse.unbalanced-paren', line: 1, column: 8 });
  });

  test('unclosed parenthesis in eval and in an IN list', () => {
    assert.deepEqual(at('| eval x=if(a, 1, 0'), { code: 'spl.parse.unclosed-paren', line: 1, column: 12 });
    assert.deepEqual(at('f IN (a, b'), { code: 'spl.parse.unclosed-paren', line: 1, column: 6 });
  });

  test('unclosed and stray brackets', () => {
    assert.deepEqual(at('| join x [search a=1\n| fields x'), { code: 'spl.parse.unclosed-bracket', line: 1, column: 10 });
    assert.deepEqual(at('a=1 ]'), { code: 'spl.parse.unbalanced-bracket', line: 1, column: 5 });
    assert.deepEqual(at('| foreach x* [eval a=1'), { code: 'spl.parse.unclosed-bracket', line: 1, column: 14 });
    assert.deepEqual(at('a=1 | appendpipe [stats count | eval [x]'), { code: 'spl.parse.unclosed-bracket', line: 1, column: 18 });
  });

  test('unterminated macro and comment', () => {
    assert.deepEqual(at('`sysmon EventCode=1'), { code: 'spl.lex.unterminated-macro', line: 1, column: 1 });
    assert.deepEqual(at('a=1 ``` note'), { code: 'spl.lex.unterminated-comment', line: 1, column: 5 });
  });

  test('missing value, missing command, empty pipeline segment, dangling OR', () => {
    assert.deepEqual(at('a= | stats count'), { code: 'spl.parse.missing-value', line: 1, column: 4 });
    assert.equal(at('a=1 | | stats count').code, 'spl.parse.unexpected-token');
    assert.equal(at('a=1 OR').code, 'spl.parse.unexpected-token');
    assert.equal(at('').code, 'spl.parse.unexpected-token');
  });

  test('command-specific errors: rename without as, rex without a regex, stats without aggregation, where with trailing junk', () => {
    assert.equal(at('| rename a b').code, 'spl.parse.unexpected-token');
    assert.equal(at('| rex field=x').code, 'spl.parse.unexpected-token');
    assert.equal(at('| stats by x').code, 'spl.parse.unexpected-token');
    assert.deepEqual(at('| where a=1 b=2'), { code: 'spl.parse.unexpected-token', line: 1, column: 13 });
    assert.equal(at('| where a=1 AND').code, 'spl.parse.unexpected-token');
    assert.equal(at('| eval x=1 +').code, 'spl.parse.unexpected-token');
    assert.equal(at('| eval x=a ; y').code, 'spl.lex.unexpected-character');
  });

  test('Source line offset: an SPL starting at line 40, column 9 of a YAML file', () => {
    const text = '| tstats count from datamodel=Endpoint.Processes\n  where Processes.process="*x\n  by dest';
    const e = errorOf(() => parseSpl(text, makeSource(text, 'detections/x.yml', 40, 9)));
    assert.equal(e.file, 'detections/x.yml');
    assert.equal(e.code, 'spl.lex.unterminated-string');
    assert.equal(e.line, 41);
    assert.equal(e.column, 27);
    assert.equal(e.offset, text.indexOf('"'));
    const first = errorOf(() => parseSpl('a=1 )', makeSource('a=1 )', 'f.yml', 40, 9)));
    assert.deepEqual([first.line, first.column], [40, 13]);
  });

  test('bounds: nesting depth, token count and length are limited, with located errors and no crash', () => {
    const deep = `${'('.repeat(5000)}a${')'.repeat(5000)}`;
    assert.equal(errorOf(() => parseSpl(deep)).code, 'spl.parse.too-deep');
    const deepNot = `${'NOT '.repeat(5000)}a`;
    assert.equal(errorOf(() => parseSpl(deepNot)).code, 'spl.parse.too-deep');
    const deepEval = `| eval x=${'-'.repeat(5000)}1`;
    assert.equal(errorOf(() => parseSpl(deepEval)).code, 'spl.parse.too-deep');
    const many = Array.from({ length: 200 }, (_, i) => `f${i}=1`).join(' ');
    assert.equal(errorOf(() => parseSpl(many, undefined, { maxTokens: 100 })).code, 'spl.parse.too-many-tokens');
    assert.equal(errorOf(() => parseSpl('a'.repeat(100), undefined, { maxLength: 50 })).code, 'spl.parse.too-long');
    // Within limits a long flat search is fine.
    assert.equal(parseSpl(Array.from({ length: 5000 }, (_, i) => `f${i}=${i}`).join(' OR ')).commands.length, 1);
  });

  test('garbage never crashes: every input either parses or throws a LocatedError', () => {
    const alphabet = ['a', '=', '"', '(', ')', '[', ']', '|', '`', ' ', 'OR', 'NOT', 'IN', ',', '\\', '*', 'eval ', 'where ', 'stats ', 'x(', "'", '1', '```'];
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 2000; round++) {
      let text = '';
      const len = 1 + rand(20);
      for (let i = 0; i < len; i++) text += alphabet[rand(alphabet.length)];
      try {
        parseSpl(text);
      } catch (e) {
        const probe = errorOf(() => {
          throw e;
        });
        assert.ok(probe.offset !== undefined && probe.offset >= 0 && probe.offset <= text.length, `bad offset for ${JSON.stringify(text)}`);
      }
    }
  });
});
