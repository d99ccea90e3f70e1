/**
 * The end of a hunt with risk on, alone: ranking, incident rules and printing the held Sigma risk
 * events as JSONL (HuntEnd.atEnd), timed over synthetic events made by the hunt's own encoding.
 *
 *   node dist/bench/risk-tail.js [--events N] [--rounds N] [--cold N]
 *
 * The events look like a corpus hunt's: a few hundred rules, about a hundred entities (hosts and
 * users), a matched command line of up to a few hundred characters, findings in bursts of one
 * rule, times spread over a day and arriving file by file (twelve interleaved runs of rising time,
 * as twelve copies of a corpus arrive). Each round holds them afresh (as the hunt does while it reads) and then times the end;
 * the printed bytes are hashed once, so two builds can be checked for the same output. The
 * one-thread hunt of twelve corpus copies ends with 150,924 such events (the default count).
 *
 * A hunt runs its end once, in code V8 has not optimized yet; rounds after the first run warm.
 * `--cold N` times the end in N fresh processes instead, once each, as a hunt meets it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HuntEnd } from '../src/cli/hunt/hunt-end.js';
import { encodeSigmaRisk, sigmaRuleJson, type EncodedRisk, type SigmaRuleJson } from '../src/cli/hunt/held-risk.js';
import { sigmaEventFields, sigmaFindingRisk, sigmaRuleRisk } from '../src/risk/sigma-risk.js';
import type { Level } from '../src/ir/nodes.js';
import { prng } from '../src/simulate/iis-scenario.js';

function syntheticRisk(count: number): EncodedRisk[] {
  const next = prng(20261205);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const levels: readonly Level[] = ['informational', 'low', 'medium', 'high', 'critical'];
  const tactics = ['attack.execution', 'attack.persistence', 'attack.privilege-escalation', 'attack.defense-evasion', 'attack.lateral-movement'];
  const rules = Array.from({ length: 280 }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    title: `Synthetic rule ${i}`,
    level: levels[i % levels.length]!,
    tags: [tactics[i % tactics.length]!, `attack.t${1000 + (i % 90)}`, tactics[(i * 7) % tactics.length]!],
  }));
  const json = new Map<string, SigmaRuleJson>();
  const hosts = Array.from({ length: 40 }, (_, i) => `HOST-${i}.corp.example`);
  const users = Array.from({ length: 60 }, (_, i) => `user${i}`);
  const words = ['powershell.exe', '-nop', '-w', 'hidden', '-enc', 'C:\\Windows\\System32\\cmd.exe', '/c', 'whoami', 'net', 'user', '/add', 'appcmd.exe', 'install', 'module', '/name:x'];
  const runs = 12;
  const day = 86_400;
  const out: EncodedRisk[] = [];
  let rule: (typeof rules)[number] | null = null;
  for (let i = 0; out.length < count; i++) {
    const run = i % runs;
    // Each run's times rise through the day; the runs interleave, as files of several copies do.
    const time = 1_715_600_000 + Math.floor(((i / runs) * day * runs) / count) + run;
    // Findings come in bursts of one rule (a file's events of one kind), as in a real hunt.
    if (rule === null || next() < 0.15) rule = pick(rules);
    const ruleJson = json.get(rule.id) ?? sigmaRuleJson(sigmaRuleRisk(rule));
    json.set(rule.id, ruleJson);
    const commandLine = Array.from({ length: 4 + Math.floor(next() * 20) }, () => pick(words)).join(' ');
    const fields = { Computer: pick(hosts), SubjectUserName: pick(users), CommandLine: commandLine, Image: pick(words), ParentImage: pick(words), EventID: 4688 };
    const risk = sigmaFindingRisk({ rule, time, fields, computer: null }, () => ruleJson.rule);
    if (risk === null) continue;
    const eventFields = sigmaEventFields(fields);
    for (const e of encodeSigmaRisk(risk, JSON.stringify(eventFields), ruleJson)) out.push(e);
  }
  return out.slice(0, count);
}

/** One end of run over the events held afresh: its milliseconds, bytes and (when asked) hash. */
async function timedEnd(events: readonly EncodedRisk[], hashed: boolean): Promise<{ ms: number; bytes: number; digest: string }> {
  const end = new HuntEnd(null, 'jsonl', { risk: true, topEntities: 20, quiet: true, report: () => undefined });
  // In batches, as the hunt's threads hand them over.
  const holding = end.riskHolding()!;
  for (let i = 0; i < events.length; i += 2048) holding.add(events.slice(i, i + 2048));
  const hash = hashed ? createHash('sha256') : null;
  let bytes = 0;
  const started = performance.now();
  await end.atEnd(async (chunk) => {
    bytes += chunk.length;
    hash?.update(chunk);
    return true;
  });
  const ms = performance.now() - started;
  end.discard();
  return { ms, bytes, digest: hash?.digest('hex').slice(0, 16) ?? '' };
}

function summary(times: readonly number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)]!;
  return `best ${sorted[0]?.toFixed(0) ?? '-'} ms, median ${median.toFixed(0)} ms`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { events: { type: 'string' }, rounds: { type: 'string' }, cold: { type: 'string' }, 'one-cold': { type: 'boolean' } } });
  const count = Number(values.events ?? 150_924);
  const rounds = Number(values.rounds ?? 5);
  const cold = values.cold === undefined ? null : Number(values.cold);
  if (!Number.isInteger(count) || count <= 0 || !Number.isInteger(rounds) || rounds <= 0 || (cold !== null && (!Number.isInteger(cold) || cold <= 0))) {
    throw new Error('--events, --rounds and --cold take positive whole numbers');
  }
  if (cold !== null) {
    const times: number[] = [];
    for (let i = 0; i < cold; i++) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--events', String(count), '--one-cold'], { encoding: 'utf8', maxBuffer: 1 << 20 });
      times.push(Number(out.trim()));
      process.stderr.write(`process ${i + 1}: ${out.trim()} ms\n`);
    }
    process.stdout.write(`${count} risk events; end of run in a fresh process (cold): ${summary(times)} of ${times.length} processes\n`);
    return;
  }
  const events = syntheticRisk(count);
  if (values['one-cold'] === true) {
    process.stdout.write(`${(await timedEnd(events, false)).ms.toFixed(1)}\n`);
    return;
  }
  const times: number[] = [];
  let digest = '';
  let printed = 0;
  for (let round = 0; round < rounds; round++) {
    // The first round's time includes hashing the output: it is not counted.
    const first = round === 0;
    const r = await timedEnd(events, first);
    if (first) {
      digest = r.digest;
      printed = r.bytes;
    } else times.push(r.ms);
    process.stderr.write(`round ${round + 1}: ${r.ms.toFixed(0)} ms${first ? ' (with hashing, not counted)' : ''}\n`);
  }
  process.stdout.write(`${events.length} risk events, ${printed} bytes printed (sha256 ${digest}); end of run (warm): ${summary(times)} of ${times.length} rounds\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`risk-tail: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
