/**
 * End to end for the Splunk pack (content/splunk): the real `vigil` program hunts a simulated IIS
 * intrusion in each format with the nine detections. Every detection must return rows for its
 * attack behaviours and for nothing else, compared field by field with the events the scenario
 * built (command line, script block, module DLL, configuration path, host). A second run with the
 * `*_filter` macros reset to `search *` shows that the ESCU searches by themselves also return
 * benign activity, so the pack's tuning is what keeps them quiet.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildIisScenario, type BehaviourId, type Scenario, type SimEvent } from '../../src/simulate/iis-scenario.js';
import { SIM_FORMATS, writeIisSimulation, type SimFormat } from '../../src/simulate/write-iis.js';
import { runVigil as vigil, type VigilRun as Run } from '../helpers/run-vigil.js';

const PACK = 'content/splunk';

interface DetectionRecord { kind: 'detection'; detection: { id: string; name: string }; row: Record<string, unknown> }

/** The `"kind":"detection"` records of a JSONL hunt, grouped by detection name. */
function detectionRows(stdout: string): Map<string, Record<string, unknown>[]> {
  const rows = new Map<string, Record<string, unknown>[]>();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const record = JSON.parse(line) as { kind: string };
    if (record.kind !== 'detection') continue;
    const d = record as DetectionRecord;
    rows.set(d.detection.name, [...(rows.get(d.detection.name) ?? []), d.row]);
  }
  return rows;
}

async function hunt(format: SimFormat, extra: string[] = []): Promise<Map<string, Record<string, unknown>[]>> {
  const run = await vigil(['hunt', path.join(dir, format), path.join(dir, 'inventory'), '--detections', PACK, '--format', 'jsonl', '--threads', '1', ...extra]);
  assert.equal(run.code, 0, `hunt ${format}: ${run.stderr}`);
  assert.match(run.stderr, /detections: 9 \(9 run, 0 not runnable\)/, `every detection runs (${format}): ${run.stderr}`);
  return detectionRows(run.stdout);
}

/** The value of one EventData field of a simulated event, or null when it has none. */
function dataOf(e: SimEvent, name: string): string | null {
  const pair = e.event.eventData?.find(([n]) => n === name);
  return pair === undefined || typeof pair[1] !== 'string' ? null : pair[1];
}

const PROCESS_FIELDS = ['dest', 'user', 'parent_process_name', 'process_name', 'process', 'process_id', 'parent_process_id', 'firstTime', 'lastTime', 'count'];
const SCRIPT_FIELDS = ['EventCode', 'ScriptBlockText', 'Computer', 'user_id', 'firstTime', 'lastTime', 'count'];

/**
 * What each event-log detection must return: rows from the events of `behaviours` that carry the
 * EventData field `data`, shown in the row field `row` (equal to it, or for "New Module Added" a
 * Message that quotes it), on the host in `host`, with `fields` filled in.
 */
interface Expectation {
  readonly name: string;
  readonly behaviours: readonly BehaviourId[];
  readonly data: string;
  readonly row: string;
  readonly compare: 'equals' | 'quotes';
  readonly host: 'dest' | 'Computer';
  readonly fields: readonly string[];
}

