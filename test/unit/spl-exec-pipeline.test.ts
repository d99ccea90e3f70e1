/**
 * Whole pipelines through compileSearch: heads (what the runner streams rows through), then run.
 * The two dominant ESCU shapes (spl-and-rba.md §1.1), macros already expanded in the text.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSpl } from '../../src/spl/index.js';
import { compileSearch } from '../../src/spl/exec/compile.js';
import { DEFAULT_LIMITS, type CompiledSearch, type ExecContext, type Row, type SplValue } from '../../src/spl/exec/types.js';

function row(fields: Record<string, SplValue>): Row {
  return new Map(Object.entries(fields));
}

const plain = (rows: Row[]): Record<string, SplValue>[] => rows.map((r) => Object.fromEntries(r));

const ctx: ExecContext = { now: 1_700_003_600, earliest: null, latest: null, lookup: () => undefined, limits: DEFAULT_LIMITS, warn: () => undefined };

/** What the runner does: offer every row of the head's source to its test, keep matches, run. */
function simulate(search: CompiledSearch, sources: { events?: Row[]; datamodel?: Record<string, Row[]> }): Row[] {
  const kept = search.heads.map((head) => {
    const rows = head.source.kind === 'events' ? (sources.events ?? []) : (sources.datamodel?.[`${head.source.model}.${head.source.dataset}`] ?? []);
    return rows.filter((r) => head.test(r, ctx)).map((r) => new Map(r));
  });
  return search.run(kept, ctx);
}

const CTIME = 'convert timeformat="%Y-%m-%dT%H:%M:%S"';

describe('ESCU shape 1: tstats over Endpoint.Processes + drop_dm_object_name + ctime', () => {
  const text =
    '| tstats summariesonly=false allow_old_summaries=true fillnull_value=null count min(_time) as firstTime max(_time) as lastTime ' +
    'from datamodel=Endpoint.Processes where (Processes.process_name=cmd.exe OR Processes.original_file_name=Cmd.Exe) Processes.process="*/c *whoami*" ' +
    'by Processes.dest Processes.user Processes.process_name Processes.process Processes.process_guid ' +
    `| rename Processes.* AS * | ${CTIME} ctime(firstTime) | ${CTIME} ctime(lastTime) | search *`;

  test('compiles to one data-model head and does not need _raw', () => {
    const search = compileSearch(parseSpl(text));
    assert.deepEqual(search.datasets, ['Endpoint.Processes']);
    assert.equal(search.heads.length, 1);
    assert.deepEqual(search.heads[0]!.source, { kind: 'datamodel', model: 'Endpoint', dataset: 'Processes' });
    assert.equal(search.needsRaw, false);
  });

  test('gives one row per BY combination with UTC times and unprefixed fields', () => {
    const p = (fields: Record<string, SplValue>): Row =>
      row(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k === '_time' ? k : `Processes.${k}`, v])));
    const datamodel = {
      'Endpoint.Processes': [
        p({ _time: 1_700_000_000, dest: 'ws1', user: 'bob', process_name: 'cmd.exe', original_file_name: 'Cmd.Exe', process: 'cmd.exe /c whoami', process_guid: '{g1}' }),
        p({ _time: 1_700_000_060, dest: 'ws1', user: 'bob', process_name: 'CMD.EXE', original_file_name: 'Cmd.Exe', process: 'CMD.EXE /C WHOAMI', process_guid: '{g1}' }),
        // 4688-like row: no process_guid → "null" through fillnull_value=null (§6.3).
        p({ _time: 1_700_000_120, dest: 'ws2', user: 'amy', process_name: 'cmd.exe', original_file_name: 'unknown', process: 'cmd.exe /c whoami /all' }),
        p({ _time: 1_700_000_180, dest: 'ws2', user: 'amy', process_name: 'cmd.exe', process: 'cmd.exe /k dir' }),
        p({ _time: 1_700_000_240, dest: 'ws3', user: 'eve', process_name: 'powershell.exe', process: 'whoami' }),
      ],
    };
    const out = simulate(compileSearch(parseSpl(text)), { datamodel });
    assert.deepEqual(plain(out), [
      { dest: 'ws1', user: 'bob', process_name: 'CMD.EXE', process: 'CMD.EXE /C WHOAMI', process_guid: '{g1}', count: 1, firstTime: '2023-11-14T22:14:20', lastTime: '2023-11-14T22:14:20' },
      { dest: 'ws1', user: 'bob', process_name: 'cmd.exe', process: 'cmd.exe /c whoami', process_guid: '{g1}', count: 1, firstTime: '2023-11-14T22:13:20', lastTime: '2023-11-14T22:13:20' },
      { dest: 'ws2', user: 'amy', process_name: 'cmd.exe', process: 'cmd.exe /c whoami /all', process_guid: 'null', count: 1, firstTime: '2023-11-14T22:15:20', lastTime: '2023-11-14T22:15:20' },
    ]);
  });
});

