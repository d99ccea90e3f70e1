/**
 * `vigil test` output: the table a detection page shows (Validation, Unit, Integration, reason),
 * JSON, and JUnit XML for CI (testsuites > testsuite per detection > testcase per test phase).
 */
import { caseFailed, type Outcome, type PhaseResult, type TestCaseResult, type TestRun } from './run.js';

const LABEL: Readonly<Record<Outcome, string>> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', skip: 'SKIP' };

function reasonOf(r: TestCaseResult): string {
  const phases: [string, PhaseResult][] = [['validation', r.validation], ['unit', r.unit], ['integration', r.integration]];
  const bad = phases.find(([, p]) => p.outcome === 'fail' || p.outcome === 'error');
  if (bad !== undefined) return `${bad[0]}: ${bad[1].reason}`;
  const skip = phases.find(([, p]) => p.outcome === 'skip');
  return skip !== undefined ? `${skip[0]} skipped: ${skip[1].reason}` : '';
}

export function testTotals(run: TestRun): { cases: number; failed: number; passed: number } {
  const failed = run.results.filter(caseFailed).length;
  return { cases: run.results.length, failed, passed: run.results.length - failed };
}

export function testTable(run: TestRun): string {
  const header = ['DETECTION / TEST', 'VALIDATION', 'UNIT', 'INTEGRATION', 'REASON'];
  const rows = run.results.map((r) => [`${r.detection} / ${r.test}`, LABEL[r.validation.outcome], LABEL[r.unit.outcome], LABEL[r.integration.outcome], reasonOf(r)]);
  const width = Math.min(90, Math.max(header[0]!.length, ...rows.map((r) => r[0]!.length)));
  const line = (cells: readonly string[]): string =>
    `${cells[0]!.length > width ? cells[0]!.slice(0, width - 1) + '…' : cells[0]!.padEnd(width)}  ${cells[1]!.padEnd(10)}  ${cells[2]!.padEnd(5)}  ${cells[3]!.padEnd(11)}  ${cells[4]}`.trimEnd();
  const out = [line(header), ...rows.map(line)];
  for (const p of run.problems) out.push(`error: ${p.location.file}: ${p.message} [${p.code}]`);
  const t = testTotals(run);
  out.push(`${t.cases} test(s): ${t.passed} passed, ${t.failed} failed`);
  return out.join('\n') + '\n';
}

export function testJson(run: TestRun): string {
  const phase = (p: PhaseResult): Record<string, unknown> => ({ outcome: p.outcome, reason: p.reason, seconds: Number(p.seconds.toFixed(3)), ...(p.results !== undefined ? { results: p.results } : {}) });
  return (
    JSON.stringify(
      {
        tests: run.results.map((r) => ({ detection: r.detection, id: r.id, file: r.file, test: r.test, line: r.line, passed: !caseFailed(r), validation: phase(r.validation), unit: phase(r.unit), integration: phase(r.integration) })),
        problems: run.problems.map((p) => ({ code: p.code, message: p.message, file: p.location.file })),
        totals: testTotals(run),
      },
      null,
      2,
    ) + '\n'
  );
}

/** XML 1.0 text: escaped, and characters XML cannot carry replaced. */
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export function junitXml(run: TestRun): string {
  const suites = new Map<string, { id: string; file: string; cases: string[]; tests: number; failures: number; errors: number; skipped: number; time: number }>();
  for (const r of run.results) {
    let s = suites.get(r.id);
    if (s === undefined) {
      s = { id: r.detection, file: r.file, cases: [], tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
      suites.set(r.id, s);
    }
    const phases: [string, PhaseResult][] = [['validation', r.validation], ['unit', r.unit], ['integration', r.integration]];
    for (const [name, p] of phases) {
      // Validation belongs to the detection, not to each test: one case per detection.
      if (name === 'validation' && s.cases.some((c) => c.includes(`name="validation"`))) continue;
      s.tests++;
      s.time += p.seconds;
      const caseName = name === 'validation' ? 'validation' : `${r.test} [${name}]`;
      const open = `    <testcase classname="${xml(r.detection)}" name="${xml(caseName)}" file="${xml(r.file)}" time="${p.seconds.toFixed(3)}"`;
      switch (p.outcome) {
        case 'pass':
          s.cases.push(`${open}/>`);
          break;
        case 'fail':
          s.failures++;
          s.cases.push(`${open}>\n      <failure message="${xml(p.reason)}" type="${name}">${xml(p.reason)}</failure>\n    </testcase>`);
          break;
        case 'error':
          s.errors++;
          s.cases.push(`${open}>\n      <error message="${xml(p.reason)}" type="${name}">${xml(p.reason)}</error>\n    </testcase>`);
          break;
        case 'skip':
          s.skipped++;
          s.cases.push(`${open}>\n      <skipped message="${xml(p.reason)}"/>\n    </testcase>`);
          break;
      }
    }
  }
  let tests = 0, failures = 0, errors = 0, skippedCount = 0, time = 0;
  const body: string[] = [];
  for (const s of suites.values()) {
    tests += s.tests;
    failures += s.failures;
    errors += s.errors;
    skippedCount += s.skipped;
    time += s.time;
    body.push(`  <testsuite name="${xml(s.id)}" tests="${s.tests}" failures="${s.failures}" errors="${s.errors}" skipped="${s.skipped}" time="${s.time.toFixed(3)}" file="${xml(s.file)}">`, ...s.cases, '  </testsuite>');
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="vigil test" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skippedCount}" time="${time.toFixed(3)}">`,
    ...body,
    '</testsuites>',
    '',
  ].join('\n');
}
