/** security_content loader: model values, located errors, macro overrides, searches parse after expansion. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Diagnostic } from '../../src/core/diagnostics.js';
import { type ContentLoad, type Detection, checkDetectionSearch, deploymentFor, loadContent, loadMacroOverrides, macroLookup } from '../../src/content/index.js';
import { expandMacros } from '../../src/spl/index.js';

/** Our own small content tree, in security_content's layout. */
const GOOD: Record<string, string> = {
  'detections/endpoint/demo_service_tool_launch.yml': `name: Demo Service Tool Launch
id: 0a1b2c3d-0000-4000-8000-000000000001
version: 2
date: '2026-01-15'
author: Vigil Tests
status: production
type: TTP
description: A service tool was started with an install switch.
data_source:
- Demo Process Start
search: '| tstats \`demo_summaries\` count min(_time) as firstTime from datamodel=Endpoint.Processes where Processes.process_name=svctool.exe by Processes.dest Processes.user | \`drop_dm_object_name(Processes)\` | \`demo_ctime(firstTime)\` | \`demo_service_tool_launch_filter\`'
how_to_implement: Collect process start events with command lines.
known_false_positives: Administrators installing services on purpose.
references:
- https://example.invalid/svctool
drilldown_searches:
- name: Results for $dest$
  search: '%original_detection_search% | search dest = $dest$'
  earliest_offset: $info_min_time$
  latest_offset: $info_max_time$
tags:
  analytic_story:
  - Demo Persistence
  asset_type: Endpoint
  confidence: 70
  impact: 90
  message: svctool ran on $dest$ as $user$
  observable:
  - name: dest
    type: Hostname
    role:
    - Victim
  - name: user
    type: User
    role: [Victim]
  - name: process_name
    type: Process Name
    role: [Attacker]
  mitre_attack_id:
  - T1543.003
  kill_chain_phases: [Installation]
  product:
  - Splunk Enterprise
  required_fields:
  - _time
  - Processes.dest
  security_domain: endpoint
  risk_score: 63
tests:
- name: True Positive Test
  attack_data:
  - data: https://example.invalid/svctool.log
    source: XmlWinEventLog:Demo
    sourcetype: XmlWinEventLog
`,
  'detections/application/demo_module_load_failure.yml': `name: Demo Module Load Failure
id: 0a1b2c3d-0000-4000-8000-000000000002
version: 1
date: '2026-02-01'
author: Vigil Tests
status: experimental
type: Anomaly
description: An application host could not load a module.
data_source:
- Demo Application Log
search: |-
  \`demo_app_logs\` EventCode=2282
  | stats count min(_time) as firstTime by dest ModuleDll
  | \`demo_ctime(firstTime)\`
  | \`demo_module_load_failure_filter\`
how_to_implement: Collect the application log.
known_false_positives: Broken installs.
rba:
  message: Module $ModuleDll$ failed to load on $dest$
  risk_objects:
  - field: dest
    type: system
    score: 42
  threat_objects:
  - field: ModuleDll
    type: file_name
tags:
  analytic_story:
  - Demo Persistence
  asset_type: Endpoint
  mitre_attack_id: [T1505.004]
  product: [Splunk Enterprise]
  security_domain: endpoint
tests:
- name: True Positive Test
  attack_data:
  - data: module_failure.log
    source: XmlWinEventLog:Application
    sourcetype: XmlWinEventLog
    custom_index: demo
`,
  'stories/demo_persistence.yml': `name: Demo Persistence
id: 0a1b2c3d-0000-4000-8000-0000000000aa
version: 1
date: '2026-01-01'
author: Vigil Tests
description: Ways an intruder stays on a host.
narrative: Services and server modules survive reboots.
references:
- https://example.invalid/story
tags:
  category:
  - Adversary Tactics
  product:
  - Splunk Enterprise
  usecase: Advanced Threat Detection
`,
  'macros/demo_summaries.yml': 'definition: summariesonly=`demo_only_cfg` allow_old_summaries=true\nname: demo_summaries\n',
  'macros/demo_only_cfg.yml': 'definition: "false"\nname: demo_only_cfg\n',
  'macros/demo_ctime.yml': `arguments:
- field
definition: 'convert timeformat="%Y-%m-%dT%H:%M:%S" ctime($field$)'
description: epoch to text
name: demo_ctime
`,
  'macros/demo_app_logs.yml': 'definition: source="XmlWinEventLog:Application"\ndescription: replace with your own source\nname: demo_app_logs\n',
  'macros/demo_module_load_failure_filter.yml': "definition: ''\nname: demo_module_load_failure_filter\n",
  'lookups/demo_tools.yml': `name: demo_tools
description: tools worth a look
filename: demo_tools.csv
default_match: 'false'
match_type:
- WILDCARD(tool)
min_matches: 1
case_sensitive_match: false
fields_list: tool, note
`,
  'lookups/demo_tools.csv': 'tool,note,flag\nsvctool*,"installs services, quietly",true\r\nmodctl.exe,"says ""hi""",false\n',
  'data_sources/demo_process_start.yml': `name: Demo Process Start
id: 0a1b2c3d-0000-4000-8000-0000000000bb
source: XmlWinEventLog:Demo
sourcetype: XmlWinEventLog
separator: EventID
supported_TA:
- name: Demo TA
  version: 1.0.0
fields:
- Computer
- Image
output_fields:
- dest
`,
  'deployments/demo_ttp.yml': `name: Demo TTP Deployment
id: 0a1b2c3d-0000-4000-8000-0000000000cc
description: hourly, notable and risk
scheduling:
  cron_schedule: 0 * * * *
  earliest_time: -70m@m
  latest_time: -10m@m
  schedule_window: auto
alert_action:
  notable:
    rule_title: '%name%'
    rule_description: '%description%'
    nes_fields:
    - user
    - dest
  rba:
    enabled: true
type: TTP
`,
};

