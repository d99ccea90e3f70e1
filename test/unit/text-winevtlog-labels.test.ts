import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocatedError } from '../../src/core/diagnostics.js';
import type { FieldBag } from '../../src/sources/text/text-event.js';
import {
  type EventIdentity,
  type LabelMap,
  extractMessageFields,
  findEventRule,
  loadLabelMap,
  matchTemplate,
  parseLabelMap,
  parseTemplate,
} from '../../src/sources/text/winevtlog-labels.js';
import { events, openAll, readAll, tempDir } from './inputs-helpers.js';

// Messages follow the Windows message templates; hosts, users, paths and scripts are invented.

const POWERSHELL: EventIdentity = { eventId: 4104, channel: 'Microsoft-Windows-PowerShell/Operational', source: 'Microsoft-Windows-PowerShell' };
const IIS_CONFIG = (eventId: number): EventIdentity => ({ eventId, channel: 'Microsoft-IIS-Configuration/Operational', source: 'Microsoft-Windows-IIS-Configuration' });
const SECURITY_4688: EventIdentity = { eventId: 4688, channel: 'Security', source: 'Microsoft Windows security auditing.' };
const SYSMON = (eventId: number): EventIdentity => ({ eventId, channel: 'Microsoft-Windows-Sysmon/Operational', source: 'Microsoft-Windows-Sysmon' });

/** Runs the message layer over a message, on top of the given header fields. */
function fieldsOf(message: readonly string[], who: EventIdentity, header: FieldBag = {}, map: LabelMap = loadLabelMap()): FieldBag {
  const fields: FieldBag = { ...header, Message: message.join('\n') };
  extractMessageFields(message, fields, who, map);
  return fields;
}

const SCRIPT = [
  'function Install-Thing {',
  '    param([string]$Path)',
  'Target: not a label of the event',
  'ScriptBlock ID: inside the script, not the trailer',
  '',
  '    New-WebGlobalModule -Name Thing -Image $Path',
  '}',
];

test('4104: the script text between the header and the last ScriptBlock ID line is ScriptBlockText', () => {
  const message = ['Creating Scriptblock text (2 of 3):', ...SCRIPT, '', 'ScriptBlock ID: 0b1c6a52-3f1e-4d39-9a55-3d1d2b6c7e10', 'Path: C:\\Ops\\install.ps1'];
  const f = fieldsOf(message, POWERSHELL);
  assert.equal(f['ScriptBlockText'], SCRIPT.join('\n'));
  assert.equal(f['MessageNumber'], '2');
  assert.equal(f['MessageTotal'], '3');
  assert.equal(f['ScriptBlockId'], '0b1c6a52-3f1e-4d39-9a55-3d1d2b6c7e10');
  assert.equal(f['ScriptBlock_ID'], '0b1c6a52-3f1e-4d39-9a55-3d1d2b6c7e10', 'the generic label field stays');
  assert.equal(f['Path'], 'C:\\Ops\\install.ps1');
  // Lines of the script are never read as labels of the event.
  assert.equal(f['Target'], undefined);
});

test('4104: a message cut before the trailer keeps the script to its end; an empty Path gives no field', () => {
  const cut = fieldsOf(['Creating Scriptblock text (1 of 1):', 'Get-WebGlobalModule', 'Set-WebGlobalModule -Name X'], POWERSHELL);
  assert.equal(cut['ScriptBlockText'], 'Get-WebGlobalModule\nSet-WebGlobalModule -Name X');
  assert.equal(cut['ScriptBlockId'], undefined);
  const noPath = fieldsOf(['Creating Scriptblock text (1 of 1):', 'whoami', '', 'ScriptBlock ID: abc', 'Path: '], POWERSHELL);
  assert.equal(noPath['ScriptBlockText'], 'whoami');
  assert.equal(noPath['Path'], undefined);
  // A different first line: no body rule applies, labels are read as usual.
  const other = fieldsOf(['Something else:', 'Path: C:\\x'], POWERSHELL);
  assert.equal(other['ScriptBlockText'], undefined);
  assert.equal(other['Path'], 'C:\\x');
});