const EXPECTED: readonly Expectation[] = [
  // `appcmd add module /name:X /app.name:...` names no image, and the ESCU search requires
  // "*image*": only the install step is found.
  { name: 'Windows IIS Components Add New Module', behaviours: ['appcmd-install-module'], data: 'CommandLine', row: 'process', compare: 'equals', host: 'dest', fields: [...PROCESS_FIELDS, 'original_file_name'] },
  // Message is the classic text's; for EVTX, XML and JSON Vigil renders it from the EventData
  // (mappings/splunk/messages.yml), so this detection works in every format.
  { name: 'Windows IIS Components New Module Added', behaviours: ['iis-config-globalmodule-add'], data: 'Configuration', row: 'Message', compare: 'quotes', host: 'dest', fields: ['OpCode', 'EventCode', 'Message', 'dest', 'firstTime', 'lastTime', 'count'] },
  { name: 'Windows IIS Components Module Failed to Load', behaviours: ['w3svc-module-load-failed'], data: 'ModuleDll', row: 'ModuleDll', compare: 'equals', host: 'dest', fields: ['EventCode', 'dest', 'Name', 'ModuleDll', 'firstTime', 'lastTime', 'count'] },
  { name: 'Windows PowerShell IIS Components WebGlobalModule Usage', behaviours: ['ps-new-webglobalmodule', 'ps-enable-webglobalmodule', 'ps-set-webglobalmodule'], data: 'ScriptBlockText', row: 'ScriptBlockText', compare: 'equals', host: 'Computer', fields: SCRIPT_FIELDS },
  { name: 'Windows Disable Windows Event Logging Disable HTTP Logging', behaviours: ['appcmd-disable-http-logging'], data: 'CommandLine', row: 'process', compare: 'equals', host: 'dest', fields: [...PROCESS_FIELDS, 'original_file_name'] },
  // The ESCU search selects get-WebConfigurationProperty or Set-ItemProperty, so the
  // Set-WebConfigurationProperty step (ps-disable-http-logging) never reaches it.
  { name: 'Windows PowerShell Disable HTTP Logging', behaviours: ['ps-disable-site-logfile'], data: 'ScriptBlockText', row: 'ScriptBlockText', compare: 'equals', host: 'Computer', fields: SCRIPT_FIELDS },
  { name: 'Windows Server Software Component GACUtil Install to GAC', behaviours: ['gacutil-install'], data: 'CommandLine', row: 'process', compare: 'equals', host: 'dest', fields: PROCESS_FIELDS },
  { name: 'Windows PowerShell Add Module to Global Assembly Cache', behaviours: ['ps-gac-publish-install'], data: 'ScriptBlockText', row: 'ScriptBlockText', compare: 'equals', host: 'Computer', fields: SCRIPT_FIELDS },
];
/**
 * The 4104 searches group by `Computer` and `user_id`, names of the XML rendering (System
 * Computer, Security UserID). Splunk's classic rows call them ComputerName and Sid, and
 * `stats ... by` drops events that lack a grouping field, so in Splunk these searches return
 * nothing on classic PowerShell text. Vigil keeps the XML names beside the classic ones
 * (mappings/splunk/sources.yml, `not_extracted_classic`), so they run there too: every format
 * must give the same rows.
 */
const MODULE_QUERY = 'Windows IIS Components Get-WebGlobalModule Module Query';
/** Behaviours no detection of the pack finds, as the ESCU searches are written (see above). */
const NOT_COVERED: readonly BehaviourId[] = ['appcmd-add-module', 'ps-disable-http-logging'];

let dir = '';
let scenario: Scenario;
let events: SimEvent[] = [];
const results = new Map<SimFormat, Map<string, Record<string, unknown>[]>>();

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-splunk-pack-'));
  scenario = buildIisScenario(7, 400);
  events = [...scenario.channels.values()].flat();
  await writeIisSimulation(dir, scenario, SIM_FORMATS);
  const runs = await Promise.all(SIM_FORMATS.map((f) => hunt(f)));
  SIM_FORMATS.forEach((f, i) => results.set(f, runs[i]!));
});

