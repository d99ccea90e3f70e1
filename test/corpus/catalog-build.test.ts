/**
 * The catalog for the whole SigmaHQ corpus plus the built-in content builds in under a minute
 * (the figure), with a page for every rule Vigil loads and a search index entry for each.
 * The build runs on one thread, so its CPU time is what it costs on an idle machine; that is
 * always checked. Wall time is checked too, unless the machine is oversubscribed (load average
 * above twice the cores, as when the whole suite runs beside other builds): then it is printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { buildCatalog } from '../../src/catalog/index.js';
import { corpusPath, NO_CORPUS, REPO_ROOT } from '../helpers/corpus.js';

const SIGMAHQ = corpusPath('sigma', 'sigmahq-rules');
const LIMIT_SECONDS = 60;

test(`SigmaHQ + built-in content: the site builds in under ${LIMIT_SECONDS} s`, { skip: SIGMAHQ === null ? NO_CORPUS : false, timeout: 300_000 }, async () => {
  const out = await mkdtemp(path.join(tmpdir(), 'vigil-catalog-corpus-'));
  const cpuBefore = process.cpuUsage();
  try {
    const result = await buildCatalog({
      out,
      rules: [SIGMAHQ!, path.join(REPO_ROOT, 'content', 'sigma')],
      detections: [path.join(REPO_ROOT, 'content', 'splunk')],
    });
    const s = result.seconds;
    const used = process.cpuUsage(cpuBefore);
    const cpu = (used.user + used.system) / 1e6;
    const busy = loadavg()[0]! > 2 * availableParallelism();
    process.stdout.write(
      `# catalog: ${result.pages} pages, ${(result.bytes / 1048576).toFixed(1)} MB, ${result.counts.sigma} Sigma rules, ${result.counts.detections} detections, ` +
        `${result.counts.techniques} techniques in ${s.total.toFixed(1)} s (load ${s.load.toFixed(1)}, explain ${s.explain.toFixed(1)}, write ${s.write.toFixed(1)}), ` +
        `CPU ${cpu.toFixed(1)} s, load average ${loadavg()[0]!.toFixed(1)}${busy ? ' (oversubscribed: wall time not asserted)' : ''}\n`,
    );
    assert.ok(cpu < LIMIT_SECONDS, `${cpu.toFixed(1)} s of CPU`);
    if (!busy) assert.ok(s.total < LIMIT_SECONDS, `built in ${s.total.toFixed(1)} s`);
    assert.ok(result.counts.sigma > 2500, `${result.counts.sigma} Sigma rules`);
    assert.equal(result.counts.detections, 9);
    const sigmaPages = (await readdir(path.join(out, 'sigma'))).filter((f) => f !== 'index.html');
    assert.equal(sigmaPages.length, result.counts.sigma);
    const index = await readFile(path.join(out, 'assets', 'search-index.js'), 'utf8');
    const entries = JSON.parse(index.slice(index.indexOf('['), index.lastIndexOf(']') + 1)) as unknown[][];
    assert.equal(entries.filter((e) => e[0] === 'sigma').length, result.counts.sigma);
    assert.ok(result.counts.techniques > 100, `${result.counts.techniques} techniques covered`);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