test('IIS-Configuration 29/30: the sentence gives Configuration and ConfigPath, quotes inside kept', () => {
  const added = fieldsOf(["Changes to '/system.webServer/globalModules/add[@name='SpyModule']' at 'MACHINE/WEBROOT/APPHOST' have successfully been committed."], IIS_CONFIG(29));
  assert.equal(added['Configuration'], "/system.webServer/globalModules/add[@name='SpyModule']");
  assert.equal(added['ConfigPath'], 'MACHINE/WEBROOT/APPHOST');
  const failed = fieldsOf(["Failed to commit changes to '/system.webServer/httpLogging/@dontLog' at 'MACHINE/WEBROOT/APPHOST/Default Web Site'."], IIS_CONFIG(30));
  assert.equal(failed['Configuration'], '/system.webServer/httpLogging/@dontLog');
  assert.equal(failed['ConfigPath'], 'MACHINE/WEBROOT/APPHOST/Default Web Site');
  // Another sentence, or the 29 sentence under another EventID, gives nothing.
  assert.equal(fieldsOf(['Changes to something happened.'], IIS_CONFIG(29))['Configuration'], undefined);
  assert.equal(fieldsOf(["Changes to 'a' at 'b' have successfully been committed."], IIS_CONFIG(7))['Configuration'], undefined);
});

const PROCESS_4688 = [
  'A new process has been created.',
  '',
  'Creator Subject:',
  '\tSecurity ID:\t\tS-1-5-21-1111-2222-3333-1001',
  '\tAccount Name:\t\tkim',
  '\tAccount Domain:\t\tLAB',
  '\tLogon ID:\t\t0x5A1F0',
  '',
  'Target Subject:',
  '\tSecurity ID:\t\tS-1-5-21-1111-2222-3333-1002',
  '\tAccount Name:\t\tsvc-web',
  '\tAccount Domain:\t\tLAB',
  '\tLogon ID:\t\t0x0',
  '',
  'Process Information:',
  '\tNew Process ID:\t\t0x1c2c',
  '\tNew Process Name:\tC:\\Windows\\System32\\inetsrv\\appcmd.exe',
  '\tToken Elevation Type:\t%%1936',
  '\tMandatory Label:\t\tS-1-16-12288',
  '\tCreator Process ID:\t0x9f0',
  '\tCreator Process Name:\tC:\\Windows\\System32\\cmd.exe',
  '\tProcess Command Line:\tappcmd.exe install module /name:Thing /image:C:\\x.dll ',
  '\tEventCode:\tfake',
  '',
  'Token Elevation Type indicates the type of token that was assigned to the new process in accordance with User Account Control policy.',
];

test('4688: section headings tell Subject from Target; Process Information gives the process names', () => {
  const f = fieldsOf(PROCESS_4688, SECURITY_4688, { EventCode: '4688', LogName: 'Security' });
  assert.equal(f['SubjectUserSid'], 'S-1-5-21-1111-2222-3333-1001');
  assert.equal(f['SubjectUserName'], 'kim');
  assert.equal(f['SubjectDomainName'], 'LAB');
  assert.equal(f['SubjectLogonId'], '0x5A1F0');
  assert.equal(f['TargetUserSid'], 'S-1-5-21-1111-2222-3333-1002');
  assert.equal(f['TargetUserName'], 'svc-web');
  assert.equal(f['TargetLogonId'], '0x0');
  assert.equal(f['NewProcessId'], '0x1c2c');
  assert.equal(f['NewProcessName'], 'C:\\Windows\\System32\\inetsrv\\appcmd.exe');
  assert.equal(f['TokenElevationType'], '%%1936');
  assert.equal(f['MandatoryLabel'], 'S-1-16-12288');
  assert.equal(f['ProcessId'], '0x9f0');
  assert.equal(f['ParentProcessName'], 'C:\\Windows\\System32\\cmd.exe');
  // Trailing blanks of a command line are EventData; the generic field is trimmed.
  assert.equal(f['CommandLine'], 'appcmd.exe install module /name:Thing /image:C:\\x.dll ');
  assert.equal(f['Process_Command_Line'], 'appcmd.exe install module /name:Thing /image:C:\\x.dll');
  // The generic names stay beside them, and a protected header key is never replaced.
  assert.deepEqual(f['Account_Name'], ['kim', 'svc-web']);
  assert.equal(f['Target_Subject.Account_Name'], 'svc-web');
  assert.equal(f['EventCode'], '4688');
  assert.equal(f['Process_Information.EventCode'], 'fake');
});

test('4688 version 0/1: a single Subject section gives the Subject names', () => {
  const old = ['A new process has been created.', '', 'Subject:', '\tSecurity ID:\t\tS-1-5-18', '\tAccount Name:\t\tWEB01$', '', 'Process Information:', '\tNew Process Name:\tC:\\Windows\\System32\\whoami.exe'];
  const f = fieldsOf(old, SECURITY_4688);
  assert.equal(f['SubjectUserName'], 'WEB01$');
  assert.equal(f['TargetUserName'], undefined);
  assert.equal(f['NewProcessName'], 'C:\\Windows\\System32\\whoami.exe');
});

