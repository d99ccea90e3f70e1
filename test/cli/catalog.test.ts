/**
 * `vigil catalog build` + `serve`, checked in a real headless Chromium (Debian's, via
 * playwright-core): the built-in content (plus a few SigmaHQ rules when the corpus is present)
 * and a small `vigil test` results file. Story, detection, Sigma rule and matrix pages render
 * their key sections, search finds a detection by name, every internal link answers 200, no
 * console error, and no request leaves 127.0.0.1. With VIGIL_SCREENSHOTS=1 it also writes the
 * screenshots docs/catalog.md shows (desktop, and phone-sized).
 * Without a browser the server and escaping checks still run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { makeCatalogCommand } from '../../src/cli/commands/catalog.js';
import { buildCatalog, resolveInside, startCatalogServer, unavailableBridge, type CatalogServer } from '../../src/catalog/index.js';
import { defaultAttackCatalog } from '../../src/risk/attack.js';
import { browserSkipReason, launchBrowser } from '../helpers/browser.js';
import { corpusPath, REPO_ROOT } from '../helpers/corpus.js';

const DETECTION = 'Windows IIS Components Add New Module';
const DETECTION_PAGE = 'detections/windows_iis_components_add_new_module.html';
const STORY_PAGE = 'stories/iis_components.html';
const SIGMA_ID = 'c3b8fdb6-eb7b-4e05-8ee5-fb64914a4d0a';
const SIGMA_PAGE = `sigma/${SIGMA_ID}.html`;
const MATRIX_PAGE = 'attack/index.html';
/** The detection given hostile text (not the one in the screenshots). */
const HOSTILE_PAGE = 'detections/windows_iis_components_module_failed_to_load.html';
const SHOTS = process.env.VIGIL_SCREENSHOTS === '1' ? path.join(REPO_ROOT, 'docs', 'screenshots') : null;

/** A few SigmaHQ rules, so the site is checked on third-party rules too. */
const CORPUS_RULES = [
  'rules/windows/process_creation/proc_creation_win_certutil_decode.yml',
  'rules/windows/process_creation/proc_creation_win_certutil_download.yml',
  'rules/windows/process_creation/proc_creation_win_certutil_certificate_installation.yml',
];

let work: string;
let site: string;
let server: CatalogServer;
let buildOutput = '';

/** Results in the shape `vigil test --format json` writes (one case passes, one fails). */
const TEST_RESULTS = {
  tests: [
    {
      detection: DETECTION, id: '38fe731c-1f13-43d4-b878-a5bbe44807e3', file: 'x.yml', test: 'True Positive Test - Sysmon', line: 1, passed: true,
      validation: { outcome: 'pass', reason: '', seconds: 0.01 }, unit: { outcome: 'pass', reason: '', seconds: 0.1, results: 1 }, integration: { outcome: 'pass', reason: '', seconds: 0.1, results: 1 },
    },
    {
      detection: DETECTION, id: '38fe731c-1f13-43d4-b878-a5bbe44807e3', file: 'x.yml', test: 'True Positive Test - Security 4688', line: 1, passed: false,
      validation: { outcome: 'pass', reason: '', seconds: 0.01 }, unit: { outcome: 'fail', reason: 'no result row', seconds: 0.1, results: 0 }, integration: { outcome: 'skip', reason: 'unit failed', seconds: 0 },
    },
  ],
  problems: [],
  totals: { cases: 2, failed: 1, passed: 1 },
};

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'vigil-catalog-'));
  site = path.join(work, 'site');
  // Hostile text in a detection: it must come out escaped on every page.
  const content = path.join(work, 'splunk');
  await cp(path.join(REPO_ROOT, 'content', 'splunk'), content, { recursive: true });
  const file = path.join(content, 'detections', 'endpoint', 'windows_iis_components_module_failed_to_load.yml');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace('known_false_positives: >-\n', 'known_false_positives: >-\n  <script>window.pwned = 1</script> "quoted" & <b>bold</b>\n'));
  const rules = [path.join(REPO_ROOT, 'content', 'sigma')];
  for (const r of CORPUS_RULES) {
    const p = corpusPath('sigma', 'sigmahq-rules', r);
    if (p !== null) rules.push(p);
  }
  const results = path.join(work, 'results.json');
  await writeFile(results, JSON.stringify(TEST_RESULTS));
  const command = makeCatalogCommand({ stdout: (t) => void (buildOutput += t), stderr: (t) => void (buildOutput += t) });
  const code = await command.run(['build', '--out', site, '--rules', ...rules, '--detections', content, '--test-results', results]);
  assert.equal(code, 0, buildOutput);
  server = await startCatalogServer(site, 0);
});

