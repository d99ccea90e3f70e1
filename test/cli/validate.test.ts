/**
 * `vigil validate`: a small valid content pack and Sigma rule validate clean; then one deliberate
 * break per class of error, each found with its code at the line the break is on.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeValidateCommand } from '../../src/cli/commands/validate.js';
import { outputFields, producesField } from '../../src/devtools/validate/index.js';
import { parseSpl } from '../../src/spl/index.js';

interface JsonFinding { severity: string; code: string; message: string; file: string; line: number | null }
interface JsonResult { errors: number; warnings: number; findings: JsonFinding[] }

const TODAY = '2026-12-04';

const DETECTION = `name: Test Appcmd Module Install
id: 11111111-2222-4333-8444-555555555555
version: 1
date: '2026-01-15'
author: Vigil tests
status: production
type: TTP
description: Finds appcmd.exe installing an IIS module.
data_source:
- Sysmon EventID 1
search: |-
  \`sysmon\` EventCode=1 Image="*\\\\appcmd.exe"
  | stats count min(_time) as firstTime max(_time) as lastTime by Computer User Image ParentImage
  | rename Computer AS dest
  | rename User AS user
  | \`test_appcmd_module_install_filter\`
how_to_implement: Collect Sysmon process creation events.
known_false_positives: Administrators installing modules on purpose.
tags:
  analytic_story:
  - Test Story
  asset_type: Endpoint
  confidence: 80
  impact: 80
  message: '$Image$ ran on $dest$ as $user$.'
  mitre_attack_id:
  - T1505.004
  observable:
  - name: dest
    type: Hostname
    role:
    - Victim
  - name: user
    type: User
    role:
    - Victim
  - name: ParentImage
    type: Process
    role:
    - Attacker
  product:
  - Splunk Enterprise
  security_domain: endpoint
tests:
- name: True Positive Test
  attack_data:
  - data: data/sysmon.xml
    source: XmlWinEventLog:Microsoft-Windows-Sysmon/Operational
    sourcetype: XmlWinEventLog
`;

const FILES: Record<string, string> = {
  'macros/sysmon.yml': `name: sysmon\ndefinition: source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"\ndescription: Sysmon events.\n`,
  'macros/test_appcmd_module_install_filter.yml': `name: test_appcmd_module_install_filter\ndefinition: search *\ndescription: Tuning.\n`,
  'stories/test_story.yml': `name: Test Story
id: 22222222-2222-4333-8444-555555555555
version: 1
date: '2026-01-15'
author: Vigil tests
description: A story for tests.
narrative: Modules get installed.
tags:
  category:
  - Adversary Tactics
  product:
  - Splunk Enterprise
  usecase: Advanced Threat Detection
`,
  'data_sources/sysmon_eventid_1.yml': `name: Sysmon EventID 1
id: 33333333-2222-4333-8444-555555555555
version: 1
date: '2026-01-15'
author: Vigil tests
description: Process creation.
source: XmlWinEventLog:Microsoft-Windows-Sysmon/Operational
sourcetype: XmlWinEventLog
`,
  'deployments/ttp.yml': `name: TTP default
id: 44444444-2222-4333-8444-555555555555
date: '2026-01-15'
author: Vigil tests
type: TTP
scheduling:
  cron_schedule: '0 * * * *'
  earliest_time: -70m@m
  latest_time: -10m@m
alert_action:
  notable:
    rule_title: '%name%'
    rule_description: '%description%'
  rba:
    enabled: true
`,
};

const DETECTION_FILE = 'detections/endpoint/test_appcmd_module_install.yml';

const SIGMA = `title: Appcmd Module Install
id: 55555555-2222-4333-8444-555555555555
status: test
description: appcmd installs a module.
author: Vigil tests
date: 2026-01-15
tags:
    - attack.persistence
    - attack.t1505.004
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\\appcmd.exe'
        CommandLine|contains: 'install module'
    filter:
        ParentImage|endswith: '\\iissetup.exe'
    condition: selection and not filter
level: high
`;

let dir: string;
let n = 0;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-validate-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a pack (the valid files, with the given replacements) to a fresh folder; returns it. */
async function pack(files: Record<string, string | null>): Promise<string> {
  const root = path.join(dir, `pack${++n}`);
  const all: Record<string, string | null> = { ...FILES, [DETECTION_FILE]: DETECTION, ...files };
  for (const [rel, text] of Object.entries(all)) {
    if (text === null) continue;
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  }
  return root;
}

async function sigmaFile(text: string): Promise<string> {
  const file = path.join(dir, `rule${++n}.yml`);
  await writeFile(file, text);
  return file;
}

async function validate(paths: string[]): Promise<{ code: number; result: JsonResult }> {
  let out = '';
  const code = await makeValidateCommand({ stdout: (t) => (out += t), today: TODAY }).run([...paths, '--format', 'json']);
  return { code, result: JSON.parse(out) as JsonResult };
}

