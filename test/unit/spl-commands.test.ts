/** Per-command node shapes (spl-and-rba.md §2.2–§2.9), written from the documented syntax. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  and,
  andExplicit,
  cmp,
  commandOf,
  eBin,
  eCall,
  eField,
  eGroup,
  eNeg,
  eNot,
  eNum,
  eStr,
  field,
  group,
  inList,
  macro,
  num,
  or,
  parse,
  str,
  whereOf,
  wild,
} from './spl-test-helpers.js';

const opt = (name: string, value: unknown) => ({ kind: 'option', name, value });
const agg = (fn: string, arg: unknown = null, alias: string | null = null) => ({ kind: 'aggregation', fn, arg, alias: alias === null ? null : field(alias) });
const map = (from: string, to: string | null = null) => ({ kind: 'field-mapping', from: field(from), to: to === null ? null : field(to) });

describe('spl tstats', () => {
  test('options, aggregations with aliases, datamodel with a dataset path, where, by and span', () => {
    const c = commandOf(
      '| tstats summariesonly=false allow_old_summaries=true fillnull_value=null count min(_time) as firstTime max(_time) AS lastTime values(Processes.process) dc(Processes.dest) as hosts ' +
        'from datamodel=Endpoint.Processes where Processes.process_name IN ("a.exe", "b.exe") Processes.process=*-enc* by Processes.dest _time span=1h',
    );
    assert.deepEqual(c, {
      kind: 'tstats',
      options: [opt('summariesonly', str('false')), opt('allow_old_summaries', str('true')), opt('fillnull_value', str('null'))],
      aggregations: [
        agg('count'),
        agg('min', field('_time'), 'firstTime'),
        agg('max', field('_time'), 'lastTime'),
        agg('values', field('Processes.process')),
        agg('dc', field('Processes.dest'), 'hosts'),
      ],
      from: { kind: 'datamodel-ref', model: 'Endpoint', path: ['Processes'] },
      where: and(inList('Processes.process_name', str('a.exe', true), str('b.exe', true)), cmp('Processes.process', '=', wild('*-enc*'))),
      by: [field('Processes.dest'), field('_time')],
      byOptions: [opt('span', str('1h'))],
    });
  });

  test('macro options (unexpanded ESCU form), macro as an option value, nested dataset path, prestats', () => {
    const c = commandOf('| tstats `security_content_summariesonly` prestats=true x=`cfg` count FROM datamodel=Network_Traffic.All_Traffic.Blocked WHERE a=1 OR b=2 BY src');
    assert.equal(c.kind, 'tstats');
    if (c.kind !== 'tstats') return;
    assert.deepEqual(c.options, [macro('security_content_summariesonly'), opt('prestats', str('true')), opt('x', macro('cfg'))]);
    assert.deepEqual(c.from, { kind: 'datamodel-ref', model: 'Network_Traffic', path: ['All_Traffic', 'Blocked'] });
    assert.deepEqual(c.where, or(cmp('a', '=', num('1')), cmp('b', '=', num('2'))));
    assert.deepEqual(c.by, [field('src')]);
  });

  test('two WHERE clauses (nodename, then a filter) combine as (first) AND (second)', () => {
    const c = commandOf('| tstats count from datamodel=Risk.All_Risk where nodename=All_Risk.Threat where a=1 b=2 by x');
    assert.deepEqual(c.kind === 'tstats' && c.where, andExplicit([true], group(cmp('nodename', '=', str('All_Risk.Threat'))), group(and(cmp('a', '=', num('1')), cmp('b', '=', num('2'))))));
    assert.deepEqual(c.kind === 'tstats' && c.by, [field('x')]);
  });

  test('no FROM, and a datamodel without a dataset', () => {
    const c = commandOf('| tstats count where index=main by host');
    assert.equal(c.kind === 'tstats' && c.from, null);
    const d = commandOf('| tstats count from datamodel=Web');
    assert.deepEqual(d.kind === 'tstats' && d.from, { kind: 'datamodel-ref', model: 'Web', path: [] });
  });
});

describe('spl stats family', () => {
  test('stats with count(eval(...)), commas and by', () => {
    const c = commandOf('| stats count, count(eval(EventCode=4648)) as explicit, values(dest) by user, src');
    assert.deepEqual(c, {
      kind: 'stats',
      name: 'stats',
      options: [],
      aggregations: [
        agg('count'),
        agg('count', { kind: 'agg-eval', expr: eBin('=', eField('EventCode'), eNum('4648')) }, 'explicit'),
        agg('values', field('dest')),
      ],
      by: [field('user'), field('src')],
    });
  });

  test('eventstats and streamstats keep their names and options; quoted alias', () => {
    const e = commandOf('| eventstats avg(count) as "Average Count" stdev(count) as sd by host');
    assert.equal(e.kind === 'stats' && e.name, 'eventstats');
    assert.deepEqual(e.kind === 'stats' && e.aggregations[0], { ...agg('avg', field('count')), alias: field('Average Count', true) });
    const s = commandOf('| streamstats window=5 current=f count by user');
    assert.deepEqual(s.kind === 'stats' && [s.name, s.options], ['streamstats', [opt('window', num('5')), opt('current', str('f'))]]);
  });
});

describe('spl eval and where', () => {
  test('several assignments with functions, concatenation and quoted field names', () => {
    const c = commandOf('| eval name=lower(\'Processes.process_name\') . "-" . upper(user), n=mvcount(split(path, "\\\\")), t=strftime(_time, "%Y")');
    assert.deepEqual(c, {
      kind: 'eval',
      assignments: [
        {
          kind: 'eval-assignment',
          field: field('name'),
          expr: eBin('.', eBin('.', eCall('lower', eField('Processes.process_name', true)), eStr('-')), eCall('upper', eField('user'))),
        },
        { kind: 'eval-assignment', field: field('n'), expr: eCall('mvcount', eCall('split', eField('path'), eStr('\\'))) },
        { kind: 'eval-assignment', field: field('t'), expr: eCall('strftime', eField('_time'), eStr('%Y')) },
      ],
    });
  });

  test('arithmetic precedence: * binds tighter than +, unary minus, parentheses', () => {
    assert.deepEqual(whereOf('a + b * 2 > -c % 3'), eBin('>', eBin('+', eField('a'), eBin('*', eField('b'), eNum('2'))), eBin('%', eNeg(eField('c')), eNum('3'))));
    assert.deepEqual(whereOf('(a + b) * 2 = 10'), eBin('=', eBin('*', eGroup(eBin('+', eField('a'), eField('b'))), eNum('2')), eNum('10')));
  });

  test('boolean precedence in eval/where is NOT > AND > XOR > OR (unlike search)', () => {
    assert.deepEqual(whereOf('a=1 OR b=2 AND NOT c=3'), eBin('OR', eBin('=', eField('a'), eNum('1')), eBin('AND', eBin('=', eField('b'), eNum('2')), eNot(eBin('=', eField('c'), eNum('3'))))));
    assert.deepEqual(whereOf('a XOR b OR c'), eBin('OR', eBin('XOR', eField('a'), eField('b')), eField('c')));
  });

  test('LIKE, IN operator, in() function, comparisons with == and !=', () => {
    assert.deepEqual(whereOf('p LIKE "%cmd%" AND u IN ("a", "b")'), eBin('AND', eBin('LIKE', eField('p'), eStr('%cmd%')), { kind: 'eval-in', operand: eField('u'), values: [eStr('a'), eStr('b')] }));
    assert.deepEqual(whereOf('in(u, "a") AND x == 1 AND y != "z"'), eBin('AND', eBin('AND', eCall('in', eField('u'), eStr('a')), eBin('==', eField('x'), eNum('1'))), eBin('!=', eField('y'), eStr('z'))));
  });

  test('the usual function set parses, including zero-argument calls', () => {
    const expr = whereOf(
      'isnotnull(a) AND isnull(b) AND like(c, "x%") AND match(d, "(?i)^\\\\d+$") AND len(e) > 3 AND cidrmatch("10.0.0.0/8", ip) AND coalesce(f, g, "h") != "" ' +
        'AND round(tonumber(n), 2) > 1 AND tostring(n) = "1" AND substr(s, 1, 3) = "abc" AND replace(r, "a", "b") = "b" AND mvindex(m, -1) = "z" ' +
        'AND strptime(t, "%Y") > 0 AND if(x, 1, 0) = case(y=1, 2, true(), 3) AND isnotnull(null()) = false()',
    );
    const calls: string[] = [];
    const walk = (e: unknown): void => {
      if (e === null || typeof e !== 'object') return;
      const node = e as { kind?: string; name?: string };
      if (node.kind === 'eval-call' && node.name !== undefined) calls.push(node.name);
      for (const v of Object.values(e)) walk(v);
    };
    walk(expr);
    assert.deepEqual(
      [...new Set(calls)].sort(),
      ['case', 'cidrmatch', 'coalesce', 'false', 'if', 'isnotnull', 'isnull', 'len', 'like', 'match', 'mvindex', 'null', 'replace', 'round', 'strptime', 'substr', 'tonumber', 'tostring', 'true'].sort(),
    );
  });

  test('eval/where operators are case-insensitive (ES risk rules write `and`); like()/in() stay functions', () => {
    assert.deepEqual(whereOf('a >= 3 and not b like "x%" or c in ("1")'), whereOf('a >= 3 AND NOT b LIKE "x%" OR c IN ("1")'));
    assert.deepEqual(whereOf('a >= 3 and b >= 4'), eBin('AND', eBin('>=', eField('a'), eNum('3')), eBin('>=', eField('b'), eNum('4'))));
    assert.deepEqual(whereOf('like(p, "a%") OR in(u, "x")'), eBin('OR', eCall('like', eField('p'), eStr('a%')), eCall('in', eField('u'), eStr('x'))));
    assert.deepEqual(whereOf('risk_score > $risk_threshold$'), eBin('>', eField('risk_score'), eField('$risk_threshold$')));
  });

  test('dotted bare field names and a dot as concatenation operator', () => {
    assert.deepEqual(whereOf('Processes.process_name = a . b'), eBin('=', eField('Processes.process_name'), eBin('.', eField('a'), eField('b'))));
  });
});

describe('spl field-shaping commands', () => {
  test('rename with AS, commas, quoted target and wildcards', () => {
    assert.deepEqual(commandOf('| rename Processes.* as *, Computer AS dest src as "Source IP"'), {
      kind: 'rename',
      mappings: [map('Processes.*', '*'), map('Computer', 'dest'), { kind: 'field-mapping', from: field('src'), to: field('Source IP', true) }],
    });
  });

  test('rename of a quoted prefix glued to .* concatenates into one field name', () => {
    assert.deepEqual(commandOf('| rename "Processes".* as *'), { kind: 'rename', mappings: [map('Processes.*', '*')] });
  });

  test('table and fields (+/-)', () => {
    assert.deepEqual(commandOf('| table _time, dest user *_name'), { kind: 'table', fields: [field('_time'), field('dest'), field('user'), field('*_name')] });
    assert.deepEqual(commandOf('| fields - _raw, junk'), { kind: 'fields', mode: '-', fields: [field('_raw'), field('junk')] });
    assert.deepEqual(commandOf('| fields + a'), { kind: 'fields', mode: '+', fields: [field('a')] });
    assert.deepEqual(commandOf('| fields a b'), { kind: 'fields', mode: null, fields: [field('a'), field('b')] });
  });

  test('convert timeformat= ctime(x) [as y]', () => {
    assert.deepEqual(commandOf('| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime) ctime(lastTime) as last'), {
      kind: 'convert',
      options: [opt('timeformat', str('%Y-%m-%dT%H:%M:%S', true))],
      conversions: [
        { kind: 'conversion', fn: 'ctime', field: field('firstTime'), alias: null },
        { kind: 'conversion', fn: 'ctime', field: field('lastTime'), alias: field('last') },
      ],
    });
  });

  test('lookup with options, AS mappings and OUTPUT / OUTPUTNEW / none', () => {
    assert.deepEqual(commandOf('| lookup update=true is_windows_system_file filename as process_name OUTPUT systemFile'), {
      kind: 'lookup',
      options: [opt('update', str('true'))],
      table: 'is_windows_system_file',
      inputs: [map('filename', 'process_name')],
      output: { mode: 'OUTPUT', fields: [map('systemFile')] },
    });
    const c = commandOf('| lookup assets ip AS src OUTPUTNEW owner AS src_owner, category');
    assert.deepEqual(c.kind === 'lookup' && c.output, { mode: 'OUTPUTNEW', fields: [map('owner', 'src_owner'), map('category')] });
    const d = commandOf('| lookup assets ip');
    assert.deepEqual(d.kind === 'lookup' && [d.inputs, d.output], [[map('ip')], null]);
  });

  test('inputlookup with a where clause in search syntax', () => {
    assert.deepEqual(commandOf('| inputlookup append=t known_hosts.csv where enabled=true'), {
      kind: 'inputlookup',
      options: [opt('append', str('t'))],
      table: 'known_hosts.csv',
      where: cmp('enabled', '=', str('true')),
    });
  });

  test('rex field= "regex" max_match=, and rex mode=sed', () => {
    assert.deepEqual(commandOf('| rex field=Message "Account Name:\\s+(?<acct>[^\\s]+)" max_match=0'), {
      kind: 'rex',
      options: [opt('field', str('Message')), opt('max_match', num('0'))],
      regex: 'Account Name:\\s+(?<acct>[^\\s]+)',
    });
    const sed = commandOf('| rex mode=sed field=x "s/\\\\\\\\/\\//g"');
    assert.equal(sed.kind === 'rex' && sed.regex, 's/\\\\/\\//g');
  });

  test('regex with = and !=, and without a field', () => {
    assert.deepEqual(commandOf('| regex process!="(?i)\\\\temp\\\\"'), { kind: 'regex', field: 'process', negated: true, regex: '(?i)\\temp\\' });
    assert.deepEqual(commandOf('| regex "^a"'), { kind: 'regex', field: null, negated: false, regex: '^a' });
  });

  test('bin and bucket with span before or after the field, and an alias', () => {
    assert.deepEqual(commandOf('| bin _time span=5m'), { kind: 'bin', name: 'bin', options: [opt('span', str('5m'))], field: field('_time'), alias: null });
    assert.deepEqual(commandOf('| bucket span=1h _time as hour'), { kind: 'bin', name: 'bucket', options: [opt('span', str('1h'))], field: field('_time'), alias: field('hour') });
  });

  test('dedup, sort, head, tail', () => {
    assert.deepEqual(commandOf('| dedup 2 user, host keepempty=true'), { kind: 'dedup', count: 2, options: [opt('keepempty', str('true'))], fields: [field('user'), field('host')], sortBy: [] });
    assert.deepEqual(commandOf('| dedup user sortby -_time host'), {
      kind: 'dedup',
      count: null,
      options: [],
      fields: [field('user')],
      sortBy: [
        { kind: 'sort-key', field: field('_time'), descending: true, signed: true },
        { kind: 'sort-key', field: field('host'), descending: false, signed: false },
      ],
    });
    assert.deepEqual(commandOf('| sort 0 - count +user _time'), {
      kind: 'sort',
      limit: 0,
      keys: [
        { kind: 'sort-key', field: field('count'), descending: true, signed: true },
        { kind: 'sort-key', field: field('user'), descending: false, signed: true },
        { kind: 'sort-key', field: field('_time'), descending: false, signed: false },
      ],
    });
    assert.deepEqual(commandOf('| sort limit=5 -count'), { kind: 'sort', limit: 5, keys: [{ kind: 'sort-key', field: field('count'), descending: true, signed: true }] });
    assert.deepEqual(commandOf('| head 10'), { kind: 'head-tail', name: 'head', count: 10, options: [] });
    assert.deepEqual(commandOf('| tail'), { kind: 'head-tail', name: 'tail', count: null, options: [] });
  });

  test('fillnull, spath, makemv, mvexpand', () => {
    assert.deepEqual(commandOf('| fillnull value="N/A" user dest'), { kind: 'fillnull', options: [opt('value', str('N/A', true))], fields: [field('user'), field('dest')] });
    assert.deepEqual(commandOf('| fillnull'), { kind: 'fillnull', options: [], fields: [] });
    assert.deepEqual(commandOf('| spath input=Data output=ops path=ops{}.name'), {
      kind: 'spath',
      options: [opt('input', str('Data')), opt('output', str('ops')), opt('path', str('ops{}.name'))],
      path: null,
    });
    assert.deepEqual(commandOf('| spath a.b'), { kind: 'spath', options: [], path: 'a.b' });
    assert.deepEqual(commandOf('| makemv delim=" " hosts'), { kind: 'makemv', options: [opt('delim', str(' ', true))], field: field('hosts') });
    assert.deepEqual(commandOf('| mvexpand hosts limit=100'), { kind: 'mvexpand', options: [opt('limit', num('100'))], field: field('hosts') });
  });
});

describe('spl subsearch commands, from, foreach, generic fallback', () => {
  test('join type= max= fields [subsearch]', () => {
    const c = commandOf('| join type=left max=0 process_guid, _time [search index=x EventCode=3 | fields process_guid dest_ip]');
    assert.equal(c.kind, 'join');
    if (c.kind !== 'join') return;
    assert.deepEqual(c.options, [opt('type', str('left')), opt('max', num('0'))]);
    assert.deepEqual(c.fields, [field('process_guid'), field('_time')]);
    assert.deepEqual(c.subsearch.commands, [
      { kind: 'search', implicit: false, expr: and(cmp('index', '=', str('x')), cmp('EventCode', '=', num('3'))) },
      { kind: 'fields', mode: null, fields: [field('process_guid'), field('dest_ip')] },
    ]);
  });

  test('append with a generating subsearch', () => {
    const c = commandOf('| append [| inputlookup extra.csv]');
    assert.equal(c.kind === 'append' && c.subsearch.leadingPipe, true);
    assert.deepEqual(c.kind === 'append' && c.subsearch.commands, [{ kind: 'inputlookup', options: [], table: 'extra.csv', where: null }]);
  });

  test('nested subsearches', () => {
    const p = parse('a=1 [search b=2 [search c=3 | fields c] | fields b]');
    assert.equal(p.commands.length, 1);
  });

  test('from datamodel:..., foreach template body kept raw', () => {
    assert.deepEqual(commandOf('| from datamodel:Endpoint.Processes'), { kind: 'from', dataset: 'datamodel:Endpoint.Processes' });
    assert.deepEqual(commandOf('| foreach mode=multifield count_* [eval <<FIELD>> = if(<<FIELD>> > 0, 1, 0) ]'), {
      kind: 'foreach',
      options: [opt('mode', str('multifield'))],
      fields: [field('count_*')],
      body: 'eval <<FIELD>> = if(<<FIELD>> > 0, 1, 0)',
    });
  });

  test('unknown commands become generic nodes with their raw argument text (brackets and quotes respected)', () => {
    const p = parse('index=x | iplocation src | xmlkv Message | transaction user maxspan=5m [search "a|b"] | appendpipe [stats count]');
    assert.deepEqual(p.commands.slice(1), [
      { kind: 'generic', name: 'iplocation', raw: 'src' },
      { kind: 'generic', name: 'xmlkv', raw: 'Message' },
      { kind: 'generic', name: 'transaction', raw: 'user maxspan=5m [search "a|b"]' },
      { kind: 'generic', name: 'appendpipe', raw: '[stats count]' },
    ]);
  });

  test('a macro as a whole pipeline segment', () => {
    assert.deepEqual(parse('a=1 | `drop_dm_object_name(Processes)` | `x_filter`').commands.slice(1), [
      { kind: 'macro-command', macro: macro('drop_dm_object_name', ['Processes']) },
      { kind: 'macro-command', macro: macro('x_filter') },
    ]);
  });
});