/** A minimal valid detection body with a chosen name and search lines. */
function detection(name: string, searchBlock: string, extra = ''): string {
  return `name: ${name}
id: 0a1b2c3d-0000-4000-8000-${String(name.length).padStart(12, '0')}
type: Hunting
search: ${searchBlock}
${extra}`;
}

const BAD: Record<string, string> = {
  'detections/bad_yaml.yml': 'name: Bad Yaml\nid: x\nsearch: [unclosed\ntype: TTP\n',
  'detections/no_name.yml': 'id: 0a1b2c3d-0000-4000-8000-000000000009\ntype: TTP\nsearch: index=main\n',
  // line 5: the unknown key
  'detections/extra_key.yml': detection('Extra Key', 'index=main | `extra_key_filter`', 'colour: blue\n'),
  // The unknown macro sits on the third search line (file line 7), after two spaces of indentation.
  'detections/unknown_macro.yml': detection('Unknown Macro', '|\n  index=main EventCode=1\n  | stats count by host\n  | `nowhere_to_be_found`\n'),
  // A syntax error (unbalanced parenthesis) on the second line of a folded block.
  'detections/broken_search.yml': detection('Broken Search', '>-\n  index=main\n  (EventCode=1 OR\n  | `broken_search_filter`\n'),
  // Escaped quotes before the error: the column must still be the file column of the backtick (34).
  'detections/quoted_escape.yml': detection('Quoted Escape', "'index=main note=''x'' | `nope_macro`'"),
  'stories/empty.yml': '',
  'macros/no_definition.yml': 'name: half_macro\n',
  'lookups/missing_csv.yml': 'name: missing_csv\nfilename: not_there.csv\n',
  'deployments/bad_cron.yml': 'name: Bad Cron\nscheduling:\n  cron_schedule: every hour\n  earliest_time: -1h\n  latest_time: now\n',
  'detections/README.txt': 'not content\n',
  // Alias fan-out (a billion laughs): must stop at the node budget, not exhaust memory.
  'detections/laughs.yml': ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefghij'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]`), 'name: Laughs'].join('\n') + '\n',
  'detections/search_is_a_map.yml': 'name: Search Map\nid: z\ntype: TTP\nsearch:\n  index: main\n',
};

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

