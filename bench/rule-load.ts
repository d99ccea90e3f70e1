/**
 * How long `vigil hunt` takes to load the SigmaHQ Windows rule set, four ways, alternating over
 * rounds: parsed without the rule cache (`--no-rule-cache`), a first load into an empty cache
 * (parsed, then both cache parts written), the same set again (the whole-set entry), and the set
 * with one rule file edited (its file parsed, the other files' documents read back). The rules
 * are copied to a temporary folder so a file can be edited; the input is the small simulated IIS
 * case, since only rule loading is measured (the summary's `rules.seconds`).
 *
 *   node dist/bench/rule-load.js [--rounds N] [--corpus DIR] [--out FILE]
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeExampleFiles } from '../src/cli/example/example-files.js';
import { placeholderConfigYaml, windowsRuleFiles } from './hunt-corpus.js';
import { benchRunHead } from './run-context.js';

const VIGIL_MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const WAYS = ['no cache', 'first, empty cache', 'same set again', 'one file edited'] as const;
type Way = (typeof WAYS)[number];

interface Sample {
  readonly way: Way;
  readonly round: number;
  readonly ruleSeconds: number;
  readonly cache: string;
  readonly filesParsed: number | null;
  readonly filesFromCache: number | null;
  readonly loaded: number;
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '3' }, corpus: { type: 'string' }, out: { type: 'string', default: 'bench/results/rule-load.json' } },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds takes a positive whole number');
  const corpus = values.corpus ?? process.env['VIGIL_CORPUS'] ?? path.resolve('..', 'shared', 'corpus');
  const sigmahq = path.join(corpus, 'sigma', 'sigmahq-rules');
  const work = mkdtempSync(path.join(tmpdir(), 'vigil-bench-rule-load-'));
  try {
    const files = windowsRuleFiles(sigmahq);
    if (files.length === 0) throw new Error(`no SigmaHQ Windows rules under ${sigmahq}`);
    const rules = path.join(work, 'rules');
    for (const file of files) {
      const copy = path.join(rules, path.relative(sigmahq, file));
      mkdirSync(path.dirname(copy), { recursive: true });
      copyFileSync(file, copy);
    }
    const placeholders = path.join(work, 'placeholders.yml');
    writeFileSync(placeholders, placeholderConfigYaml(files));
    await writeExampleFiles(path.join(work, 'example'));
    const edited = path.join(rules, path.relative(sigmahq, files[Math.floor(files.length / 2)]!));

    const samples: Sample[] = [];
    for (let round = 1; round <= rounds; round++) {
      const cache = path.join(work, `cache-${round}`);
      const run = (way: Way, extra: string[]): void => {
        const summaryFile = path.join(work, 'summary.json');
        const r = spawnSync(process.execPath, [VIGIL_MAIN, 'hunt', path.join(work, 'example', 'evtx'), '--rules', rules, '--placeholders', placeholders, '--format', 'jsonl', '--output', '/dev/null', '--quiet', '--no-risk', '--threads', '1', '--summary-json', summaryFile, ...extra], {
          env: { ...process.env, VIGIL_CACHE_DIR: cache },
          encoding: 'utf8',
        });
        if (r.status !== 0) throw new Error(`vigil hunt (${way}) exited with ${r.status}: ${r.stderr}`);
        const s = JSON.parse(readFileSync(summaryFile, 'utf8')) as { rules: { seconds: number; cache: string; files_parsed: number | null; files_from_cache: number | null; loaded: number } };
        samples.push({ way, round, ruleSeconds: s.rules.seconds, cache: s.rules.cache, filesParsed: s.rules.files_parsed, filesFromCache: s.rules.files_from_cache, loaded: s.rules.loaded });
        process.stderr.write(`round ${round}: ${way.padEnd(20)} ${s.rules.seconds.toFixed(2)} s (${s.rules.cache}${s.rules.files_parsed !== null ? `, ${s.rules.files_parsed} parsed, ${s.rules.files_from_cache} from the cache` : ''})\n`);
      };
      run('no cache', ['--no-rule-cache']);
      run('first, empty cache', []);
      run('same set again', []);
      appendFileSync(edited, `\n# edited for the bench, round ${round}\n`);
      run('one file edited', []);
    }
    const byWay = WAYS.map((way) => {
      const secs = samples.filter((s) => s.way === way).map((s) => s.ruleSeconds);
      return { way, seconds: secs, best: Math.min(...secs), median: median(secs) };
    });
    const noCache = byWay[0]!.median;
    const result = {
      ...benchRunHead('rule-load.js', loadBefore),
      rules: { files: files.length, loaded: samples[0]!.loaded, edited: path.relative(rules, edited) },
      rounds,
      ways: byWay.map((w) => ({ ...w, vsNoCache: Number((noCache / w.median).toFixed(2)) })),
      samples,
    };
    mkdirSync(path.dirname(values.out), { recursive: true });
    writeFileSync(values.out, JSON.stringify(result, null, 2) + '\n');
    for (const w of result.ways) process.stdout.write(`${w.way.padEnd(20)} median ${w.median.toFixed(2)} s (${w.seconds.map((s) => s.toFixed(2)).join(', ')}), ${w.vsNoCache}× as fast as no cache\n`);
    process.stdout.write(`written to ${values.out}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

main().catch((e: unknown) => {
  process.stderr.write(`rule-load bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