after(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

const matches = (e: Expectation, rowValue: string, dataValue: string): boolean =>
  e.compare === 'equals' ? rowValue === dataValue : rowValue.includes(`'${dataValue}'`);

function attackEvents(e: Expectation): SimEvent[] {
  return events.filter((x) => x.label.kind === 'attack' && e.behaviours.includes(x.label.behaviour) && dataOf(x, e.data) !== null);
}
function benignValues(e: Expectation): string[] {
  return events.filter((x) => x.label.kind === 'benign').map((x) => dataOf(x, e.data)).filter((v): v is string => v !== null);
}

for (const format of SIM_FORMATS) {
  test(`${format}: each detection fires on its attack events and on nothing else`, async (t) => {
    const rows = results.get(format)!;
    const mustFire = [...EXPECTED.map((e) => e.name), MODULE_QUERY];
    const allowed = new Set([...EXPECTED.map((e) => e.name), MODULE_QUERY]);
    for (const name of mustFire) assert.ok(rows.has(name), `${name} returns rows`);
    for (const name of rows.keys()) assert.ok(allowed.has(name), `unexpected detection ${name}`);
    for (const e of EXPECTED) {
      await t.test(e.name, () => {
        const got = rows.get(e.name) ?? [];
        const attack = attackEvents(e);
        const benign = benignValues(e);
        assert.ok(attack.length > 0, `the scenario has attack events for ${e.behaviours.join(', ')}`);
        // Process starts are logged twice (Sysmon 1, Security 4688) with different process id
        // forms, so each attack event gives its own row.
        assert.equal(got.length, attack.length, `one row per attack event: ${JSON.stringify(got.map((r) => r[e.row]))}`);
        for (const row of got) {
          const value = String(row[e.row]);
          assert.ok(attack.some((x) => matches(e, value, dataOf(x, e.data)!)), `row comes from an attack event: ${value}`);
          assert.ok(!benign.some((b) => matches(e, value, b)), `row matches benign activity: ${value}`);
          assert.equal(row[e.host], scenario.host, `${e.host} is the attacked server`);
          for (const f of e.fields) assert.ok(row[f] !== undefined && row[f] !== '', `field ${f} is present: ${JSON.stringify(row)}`);
        }
        for (const x of attack) {
          const value = dataOf(x, e.data)!;
          assert.ok(got.some((row) => matches(e, String(row[e.row]), value)), `attack event ${x.event.recordId} (${x.label.kind === 'attack' ? x.label.behaviour : ''}) has a row`);
        }
        if (e.host === 'dest' && e.fields.includes('user')) {
          for (const row of got) assert.match(String(row['user']), /svc-webdeploy$/, 'the intruder account');
        }
      });
    }
    // The inventory is read in every run (the same file next to each format): it is not event
    // log data, so the format makes no difference. Only the rogue module is left after tuning.
    await t.test(MODULE_QUERY, () => {
      const got = rows.get(MODULE_QUERY) ?? [];
      assert.equal(got.length, 1, JSON.stringify(got));
      assert.equal(got[0]!['name'], scenario.module.name);
      assert.equal(got[0]!['image'], scenario.module.image);
      assert.equal(got[0]!['dest'], scenario.host.split('.')[0], 'the inventory names hosts by their short name');
      for (const f of ['firstTime', 'lastTime', 'count']) assert.ok(got[0]![f] !== undefined, f);
    });
  });
}

test('every attack behaviour but two is found by some detection', () => {
  const behaviours = new Set(events.flatMap((x) => (x.label.kind === 'attack' ? [x.label.behaviour] : [])));
  const covered = new Set(EXPECTED.flatMap((e) => e.behaviours));
  assert.deepEqual([...behaviours].filter((b) => !covered.has(b)).sort(), [...NOT_COVERED].sort());
});

test('the same results in every format', () => {
  const summary = (f: SimFormat): string[] =>
    [...results.get(f)!]
      .flatMap(([name, rows]) => rows.map((r) => `${name}|${String(r['process'] ?? r['ScriptBlockText'] ?? r['Message'] ?? r['ModuleDll'] ?? r['name'])}`)).sort();
  for (const f of SIM_FORMATS) {
    assert.deepEqual(summary(f), summary('xml'), f);
  }
});

test('without the tuning, the ESCU searches also return the benign near misses', async () => {
  const names = (await readdir(path.join(PACK, 'macros'))).filter((n) => n.endsWith('_filter.yml')).map((n) => n.replace(/\.yml$/, ''));
  assert.equal(names.length, 9);
  const conf = path.join(dir, 'untuned-macros.conf');
  await writeFile(conf, names.map((n) => `[${n}]\ndefinition = search *\n`).join('\n'));
  const rows = await hunt('xml', ['--macros', conf]);
  const values = (name: string, field: string): string[] => (rows.get(name) ?? []).map((r) => String(r[field]));
  // appcmd: reads of the logging section and unrelated `set config` changes come back.
  const appcmd = values('Windows Disable Windows Event Logging Disable HTTP Logging', 'process');
  assert.ok(appcmd.some((p) => /list config \/section:httpLogging/i.test(p)), 'appcmd list config /section:httpLogging');
  assert.ok(appcmd.some((p) => /dontLog:false/i.test(p)) || appcmd.some((p) => /set config .*\/section:defaultDocument/.test(p)), 'a benign appcmd set config');
  // Event 29: commits outside the module sections.
  const commits = values('Windows IIS Components New Module Added', 'Message');
  assert.ok(commits.some((m) => !/globalModules\/add/.test(m)), `other configuration commits: ${commits.length}`);
  // Get-WebConfigurationProperty ... dontLog only reads the setting.
  const scripts = values('Windows PowerShell Disable HTTP Logging', 'ScriptBlockText');
  assert.ok(scripts.some((s) => s.startsWith('Get-WebConfigurationProperty')), 'the read-only script block');
  // The inventory lists the stock modules too.
  assert.ok(values(MODULE_QUERY, 'name').includes('StaticFileModule'));
  // The tuning removes only rows: everything the tuned run returned is still there.
  const tuned = results.get('xml')!;
  for (const [name, tunedRows] of tuned) {
    assert.ok((rows.get(name) ?? []).length >= tunedRows.length, name);
  }
});