const byCode = (ds: readonly Diagnostic[], code: string): Diagnostic[] => ds.filter((d) => d.code === code);
const endsWith = (file: string, suffix: string): boolean => file.replace(/\\/g, '/').endsWith(suffix);
const inFile = (ds: readonly Diagnostic[], suffix: string): Diagnostic[] => ds.filter((d) => endsWith(d.location.file, suffix));

let tmp = '';
let good: ContentLoad;
let bad: ContentLoad;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vigil-content-'));
  await writeTree(join(tmp, 'good'), GOOD);
  await writeTree(join(tmp, 'bad'), BAD);
  good = await loadContent(join(tmp, 'good'));
  bad = await loadContent(join(tmp, 'bad'));
});

after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function find(load: ContentLoad, name: string): Detection {
  const d = load.detections.find((x) => x.name === name);
  assert.ok(d, `detection ${name} loaded`);
  return d;
}

describe('content loader: a well-formed tree', () => {
  test('every file is accounted for and nothing is an error', () => {
    const errors = good.diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(errors, []);
    assert.equal(good.files.length, Object.keys(GOOD).length);
    assert.ok(good.files.every((f) => f.status === 'loaded'), JSON.stringify(good.files));
    assert.equal(good.detections.length, 2);
    assert.equal(good.stories.length, 1);
    assert.equal(good.macros.length, 5);
    assert.equal(good.lookups.length, 1);
    assert.equal(good.dataSources.length, 1);
    assert.equal(good.deployments.length, 1);
  });

  test('old tags risk: score is impact × confidence / 100 and observables become risk/threat objects', () => {
    const d = find(good, 'Demo Service Tool Launch');
    assert.equal(d.type, 'TTP');
    assert.equal(d.version, 2);
    assert.equal(d.date, '2026-01-15');
    assert.equal(d.filterMacro, 'demo_service_tool_launch_filter');
    assert.ok(d.risk !== null && d.risk.kind === 'tags');
    if (d.risk?.kind !== 'tags') return;
    assert.equal(d.risk.impact, 90);
    assert.equal(d.risk.confidence, 70);
    assert.equal(d.risk.riskScore, 63);
    assert.equal(d.risk.message, 'svctool ran on $dest$ as $user$');
    assert.deepEqual(d.risk.riskObjects, [
      { field: 'dest', type: 'system', score: 63 },
      { field: 'user', type: 'user', score: 63 },
    ]);
    assert.deepEqual(d.risk.threatObjects, [{ field: 'process_name', type: 'process' }]);
    assert.deepEqual(d.tags.analyticStory, ['Demo Persistence']);
    assert.deepEqual(d.tags.mitreAttackId, ['T1543.003']);
    assert.deepEqual(d.tags.killChainPhases, ['Installation']);
    assert.deepEqual(d.tags.requiredFields, ['_time', 'Processes.dest']);
    assert.equal(d.tags.securityDomain, 'endpoint');
    assert.deepEqual(d.drilldownSearches.map((x) => x.earliestOffset), ['$info_min_time$']);
    assert.deepEqual(d.tests[0]?.attackData[0], { data: 'https://example.invalid/svctool.log', source: 'XmlWinEventLog:Demo', sourcetype: 'XmlWinEventLog', customIndex: null, host: null });
  });

  test('rba block: per-object scores and threat objects as written', () => {
    const d = find(good, 'Demo Module Load Failure');
    assert.ok(d.risk?.kind === 'rba');
    if (d.risk?.kind !== 'rba') return;
    assert.equal(d.risk.message, 'Module $ModuleDll$ failed to load on $dest$');
    assert.deepEqual(d.risk.riskObjects, [{ field: 'dest', type: 'system', score: 42 }]);
    assert.deepEqual(d.risk.threatObjects, [{ field: 'ModuleDll', type: 'file_name' }]);
    assert.equal(d.tests[0]?.attackData[0]?.customIndex, 'demo');
    assert.ok(d.search.startsWith('`demo_app_logs` EventCode=2282\n| stats'));
  });

  test('story, macros, lookup table, data source and deployment values', () => {
    const story = good.stories[0]!;
    assert.equal(story.name, 'Demo Persistence');
    assert.deepEqual(story.category, ['Adversary Tactics']);
    assert.equal(story.usecase, 'Advanced Threat Detection');
    const ctime = good.macros.find((m) => m.name === 'demo_ctime');
    assert.deepEqual(ctime?.arguments, ['field']);
    assert.equal(ctime?.description, 'epoch to text');
    const filter = good.macros.find((m) => m.name === 'demo_module_load_failure_filter');
    assert.equal(filter?.definition, 'search *');
    assert.equal(byCode(good.diagnostics, 'content.macro.empty-filter').length, 1);
    const lookup = good.lookups[0]!;
    assert.equal(lookup.defaultMatch, 'false');
    assert.deepEqual(lookup.matchType, ['WILDCARD(tool)']);
    assert.equal(lookup.caseSensitiveMatch, false);
    assert.deepEqual(lookup.fieldsList, ['tool', 'note']);
    assert.deepEqual(lookup.table?.fields, ['tool', 'note', 'flag']);
    assert.deepEqual(lookup.table?.rows, [
      ['svctool*', 'installs services, quietly', 'true'],
      ['modctl.exe', 'says "hi"', 'false'],
    ]);
    const ds = good.dataSources[0]!;
    assert.equal(ds.sourcetype, 'XmlWinEventLog');
    assert.deepEqual(ds.supportedTa, [{ name: 'Demo TA', url: null, version: '1.0.0' }]);
    const dep = good.deployments[0]!;
    assert.deepEqual(dep.scheduling, { cronSchedule: '0 * * * *', earliestTime: '-70m@m', latestTime: '-10m@m', scheduleWindow: 'auto' });
    assert.deepEqual(dep.alertActions, [
      { kind: 'notable', ruleTitle: '%name%', ruleDescription: '%description%', nesFields: ['user', 'dest'] },
      { kind: 'risk', enabled: true },
    ]);
    assert.equal(deploymentFor(good, find(good, 'Demo Service Tool Launch')), dep);
    assert.equal(deploymentFor(good, find(good, 'Demo Module Load Failure')), null);
  });

  test('a data source a detection names but nobody defines is a warning at the detection', () => {
    const w = byCode(good.diagnostics, 'content.unknown-data-source');
    assert.equal(w.length, 1);
    assert.match(w[0]!.message, /Demo Application Log/);
    assert.ok(endsWith(w[0]!.location.file, 'demo_module_load_failure.yml'));
  });

  test("each detection's search parses after macro expansion (implicit filter noted once)", () => {
    const lookup = macroLookup(good);
    for (const d of good.detections) {
      const result = checkDetectionSearch(d, lookup);
      assert.equal(result.kind, 'parsed', JSON.stringify(result));
      if (result.kind !== 'parsed') continue;
      assert.ok(result.ast.commands.length >= 4);
      assert.ok(!JSON.stringify(result.ast).includes('"kind":"macro"'), 'no macro left unexpanded');
    }
    const tstats = checkDetectionSearch(find(good, 'Demo Service Tool Launch'), lookup);
    assert.ok(tstats.kind === 'parsed' && tstats.ast.commands[0]?.kind === 'tstats' && tstats.ast.commands[1]?.kind === 'rename');
    const notes = byCode(lookup.notes, 'content.macro.default-filter');
    assert.equal(notes.length, 1);
    assert.match(notes[0]!.message, /demo_service_tool_launch_filter/);
    assert.equal(notes[0]!.severity, 'info');
    assert.ok(endsWith(notes[0]!.location.file, 'demo_service_tool_launch.yml'));
    assert.equal(notes[0]!.location.line, 11);
    const expanded = expandMacros(find(good, 'Demo Service Tool Launch').search, lookup).text;
    assert.match(expanded, /tstats summariesonly=false allow_old_summaries=true count/);
    assert.match(expanded, /\| rename Processes\.\* AS \* \| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime\(firstTime\) \| search \*$/);
  });
});