test('Sysmon: labels are EventData names; they win over a colliding header key, kept as Header.<Key>', () => {
  const header = { LogName: 'Microsoft-Windows-Sysmon/Operational', EventCode: '13', EventType: '4', User: 'NT AUTHORITY\\SYSTEM' };
  const message = ['Registry value set:', 'RuleName: -', 'EventType: SetValue', 'TargetObject: HKLM\\SOFTWARE\\Example\\Start', 'Details: DWORD (0x00000002)', 'User: LAB\\kim', 'EventCode: 99'];
  const f = fieldsOf(message, SYSMON(13), header);
  assert.equal(f['EventType'], 'SetValue');
  assert.equal(f['Header.EventType'], '4');
  assert.equal(f['User'], 'LAB\\kim');
  assert.equal(f['Header.User'], 'NT AUTHORITY\\SYSTEM');
  assert.equal(f['TargetObject'], 'HKLM\\SOFTWARE\\Example\\Start');
  assert.equal(f['EventCode'], '13', 'a protected name is never taken from the message');
  assert.equal(f['RuleName'], '-');
});

test('an event no entry names gets the generic label fields only', () => {
  const who: EventIdentity = { eventId: 7045, channel: 'System', source: 'Service Control Manager' };
  assert.equal(findEventRule(loadLabelMap(), who), null);
  const f = fieldsOf(['A service was installed in the system.', '', 'Service Name:  Thing', 'Service File Name:  C:\\x.exe'], who);
  assert.equal(f['Service_Name'], 'Thing');
  assert.equal(f['Service_File_Name'], 'C:\\x.exe');
});

test('templates: earlier captures are greedy, {*} skips, whole-line anchoring', () => {
  const t = parseTemplate("Changes to '{Configuration}' at '{ConfigPath}' have successfully been committed.");
  assert.ok(typeof t !== 'string');
  assert.deepEqual(matchTemplate(t, "Changes to 'a' at 'b' at 'c' have successfully been committed."), [['Configuration', "a' at 'b"], ['ConfigPath', 'c']]);
  assert.equal(matchTemplate(t, "Changes to 'a' at 'b' have successfully been committed. Extra"), null);
  assert.equal(matchTemplate(t, "Changes to 'a' have successfully been committed."), null);
  const skip = parseTemplate('The Module DLL {ModuleDll} failed to load.{*}');
  assert.ok(typeof skip !== 'string');
  assert.deepEqual(matchTemplate(skip, 'The Module DLL c:\\temp\\m.dll failed to load.  The data is the error.'), [['ModuleDll', 'c:\\temp\\m.dll']]);
  assert.equal(typeof parseTemplate('{A}{B}'), 'string');
  assert.equal(typeof parseTemplate('x {not a name} y'), 'string');
  assert.equal(typeof parseTemplate('x } y'), 'string');
  assert.equal(typeof parseTemplate('x { y'), 'string');
});

test('parseLabelMap: problems are located LocatedErrors, all reported at once', () => {
  const text = [
    'protected: [EventCode]',
    'events:',
    '  - id: a',
    '    channels: [Security]',
    "    sentence: ['Bad {one}{two}']",
    '    colour: red',
    '  - id: a',
    '    event_ids: [x]',
    '    sources: [S]',
    '  - id: c',
    '    labels: { Account Name: "not a name" }',
  ].join('\n');
  assert.throws(
    () => parseLabelMap(text, 'labels.yml'),
    (err: unknown) => {
      assert.ok(err instanceof AggregateError);
      const found = (err.errors as LocatedError[]).map((e) => [e.code, e.location.line]);
      assert.deepEqual(found, [
        ['winevtlog-labels.unknown-key', 6],
        ['winevtlog-labels.bad-template', 5],
        ['winevtlog-labels.bad-event-id', 8],
        ['winevtlog-labels.duplicate-id', 7],
        ['winevtlog-labels.no-scope', 10],
        ['winevtlog-labels.bad-field-name', 11],
      ]);
      assert.ok((err.errors as unknown[]).every((e) => e instanceof LocatedError && e.location.file === 'labels.yml'));
      return true;
    },
  );
});