/** 1-based line of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `fixture has no line with '${needle}'`);
  return i + 1;
}

function replaced(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `fixture has no '${from}'`);
  return text.replace(from, to);
}

function assertFinding(result: JsonResult, code: string, file: string, line: number): void {
  const hit = result.findings.find((f) => f.code === code && f.file.endsWith(file) && f.line === line);
  assert.ok(hit, `expected ${code} at ${file}:${line}; got ${JSON.stringify(result.findings.map((f) => `${f.code}@${path.basename(f.file)}:${f.line}`))}`);
  assert.equal(hit.severity, 'error');
}

test('the valid pack and rule validate clean', async () => {
  const root = await pack({});
  const rule = await sigmaFile(SIGMA);
  const { code, result } = await validate([root, rule]);
  assert.deepEqual(result.findings, []);
  assert.equal(code, 0);
});

test("the repository's own content validates clean", async () => {
  const { code, result } = await validate(['content']);
  assert.deepEqual(result.findings.filter((f) => f.severity === 'error'), []);
  assert.equal(code, 0);
});

/** Detection breaks: [name, code, the changed text, the line marker]. */
const DETECTION_BREAKS: readonly { name: string; code: string; text: string; marker: string }[] = [
  { name: 'unknown key', code: 'validate.schema.unknown-key', text: replaced(DETECTION, 'version: 1\n', 'version: 1\ncolour: blue\n'), marker: 'colour:' },
  { name: 'bad enum', code: 'validate.schema.enum', text: replaced(DETECTION, 'type: TTP', 'type: Alert'), marker: 'type: Alert' },
  { name: 'bad UUID', code: 'validate.schema.uuid', text: replaced(DETECTION, 'id: 11111111-2222-4333-8444-555555555555', 'id: 1111-2222'), marker: 'id: 1111-2222' },
  { name: 'bad date', code: 'validate.schema.date', text: replaced(DETECTION, "date: '2026-01-15'", "date: '2026-02-30'"), marker: "date: '2026-02-30'" },
  { name: 'date in the future', code: 'validate.schema.date', text: replaced(DETECTION, "date: '2026-01-15'", "date: '2027-01-01'"), marker: "date: '2027-01-01'" },
  { name: 'risk field not produced', code: 'validate.detection.risk-field', text: replaced(DETECTION, 'rename User AS user', 'rename User AS account'), marker: '- name: user' },
  { name: 'threat field not produced', code: 'validate.detection.threat-field', text: replaced(DETECTION, 'by Computer User Image ParentImage', 'by Computer User Image'), marker: '- name: ParentImage' },
  { name: 'message token not produced', code: 'validate.detection.message-field', text: replaced(DETECTION, 'as $user$.', 'as $account$.'), marker: 'message:' },
  { name: 'unknown ATT&CK id', code: 'validate.detection.attack-id', text: replaced(DETECTION, '- T1505.004', '- T1505.099'), marker: 'T1505.099' },
  { name: 'missing macro', code: 'validate.detection.unknown-macro', text: replaced(DETECTION, '`sysmon` EventCode=1', '`sysmon` `no_such_macro` EventCode=1'), marker: 'no_such_macro' },
  { name: 'missing lookup', code: 'validate.detection.unknown-lookup', text: replaced(DETECTION, '  | rename Computer AS dest', '  | lookup no_such_lookup Image OUTPUT verdict\n  | rename Computer AS dest'), marker: 'no_such_lookup' },
  { name: 'missing data source', code: 'validate.detection.unknown-data-source', text: replaced(DETECTION, '- Sysmon EventID 1', '- Sysmon EventID 99'), marker: 'Sysmon EventID 99' },
  { name: 'missing story', code: 'validate.detection.unknown-story', text: replaced(DETECTION, '- Test Story', '- No Such Story'), marker: 'No Such Story' },
  { name: 'missing filter macro', code: 'validate.detection.filter-macro', text: replaced(DETECTION, '\n  | `test_appcmd_module_install_filter`', ''), marker: 'rename User AS user' },
  { name: 'filter macro not last', code: 'validate.detection.filter-macro', text: replaced(DETECTION, '  | `test_appcmd_module_install_filter`', '  | `test_appcmd_module_install_filter`\n  | table dest user Image ParentImage'), marker: '| table dest' },
  { name: 'missing required field', code: 'validate.schema.missing', text: replaced(DETECTION, 'author: Vigil tests\n', ''), marker: 'name: Test Appcmd' },
  { name: 'production without tests', code: 'validate.detection.no-tests', text: DETECTION.slice(0, DETECTION.indexOf('tests:')), marker: 'name: Test Appcmd' },
];

for (const b of DETECTION_BREAKS) {
  test(`detection: ${b.name} → ${b.code}`, async () => {
    const root = await pack({ [DETECTION_FILE]: b.text });
    const { code, result } = await validate([root]);
    assertFinding(result, b.code, DETECTION_FILE, lineOf(b.text, b.marker));
    assert.equal(code, 1);
  });
}

