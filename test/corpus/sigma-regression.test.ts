/**
 * SigmaHQ's regression cases (corpus/sigma/regression/manifest.json): each rule, loaded through
 * the real front end and logsource resolver and compiled by the engine, must match at least
 * `match_count_min` events (at least one when null) in the case's real .evtx and in its
 * evtx_dump-style .json, both read through readInput like `vigil hunt` reads them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';
import { realBackend, type HuntEngine } from '../../src/cli/hunt/api.js';
import { loadRuleSet } from '../../src/cli/hunt/load-rules.js';
import { notLoadedLine } from '../../src/cli/hunt/rule-reports.js';
import { openInputs, readInput } from '../../src/sources/read.js';

interface Case {
  readonly name: string;
  readonly evtx: string;
  readonly json: string;
  readonly match_count_min: number | null;
  readonly events_in_json: number;
}

interface ManifestRule {
  readonly rule_path: string;
  readonly rule_id: string;
  readonly title: string;
  readonly tests: readonly Case[];
}

const REGRESSION = corpusPath('sigma', 'regression');
const SIGMAHQ = corpusPath('sigma', 'sigmahq-rules');
const skip = REGRESSION === null || SIGMAHQ === null ? NO_CORPUS : false;

function manifest(): ManifestRule[] {
  if (REGRESSION === null) return [];
  const doc = JSON.parse(readFileSync(path.join(REGRESSION, 'manifest.json'), 'utf8')) as { rules: ManifestRule[] };
  return doc.rules;
}

interface Count {
  readonly events: number;
  /** Distinct events the rule matched. */
  readonly matched: number;
  readonly problems: readonly string[];
}

async function countMatches(engine: HuntEngine, file: string, ruleId: string): Promise<Count> {
  let events = 0;
  const matched = new Set<string>();
  const problems: string[] = [];
  const emit = (f: Parameters<Parameters<HuntEngine['process']>[1]>[0]): void => {
    if (f.kind === 'match' && f.rule.id === ruleId) matched.add(`${f.event.provenance.file}@${f.event.provenance.offset}`);
  };
  for await (const opened of openInputs([file])) {
    if ('error' in opened) {
      problems.push(opened.error.message);
      continue;
    }
    for await (const batch of readInput(opened, { threads: 1 })) {
      for (const item of batch) {
        if (item.kind === 'event') {
          events++;
          engine.process(item.event, emit);
        } else if (item.kind !== 'warning') problems.push(`${item.kind}: ${item.diagnostic.message}`);
      }
    }
  }
  engine.flush(emit);
  return { events, matched: matched.size, problems };
}

const rules = manifest();

test('regression manifest is present and non-empty', { skip }, () => {
  assert.ok(rules.length > 100, `${rules.length} rules in the manifest`);
});

for (const rule of rules) {
  for (const c of rule.tests) {
    test(`${rule.title} (${rule.rule_id}): ${c.name}`, { skip }, async () => {
      const backend = await realBackend();
      const set = await loadRuleSet(backend, [path.join(SIGMAHQ as string, rule.rule_path)], { strict: false });
      const report = set.reports.find((r) => r.id === rule.rule_id);
      assert.ok(report !== undefined, `no report for ${rule.rule_id} in ${rule.rule_path}`);
      assert.ok(report.status === 'loaded' || report.status === 'loaded-with-warnings', `${report.status}: ${notLoadedLine(report)}`);
      const min = Math.max(1, c.match_count_min ?? 1);
      const failures: string[] = [];
      for (const kind of ['evtx', 'json'] as const) {
        const file = path.join(REGRESSION as string, c[kind]);
        const { engine } = backend.compile(set.rules);
        const got = await countMatches(engine, file, rule.rule_id);
        if (got.matched < min) {
          failures.push(
            `${kind}: ${got.matched} of ${got.events} events matched, need >= ${min} (${c[kind]})` +
              (got.problems.length > 0 ? `; reading problems: ${got.problems.slice(0, 3).join(' | ')}` : ''),
          );
        }
      }
      assert.equal(failures.length, 0, `${rule.rule_path}:\n  ${failures.join('\n  ')}`);
    });
  }
}