test('hostile messages: a 1 MB line and 100k label lines are handled quickly and bounded', () => {
  const longLine = `Changes to '${"' at '".repeat(170_000)}' have successfully been committed.`;
  assert.ok(longLine.length > 1_000_000);
  const labelFlood = Array.from({ length: 100_000 }, (_, i) => `Label${i}: ${'v'.repeat(20)}`);
  const nearMiss = `${'A'.repeat(79)} ${' '.repeat(4000)}x`; // long label-like line with no colon
  const started = Date.now();
  const iis = fieldsOf([longLine], IIS_CONFIG(29));
  const flood = fieldsOf(['Process Create:', nearMiss, ...labelFlood], SYSMON(1));
  const script = fieldsOf(['Creating Scriptblock text (1 of 1):', ...Array.from({ length: 100_000 }, () => 'x: y'), '', 'ScriptBlock ID: z'], POWERSHELL);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 3000, `took ${elapsed} ms`);
  // Over 64 KiB a sentence is not matched against templates.
  assert.equal(iis['Configuration'], undefined);
  // Under it, a sentence full of near-separators still matches, greedily, in linear time.
  const near = fieldsOf([`Changes to '${"' at '".repeat(10_000)}' have successfully been committed.`], IIS_CONFIG(29));
  assert.equal(near['ConfigPath'], undefined, 'an empty capture gives no field');
  assert.equal((near['Configuration'] as string).length, 6 * 10_000 - 6);
  // At most 500 labels are read from a message.
  assert.equal(flood['Label499'], 'v'.repeat(20));
  assert.equal(flood['Label500'], undefined);
  assert.equal((script['ScriptBlockText'] as string).length, 100_000 * 5 - 1);
  assert.equal(script['x'], undefined);
});

test('reader: classic text gets the mapped fields, the provider and 2282 ModuleDll', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'classic.txt');
  const block = (time: string, head: string[], message: string[]): string[] => [time, ...head, `Message=${message[0]}`, ...message.slice(1)];
  const text = [
    ...block('07/02/2024 03:28:59 PM', ['LogName=Microsoft-Windows-PowerShell/Operational', 'EventCode=4104', 'ComputerName=web-01', 'SourceName=Microsoft-Windows-PowerShell', 'RecordNumber=10'], ['Creating Scriptblock text (1 of 1):', 'New-WebGlobalModule -Name M -Image C:\\m.dll', '', 'ScriptBlock ID: 1f2e', 'Path: ']),
    ...block('07/02/2024 03:29:00 PM', ['LogName=Security', 'EventCode=4688', 'ComputerName=web-01', 'SourceName=Microsoft Windows security auditing.', 'RecordNumber=11'], PROCESS_4688),
    ...block('07/02/2024 03:29:01 PM', ['LogName=Application', 'EventCode=2282', 'ComputerName=web-01', 'SourceName=Microsoft-Windows-IIS-W3SVC-WP', 'RecordNumber=12'], ['The Module DLL c:\\temp\\m.dll failed to load.  The data is the error.']),
  ].join('\r\n');
  writeFileSync(file, text);
  const { inputs } = await openAll([file]);
  const items = await readAll(inputs[0]!);
  assert.deepEqual(items.filter((i) => i.kind !== 'event'), []);
  const [ps, proc, app] = events(items);
  assert.equal(ps!.fields['ScriptBlockText'], 'New-WebGlobalModule -Name M -Image C:\\m.dll');
  assert.equal(ps!.fields['ScriptBlockId'], '1f2e');
  assert.equal(proc!.provider, 'Microsoft-Windows-Security-Auditing');
  assert.equal(proc!.fields['SourceName'], 'Microsoft Windows security auditing.');
  assert.equal(proc!.fields['ParentProcessName'], 'C:\\Windows\\System32\\cmd.exe');
  assert.equal(app!.fields['ModuleDll'], 'c:\\temp\\m.dll');
});

test('a broken label map is reported as located warnings; the generic labels still apply', async (t) => {
  const dir = tempDir(t);
  const mappings = path.join(dir, 'mappings');
  cpSync(fileURLToPath(new URL('../../../mappings', import.meta.url)), mappings, { recursive: true });
  writeFileSync(path.join(mappings, 'winevtlog', 'labels.yml'), 'events:\n  - id: x\n    channels: [Security]\n    sentence: ["{A}{B}"]\n');
  const file = path.join(dir, 'classic.txt');
  writeFileSync(file, ['07/02/2024 03:29:00 PM', 'LogName=Security', 'EventCode=4688', 'SourceName=Microsoft Windows security auditing.', ...PROCESS_4688.map((l, i) => (i === 0 ? `Message=${l}` : l))].join('\n'));
  const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const run = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [main, 'dump', file], { env: { ...process.env, VIGIL_MAPPINGS_DIR: mappings } }, (_err, stdout, stderr) => resolve({ stdout, stderr }));
  });
  assert.match(run.stderr, /labels\.yml:4:\d+.*winevtlog-labels\.bad-template|winevtlog-labels\.bad-template.*labels\.yml:4/);
  const record = JSON.parse(run.stdout.split('\n')[0]!) as { fields: Record<string, unknown> };
  assert.equal(record.fields['New_Process_Name'], 'C:\\Windows\\System32\\inetsrv\\appcmd.exe');
  assert.equal(record.fields['NewProcessName'], undefined);
});
