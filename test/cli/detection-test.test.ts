/**
 * `vigil test`: the repository's pack passes against a freshly simulated IIS case; a test whose
 * expectations cannot hold fails with its reason; attack_data source/sourcetype really replace the
 * derived ones; the JUnit XML parses back with the same counts and failure messages.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeTestCommand } from '../../src/cli/commands/test.js';
import { childElements, getAttribute, rootElement, type XmlElement } from '../../src/core/xml-tree.js';
import { buildIisScenario } from '../../src/simulate/iis-scenario.js';
import { writeIisSimulation } from '../../src/simulate/write-iis.js';
import { parseXmlDocument } from '../../src/sources/text/xml-parse.js';

interface Phase { outcome: string; reason: string; results?: number }
interface JsonTest { detection: string; test: string; passed: boolean; validation: Phase; unit: Phase; integration: Phase }
interface JsonRun { tests: JsonTest[]; totals: { cases: number; passed: number; failed: number } }

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-detection-test-'));
  // The detections' tests name examples/iis/...: write that case under the data root.
  await writeIisSimulation(path.join(dir, 'examples', 'iis'), buildIisScenario(1), ['xml', 'winevtlog']);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function vigilTest(args: string[]): Promise<{ code: number; run: JsonRun }> {
  let out = '';
  const code = await makeTestCommand({ stdout: (t) => (out += t), stderr: () => undefined }).run([...args, '--data-root', dir, '--format', 'json']);
  return { code, run: JSON.parse(out) as JsonRun };
}

/** A copy of content/splunk where `edit` changed one detection file. */
async function packWith(file: string, edit: (text: string) => string): Promise<string> {
  const root = path.join(dir, `pack-${path.basename(file, '.yml')}-${Math.random().toString(36).slice(2, 8)}`);
  await cp('content/splunk', root, { recursive: true });
  const target = path.join(root, 'detections', 'endpoint', file);
  const text = await readFile(target, 'utf8');
  const changed = edit(text);
  assert.notEqual(changed, text, 'the edit changed nothing');
  await writeFile(target, changed);
  return root;
}

function suites(xml: string): XmlElement[] {
  const root = rootElement(parseXmlDocument(xml, 'junit.xml'));
  assert.ok(root !== undefined);
  assert.equal(root.name, 'testsuites');
  return childElements(root);
}

test('the repository pack passes every phase, and the JUnit XML parses back', async () => {
  const junit = path.join(dir, 'junit.xml');
  const { code, run } = await vigilTest(['content/splunk', '--junit', junit]);
  const failing = run.tests.filter((t) => !t.passed).map((t) => `${t.detection} / ${t.test}: ${t.unit.reason || t.integration.reason || t.validation.reason}`);
  assert.deepEqual(failing, []);
  assert.equal(code, 0);
  const detections = new Set(run.tests.map((t) => t.detection));
  assert.equal(detections.size, 9);
  for (const t of run.tests) {
    assert.equal(t.unit.outcome, 'pass');
    assert.equal(t.integration.outcome, 'pass');
    assert.ok((t.unit.results ?? 0) >= 1, `${t.detection}: unit results`);
  }
  const xml = await readFile(junit, 'utf8');
  const all = suites(xml);
  assert.equal(all.length, detections.size);
  const cases = all.flatMap((s) => childElements(s).filter((c) => c.name === 'testcase'));
  // One validation case per detection, a unit and an integration case per test.
  assert.equal(cases.length, detections.size + 2 * run.tests.length);
  for (const s of all) assert.equal(Number(getAttribute(s, 'tests')), childElements(s).length);
  assert.equal(cases.filter((c) => childElements(c).some((x) => x.name === 'failure' || x.name === 'error')).length, 0);
});

test('a test that expects more results than the data holds fails with its reason', async () => {
  const root = await packWith('windows_iis_components_new_module_added.yml', (t) =>
    t.replace('- name: True Positive Test\n', '- name: True Positive Test\n  expect:\n    min_results: 500\n'),
  );
  const junit = path.join(dir, 'junit-fail.xml');
  const { code, run } = await vigilTest([root, '--junit', junit]);
  assert.equal(code, 1);
  const bad = run.tests.filter((t) => !t.passed);
  assert.equal(bad.length, 1);
  assert.equal(bad[0]!.detection, 'Windows IIS Components New Module Added');
  assert.equal(bad[0]!.unit.outcome, 'fail');
  assert.match(bad[0]!.unit.reason, /^\d+ result row\(s\), expected at least 500$/);
  assert.equal(bad[0]!.integration.outcome, 'skip');
  const failures = suites(await readFile(junit, 'utf8'))
    .flatMap((s) => childElements(s))
    .flatMap((c) => childElements(c).filter((x) => x.name === 'failure'));
  assert.equal(failures.length, 1);
  assert.equal(getAttribute(failures[0]!, 'message'), bad[0]!.unit.reason);
  assert.equal(getAttribute(failures[0]!, 'type'), 'unit');
});

