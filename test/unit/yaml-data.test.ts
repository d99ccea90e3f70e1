/**
 * YAML data files read with positions (src/core/yaml-data.ts), and the readers built on it:
 * a syntax error in incident rules, ATT&CK data, log-source mappings, views, WinEventLog label
 * maps or the Splunk data files comes back as a located error under that reader's code, at the
 * line and column the parser named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { YamlData } from '../../src/core/yaml-data.js';
import { LocatedError } from '../../src/core/diagnostics.js';
import { attackCatalogFromText, incidentRulesFromText } from '../../src/risk/index.js';
import { parseLogsourceMappings } from '../../src/pipeline/load-mappings.js';
import { compileView } from '../../src/normalize/views.js';
import { parseLabelMap } from '../../src/sources/text/winevtlog-labels.js';
import { parseYamlFile } from '../../src/splunk/yaml-file.js';

// A flow sequence left open on line 3: the parser reports it there.
const BROKEN = 'a: 1\nb:\n  c: [1, 2\nd: 4\n';

function locatedErrors(run: () => unknown): LocatedError[] {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof AggregateError, `expected an AggregateError, got ${String(err)}`);
    return err.errors as LocatedError[];
  }
  assert.fail('expected the reader to throw');
}

test('YamlData: syntax errors are located under the given code; nodes are placed at line and column', () => {
  const bad = new YamlData('bad.yml', BROKEN, 'x.yaml');
  assert.equal(bad.root, null);
  assert.ok(bad.syntaxErrors.length > 0);
  for (const e of bad.syntaxErrors) {
    assert.equal(e.code, 'x.yaml');
    assert.equal(e.location.file, 'bad.yml');
    assert.ok((e.location.line ?? 0) >= 3, JSON.stringify(e.location));
    assert.ok(!e.message.includes('\n'));
    assert.equal(e.location.offset, undefined, 'a character offset is not a byte offset');
  }

  const good = new YamlData('good.yml', 'top:\n  inner: value\n', 'x.yaml');
  assert.deepEqual(good.syntaxErrors, []);
  const inner = (good.root as { get(k: string, keep: true): unknown }).get('top', true) as { get(k: string, keep: true): unknown };
  assert.deepEqual(good.where(inner.get('inner', true)), { file: 'good.yml', line: 2, column: 10 });
  assert.deepEqual(good.where(null), { file: 'good.yml' });
  assert.deepEqual(good.at(0), { file: 'good.yml', line: 1, column: 1 });
  assert.equal(new YamlData('empty.yml', '', 'x.yaml').root, null);
});

test('every YAML data reader reports a syntax error at its place, under its own code', () => {
  const incident = locatedErrors(() => incidentRulesFromText(BROKEN, 'rules.yml'));
  assert.ok(incident.some((e) => e.code === 'risk.config' && e.location.file === 'rules.yml' && (e.location.line ?? 0) >= 3));

  const attack = locatedErrors(() => attackCatalogFromText('tactics:\n  TA0001: {name: Initial Access, short: initial-access}\n', BROKEN, { tactics: 't.yml', techniques: 'q.yml' }));
  assert.ok(attack.some((e) => e.code === 'attack.mapping' && e.location.file === 'q.yml' && (e.location.line ?? 0) >= 3));

  const mappings = locatedErrors(() => parseLogsourceMappings({ text: BROKEN, file: 'services.yml' }, { text: 'categories: {}\n', file: 'categories.yml' }));
  assert.ok(mappings.some((e) => e.code === 'logsource.mapping.yaml' && e.location.file === 'services.yml' && (e.location.line ?? 0) >= 3));

  const view = locatedErrors(() => compileView(BROKEN, 'view.yml'));
  assert.ok(view.some((e) => e.code === 'view.yaml' && e.location.file === 'view.yml' && (e.location.line ?? 0) >= 3));

  const labels = locatedErrors(() => parseLabelMap(BROKEN, 'labels.yml'));
  assert.ok(labels.some((e) => e.code === 'winevtlog-labels.yaml' && e.location.file === 'labels.yml' && (e.location.line ?? 0) >= 3));

  // The Splunk data files stop at their first syntax error.
  assert.throws(
    () => parseYamlFile(BROKEN, 'eventtypes.yml', 'splunk.eventtypes'),
    (e: unknown) => e instanceof LocatedError && e.code === 'splunk.eventtypes' && e.location.file === 'eventtypes.yml' && (e.location.line ?? 0) >= 3 && !e.message.includes('\n'),
  );
});