test('detection: file name that does not match the name', async () => {
  const root = await pack({ [DETECTION_FILE]: null, 'detections/endpoint/appcmd.yml': DETECTION });
  const { result } = await validate([root]);
  assertFinding(result, 'validate.detection.file-name', 'appcmd.yml', lineOf(DETECTION, 'name: Test Appcmd'));
});

test('detection: duplicate id', async () => {
  const copy = replaced(replaced(DETECTION, 'name: Test Appcmd Module Install', 'name: Zz Copy'), 'test_appcmd_module_install_filter', 'zz_copy_filter');
  const root = await pack({ 'detections/endpoint/zz_copy.yml': copy });
  const { result } = await validate([root]);
  assertFinding(result, 'validate.duplicate-id', 'zz_copy.yml', lineOf(copy, 'id: 1111'));
});

const SIGMA_BREAKS: readonly { name: string; code: string; text: string; marker: string }[] = [
  { name: 'schema (status)', code: 'sigma.meta.status', text: replaced(SIGMA, 'status: test', 'status: finished'), marker: 'status: finished' },
  { name: 'bad tag', code: 'validate.sigma.tag', text: replaced(SIGMA, 'attack.t1505.004', 'attack.t1505.077'), marker: 'attack.t1505.077' },
  { name: 'malformed tag', code: 'validate.sigma.tag', text: replaced(SIGMA, '- attack.persistence', '- Persistence'), marker: '- Persistence' },
  { name: 'unknown logsource', code: 'sigma.logsource.unmapped', text: replaced(SIGMA, 'category: process_creation', 'category: teleportation'), marker: 'category: teleportation' },
  { name: 'unknown identifier in condition', code: 'sigma.condition.undefined', text: replaced(SIGMA, 'selection and not filter', 'selection and not filters'), marker: 'condition:' },
  { name: 'duplicate keys', code: 'sigma.detection.duplicate-key', text: replaced(SIGMA, "        CommandLine|contains: 'install module'\n", "        CommandLine|contains: 'install'\n        CommandLine|contains: 'module'\n"), marker: "CommandLine|contains: 'module'" },
];

for (const b of SIGMA_BREAKS) {
  test(`sigma: ${b.name} → ${b.code}`, async () => {
    const file = await sigmaFile(b.text);
    const { code, result } = await validate([file]);
    assertFinding(result, b.code, path.basename(file), lineOf(b.text, b.marker));
    assert.equal(code, 1);
  });
}

test('output fields: stats closes the set, rename with wildcards moves names, eval adds', () => {
  const ast = parseSpl('| tstats count from datamodel=Endpoint.Processes by Processes.dest Processes.user | rename Processes.* AS * | eval risk=1 | table dest risk count');
  const out = outputFields(ast);
  assert.equal(out.open, false);
  assert.deepEqual([...out.fields].sort(), ['count', 'dest', 'risk']);
  assert.equal(producesField(out, 'user'), false);
  const events = outputFields(parseSpl('index=main EventCode=1 | eval x=1'));
  assert.equal(events.open, true);
  assert.equal(producesField(events, 'anything'), true);
});

test('detection with a v5 rba block: a risk object field the search does not produce is found at its entry', async () => {
  const observables = DETECTION.slice(DETECTION.indexOf('  confidence: 80'), DETECTION.indexOf('  product:'));
  const rba = `rba:
  message: '$Image$ ran on $dest$ as $user$.'
  risk_objects:
  - field: dest
    type: system
    score: 64
  - field: account
    type: user
    score: 56
  threat_objects:
  - field: ParentImage
    type: process
tags:
  analytic_story:
  - Test Story
  asset_type: Endpoint
  mitre_attack_id:
  - T1505.004
`;
  const text = replaced(DETECTION, `tags:\n  analytic_story:\n  - Test Story\n  asset_type: Endpoint\n${observables}`, rba);
  const root = await pack({ [DETECTION_FILE]: text });
  const { result } = await validate([root]);
  assertFinding(result, 'validate.detection.risk-field', DETECTION_FILE, lineOf(text, '- field: account'));
  assert.equal(result.findings.filter((f) => f.severity === 'error').length, 1, JSON.stringify(result.findings));
});

test('output fields: wildcard table/rename patterns, and a hostile many-star pattern stays fast', () => {
  const open = outputFields(parseSpl('index=main | rename Processes.* AS *'));
  assert.equal(producesField(open, 'dest'), true);
  const kept = outputFields(parseSpl('| tstats count from datamodel=Endpoint.Processes by Processes.dest Processes.user | table Processes.*'));
  assert.deepEqual([...kept.fields].sort(), ['Processes.dest', 'Processes.user']);
  assert.equal(producesField(kept, 'count'), false);
  const star = `${'a*'.repeat(60)}b`;
  const hostile = outputFields(parseSpl(`index=main | table ${star}`));
  const started = Date.now();
  assert.equal(producesField(hostile, 'a'.repeat(5000)), false);
  assert.equal(producesField(hostile, `${'a'.repeat(100)}b`), true);
  assert.ok(Date.now() - started < 1000);
});
