/** Value-match semantics of the compiled engine, one ValueMatch kind at a time. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Expr, ValueMatch } from '../../src/ir/nodes.js';
import type { FieldValue, VigilEvent } from '../../src/core/event.js';
import { AhoCorasick } from '../../src/engine/needles.js';
import { and, detection, event, field, lit, matches, not, or, pat, run } from './engine-test-kit.js';

const re = (source: string, flags = ''): ValueMatch => ({ kind: 'regex', source, flags });
const num = (op: 'lt' | 'lte' | 'gt' | 'gte' | 'eq', value: number): ValueMatch => ({ kind: 'number', op, value });
const cidr = (network: string): ValueMatch => ({ kind: 'cidr', network });

describe('patterns', () => {
  test('a plain value is a whole-field match, case-insensitive by default', () => {
    const e = field('Image', lit('C:\\Windows\\System32\\cmd.exe'));
    assert.equal(matches(e, { Image: 'c:\\windows\\system32\\CMD.EXE' }), true);
    assert.equal(matches(e, { Image: 'C:\\Windows\\System32\\cmd.exe ' }), false);
    assert.equal(matches(e, { Image: 'D:\\C:\\Windows\\System32\\cmd.exe' }), false);
  });

  test('cased patterns compare raw values', () => {
    const e = field('User', { kind: 'pattern', parts: [{ kind: 'any' }, { kind: 'text', text: 'Admin' }], cased: true });
    assert.equal(matches(e, { User: 'CORP\\Admin' }), true);
    assert.equal(matches(e, { User: 'CORP\\admin' }), false);
  });

  test('non-ASCII letters fold too', () => {
    assert.equal(matches(field('Path', pat('*ÄRGER*')), { Path: 'x ärger y' }), true);
  });

  test('prefix, suffix and contains', () => {
    assert.equal(matches(field('CommandLine', pat('cmd*')), { CommandLine: 'CMD /c dir' }), true);
    assert.equal(matches(field('CommandLine', pat('cmd*')), { CommandLine: ' cmd /c dir' }), false);
    assert.equal(matches(field('Image', pat('*\\cmd.exe')), { Image: 'C:\\x\\CMD.exe' }), true);
    assert.equal(matches(field('Image', pat('*\\cmd.exe')), { Image: 'C:\\x\\cmd.exe.bak' }), false);
    assert.equal(matches(field('CommandLine', pat('*-enc*')), { CommandLine: 'powershell -EncodedCommand x' }), true);
    assert.equal(matches(field('CommandLine', pat('*-enc*')), { CommandLine: 'powershell -e x' }), false);
  });

  test('? is exactly one character', () => {
    const e = field('F', pat('a?c'));
    assert.equal(matches(e, { F: 'abc' }), true);
    assert.equal(matches(e, { F: 'ac' }), false);
    assert.equal(matches(e, { F: 'abbc' }), false);
    assert.equal(matches(e, { F: 'a😀c' }), true, 'a surrogate pair is one character');
    assert.equal(matches(field('U', pat('http://ad.example.com/adlog.php?')), { U: 'http://ad.example.com/adlog.php?' }), true);
    assert.equal(matches(field('U', pat('http://ad.example.com/adlog.php?')), { U: 'http://ad.example.com/adlog.php' }), false);
  });

  test('multi-part wildcards', () => {
    const e = field('F', pat('*\\windowspowershell\\modules\\*\\.ps?'));
    assert.equal(matches(e, { F: 'C:\\WindowsPowerShell\\Modules\\evil\\x\\.psm' }), true);
    assert.equal(matches(e, { F: 'C:\\WindowsPowerShell\\Modules\\evil\\x\\.ps' }), false);
    assert.equal(matches(field('F', pat('a*b*c')), { F: 'aXbYbZc' }), true);
    assert.equal(matches(field('F', pat('a*b*c')), { F: 'aXcYb' }), false);
    assert.equal(matches(field('F', pat('a*bc')), { F: 'abc' }), true);
    assert.equal(matches(field('F', pat('ab*bc')), { F: 'abc' }), false, 'segments may not overlap');
    assert.equal(matches(field('F', pat('*')), { F: '' }), true);
    assert.equal(matches(field('F', pat('*')), {}), false, '* needs the field');
    assert.equal(matches(field('F', lit('')), { F: '' }), true);
    assert.equal(matches(field('F', lit('')), { F: 'x' }), false);
  });

  test('wildcard scan agrees with a regex reference on random patterns', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = ['a', 'b', 'A', '*', '?'];
    for (let i = 0; i < 400; i++) {
      let p = '';
      for (let k = 0, n = 1 + rnd(6); k < n; k++) p += alphabet[rnd(alphabet.length)];
      const values: string[] = [];
      for (let j = 0; j < 6; j++) {
        let v = '';
        for (let k = 0, n = rnd(7); k < n; k++) v += 'abAB'[rnd(4)];
        values.push(v);
      }
      const reference = new RegExp(`^${p.replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'is');
      for (const v of values) assert.equal(matches(field('F', pat(p)), { F: v }), reference.test(v), `pattern ${p} on ${v}`);
    }
  });
});

describe('field value types', () => {
  test('list fields match when any item does', () => {
    const e = field('Data', pat('*mimikatz*'));
    assert.equal(matches(e, { Data: ['a', 'b', 'sekurlsa mimikatz'] }), true);
    assert.equal(matches(e, { Data: ['a', null, 'b'] }), false);
  });

  test('numbers and booleans compare as their text', () => {
    assert.equal(matches(field('EventID', lit('4688')), { EventID: 4688 }), true);
    assert.equal(matches(field('EventID', pat('46*')), { EventID: 4688 }), true);
    assert.equal(matches(field('Signed', lit('true')), { Signed: true }), true);
    assert.equal(matches(field('Signed', lit('false')), { Signed: true }), false);
  });

  test('a null value does not match a pattern', () => {
    assert.equal(matches(field('F', pat('*')), { F: null }), false);
  });
});

describe('numbers', () => {
  test('decimal and hex event values', () => {
    assert.equal(matches(field('Size', num('gt', 100)), { Size: 101 }), true);
    assert.equal(matches(field('Size', num('gt', 100)), { Size: '100' }), false);
    assert.equal(matches(field('Size', num('gte', 100)), { Size: '100' }), true);
    assert.equal(matches(field('Pid', num('eq', 4660)), { Pid: '0x1234' }), true);
    assert.equal(matches(field('Pid', num('lt', 10)), { Pid: '-3.5' }), true);
    assert.equal(matches(field('Pid', num('lte', 10)), { Pid: ['x', '7'] }), true, 'list item');
  });

  test('non-numeric values never match', () => {
    for (const v of ['', 'abc', '12abc', '0x', 'NaN', 'Infinity']) {
      assert.equal(matches(field('N', num('lt', 1e9)), { N: v }), false, v);
      assert.equal(matches(field('N', num('gt', -1e9)), { N: v }), false, v);
    }
    assert.equal(matches(field('N', num('lt', 1)), { N: true }), false);
  });
});

describe('cidr', () => {
  test('IPv4 networks and edges', () => {
    const e = field('DestinationIp', cidr('10.0.0.0/8'));
    assert.equal(matches(e, { DestinationIp: '10.255.255.255' }), true);
    assert.equal(matches(e, { DestinationIp: '11.0.0.0' }), false);
    assert.equal(matches(e, { DestinationIp: '9.255.255.255' }), false);
    assert.equal(matches(e, { DestinationIp: '10.0.0' }), false);
    assert.equal(matches(e, { DestinationIp: '10.0.0.256' }), false);
    assert.equal(matches(e, { DestinationIp: 'not an ip' }), false);
    assert.equal(matches(e, { DestinationIp: '::ffff:10.1.2.3' }), true, 'IPv4-mapped IPv6');
    assert.equal(matches(field('Ip', cidr('0.0.0.0/0')), { Ip: '203.0.113.9' }), true);
    assert.equal(matches(field('Ip', cidr('0.0.0.0/0')), { Ip: '2001:db8::1' }), false, 'an IPv4 network holds no native IPv6');
    assert.equal(matches(field('Ip', cidr('192.168.1.7/32')), { Ip: '192.168.1.7' }), true);
    assert.equal(matches(field('Ip', cidr('192.168.1.7/32')), { Ip: '192.168.1.8' }), false);
    assert.equal(matches(field('Ip', cidr('172.16.0.0/12')), { Ip: '172.31.255.1' }), true);
    assert.equal(matches(field('Ip', cidr('172.16.0.0/12')), { Ip: '172.32.0.1' }), false);
  });

  test('IPv6 networks, compressed forms and zones', () => {
    const e = field('Ip', cidr('fe80::/10'));
    assert.equal(matches(e, { Ip: 'fe80::1%12' }), true);
    assert.equal(matches(e, { Ip: 'FEBF:0:0:0:0:0:0:1' }), true);
    assert.equal(matches(e, { Ip: 'fec0::1' }), false);
    assert.equal(matches(field('Ip', cidr('2001:db8::/32')), { Ip: '2001:0db8:ffff::' }), true);
    assert.equal(matches(field('Ip', cidr('2001:db8::/32')), { Ip: '2001:db9::' }), false);
    assert.equal(matches(field('Ip', cidr('::1/128')), { Ip: '::1' }), true);
    assert.equal(matches(field('Ip', cidr('::1/128')), { Ip: '::2' }), false);
    assert.equal(matches(field('Ip', cidr('::ffff:0:0/96')), { Ip: '192.0.2.1' }), true, 'IPv4 value in the mapped range');
    assert.equal(matches(field('Ip', cidr('2001:db8::/32')), { Ip: '2001:db8::1::2' }), false, 'two ::');
    assert.equal(matches(field('Ip', cidr('2001:db8::/32')), { Ip: '2001:db8:0:0:0:0:0:0:1' }), false, 'nine groups');
  });

  test('cidr tests on several fields of one event, and the same value again after another, each judge their own value', () => {
    const rules = [
      detection('src-private', field('SourceIp', cidr('10.0.0.0/8'))),
      detection('dst-private', field('DestinationIp', cidr('10.0.0.0/8'))),
      detection('src-again', field('SourceIp', cidr('10.1.0.0/16'))),
    ];
    const fired = (fields: Record<string, FieldValue>): string[] => run(rules, [event(fields)]).findings.map((f) => f.rule.id).sort();
    assert.deepEqual(fired({ SourceIp: '10.1.2.3', DestinationIp: '8.8.8.8' }), ['src-again', 'src-private']);
    assert.deepEqual(fired({ SourceIp: '8.8.8.8', DestinationIp: '10.1.2.3' }), ['dst-private']);
    assert.deepEqual(fired({ SourceIp: '10.1.2.3', DestinationIp: '10.1.2.3' }), ['dst-private', 'src-again', 'src-private']);
  });

  test('an invalid network is a compile problem, not a silent miss', () => {
    const { problems } = run([detection('bad', field('Ip', cidr('10.0.0.0/33')))], []);
    assert.equal(problems.length, 1);
  });
});

describe('regex', () => {
  test('unanchored search, case-sensitive unless i', () => {
    assert.equal(matches(field('C', re('enc[a-z]*')), { C: 'powershell -encodedcommand' }), true);
    assert.equal(matches(field('C', re('enc[a-z]*')), { C: 'powershell -ENCODEDCOMMAND' }), false);
    assert.equal(matches(field('C', re('enc[a-z]*', 'i')), { C: 'powershell -ENCODEDCOMMAND' }), true);
    assert.equal(matches(field('C', re('^enc')), { C: 'x enc' }), false);
    assert.equal(matches(field('C', re('[A-Z]{3}\\d', 'i')), { C: 'abc1' }), true, 'folded class range');
  });

  test('m and s flags', () => {
    assert.equal(matches(field('C', re('^second$')), { C: 'first\nsecond' }), false);
    assert.equal(matches(field('C', re('^second$', 'm')), { C: 'first\nsecond' }), true);
    assert.equal(matches(field('C', re('first.second')), { C: 'first\nsecond' }), false);
    assert.equal(matches(field('C', re('first.second', 's')), { C: 'first\nsecond' }), true);
    assert.equal(matches(field('C', re('FIRST.SECOND', 'is')), { C: 'first\nsecond' }), true);
  });

  test('look-around and back-references still work', () => {
    assert.equal(matches(field('C', re('(\\w)\\1x')), { C: 'aax' }), true);
    assert.equal(matches(field('C', re('foo(?!bar)', 'i')), { C: 'FOObar' }), false);
    assert.equal(matches(field('C', re('foo(?!bar)', 'i')), { C: 'FOObaz' }), true);
  });

  test('an invalid regex is a compile problem', () => {
    const { problems } = run([detection('bad', field('C', re('(unclosed')))], []);
    assert.equal(problems.length, 1);
  });
});

describe('time parts', () => {
  const tp = (part: 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year', op: 'eq' | 'gte' | 'lt', value: number): ValueMatch => ({
    kind: 'time-part',
    part,
    op,
    value,
  });
  test('parts of ISO and Sysmon timestamps, in UTC', () => {
    const f = { T: '2024-04-23T08:48:30.449376800Z', U: '2024-12-30 23:05:00.000', Z: '2024-04-23T01:30:00+02:00' };
    assert.equal(matches(field('T', tp('hour', 'eq', 8)), f), true);
    assert.equal(matches(field('T', tp('minute', 'eq', 48)), f), true);
    assert.equal(matches(field('T', tp('day', 'eq', 23)), f), true);
    assert.equal(matches(field('T', tp('month', 'eq', 4)), f), true);
    assert.equal(matches(field('T', tp('year', 'eq', 2024)), f), true);
    assert.equal(matches(field('T', tp('week', 'eq', 17)), f), true);
    assert.equal(matches(field('U', tp('week', 'eq', 1)), f), true, '2024-12-30 is in ISO week 1 of 2025');
    assert.equal(matches(field('U', tp('hour', 'gte', 23)), f), true);
    assert.equal(matches(field('Z', tp('hour', 'eq', 23)), f), true, 'offset converted to UTC');
    assert.equal(matches(field('Z', tp('day', 'eq', 22)), f), true);
  });
  test('non-timestamps never match', () => {
    assert.equal(matches(field('T', tp('hour', 'lt', 99)), { T: 'yesterday' }), false);
    assert.equal(matches(field('T', tp('hour', 'lt', 99)), { T: 5 }), false);
  });
});

describe('keyword, exists, null, fieldref', () => {
  test('keywords search every field value, numbers as text', () => {
    const k: Expr = { kind: 'keyword', match: pat('*mimikatz*') };
    assert.equal(matches(k, { A: 'x', B: ['y', 'Invoke-Mimikatz'] }), true);
    assert.equal(matches(k, { A: 'x' }), false);
    assert.equal(matches({ kind: 'keyword', match: lit('4688') }, { EventID: 4688 }), true);
  });

  test('substring keywords read number values as text when a keyword could be in one, and skip them otherwise', () => {
    assert.equal(matches({ kind: 'keyword', match: pat('*468*') }, { EventID: 14688 }), true);
    assert.equal(matches({ kind: 'keyword', match: pat('*e+21*') }, { Size: 1e21 }), true);
    assert.equal(matches({ kind: 'keyword', match: pat('*-12.5*') }, { Delta: -12.5 }), true);
    // Rules with both kinds of keyword share one index and its scan: each still gets its own answer.
    const rules = [detection('digits', { kind: 'keyword', match: pat('*468*') }), detection('word', { kind: 'keyword', match: pat('*mimikatz*') })];
    const fired = (fields: Record<string, FieldValue>): string[] => run(rules, [event(fields)]).findings.map((f) => f.rule.id).sort();
    assert.deepEqual(fired({ EventID: 4688, Image: 'x' }), ['digits']);
    assert.deepEqual(fired({ EventID: 1, Image: 'mimikatz.exe' }), ['word']);
    assert.deepEqual(fired({ EventID: 4688, Image: 'mimikatz.exe' }), ['digits', 'word']);
    assert.deepEqual(run([rules[1]!], [event({ EventID: 4688, Pid: 123456789 })]).findings.length, 0);
  });

  test('keyword searches walk the event\'s value list when its source gives one', () => {
    // A list that disagrees with the fields shows which one was read (sources keep them equal).
    const listed = (values: FieldValue[]): VigilEvent => ({ ...event({ A: 'plain' }), fieldValues: values });
    const rules = [detection('sub', { kind: 'keyword', match: pat('*mimikatz*') }), detection('re', { kind: 'keyword', match: re('^lsadump::') })];
    const fired = (e: VigilEvent): string[] => run(rules, [e]).findings.map((f) => f.rule.id).sort();
    assert.deepEqual(fired(listed(['x', ['y', 'Invoke-Mimikatz'], 'lsadump::sam'])), ['re', 'sub']);
    assert.deepEqual(fired(listed(['plain'])), []);
    assert.deepEqual(fired({ ...event({ A: 'mimikatz', B: 'lsadump::dcsync' }), fieldValues: null }), ['re', 'sub'], 'null: the fields are read');
  });

  test('exists is presence only; null is absent or null', () => {
    assert.equal(matches({ kind: 'exists', field: 'F' }, { F: '' }), true);
    assert.equal(matches({ kind: 'exists', field: 'F' }, {}), false);
    assert.equal(matches(not({ kind: 'exists', field: 'F' }), {}), true);
    assert.equal(matches({ kind: 'null', field: 'F' }, {}), true);
    assert.equal(matches({ kind: 'null', field: 'F' }, { F: null }), true);
    assert.equal(matches({ kind: 'null', field: 'F' }, { F: '' }), false, 'empty is not null');
  });

  test('fieldref compares two fields with case rules', () => {
    const ref = (op: 'eq' | 'contains' | 'startswith' | 'endswith', cased = false): Expr => ({
      kind: 'fieldref',
      field: 'A',
      other: 'B',
      op,
      cased,
    });
    assert.equal(matches(ref('eq'), { A: 'Admin', B: 'admin' }), true);
    assert.equal(matches(ref('eq', true), { A: 'Admin', B: 'admin' }), false);
    assert.equal(matches(ref('contains'), { A: 'C:\\Users\\bob\\x.exe', B: 'BOB' }), true);
    assert.equal(matches(ref('startswith'), { A: 'bobby', B: 'bob' }), true);
    assert.equal(matches(ref('endswith'), { A: 'bobby', B: 'bob' }), false);
    assert.equal(matches(ref('eq'), { A: 'x' }), false, 'other absent');
    assert.equal(matches(ref('eq'), { B: 'x' }), false, 'field absent');
    assert.equal(matches(not(ref('eq')), { A: 'x' }), true);
    assert.equal(matches(ref('eq'), { A: 4624, B: '4624' }), true);
  });
});

describe('conditions and findings', () => {
  test('and/or/not with cost ordering keep boolean meaning', () => {
    const expr = and(
      or(field('Image', pat('*\\cmd.exe')), field('OriginalFileName', lit('cmd.exe'))),
      field('CommandLine', re('/c\\s+whoami', 'i')),
      not(field('ParentImage', pat('*\\explorer.exe'))),
    );
    assert.equal(matches(expr, { Image: 'C:\\cmd.exe', CommandLine: 'cmd /C  whoami', ParentImage: 'x.exe' }), true);
    assert.equal(matches(expr, { Image: 'C:\\cmd.exe', CommandLine: 'cmd /C  whoami', ParentImage: 'C:\\explorer.exe' }), false);
    assert.equal(matches(expr, { OriginalFileName: 'Cmd.Exe', CommandLine: 'cmd /c whoami' }), true, 'not on a missing field is true');
    assert.equal(matches(expr, { Image: 'C:\\cmd.exe', CommandLine: 'cmd /c dir' }), false);
    assert.equal(matches({ kind: 'const', value: true }, {}), true);
    assert.equal(matches(and(), {}), true);
    assert.equal(matches(or(), {}), false);
  });

  test('matched holds the condition fields present on the event, as in the event', () => {
    const expr = and(field('Image', pat('*\\cmd.exe')), not(field('ParentImage', pat('*x*'))), { kind: 'null', field: 'Missing' });
    const e = event({ Image: 'C:\\CMD.EXE', CommandLine: 'cmd', Hashes: ['a', 'b'] }, { recordId: 9 });
    const { findings } = run([detection('r1', expr)], [e]);
    assert.equal(findings.length, 1);
    const f = findings[0]!;
    assert.equal(f.kind, 'match');
    if (f.kind !== 'match') return;
    assert.deepEqual(f.matched, { Image: 'C:\\CMD.EXE' });
    assert.equal(f.event, e);
    assert.equal(f.rule.id, 'r1');
    assert.equal(f.variant, 'any');
  });

  test('one finding per rule and event even when several variants match', () => {
    const c = field('Image', pat('*'));
    const rule = detection('multi', c, [
      { label: 'a', scope: { channels: [], providers: [], eventIds: [], extra: null }, condition: c },
      { label: 'b', scope: { channels: [], providers: [], eventIds: [], extra: null }, condition: c },
    ]);
    const { findings } = run([rule], [event({ Image: 'x' })]);
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.kind === 'match' ? findings[0]!.variant : '', 'a');
  });

  test('gated and ungated rules over many literals give the same answers as direct tests', () => {
    const needles = ['\\cmd.exe', '\\powershell.exe', 'c:\\windows\\', '-enc', 'mimikatz', 'whoami.exe'];
    const rules = needles.flatMap((n, i) => [
      detection(`suffix-${i}`, field('Image', pat(`*${n}`))),
      detection(`prefix-${i}`, field('Image', pat(`${n}*`))),
      detection(`contains-${i}`, and(field('CommandLine', pat(`*${n}*`)), not(field('User', lit('system'))))),
      detection(`exact-${i}`, or(field('Image', lit(n)), field('OriginalFileName', lit(n)))),
    ]);
    const values = ['C:\\Windows\\System32\\cmd.exe', 'c:\\windows\\powershell.exe -enc AA', 'mimikatz', '\\cmd.exe', 'whoami.exe', 'x'];
    for (const img of values) {
      for (const cl of values) {
        const fields = { Image: img, CommandLine: cl, OriginalFileName: cl, User: 'bob' };
        const got = new Set(run(rules, [event(fields)]).findings.map((f) => f.rule.id));
        const want = new Set<string>();
        needles.forEach((n, i) => {
          if (img.toLowerCase().endsWith(n)) want.add(`suffix-${i}`);
          if (img.toLowerCase().startsWith(n)) want.add(`prefix-${i}`);
          if (cl.toLowerCase().includes(n)) want.add(`contains-${i}`);
          if (img.toLowerCase() === n || cl.toLowerCase() === n) want.add(`exact-${i}`);
        });
        assert.deepEqual([...got].sort(), [...want].sort(), `${img} / ${cl}`);
      }
    }
  });

  test('rules fire in rule order, once each, however many gates open (past the small-list sort) among ungated rules', () => {
    // 90 rules: gated on one of three substrings or a suffix, or not gated at all, in a mixed order.
    const rules = Array.from({ length: 90 }, (_, i) => {
      switch (i % 5) {
        case 0:
          return detection(`r${i}`, field('CommandLine', pat('*alpha*')));
        case 1:
          return detection(`r${i}`, field('Image', pat('*')));
        case 2:
          return detection(`r${i}`, field('CommandLine', pat('*beta*')));
        case 3:
          return detection(`r${i}`, field('Image', pat('*\\tool.exe')));
        default:
          return detection(`r${i}`, or(field('CommandLine', pat('*gamma*')), field('Image', pat('*\\tool.exe'))));
      }
    });
    const ids = (fields: Record<string, FieldValue>): string[] => run(rules, [event(fields)]).findings.map((f) => f.rule.id);
    const want = (keep: (i: number) => boolean): string[] => rules.map((_, i) => i).filter(keep).map((i) => `r${i}`);
    assert.deepEqual(ids({ Image: 'C:\\x\\tool.exe', CommandLine: 'alpha beta gamma' }), want(() => true));
    assert.deepEqual(ids({ Image: 'C:\\x\\other.exe', CommandLine: 'gamma then alpha' }), want((i) => i % 5 === 0 || i % 5 === 1 || i % 5 === 4));
    assert.deepEqual(ids({ Image: 'C:\\x\\other.exe', CommandLine: 'nothing' }), want((i) => i % 5 === 1));
  });

  test('shared substring scan agrees with includes (overlapping needles, case views, lists, keywords)', () => {
    let seed = 11;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const word = (max: number): string => {
      let w = '';
      for (let k = 0, n = 1 + rnd(max); k < n; k++) w += 'abAB'[rnd(4)];
      return w;
    };
    const needles = Array.from({ length: 40 }, () => word(4));
    const containsMatch = (needle: string, cased: boolean): ValueMatch => ({
      kind: 'pattern',
      parts: [{ kind: 'any' }, { kind: 'text', text: needle }, { kind: 'any' }],
      cased,
    });
    const rules = needles.flatMap((n, i) => [
      detection(`f${i}`, field('F', containsMatch(n, false))),
      detection(`c${i}`, field('F', containsMatch(n, true))),
      detection(`o${i}`, or(field('F', containsMatch(n, false)), field('F', containsMatch(needles[(i + 1) % needles.length]!, true)))),
      detection(`k${i}`, { kind: 'keyword', match: containsMatch(n, false) }),
    ]);
    for (let round = 0; round < 60; round++) {
      const items = Array.from({ length: 1 + rnd(3) }, () => word(10));
      const other = word(6);
      const fields = { F: items.length === 1 ? items[0]! : items, G: other };
      const got = new Set(run(rules, [event(fields)]).findings.map((f) => f.rule.id));
      const has = (n: string, cased: boolean, values: string[]): boolean =>
        values.some((v) => (cased ? v.includes(n) : v.toLowerCase().includes(n.toLowerCase())));
      const want = new Set<string>();
      needles.forEach((n, i) => {
        if (has(n, false, items)) want.add(`f${i}`);
        if (has(n, true, items)) want.add(`c${i}`);
        if (has(n, false, items) || has(needles[(i + 1) % needles.length]!, true, items)) want.add(`o${i}`);
        if (has(n, false, [...items, other, 'Microsoft-Windows-Sysmon/Operational', 'Microsoft-Windows-Sysmon', '1'])) want.add(`k${i}`);
      });
      assert.deepEqual([...got].sort(), [...want].sort(), JSON.stringify(fields));
    }
  });

  test('texts shorter than every literal are skipped, but not a short text that lower-cases longer', () => {
    const containsMatch = (needle: string, cased: boolean): ValueMatch => ({
      kind: 'pattern',
      parts: [{ kind: 'any' }, { kind: 'text', text: needle }, { kind: 'any' }],
      cased,
    });
    // 'İ' (U+0130) lower-cases to 'i' + U+0307: a 2-unit text becomes 3 units, as long as the literal.
    const rules = [
      detection('long', field('F', containsMatch('i\u0307x', false))),
      detection('kw', { kind: 'keyword', match: containsMatch('i\u0307x', false) }),
      detection('ascii', field('F', containsMatch('abcdef', false))),
      detection('raw', field('F', containsMatch('abcdef', true))),
    ];
    const ids = (fields: Record<string, FieldValue>): string[] => run(rules, [event(fields)]).findings.map((f) => f.rule.id).sort();
    assert.deepEqual(ids({ F: '\u0130x' }), ['kw', 'long']);
    assert.deepEqual(ids({ F: 'ABCDE' }), []);
    assert.deepEqual(ids({ F: 'xABCDEFx' }), ['ascii']);
    assert.deepEqual(ids({ F: 'abcdef' }), ['ascii', 'raw']);
    assert.deepEqual(ids({ F: ['ab', 'zzabcdefzz'] }), ['ascii', 'raw']);
  });

  test('the substring automaton finds exactly the needles includes finds (exhaustive over a small alphabet)', () => {
    const strings = (max: number): string[] => {
      const out: string[] = [];
      let layer = [''];
      for (let n = 1; n <= max; n++) {
        layer = layer.flatMap((w) => [`${w}a`, `${w}b`]);
        out.push(...layer);
      }
      return out;
    };
    const needles = strings(3);
    const ac = new AhoCorasick();
    needles.forEach((n, i) => ac.add(n, i));
    ac.build();
    for (const text of strings(6)) {
      const found = new Set<number>();
      ac.scan(text, (id) => found.add(id));
      const want = needles.map((n, i) => (text.includes(n) ? i : -1)).filter((i) => i >= 0);
      assert.deepEqual([...found].sort((a, b) => a - b), want, text);
    }
  });

  test('the substring automaton reports every id of a needle added twice, whatever order needles come in', () => {
    const needles = ['powershell', 'power', 'shell', 'powershell', 'wer', 'p\u00e9', 'p\u00e9z', 'pow'];
    const reference = (text: string): number[] => needles.map((n, i) => (text.includes(n) ? i : -1)).filter((i) => i >= 0);
    const orders = [needles.map((_, i) => i), needles.map((_, i) => needles.length - 1 - i), [3, 0, 5, 7, 1, 6, 2, 4]];
    for (const order of orders) {
      const ac = new AhoCorasick();
      for (const i of order) ac.add(needles[i]!, i);
      ac.build();
      for (const text of ['xpowershellx', 'POWERSHELL', 'p\u00e9zpow', 'shellpower', '']) {
        const found: number[] = [];
        ac.scan(text, (id) => found.push(id));
        assert.deepEqual([...found].sort((a, b) => a - b), reference(text), `${order.join(',')}: ${text}`);
      }
    }
    assert.throws(() => {
      const ac = new AhoCorasick();
      ac.build();
      ac.add('late', 0);
    }, /after build/);
  });

  test('the substring automaton agrees with includes on random needles with non-ASCII and wide fan-out', () => {
    // A seeded generator so a failure can be replayed.
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = ['a', 'b', 'c', 'A', 'Z', '\\', '.', 'é', 'ж', '\u4e2d', '\ud83d', '\ude00', ...'0123456789'];
    const word = (max: number): string => Array.from({ length: 1 + rand(max) }, () => alphabet[rand(alphabet.length)]!).join('');
    // Many needles sharing a prefix and differing in one (often non-ASCII) unit: a busy state.
    const needles = [...Array.from({ length: 300 }, () => word(5)), ...Array.from({ length: 200 }, (_, i) => `pre${String.fromCharCode(100 + i * 7)}`)];
    const sorted = (set: Set<number>): number[] => [...set].sort((x, y) => x - y);
    // Both scan paths: the ASCII transition table (small automata) and the failure-link walk.
    for (const tableMaxStates of [undefined, 0]) {
      const label = tableMaxStates === undefined ? 'with table' : 'without table';
      const ac = new AhoCorasick(tableMaxStates === undefined ? {} : { tableMaxStates });
      needles.forEach((n, i) => ac.add(n, i));
      ac.build();
      for (let k = 0; k < 400; k++) {
        const text = k % 4 === 0 ? `xpre${String.fromCharCode(100 + rand(200) * 7)}${word(20)}` : word(40);
        const found = new Set<number>();
        ac.scan(text, (id) => found.add(id));
        const want = needles.map((n, i) => (text.includes(n) ? i : -1)).filter((i) => i >= 0);
        assert.deepEqual(sorted(found), want, `${label}: ${JSON.stringify(text)}`);
      }
      // Folding A-Z while scanning finds what a scan of the lower-cased text finds.
      const folded = new AhoCorasick(tableMaxStates === undefined ? {} : { tableMaxStates });
      const lowerNeedles = needles.map((n) => n.toLowerCase());
      lowerNeedles.forEach((n, i) => folded.add(n, i));
      folded.build();
      for (let k = 0; k < 200; k++) {
        const ascii = word(30).replace(/[^\x00-\x7f]/g, 'q');
        const a = new Set<number>();
        const b = new Set<number>();
        const c = new Set<number>();
        folded.scan(ascii, (id) => a.add(id), true);
        folded.scan(ascii.toLowerCase(), (id) => b.add(id));
        assert.equal(folded.scanFoldingAscii(ascii, (id) => c.add(id)), true);
        assert.deepEqual(sorted(a), sorted(b), `${label}: ${ascii}`);
        assert.deepEqual(sorted(c), sorted(b), `${label}: ${ascii}`);
        // Non-ASCII text: scanFoldingAscii gives up, having reported only needles before it.
        const wide = word(30);
        const stop = wide.search(/[^\x00-\x7f]/);
        const d = new Set<number>();
        const ok = folded.scanFoldingAscii(wide, (id) => d.add(id));
        assert.equal(ok, stop < 0, `${label}: ${JSON.stringify(wide)}`);
        const seen = (stop < 0 ? wide : wide.slice(0, stop)).toLowerCase();
        for (const id of d) assert.ok(seen.includes(lowerNeedles[id]!), `${label}: ${lowerNeedles[id]} reported for ${JSON.stringify(wide)}`);
        // What a caller ends with (those hits, then a scan of the lower-cased text when told to).
        if (!ok) folded.scan(wide.toLowerCase(), (id) => d.add(id));
        const wantD = lowerNeedles.map((n, i) => (wide.toLowerCase().includes(n) ? i : -1)).filter((i) => i >= 0);
        assert.deepEqual(sorted(d), wantD, `${label}: ${JSON.stringify(wide)}`);
      }
    }
  });
});