after(async () => {
  await server?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

test('build writes a page for every story, detection, Sigma rule and covered technique', async () => {
  assert.match(buildOutput, /wrote \d+ pages/);
  const detections = (await readdir(path.join(site, 'detections'))).filter((f) => f !== 'index.html');
  assert.equal(detections.length, 9);
  const sigma = (await readdir(path.join(site, 'sigma'))).filter((f) => f !== 'index.html');
  assert.ok(sigma.length >= 9, `${sigma.length} Sigma pages`);
  assert.ok(sigma.includes(`${SIGMA_ID}.html`));
  const attack = await readdir(path.join(site, 'attack'));
  assert.ok(attack.includes('T1505.004.html') && attack.includes('T1505.html'), attack.join(' '));
});

test('text from content is escaped, never markup', async () => {
  const html = await readFile(path.join(site, HOSTILE_PAGE), 'utf8');
  assert.ok(html.includes('&lt;script&gt;window.pwned = 1&lt;/script&gt; &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;'));
  assert.ok(!html.includes('<script>window.pwned'));
  assert.ok(!html.includes('<b>bold</b>'));
  const index = await readFile(path.join(site, 'assets', 'search-index.js'), 'utf8');
  assert.ok(!index.includes('</script>'), 'the search index cannot close a script element');
});

test('without vigil explain, the sections say "not available" and Sigma pages show the compiled condition', async () => {
  const out = path.join(work, 'no-explain');
  const result = await buildCatalog({
    out,
    rules: [path.join(REPO_ROOT, 'content', 'sigma')],
    detections: [path.join(REPO_ROOT, 'content', 'splunk')],
    explain: unavailableBridge('not in this build'),
  });
  assert.equal(result.explainAvailable, false);
  const sigma = await readFile(path.join(out, SIGMA_PAGE), 'utf8');
  assert.ok(sigma.includes('Stages, predicates and indicators: not available.</strong> not in this build'));
  assert.ok(sigma.includes('Compiled condition'));
  assert.match(sigma, /Image = \*\\appcmd\.exe/);
  const det = await readFile(path.join(out, DETECTION_PAGE), 'utf8');
  assert.ok(det.includes('Stages and indicators: not available.'));
  assert.ok(det.includes('not run'));
  // A rebuild into the same folder replaces the catalog; a foreign non-empty folder is refused.
  await buildCatalog({ out, rules: [], detections: [path.join(REPO_ROOT, 'content', 'splunk')], explain: unavailableBridge('x') });
  assert.deepEqual((await readdir(path.join(out, 'sigma'))).sort(), ['index.html']);
  const foreign = path.join(work, 'foreign');
  await mkdir(foreign);
  await writeFile(path.join(foreign, 'notes.txt'), 'mine');
  await assert.rejects(buildCatalog({ out: foreign, rules: [], detections: [], explain: unavailableBridge('x') }), /not empty/);
});

test('the server answers inside the site only, with content types', async () => {
  const get = async (p: string): Promise<Response> => fetch(new URL(p, server.url), { redirect: 'manual' });
  const page = await get(DETECTION_PAGE);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal((await get('assets/style.css')).headers.get('content-type'), 'text/css; charset=utf-8');
  assert.equal((await get('assets/search.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal((await get('')).status, 200, 'the root serves index.html');
  assert.equal((await get('nope.html')).status, 404);
  for (const bad of ['%2e%2e/%2e%2e/etc/passwd', '..%2f..%2fetc%2fpasswd', '%00', 'assets%5c..%5c..%5cx']) {
    const r = await get(bad);
    assert.ok(r.status === 400 || r.status === 404, `${bad} → ${r.status}`);
  }
  assert.equal((await fetch(new URL('index.html', server.url), { method: 'POST' })).status, 405);
  assert.equal(resolveInside('/srv/site', '/../../etc/passwd'), '/srv/site/etc/passwd');
  assert.equal(resolveInside('/srv/site', '/%2e%2e/x'), '/srv/site/x');
  assert.equal(resolveInside('/srv/site', '/a%00b'), null);
  assert.ok(server.url.startsWith('http://127.0.0.1:'));
});

const skip = browserSkipReason();

test('the site in Chromium: pages, search, links, no console error, no outside request', { skip: skip ?? false }, async () => {
  const browser: Browser = await launchBrowser();
  const problems: string[] = [];
  const links = new Set<string>();
  const origin = new URL(server.url).origin;
  const open = async (p: string, viewport = { width: 1280, height: 900 }): Promise<Page> => {
    const page = await browser.newPage({ viewport });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${p}: console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${p}: page error: ${e.message}`));
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.protocol !== 'data:' && u.origin !== origin) problems.push(`${p}: request to ${r.url()}`);
    });
    page.on('dialog', (d) => {
      problems.push(`${p}: dialog ${d.message()}`);
      void d.dismiss();
    });
    const response = await page.goto(new URL(p, server.url).href);
    assert.equal(response?.status(), 200, p);
    for (const href of await page.$$eval('a[href]', (as) => as.map((a) => (a as HTMLAnchorElement).href))) {
      const u = new URL(href);
      if (u.origin === origin) links.add(u.origin + u.pathname);
    }
    return page;
  };
  /** Desktop pages whole; phone pages as the first screen a reader sees. */
  const shot = async (page: Page, name: string, fullPage = !name.endsWith('-phone')): Promise<void> => {
    if (SHOTS === null) return;
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
  };
  try {
    // Story: description, narrative, the detections with technique and type, references.
    const story = await open(STORY_PAGE);
    assert.equal(await story.textContent('h1'), 'IIS Components');
    for (const id of ['description', 'narrative', 'detections', 'references']) assert.ok(await story.$(`#${id}`), `story #${id}`);
    assert.equal(await story.locator('#detections tbody tr').count(), 9);
    assert.ok((await story.textContent('#detections'))!.includes('T1505.004'));
    await shot(story, 'story');

    // Detection: every section of a Splunk detection page, and the test results.
    const det = await open(DETECTION_PAGE);
    assert.equal(await det.textContent('h1'), DETECTION);
    for (const id of ['description', 'attack', 'search', 'macros', 'required-fields', 'data-sources', 'how-to-implement', 'false-positives', 'stories', 'risk', 'configuration', 'references', 'tests']) {
      assert.ok(await det.$(`#${id}`), `detection #${id}`);
    }
    const attackText = (await det.textContent('#attack'))!;
    for (const s of ['T1505.004', 'Persistence', 'Installation', 'DE.AE', 'CIS 10']) assert.ok(attackText.includes(s), `ATT&CK section has ${s}`);
    assert.ok((await det.textContent('#macros'))!.includes('security_content_summariesonly'));
    assert.ok((await det.textContent('#data-sources'))!.includes('XmlWinEventLog:Microsoft-Windows-Sysmon/Operational'));
    const risk = (await det.textContent('#risk'))!;
    assert.ok(risk.includes('80 × confidence 80 / 100 = 64'), risk);
    const config = (await det.textContent('#configuration'))!;
    for (const s of ['-70m@m', '-10m@m', '0 * * * *', 'Creates risk event']) assert.ok(config.includes(s), `configuration has ${s}`);
    const tests = (await det.textContent('#tests'))!;
    assert.ok(tests.includes('no result row') && tests.includes('pass') && tests.includes('fail'), tests);
    await shot(det, 'detection');
    const hostile = await open(HOSTILE_PAGE);
    assert.ok((await hostile.textContent('#false-positives'))!.includes('<script>window.pwned = 1</script>'), 'shown as text');
    assert.equal(await hostile.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
    // On a phone, pages reflow: only tables and code blocks scroll sideways, inside their boxes.
    for (const [p, name] of [[STORY_PAGE, 'story-phone'], [DETECTION_PAGE, 'detection-phone'], [SIGMA_PAGE, 'sigma-rule-phone'], [MATRIX_PAGE, 'matrix-phone']] as const) {
      const phone = await open(p, { width: 390, height: 844 });
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 1, `${p} scrolls sideways on a phone by ${overflow}px`);
      if (name === 'detection-phone' || name === 'matrix-phone') await shot(phone, name);
      await phone.close();
    }

    // Sigma rule: metadata, ATT&CK, the rule text, stages and predicates.
    const sigma = await open(SIGMA_PAGE);
    assert.equal(await sigma.textContent('h1'), 'IIS Native Module Registered With AppCmd');
    for (const id of ['description', 'attack', 'rule', 'logic', 'references']) assert.ok(await sigma.$(`#${id}`), `sigma #${id}`);
    const body = (await sigma.textContent('#rule pre'))!;
    assert.ok(body.includes('condition: all of selection_* and not filter_installer'), body);
    const aside = (await sigma.textContent('aside'))!;
    for (const s of ['experimental', 'medium', 'process_creation', 'Vigil project']) assert.ok(aside.includes(s), `sigma facts have ${s}`);
    const logic = (await sigma.textContent('#logic'))!;
    assert.ok(logic.includes('selection_image') || logic.includes('not available'), logic.slice(0, 300));
    await shot(sigma, 'sigma-rule');
    if (corpusPath('sigma', 'sigmahq-rules', CORPUS_RULES[0]!) !== null) {
      // A third-party rule: SigmaHQ's certutil decode rule, with its ATT&CK tags and indicators.
      const sigmahq = await open('sigma/cc9cbe82-7bc0-4ef5-bc23-bbfb83947be7.html');
      assert.equal(await sigmahq.textContent('h1'), 'File Decoded From Base64/Hex Via Certutil.EXE');
      assert.ok((await sigmahq.textContent('#attack'))!.includes('T1027'));
      assert.ok((await sigmahq.textContent('#rule pre'))!.includes('certutil'));
      await sigmahq.close();
    }

    // Matrix: one column per tactic; the IIS technique is shaded as covered.
    const matrix = await open(MATRIX_PAGE);
    assert.equal(await matrix.locator('.matrix .tactic').count(), defaultAttackCatalog().tactics().length);
    const cell = matrix.locator('.cell', { hasText: 'T1505' }).first();
    assert.notEqual(await cell.getAttribute('class'), 'cell c0');
    await shot(matrix, 'matrix');

    // Search: the detection's name finds it, and the result opens its page.
    const search = await open('search.html');
    await search.fill('#q', DETECTION);
    const hit = search.locator('#results a', { hasText: DETECTION }).first();
    await hit.waitFor({ timeout: 5000 });
    assert.equal(await search.locator('#results a').first().textContent(), DETECTION, 'the exact name ranks first');
    await hit.click();
    await search.waitForURL(`**/${DETECTION_PAGE}`);
    // The header search box on any page goes to the search page with the query.
    const quick = await open(STORY_PAGE);
    await quick.fill('.quick-search input', 'gacutil');
    await quick.press('.quick-search input', 'Enter');
    await quick.waitForURL('**/search.html?q=gacutil');
    await quick.locator('#results li').first().waitFor({ timeout: 5000 });

    for (const url of links) {
      const r = await fetch(url);
      assert.equal(r.status, 200, `link ${url}`);
    }
    // 18 without the corpus (its SigmaHQ rule page adds more): enough that the check is not empty.
    assert.ok(links.size > 15, `${links.size} internal links checked`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