describe('ESCU shape 2: raw search + stats + rename + ctime', () => {
  const text =
    'sourcetype=XmlWinEventLog:Microsoft-Windows-Sysmon/Operational OR source=XmlWinEventLog:Microsoft-Windows-Sysmon/Operational OR source=Syslog:Linux-Sysmon/Operational ' +
    'EventCode=1 Image="*\\\\whoami.exe" | stats count min(_time) as firstTime max(_time) as lastTime by Computer User Image ' +
    `| rename Computer as dest, User as user | ${CTIME} ctime(firstTime) | ${CTIME} ctime(lastTime) | search *`;

  test('one events head routed by EventCode', () => {
    const search = compileSearch(parseSpl(text));
    assert.equal(search.heads.length, 1);
    assert.deepEqual(search.heads[0]!.source, { kind: 'events' });
    assert.deepEqual(search.heads[0]!.eventCodes, ['1']);
    assert.deepEqual(search.datasets, []);
    assert.equal(search.needsRaw, false);
  });

  test('aggregates matching events; an event missing a BY field is dropped', () => {
    const src = 'XmlWinEventLog:Microsoft-Windows-Sysmon/Operational';
    const events = [
      row({ _time: 1_700_000_000, source: src, EventCode: '1', Computer: 'ws1', User: 'CORP\\bob', Image: 'C:\\Windows\\System32\\whoami.exe' }),
      row({ _time: 1_700_000_300, source: src, EventCode: '1', Computer: 'ws1', User: 'CORP\\bob', Image: 'C:\\Windows\\System32\\WHOAMI.EXE' }),
      row({ _time: 1_700_000_400, source: src, EventCode: '1', Computer: 'ws1', Image: 'C:\\Windows\\System32\\whoami.exe' }),
      row({ _time: 1_700_000_500, source: src, EventCode: '3', Computer: 'ws1', User: 'x', Image: 'C:\\Windows\\System32\\whoami.exe' }),
      row({ _time: 1_700_000_600, source: 'WinEventLog:Security', EventCode: '1', Computer: 'ws1', User: 'x', Image: 'C:\\whoami.exe' }),
    ];
    const out = simulate(compileSearch(parseSpl(text)), { events });
    assert.deepEqual(plain(out), [
      { Image: 'C:\\Windows\\System32\\WHOAMI.EXE', count: 1, firstTime: '2023-11-14T22:18:20', lastTime: '2023-11-14T22:18:20', dest: 'ws1', user: 'CORP\\bob' },
      { Image: 'C:\\Windows\\System32\\whoami.exe', count: 1, firstTime: '2023-11-14T22:13:20', lastTime: '2023-11-14T22:13:20', dest: 'ws1', user: 'CORP\\bob' },
    ]);
  });
});

describe('heads and _raw', () => {
  test('bare terms in the first search, or rex on _raw, need _raw; after stats they do not', () => {
    assert.equal(compileSearch(parseSpl('EventCode=7045 "print spooler"')).needsRaw, true);
    assert.equal(compileSearch(parseSpl('EventCode=1 | rex "x=(?<x>\\d+)"')).needsRaw, true);
    assert.equal(compileSearch(parseSpl('EventCode=1 | rex field=Image "(?<x>\\d+)"')).needsRaw, false);
    assert.equal(compileSearch(parseSpl('EventCode=1 | stats count by user | search admin')).needsRaw, false);
  });

  test('join subsearch heads come after the main head; an empty first search keeps everything', () => {
    const search = compileSearch(parseSpl('| from datamodel:Endpoint.Processes | join process_guid [search EventCode=3] | append [| tstats count from datamodel=Endpoint.Registry by Registry.dest]'));
    assert.deepEqual(
      search.heads.map((h) => h.source),
      [{ kind: 'datamodel', model: 'Endpoint', dataset: 'Processes' }, { kind: 'events' }, { kind: 'datamodel', model: 'Endpoint', dataset: 'Registry' }],
    );
    assert.deepEqual(search.datasets, ['Endpoint.Processes', 'Endpoint.Registry']);
    assert.equal(search.heads[0]!.test(row({}), ctx), true);
  });

  test('a compiled search runs again with fresh rows (scheduled windows)', () => {
    const search = compileSearch(parseSpl('EventCode=1 | stats count by user'));
    const first = search.run([[row({ EventCode: '1', user: 'a' })]], ctx);
    const second = search.run([[row({ EventCode: '1', user: 'b' }), row({ EventCode: '1', user: 'b' })]], ctx);
    assert.deepEqual(plain(first), [{ user: 'a', count: 1 }]);
    assert.deepEqual(plain(second), [{ user: 'b', count: 2 }]);
  });
});