describe('content loader: user overrides replace data-source and filter macros', () => {
  test('a YAML override list', () => {
    const overrides = loadMacroOverrides(
      `- name: demo_app_logs
  definition: index=mine sourcetype=app_xml
- name: demo_service_tool_launch_filter
  definition: search NOT user=svc_installer
- name: demo_module_load_failure_filter
  definition: search dest!=lab*
`,
      'my-macros.yml',
    );
    assert.deepEqual(overrides.diagnostics, []);
    const lookup = macroLookup(good, overrides);
    const app = expandMacros(find(good, 'Demo Module Load Failure').search, lookup).text;
    assert.ok(app.startsWith('index=mine sourcetype=app_xml EventCode=2282'));
    assert.ok(app.endsWith('| search dest!=lab*'));
    const svc = expandMacros(find(good, 'Demo Service Tool Launch').search, lookup).text;
    assert.ok(svc.endsWith('| search NOT user=svc_installer'));
    assert.equal(byCode(lookup.notes, 'content.macro.default-filter').length, 0);
    assert.equal(lookup.resolve('demo_app_logs', 0)?.origin.file, 'my-macros.yml');
    for (const d of good.detections) assert.equal(checkDetectionSearch(d, lookup).kind, 'parsed');
    // The content itself is unchanged: a lookup without overrides still gives the shipped macro.
    assert.equal(macroLookup(good)('demo_app_logs', 0)?.definition, 'source="XmlWinEventLog:Application"');
  });

  test('a macros.conf override, and an override of an unknown macro is noted', () => {
    const overrides = loadMacroOverrides('[demo_app_logs]\ndefinition = index=conf_app\n\n[brand_new(1)]\nargs = x\ndefinition = x=$x$\n', 'my-macros.conf');
    assert.deepEqual(overrides.diagnostics, []);
    const lookup = macroLookup(good, overrides);
    assert.equal(lookup('demo_app_logs', 0)?.definition, 'index=conf_app');
    assert.deepEqual(lookup('brand_new', 1), { definition: 'x=$x$', args: ['x'] });
    assert.equal(byCode(lookup.notes, 'content.override.new').length, 1);
  });

  test('a bad override file is reported with a location', () => {
    const overrides = loadMacroOverrides('- name: only_a_name\n- definition: x\n', 'broken.yml');
    assert.equal(overrides.macros.length, 0);
    const missing = byCode(overrides.diagnostics, 'content.missing-key');
    assert.equal(missing.length, 2);
    assert.deepEqual(missing.map((d) => d.location.line), [1, 2]);
  });
});

