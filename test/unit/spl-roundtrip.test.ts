/**
 * Printer round trips (parse(print(parse(x))) = parse(x) ignoring locations) and complete
 * detection-shaped searches written in our own words after the two dominant ESCU shapes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EvalExpr, SearchExpr } from '../../src/spl/ast.js';
import { parseEvalExpressionText, parseSpl, printEvalExpr, printSearchExpr, printSpl } from '../../src/spl/index.js';
import { and, assertRoundTrip, cmp, commandOf, macro, num, or, parse, str } from './spl-test-helpers.js';

const CASES: readonly string[] = [
  'web error',
  'a=1 b=2 OR c=3',
  'x=1 OR y=2 AND z=3',
  'NOT (a=1 OR b=2) c!=3',
  'count > 5 ratio<=0.5',
  'p="C:\\\\Windows\\\\x \\"q\\" a\\|b \\s" q=*\\\\AppData\\\\*',
  'f IN (a, b*, "c d") NOT g IN ("*2>&1*")',
  '"result.message"="x" DrsReplicaAdd "a phrase"',
  'country="IN" iso="AND" v="" w="a=b"',
  '`sysmon` EventCode=1 NOT `benign(a, "b c")`',
  'index=main [search index=ref | fields user] ```a comment```',
  '| tstats `security_content_summariesonly` count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes where Processes.process_name=cmd.exe (Processes.process="*/c*" OR Processes.process="*/k*") by Processes.dest Processes.user _time span=1h',
  '| tstats summariesonly=false count from datamodel=Network_Traffic.All_Traffic.Blocked where a=1',
  '| tstats x=`cfg` prestats=true count',
  '| tstats count from datamodel=Risk.All_Risk where nodename=All_Risk.Threat where a=1 b=2 OR c=3 where d=4 by x',
  '| stats count, count(eval(EventCode=4648 AND user!="-")) as explicit, values(dest) as "all dests" by user, src',
  '| eventstats avg(n) as a stdev(n) as s | streamstats window=3 count by u',
  '| eval name=lower(\'Processes.process_name\') . "-" . upper(user), n=mvcount(split(path, "\\\\")), z=-(a + b) * 2 % 7, t=if(like(x, "%a%"), "1", null())',
  '| where a=1 OR b=2 AND NOT c=3 XOR d LIKE "x%" OR e IN ("a", "b") OR f == g',
  '| where (a + b) * c >= 10 AND match(p, "(?i)\\\\temp\\\\") AND \'odd name\' != 1.5e3',
  '| rename Processes.* as *, Computer AS dest src as "Source IP" | rename "Processes".* as *',
  '| table _time, dest user *_name | fields - _raw | fields + a b | fields c',
  '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime) ctime(lastTime) as last',
  '| lookup update=true known filename as process_name OUTPUT systemFile | lookup a ip AS src OUTPUTNEW owner AS o, c | lookup b ip',
  '| inputlookup append=t known_hosts.csv where enabled=true OR x=*',
  '| rex field=Message "Account Name:\\s+(?<acct>[^\\s\\"]+)" max_match=0 | rex mode=sed field=x "s/\\\\\\\\/\\//g"',
  '| regex process!="(?i)\\\\temp\\\\" | regex "^a"',
  '| bin _time span=5m | bucket span=1h _time as hour',
  '| dedup 2 user, host keepempty=true | dedup x | dedup y sortby -_time, +z',
  '| sort 0 - count +user _time | sort limit=5 -count | head 10 | tail',
  '| fillnull value="N/A" user dest | fillnull | spath input=Data output=ops path=ops{}.name | spath a.b',
  '| makemv delim=" " hosts | mvexpand hosts limit=100',
  '| join type=left max=0 process_guid, _time [search index=x EventCode=3 | fields process_guid dest_ip]',
  '| append [| inputlookup extra.csv] | from datamodel:Endpoint.Processes',
  '| foreach mode=multifield count_* [eval <<FIELD>> = if(<<FIELD>> > 0, 1, 0) ]',
  'index=x | iplocation src | transaction user maxspan=5m [search "a|b"] | appendpipe [stats count]',
  'a=1 | `drop_dm_object_name(Processes)` | `security_content_ctime(firstTime)` | `x_filter`',
  'search user=b | search *',
  'TERM(10.0.0.1) CASE(Admin) earliest=-24h@h latest=now() ScriptBlockText IN("*a*","*b*")',
  '| where mitre_tactic_id_count >= 3 and source_count >= 4 | eval d=replace(\'summary.id\', "DM_" . \'eai:acl.app\' . "_", "")',
];