test("attack_data sourcetype replaces the derived one: a sourcetype the macro does not select finds nothing", async () => {
  const root = await packWith('windows_iis_components_new_module_added.yml', (t) => t.replace('sourcetype: IIS:Configuration:Operational', 'sourcetype: Other:Log'));
  const { code, run } = await vigilTest([root, '--detection', 'Windows IIS Components New Module Added']);
  assert.equal(code, 1);
  assert.equal(run.tests.length, 1);
  assert.equal(run.tests[0]!.unit.outcome, 'fail');
  assert.equal(run.tests[0]!.unit.reason, 'the search returned no results');
});

test('exact rows and risk scores: a wrong declared score fails the integration phase', async () => {
  const root = await packWith('windows_iis_components_new_module_added.yml', (t) =>
    t.replace('- name: True Positive Test\n', '- name: True Positive Test\n  expect:\n    risk_scores:\n      dest: 99\n'),
  );
  const { run } = await vigilTest([root, '--detection', '55f22929-cfd3-4388-ba5c-4d01fac7ee7e']);
  assert.equal(run.tests[0]!.unit.outcome, 'pass');
  assert.equal(run.tests[0]!.integration.outcome, 'fail');
  assert.equal(run.tests[0]!.integration.reason, "risk event for 'dest' has score 48, declared 99");
});

test('a missing attack_data file is an error naming the file', async () => {
  const root = await packWith('windows_iis_components_module_failed_to_load.yml', (t) => t.replace('examples/iis/xml/Application.xml', 'examples/iis/xml/Nope.xml'));
  const { run } = await vigilTest([root, '--detection', 'Windows IIS Components Module Failed to Load']);
  assert.equal(run.tests[0]!.unit.outcome, 'error');
  assert.match(run.tests[0]!.unit.reason, /attack data file not found: examples\/iis\/xml\/Nope\.xml/);
});

test('exact results and exact rows: the count from a real run passes, a row that is not there fails', async () => {
  const only = ['--detection', 'Windows IIS Components New Module Added'];
  const first = await vigilTest(['content/splunk', ...only]);
  const count = first.run.tests[0]!.unit.results ?? 0;
  assert.ok(count >= 1);
  const exact = await packWith('windows_iis_components_new_module_added.yml', (t) => t.replace('- name: True Positive Test\n', `- name: True Positive Test\n  expect:\n    results: ${count}\n`));
  assert.equal((await vigilTest([exact, ...only])).run.tests[0]!.unit.outcome, 'pass');
  const tooMany = await packWith('windows_iis_components_new_module_added.yml', (t) => t.replace('- name: True Positive Test\n', `- name: True Positive Test\n  expect:\n    results: ${count + 1}\n`));
  assert.equal((await vigilTest([tooMany, ...only])).run.tests[0]!.unit.reason, `${count} result row(s), expected exactly ${count + 1}`);
  const rows = await packWith('windows_iis_components_new_module_added.yml', (t) =>
    t.replace('- name: True Positive Test\n', `- name: True Positive Test\n  expect:\n    rows:\n${Array.from({ length: count }, () => '    - {dest: NO-SUCH-HOST}\n').join('')}`),
  );
  const r = (await vigilTest([rows, ...only])).run.tests[0]!;
  assert.equal(r.unit.outcome, 'fail');
  assert.equal(r.unit.reason, 'expected row 1 (dest=NO-SUCH-HOST) matches no result row');
});

test('Sigma rules: a <rule>.tests.yml beside the rule runs through the hunt engine', async () => {
  const rules = path.join(dir, 'sigma-rules');
  await cp('content/sigma/iis/proc_creation_gacutil_install.yml', path.join(rules, 'gacutil.yml'), { recursive: true });
  await writeFile(
    path.join(rules, 'gacutil.tests.yml'),
    'tests:\n- name: Sysmon\n  data:\n  - file: examples/iis/xml/Sysmon.xml\n- name: Security only\n  data:\n  - file: examples/iis/xml/Application.xml\n',
  );
  const { code, run } = await vigilTest([rules]);
  assert.equal(code, 1);
  assert.deepEqual(run.tests.map((t) => [t.test, t.validation.outcome, t.unit.outcome, t.integration.outcome]), [
    ['Sysmon', 'pass', 'pass', 'skip'],
    ['Security only', 'pass', 'fail', 'skip'],
  ]);
  assert.ok((run.tests[0]!.unit.results ?? 0) >= 1);
  assert.equal(run.tests[1]!.unit.reason, 'the rule matched no event');
});

test('a risk message token with no value fails validation and the integration phase', async () => {
  const root = await packWith('windows_iis_components_new_module_added.yml', (t) => t.replace("message: 'IIS on $dest$ committed", "message: 'IIS on $dest$ ($nosuch$) committed"));
  const { run } = await vigilTest([root, '--detection', 'Windows IIS Components New Module Added']);
  const r = run.tests[0]!;
  assert.equal(r.validation.outcome, 'fail');
  assert.match(r.validation.reason, /\$nosuch\$ is not produced by the search \[validate\.detection\.message-field\]/);
  assert.equal(r.unit.outcome, 'pass');
  assert.equal(r.integration.outcome, 'fail');
  assert.equal(r.integration.reason, "risk message field 'nosuch' has no value in a result row; left empty");
});
