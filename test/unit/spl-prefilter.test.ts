/** The runner's metadata pre-test: conservative (never false when the search could be true). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpl } from '../../src/spl/index.js';
import type { SearchExpr } from '../../src/spl/ast.js';
import { metadataPrefilter, type EventMetadata } from '../../src/engine/spl/prefilter.js';

function exprOf(text: string): SearchExpr | null {
  const c = parseSpl(text).commands[0]!;
  assert.equal(c.kind, 'search');
  return c.kind === 'search' ? c.expr : null;
}

const meta = (sourcetype: string | null, source: string | null = null, host: string | null = null): EventMetadata => ({ source, sourcetype, host });

test('sourcetype equality and wildcards, case-insensitive as in search', () => {
  const t = metadataPrefilter(exprOf('sourcetype="Pwsh:InstalledIISModules"'))!;
  assert.equal(t(meta('pwsh:installediismodules')), true);
  assert.equal(t(meta('XmlWinEventLog')), false);
  assert.equal(t(meta(null)), false);
  const w = metadataPrefilter(exprOf('source=XmlWinEventLog:*'))!;
  assert.equal(w(meta(null, 'XmlWinEventLog:Security')), true);
  assert.equal(w(meta(null, 'WinEventLog:Security')), false);
});

test('AND keeps the constraints it has; OR needs one from every operand', () => {
  const and = metadataPrefilter(exprOf('sourcetype=a EventCode=1 user=bob'))!;
  assert.equal(and(meta('A')), true);
  assert.equal(and(meta('b')), false);
  const or = metadataPrefilter(exprOf('sourcetype=a OR source=s:*'))!;
  assert.equal(or(meta('x', 's:1')), true);
  assert.equal(or(meta('x', 't:1')), false);
  assert.equal(metadataPrefilter(exprOf('sourcetype=a OR EventCode=1')), null);
});

test('NOT, bare terms and non-metadata fields give no constraint', () => {
  assert.equal(metadataPrefilter(exprOf('NOT sourcetype=a')), null);
  assert.equal(metadataPrefilter(exprOf('error')), null);
  assert.equal(metadataPrefilter(exprOf('EventCode=4104')), null);
  assert.equal(metadataPrefilter(null), null);
});

test('IN lists match any of their values', () => {
  const t = metadataPrefilter(exprOf('sourcetype IN (a, "b*")'))!;
  assert.equal(t(meta('bcd')), true);
  assert.equal(t(meta('c')), false);
});