describe('spl printer round trips', () => {
  for (const text of CASES) {
    test(text.length > 70 ? `${text.slice(0, 70)}…` : text, () => {
      assertRoundTrip(text);
    });
  }

  test('printing normalises spacing, keyword case and escapes', () => {
    assert.equal(printSpl(parseSpl('a = 1   b="x\\y"|stats count AS n BY h')), 'a=1 b="x\\\\y" | stats count AS n by h');
    assert.equal(printSpl(parseSpl('|tstats count FROM datamodel=A.B WHERE x=1 BY y')), '| tstats count from datamodel=A.B where x=1 by y');
  });

  test('hand-built trees get the parentheses their precedence needs', () => {
    const orOfAnd = or(and(cmp('a', '=', num('1')), cmp('b', '=', num('2'))), cmp('c', '=', num('3')));
    const withLocs = JSON.parse(JSON.stringify(orOfAnd), (k, v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && 'kind' in v ? { ...v, loc: { start: 0, end: 0 } } : v)) as SearchExpr;
    assert.equal(printSearchExpr(withLocs), '(a=1 b=2) OR c=3');
    const loc = { start: 0, end: 0 };
    const sum: EvalExpr = { kind: 'eval-binary', op: '+', left: { kind: 'eval-field', name: 'a', quoted: false, loc }, right: { kind: 'eval-field', name: 'b', quoted: false, loc }, loc };
    const product: EvalExpr = { kind: 'eval-binary', op: '*', left: sum, right: { kind: 'eval-number', text: '2', value: 2, loc }, loc };
    assert.equal(printEvalExpr(product), '(a + b) * 2');
    const nested: EvalExpr = { kind: 'eval-binary', op: '-', left: { kind: 'eval-field', name: 'a', quoted: false, loc }, right: sum, loc };
    assert.equal(printEvalExpr(nested), 'a - (a + b)');
    assert.equal(printEvalExpr(parseEvalExpressionText('a - (a + b)')), 'a - (a + b)');
  });
});

describe('spl detection-shaped searches', () => {
  test('data-model shape: tstats | drop prefix | ctime x2 | filter', () => {
    const text = [
      '| tstats `security_content_summariesonly` count min(_time) as firstTime max(_time) as lastTime',
      '  from datamodel=Endpoint.Processes',
      '  where (Processes.process_name=reg.exe OR Processes.original_file_name=reg.exe) Processes.process IN ("* save *", "* export *") Processes.process="*\\\\sam*"',
      '  by Processes.dest Processes.user Processes.parent_process_name Processes.process_name Processes.process Processes.process_id',
      '| `drop_dm_object_name(Processes)`',
      '| `security_content_ctime(firstTime)`',
      '| `security_content_ctime(lastTime)`',
      '| `hive_export_via_registry_tool_filter`',
    ].join('\n');
    const ast = parse(text);
    assert.equal(ast.leadingPipe, true);
    assert.deepEqual(ast.commands.map((c) => c.kind), ['tstats', 'macro-command', 'macro-command', 'macro-command', 'macro-command']);
    const tstats = ast.commands[0]!;
    assert.equal(tstats.kind, 'tstats');
    if (tstats.kind !== 'tstats') return;
    assert.deepEqual(tstats.options, [macro('security_content_summariesonly')]);
    assert.deepEqual(tstats.aggregations.map((a) => `${a.fn}:${a.alias?.name ?? ''}`), ['count:', 'min:firstTime', 'max:lastTime']);
    assert.equal(tstats.where?.kind, 'search-and');
    assert.equal(tstats.where?.kind === 'search-and' && tstats.where.operands.length, 3);
    assert.equal(tstats.by.length, 6);
    assert.deepEqual(ast.commands[1], { kind: 'macro-command', macro: macro('drop_dm_object_name', ['Processes']) });
    assertRoundTrip(text);
  });

  test('raw-event shape: source macro + EventCode | stats | rename | ctime | filter', () => {
    const text =
      '`wineventlog_security` EventCode=4688 NOT user IN ("SYSTEM", "LOCAL SERVICE") | stats count min(_time) as firstTime max(_time) as lastTime values(process) as process by dest user parent_process_name ' +
      '| rename dest as host | `security_content_ctime(firstTime)` | `security_content_ctime(lastTime)` | `suspicious_child_of_service_filter`';
    const ast = parse(text);
    const first = ast.commands[0]!;
    assert.deepEqual(first, {
      kind: 'search',
      implicit: true,
      expr: and(macro('wineventlog_security'), cmp('EventCode', '=', num('4688')), {
        kind: 'search-not',
        operand: { kind: 'search-in', field: { kind: 'field-name', name: 'user', quoted: false }, values: [str('SYSTEM', true), str('LOCAL SERVICE', true)] },
      }),
    });
    assert.deepEqual(ast.commands.map((c) => c.kind), ['search', 'stats', 'rename', 'macro-command', 'macro-command', 'macro-command']);
    assertRoundTrip(text);
  });

  test('join/eval/where shape with a subsearch and eval-in-stats', () => {
    const text =
      '`sysmon` EventCode=1 | eval cmd=lower(CommandLine) | where like(cmd, "%-enc%") OR match(cmd, "frombase64string") ' +
      '| join type=left process_guid [search `sysmon` EventCode=3 | stats values(DestinationIp) as dest_ip by process_guid] ' +
      '| stats count(eval(isnotnull(dest_ip))) as with_network dc(dest_ip) as ips by dest | where with_network > 0 | table dest ips';
    const ast = parse(text);
    assert.deepEqual(ast.commands.map((c) => c.kind), ['search', 'eval', 'where', 'join', 'stats', 'where', 'table']);
    assertRoundTrip(text);
  });

  test('the tstats WHERE clause follows search precedence, the where command eval precedence', () => {
    const t = commandOf('| tstats count where a=1 b=2 OR c=3');
    assert.deepEqual(t.kind === 'tstats' && t.where, and(cmp('a', '=', num('1')), or(cmp('b', '=', num('2')), cmp('c', '=', num('3')))));
    const w = commandOf('| where a=1 AND b=2 OR c=3');
    assert.equal(w.kind === 'where' && w.expr.kind === 'eval-binary' && w.expr.op, 'OR');
  });
});