describe('content loader: malformed files', () => {
  test('bad YAML is a located error and the file is failed', () => {
    const errs = inFile(bad.diagnostics, 'bad_yaml.yml').filter((d) => d.severity === 'error');
    assert.ok(errs.length >= 1);
    assert.equal(errs[0]!.code, 'content.yaml');
    assert.ok((errs[0]!.location.line ?? 0) >= 3, JSON.stringify(errs[0]));
    assert.equal(bad.files.find((f) => endsWith(f.file, 'bad_yaml.yml'))?.status, 'failed');
  });

  test('a detection without a name is rejected with a located missing-key error', () => {
    const errs = byCode(inFile(bad.diagnostics, 'no_name.yml'), 'content.missing-key');
    assert.equal(errs.length, 1);
    assert.match(errs[0]!.message, /'name'/);
    assert.equal(errs[0]!.location.line, 1);
    assert.equal(bad.files.find((f) => endsWith(f.file, 'no_name.yml'))?.status, 'failed');
  });

  test('an unknown key is a warning at its line and the detection still loads', () => {
    const w = byCode(inFile(bad.diagnostics, 'extra_key.yml'), 'content.unknown-key');
    assert.equal(w.length, 1);
    assert.equal(w[0]!.severity, 'warning');
    assert.deepEqual([w[0]!.location.line, w[0]!.location.column], [5, 1]);
    assert.ok(bad.detections.some((d) => d.name === 'Extra Key'));
    // keys contentctl requires but execution does not are one warning, not a rejection
    const expected = byCode(inFile(bad.diagnostics, 'extra_key.yml'), 'content.missing-expected');
    assert.equal(expected.length, 1);
    assert.match(expected[0]!.message, /'version'.*'known_false_positives'/);
  });

  test('an unknown macro in a block-scalar search is located at its file line and column', () => {
    const result = checkDetectionSearch(find(bad, 'Unknown Macro'), macroLookup(bad));
    assert.equal(result.kind, 'failed');
    if (result.kind !== 'failed') return;
    const e = result.diagnostics[0]!;
    assert.equal(e.code, 'spl.macro.unknown');
    // the loader already warned that this search lacks its `unknown_macro_filter`
    const noFilter = byCode(bad.diagnostics, 'content.search.no-filter');
    assert.ok(noFilter.some((d) => endsWith(d.location.file, 'unknown_macro.yml') && d.location.line === 4));
    assert.ok(!noFilter.some((d) => endsWith(d.location.file, 'extra_key.yml')));
    assert.match(e.message, /nowhere_to_be_found/);
    assert.ok(endsWith(e.location.file, 'unknown_macro.yml'));
    // file line 7 is `  | \`nowhere_to_be_found\``: the backtick is at column 5
    assert.deepEqual([e.location.line, e.location.column], [7, 5]);
  });

  test('escapes in a quoted search do not shift the reported column', () => {
    const result = checkDetectionSearch(find(bad, 'Quoted Escape'), macroLookup(bad));
    assert.ok(result.kind === 'failed');
    if (result.kind !== 'failed') return;
    assert.deepEqual([result.diagnostics[0]!.location.line, result.diagnostics[0]!.location.column], [4, 34]);
  });

  test('a syntax error in a folded search points into the file, not the first line', () => {
    const result = checkDetectionSearch(find(bad, 'Broken Search'), macroLookup(bad));
    assert.equal(result.kind, 'failed');
    if (result.kind !== 'failed') return;
    const e = result.diagnostics[0]!;
    assert.match(e.code, /^spl\./);
    // the group opened on file line 6 meets the pipe that starts file line 7 (column 3, after the indentation)
    assert.match(e.message, /'\|'/);
    assert.deepEqual([e.location.line, e.location.column], [7, 3]);
  });

  test('other folders: empty file, macro without definition, missing csv, bad cron, stray file', () => {
    assert.equal(byCode(inFile(bad.diagnostics, 'stories/empty.yml'), 'content.empty').length, 1);
    const noDef = byCode(inFile(bad.diagnostics, 'no_definition.yml'), 'content.missing-key');
    assert.equal(noDef.length, 1);
    assert.equal(noDef[0]!.location.line, 1);
    const csv = byCode(inFile(bad.diagnostics, 'missing_csv.yml'), 'content.lookup.no-file');
    assert.equal(csv.length, 1);
    const cron = byCode(inFile(bad.diagnostics, 'bad_cron.yml'), 'content.bad-value');
    assert.equal(cron.length, 1);
    assert.deepEqual([cron[0]!.location.line, cron[0]!.location.column], [3, 18]);
    assert.equal(bad.files.find((f) => endsWith(f.file, 'README.txt'))?.status, 'ignored');
    assert.equal(bad.files.length, Object.keys(BAD).length);
    // every failed file has at least one error located in it
    for (const f of bad.files.filter((x) => x.status === 'failed')) {
      assert.ok(inFile(bad.diagnostics, f.file.replace(/\\/g, '/').split('/').slice(-2).join('/')).some((d) => d.severity === 'error'), f.file);
    }
  });

  test('alias bombs and wrongly typed values are located errors', () => {
    const bomb = inFile(bad.diagnostics, 'laughs.yml').filter((d) => d.severity === 'error');
    assert.equal(bomb.length, 1);
    assert.match(bomb[0]!.message, /too large|deeply nested/);
    assert.equal(bad.files.find((f) => endsWith(f.file, 'laughs.yml'))?.status, 'failed');
    const map = byCode(inFile(bad.diagnostics, 'search_is_a_map.yml'), 'content.bad-value');
    assert.equal(map.length, 1);
    assert.deepEqual([map[0]!.location.line, map[0]!.location.column], [5, 3]);
    assert.ok(!bad.detections.some((d) => d.name === 'Search Map'));
  });

  test('a missing root is one located error, not a crash', async () => {
    const load = await loadContent(join(tmp, 'does-not-exist'));
    assert.equal(load.diagnostics.length, 1);
    assert.equal(load.diagnostics[0]!.code, 'content.root');
  });
});
