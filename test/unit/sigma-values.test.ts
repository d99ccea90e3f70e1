/**
 * Sigma values → IR ValueMatch: wildcards and escapes, case rules, null/empty, keywords, and one
 * test per value modifier (sigma.md §1.3–§1.5 and the pitfalls in §6.1–§6.11). Expected IR is
 * written out by hand.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Expr } from '../../src/ir/nodes.js';
import { ANY, ONE, T, and, conditionOf, errorsOf, fm, kw, load, not, or, rule } from './sigma-test-helpers.js';

const sel = (body: string): string => `  selection:\n${body}\n  condition: selection\n`;
const one = (key: string, value: string): Expr => conditionOf(sel(`    ${key}: ${value}`));

describe('sigma values: wildcards and escapes (§1.4, §6.1)', () => {
  test('a plain value is a full-field, case-insensitive match; other backslashes stay literal', () => {
    assert.deepEqual(one('Image', `'C:\\Windows\\System32\\cmd.exe'`), fm('Image', [T('C:\\Windows\\System32\\cmd.exe')]));
  });
  test('\\\\ collapses to one backslash, even in C:\\\\Windows', () => {
    assert.deepEqual(one('Image', `'C:\\\\Windows'`), fm('Image', [T('C:\\Windows')]));
  });
  test('a trailing lone backslash is literal (startswith)', () => {
    assert.deepEqual(one('Image|startswith', `'C:\\Windows\\'`), fm('Image', [T('C:\\Windows\\'), ANY]));
  });
  test('UNC path with doubled backslashes', () => {
    assert.deepEqual(one('Share', `'\\\\\\\\127.0.0.1\\\\ADMIN$\\'`), fm('Share', [T('\\\\127.0.0.1\\ADMIN$\\')]));
  });
  test('\\? escapes a question mark (\\\\?\\GLOBALROOT)', () => {
    assert.deepEqual(one('Path', `'\\\\\\\\\\?\\\\GLOBALROOT'`), fm('Path', [T('\\\\?\\GLOBALROOT')]));
  });
  test('\\* is a literal star', () => {
    assert.deepEqual(one('CommandLine|contains', `' -Filter \\*'`), fm('CommandLine', [ANY, T(' -Filter *'), ANY]));
    assert.deepEqual(one('Image', `'C:\\Windows\\*'`), fm('Image', [T('C:\\Windows*')]));
  });
  test('\\\\* is a backslash followed by a wildcard; \\\\\\* a backslash and a literal star', () => {
    assert.deepEqual(one('Image', `'C:\\Windows\\\\*'`), fm('Image', [T('C:\\Windows\\'), ANY]));
    assert.deepEqual(one('Image', `'a\\\\\\*'`), fm('Image', [T('a\\*')]));
  });
  test('wildcard in the middle with an escape after it', () => {
    assert.deepEqual(
      one('Path|contains', `'\\\\WindowsPowerShell\\\\Modules\\\\*\\.ps'`),
      fm('Path', [ANY, T('\\WindowsPowerShell\\Modules\\'), ANY, T('\\.ps'), ANY]),
    );
  });
  test('an unescaped ? is a one-character wildcard (§6.2)', () => {
    assert.deepEqual(one('Url', `'http://ad.foxitsoftware.com/adlog.php?'`), fm('Url', [T('http://ad.foxitsoftware.com/adlog.php'), ONE]));
    assert.deepEqual(one('Url|contains', `'php?'`), fm('Url', [ANY, T('php'), ONE, ANY]));
  });
  test('% is not special without expand', () => {
    assert.deepEqual(one('IpAddress', `'%domain_controllers_ips%'`), fm('IpAddress', [T('%domain_controllers_ips%')]));
  });
  test('field names are kept exactly (case and spelling)', () => {
    assert.deepEqual(one('OriginalFilename', 'x'), fm('OriginalFilename', [T('x')]));
  });
});

describe('sigma values: types and source spelling (§6.10, §6.11)', () => {
  test('an integer compares as its string', () => {
    assert.deepEqual(one('EventID', '4688'), fm('EventID', [T('4688')]));
  });
  test('unquoted hex keeps its spelling (0x40810000)', () => {
    assert.deepEqual(one('TicketOptions', '0x40810000'), fm('TicketOptions', [T('0x40810000')]));
  });
  test('YAML 1.2: 0777 and yes stay as written', () => {
    assert.deepEqual(one('Mode', '0777'), fm('Mode', [T('0777')]));
    assert.deepEqual(one('Flag', 'yes'), fm('Flag', [T('yes')]));
    assert.deepEqual(one('n', 'off'), fm('n', [T('off')])); // YAML 1.1 would read key `n` as false
  });
  test('booleans compare as true/false strings', () => {
    assert.deepEqual(one('Signed', 'true'), fm('Signed', [T('true')]));
  });
  test('a float keeps its spelling', () => {
    assert.deepEqual(one('Version', '1.50'), fm('Version', [T('1.50')]));
  });
});

describe('sigma values: null, empty, lists, keywords (§1.3, §6.8)', () => {
  test('null, an empty value and [] mean the field is null', () => {
    const nul: Expr = { kind: 'null', field: 'F' };
    assert.deepEqual(one('F', 'null'), nul);
    assert.deepEqual(conditionOf(sel('    F:\n    G: x')), and(nul, fm('G', [T('x')])));
    assert.deepEqual(one('F', '[]'), nul);
  });
  test("'' is an empty-string match, not null", () => {
    assert.deepEqual(one('F', "''"), fm('F', []));
  });
  test('values of one key are ORed, keys are ANDed', () => {
    assert.deepEqual(
      conditionOf(sel('    A:\n      - x\n      - y\n    B: z')),
      and(or(fm('A', [T('x')]), fm('A', [T('y')])), fm('B', [T('z')])),
    );
  });
  test('keyword lists are ORed substring searches; |all ANDs them', () => {
    assert.deepEqual(conditionOf(`  keywords:\n    - foo\n    - 'b*r'\n  condition: keywords\n`), or(kw([ANY, T('foo'), ANY]), kw([ANY, T('b'), ANY, T('r'), ANY])));
    assert.deepEqual(conditionOf(`  keywords:\n    '|all':\n      - foo\n      - bar\n  condition: keywords\n`), and(kw([ANY, T('foo'), ANY]), kw([ANY, T('bar'), ANY])));
  });
  test('a list of maps is an OR of ANDs; a mixed list ORs maps and keywords', () => {
    assert.deepEqual(
      conditionOf(`  selection:\n    - A: x\n      B: y\n    - C: z\n  condition: selection\n`),
      or(and(fm('A', [T('x')]), fm('B', [T('y')])), fm('C', [T('z')])),
    );
    assert.deepEqual(conditionOf(`  selection:\n    - A: x\n    - kw\n  condition: selection\n`), or(fm('A', [T('x')]), kw([ANY, T('kw'), ANY])));
  });
  test('null is not allowed as a keyword', () => {
    assert.equal(errorsOf(`  keywords:\n    '|contains': null\n  condition: keywords\n`)[0]!.code, 'sigma.detection.null');
  });
});

describe('sigma modifiers (§1.5)', () => {
  test('contains / startswith / endswith do not double wildcards', () => {
    assert.deepEqual(one('F|contains', `'*abc*'`), fm('F', [ANY, T('abc'), ANY]));
    assert.deepEqual(one('F|startswith', `'abc*'`), fm('F', [T('abc'), ANY]));
    assert.deepEqual(one('F|endswith', `'*\\abc.exe'`), fm('F', [ANY, T('\\abc.exe')]));
  });
  test('all ANDs the values of one key', () => {
    assert.deepEqual(one('F|contains|all', '[a, b]'), and(fm('F', [ANY, T('a'), ANY]), fm('F', [ANY, T('b'), ANY])));
  });
  test('cased makes the pattern case-sensitive', () => {
    assert.deepEqual(one('F|cased', 'AbC'), fm('F', [T('AbC')], true));
    assert.deepEqual(one('F|contains|cased', 'AbC'), fm('F', [ANY, T('AbC'), ANY], true));
  });
  test('exists true/false → exists / not exists; needs a field and no other modifier', () => {
    assert.deepEqual(one('F|exists', 'true'), { kind: 'exists', field: 'F' });
    assert.deepEqual(one('F|exists', 'false'), not({ kind: 'exists', field: 'F' }));
    assert.equal(errorsOf(sel('    F|exists|contains: true'))[0]!.code, 'sigma.modifier.combination');
    assert.equal(errorsOf(`  keywords:\n    '|exists': true\n  condition: keywords\n`)[0]!.code, 'sigma.modifier.field');
  });
  test('neq negates the whole value list (true when the field is absent)', () => {
    assert.deepEqual(one('F|neq', '[a, b]'), not(or(fm('F', [T('a')]), fm('F', [T('b')]))));
  });
  test('windash: 5 dash variants at word starts only, Cartesian product', () => {
    const dashes = ['-', '/', '\u2013', '\u2014', '\u2015'];
    const got = one('F|windash', `'-a param-1 -b'`);
    const want: Expr[] = [];
    for (const d1 of dashes) for (const d2 of dashes) want.push(fm('F', [T(`${d1}a param-1 ${d2}b`)]));
    assert.deepEqual(got, or(...want));
  });
  test('windash|contains|all: expansions stay ORed inside each ANDed value (§6.5)', () => {
    const dashes = ['-', '/', '\u2013', '\u2014', '\u2015'];
    const group = (v: string): Expr => or(...dashes.map((d) => fm('F', [ANY, T(`${d}${v}`), ANY])));
    assert.deepEqual(one('F|windash|contains|all', "['-a', '-b']"), and(group('a'), group('b')));
  });
  test('re: no wildcard processing, case-sensitive by default, i/m/s flags', () => {
    assert.deepEqual(one('F|re', `'a*b?c.\\d'`), { kind: 'field', field: 'F', match: { kind: 'regex', source: 'a*b?c.\\d', flags: '' } });
    assert.deepEqual(one('F|re|i', `'abc'`), { kind: 'field', field: 'F', match: { kind: 'regex', source: 'abc', flags: 'i' } });
    assert.deepEqual(one('F|re|m|s', `'^a.b$'`), { kind: 'field', field: 'F', match: { kind: 'regex', source: '^a.b$', flags: 'ms' } });
    assert.deepEqual(one('F|re|ignorecase', `'x'`), { kind: 'field', field: 'F', match: { kind: 'regex', source: 'x', flags: 'i' } });
  });
  test('re must be first; re|contains keeps the (unanchored) regex', () => {
    assert.equal(errorsOf(sel(`    F|contains|re: 'abc'`))[0]!.code, 'sigma.modifier.order');
    assert.deepEqual(one('F|re|contains', `'abc'`), { kind: 'field', field: 'F', match: { kind: 'regex', source: 'abc', flags: '' } });
  });
  test('i without re is an error', () => {
    assert.equal(errorsOf(sel(`    F|i: 'abc'`))[0]!.code, 'sigma.modifier.combination');
  });
  test('base64 (and base64|contains); wildcards cannot be encoded', () => {
    assert.deepEqual(one('F|base64', 'cmd.exe'), fm('F', [T('Y21kLmV4ZQ==')]));
    assert.deepEqual(one('F|base64|contains', 'cmd.exe'), fm('F', [ANY, T('Y21kLmV4ZQ=='), ANY]));
    assert.equal(errorsOf(sel(`    F|base64: 'cmd*'`))[0]!.code, 'sigma.modifier.wildcard');
  });
  test('base64offset|contains gives exactly the 3 trimmed variants (§6.7)', () => {
    assert.deepEqual(
      one('F|base64offset|contains', `'http://'`),
      or(fm('F', [ANY, T('aHR0cDovL'), ANY]), fm('F', [ANY, T('h0dHA6Ly'), ANY]), fm('F', [ANY, T('odHRwOi8v'), ANY])),
    );
  });
  test('base64offset without contains loads with a warning', () => {
    const res = load(rule(sel(`    F|base64offset: 'http://'`)));
    assert.equal(res.reports[0]!.status, 'loaded-with-warnings');
    assert.equal(res.reports[0]!.problems[0]!.code, 'sigma.modifier.base64offset');
  });
  test('wide|base64offset|contains encodes UTF-16LE before base64', () => {
    assert.deepEqual(
      one('F|wide|base64offset|contains', 'ping'),
      or(fm('F', [ANY, T('cABpAG4AZw'), ANY]), fm('F', [ANY, T('AAaQBuAGcA'), ANY]), fm('F', [ANY, T('wAGkAbgBnA'), ANY])),
    );
  });
  test('utf16le / utf16be / utf16 with base64', () => {
    assert.deepEqual(one('F|utf16le|base64', 'ping'), fm('F', [T('cABpAG4AZwA=')]));
    assert.deepEqual(one('F|utf16be|base64', 'ping'), fm('F', [T('AHAAaQBuAGc=')]));
    assert.deepEqual(one('F|utf16|base64', 'ping'), fm('F', [T('//5wAGkAbgBnAA==')]));
  });
  test('lt/lte/gt/gte need YAML numbers', () => {
    assert.deepEqual(one('F|gt', '10'), { kind: 'field', field: 'F', match: { kind: 'number', op: 'gt', value: 10 } });
    assert.deepEqual(one('F|lte', '0x10'), { kind: 'field', field: 'F', match: { kind: 'number', op: 'lte', value: 16 } });
    assert.deepEqual(one('F|gte', '[1, 2.5]'), or(
      { kind: 'field', field: 'F', match: { kind: 'number', op: 'gte', value: 1 } },
      { kind: 'field', field: 'F', match: { kind: 'number', op: 'gte', value: 2.5 } },
    ));
    assert.equal(errorsOf(sel(`    F|gte: '10'`))[0]!.code, 'sigma.detection.type');
  });
  test('time-part modifiers, alone (equality) and chained with comparisons', () => {
    assert.deepEqual(one('T|hour', '3'), { kind: 'field', field: 'T', match: { kind: 'time-part', part: 'hour', op: 'eq', value: 3 } });
    assert.deepEqual(one('T|hour|gte', '20'), { kind: 'field', field: 'T', match: { kind: 'time-part', part: 'hour', op: 'gte', value: 20 } });
    assert.deepEqual(one('T|lt|month', '4'), { kind: 'field', field: 'T', match: { kind: 'time-part', part: 'month', op: 'lt', value: 4 } });
    for (const part of ['minute', 'day', 'week', 'year']) {
      assert.deepEqual(one(`T|${part}`, '1'), { kind: 'field', field: 'T', match: { kind: 'time-part', part, op: 'eq', value: 1 } });
    }
  });
  test('cidr v4 and v6 (normalised); host bits set is an error', () => {
    assert.deepEqual(one('Ip|cidr', `'10.0.0.0/8'`), { kind: 'field', field: 'Ip', match: { kind: 'cidr', network: '10.0.0.0/8' } });
    assert.deepEqual(one('Ip|cidr', `'FE80:0:0::/10'`), { kind: 'field', field: 'Ip', match: { kind: 'cidr', network: 'fe80::/10' } });
    assert.deepEqual(one('Ip|cidr', `'2001:db8::/32'`), { kind: 'field', field: 'Ip', match: { kind: 'cidr', network: '2001:db8::/32' } });
    const e = errorsOf(sel(`    Ip|cidr: '192.168.1.1/24'`))[0]!;
    assert.equal(e.code, 'sigma.cidr');
    assert.match(e.message, /host bits/);
    assert.equal(errorsOf(sel(`    Ip|cidr|contains: '10.0.0.0/8'`))[0]!.code, 'sigma.modifier.combination');
  });
  test('expand replaces placeholders from the config; \\% is a literal percent', () => {
    const placeholders = { Admins: ['adm_*', 'root'] };
    assert.deepEqual(conditionOf(sel(`    User|expand: '%Admins%'`), { placeholders }), or(fm('User', [T('adm_'), ANY]), fm('User', [T('root')])));
    assert.deepEqual(conditionOf(sel(`    User|expand: 'x\\%%Admins%'`), { placeholders: { Admins: ['a'] } }), fm('User', [T('x%a')]));
  });
  test('expand with a missing placeholder is not loaded, with the name', () => {
    const [e] = errorsOf(sel(`    User|expand: '%Missing%'`), { placeholders: {} });
    assert.equal(e!.code, 'sigma.placeholder.missing');
    assert.match(e!.message, /%Missing%/);
    assert.equal(errorsOf(sel(`    User|expand: '%Admins%'`))[0]!.code, 'sigma.placeholder.missing');
  });
  test('fieldref, with contains/startswith/endswith, cased and neq', () => {
    assert.deepEqual(one('SubjectUserName|fieldref', 'TargetUserName'), { kind: 'fieldref', field: 'SubjectUserName', other: 'TargetUserName', op: 'eq', cased: false });
    assert.deepEqual(one('A|fieldref|contains', 'B'), { kind: 'fieldref', field: 'A', other: 'B', op: 'contains', cased: false });
    assert.deepEqual(one('A|fieldref|startswith|cased', 'B'), { kind: 'fieldref', field: 'A', other: 'B', op: 'startswith', cased: true });
    assert.deepEqual(one('A|fieldref|endswith', 'B'), { kind: 'fieldref', field: 'A', other: 'B', op: 'endswith', cased: false });
    assert.deepEqual(one('A|fieldref|neq', 'B'), not({ kind: 'fieldref', field: 'A', other: 'B', op: 'eq', cased: false }));
    assert.equal(errorsOf(sel(`    A|fieldref: 'B*'`))[0]!.code, 'sigma.fieldref');
  });
  test('utf16le is accepted (the spec has it, pySigma does not)', () => {
    assert.deepEqual(one('F|utf16le|base64offset|contains', 'ping'), one('F|wide|base64offset|contains', 'ping'));
  });
  test('unknown modifiers are errors with a hint and a location', () => {
    const [e] = errorsOf(sel(`    F|regex: 'x'`));
    assert.equal(e!.code, 'sigma.modifier.unknown');
    assert.match(e!.message, /did you mean 're'/);
    assert.equal(e!.line, 10); // title, id, status, level, logsource (3 lines), detection, selection, key
    assert.equal(e!.column, 5);
  });
});
