/** `vigil catalog build|serve`: the static detection catalog site (src/catalog). */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildCatalog, CatalogError, startCatalogServer, type CatalogServer } from '../../catalog/index.js';
import { contentDir } from '../../core/mappings-dir.js';
import { intOption, parseCommandArgs, stringOption, type OptionSpec, type ParsedArgs } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { expandRuleArgs, missingPaths } from '../hunt/load-rules.js';

const BUILD_OPTIONS: OptionSpec = {
  out: { type: 'string', short: 'o' },
  rules: { type: 'string', short: 'r', multiple: true },
  detections: { type: 'string', short: 'd', multiple: true },
  'test-results': { type: 'string' },
};

const SERVE_OPTIONS: OptionSpec = {
  port: { type: 'string', short: 'p' },
  dir: { type: 'string' },
};

export const DEFAULT_SERVE_PORT = 8080;
export const DEFAULT_SITE_DIR = 'vigil-catalog';

const HELP = `usage: vigil catalog build --out DIR [--rules PATH...] [--detections DIR...] [--test-results FILE]
       vigil catalog serve [--port N] [--dir DIR]

build   writes a static site describing the loaded content: a page per analytic story, per
        Splunk-style detection (description, ATT&CK, search, macros, data sources, risk, default
        configuration, test status) and per Sigma rule (metadata, ATT&CK, the rule, its stages,
        predicates and indicators with how many other rules share them), an ATT&CK coverage
        matrix and a search page. The site makes no external request and works from disk or
        served. With neither --rules nor --detections, the built-in content is used (content/sigma
        and content/splunk). See docs/catalog.md.
serve   serves a built site on http://127.0.0.1:PORT/ (this machine only) until interrupted.

build options:
  -o, --out DIR           folder to write (created; a previous catalog there is replaced; a
                          non-empty folder that is not a catalog is refused)
  -r, --rules PATH...     Sigma rule files or folders (read recursively)
  -d, --detections DIR... security_content-shaped folders (detections/, stories/, macros/, ...)
      --test-results FILE the JSON 'vigil test CONTENT --format json' writes: fills the detection
                          pages' test status tables (without it they say "not run")

serve options:
  -p, --port N            port (default ${DEFAULT_SERVE_PORT}; 0 picks a free one)
      --dir DIR           the built site (default ./${DEFAULT_SITE_DIR})

exit status: 0 done, 1 an input could not be read, 2 bad usage, 3 the site could not be written.
`;

function listOption(args: ParsedArgs, name: string): string[] {
  const v = args.values[name] as unknown;
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

export interface CatalogCommandHooks {
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  /** What `serve` does once listening (default: wait for SIGINT/SIGTERM). Tests stop it at once. */
  readonly whileServing?: (server: CatalogServer) => Promise<void>;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

async function runBuild(argv: readonly string[], stdout: (t: string) => void, stderr: (t: string) => void): Promise<number> {
  const args = parseCommandArgs(expandRuleArgs(expandRuleArgs(argv), ['--detections', '-d'], '--detections'), BUILD_OPTIONS);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const out = stringOption(args, 'out');
  if (out === undefined) throw new UsageError('--out DIR is required (vigil catalog build --out DIR)');
  let rules = listOption(args, 'rules');
  let detections = listOption(args, 'detections');
  if (rules.length === 0 && detections.length === 0) {
    rules = [contentDir('sigma')];
    detections = [contentDir('splunk')];
  }
  const missing = missingPaths([...rules, ...detections]);
  if (missing.length > 0) throw new UsageError(`not found: ${missing.join(', ')}`);
  for (const d of detections) {
    if (!statSync(d).isDirectory()) throw new UsageError(`--detections takes a security_content-shaped folder: ${d}`);
  }
  const testResultsFile = stringOption(args, 'test-results');
  if (testResultsFile !== undefined && !existsSync(testResultsFile)) throw new UsageError(`test results file not found: ${testResultsFile}`);
  let result;
  try {
    result = await buildCatalog({ out, rules, detections, ...(testResultsFile !== undefined ? { testResultsFile } : {}) });
  } catch (err) {
    if (err instanceof CatalogError) throw new UsageError(err.message);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'ENOSPC' || code === 'EROFS' || code === 'ENOTDIR' || code === 'EEXIST') {
      stderr(`vigil catalog: cannot write ${out}: ${(err as Error).message}\n`);
      return EXIT.outputFailed;
    }
    if (testResultsFile !== undefined && err instanceof Error && err.message.startsWith(testResultsFile)) {
      stderr(`vigil catalog: ${err.message}\n`);
      return EXIT.inputFailed;
    }
    throw err;
  }
  for (const w of result.warnings.slice(0, 50)) stderr(`vigil catalog: ${w}\n`);
  if (result.warnings.length > 50) stderr(`vigil catalog: … ${result.warnings.length - 50} more\n`);
  const c = result.counts;
  stdout(
    `wrote ${result.pages} pages (${(result.bytes / 1024 / 1024).toFixed(1)} MB) to ${out}: ${c.stories} stories, ${c.detections} detections, ${c.sigma} Sigma rules, ${c.techniques} techniques covered` +
      `${result.explainAvailable ? '' : " (stages and indicators not available: no 'vigil explain' module)"}\n` +
      `in ${result.seconds.total.toFixed(1)} s (load ${result.seconds.load.toFixed(1)} s, explain ${result.seconds.explain.toFixed(1)} s, write ${result.seconds.write.toFixed(1)} s); open ${path.join(out, 'index.html')} or run 'vigil catalog serve --dir ${out}'\n`,
  );
  return EXIT.ok;
}

async function runServe(argv: readonly string[], stdout: (t: string) => void, whileServing: (s: CatalogServer) => Promise<void>): Promise<number> {
  const args = parseCommandArgs(argv, SERVE_OPTIONS);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const dir = stringOption(args, 'dir') ?? DEFAULT_SITE_DIR;
  const port = intOption(args, 'port', DEFAULT_SERVE_PORT, 0, 65535);
  if (!existsSync(path.join(dir, 'index.html'))) throw new UsageError(`${dir} holds no built catalog (run 'vigil catalog build --out ${dir}' first)`);
  let server: CatalogServer;
  try {
    server = await startCatalogServer(dir, port);
  } catch (err) {
    throw new UsageError(`cannot listen on 127.0.0.1:${port}: ${(err as Error).message}`);
  }
  stdout(`serving ${dir} on ${server.url} (127.0.0.1 only); Ctrl-C stops\n`);
  try {
    await whileServing(server);
  } finally {
    await server.close();
  }
  return EXIT.ok;
}

export function makeCatalogCommand(hooks: CatalogCommandHooks = {}): Command {
  return {
    name: 'catalog',
    summary: "the detection catalog site: 'vigil catalog build --out DIR', 'vigil catalog serve'",
    help: HELP,
    async run(argv) {
      const stdout = hooks.stdout ?? ((t: string) => void process.stdout.write(t));
      const stderr = hooks.stderr ?? ((t: string) => void process.stderr.write(t));
      const [sub, ...rest] = argv;
      switch (sub) {
        case 'build':
          return runBuild(rest, stdout, stderr);
        case 'serve':
          return runServe(rest, stdout, hooks.whileServing ?? untilSignal);
        default:
          throw new UsageError(sub === undefined ? 'missing subcommand (vigil catalog build|serve)' : `unknown subcommand '${sub}' (try 'build' or 'serve')`);
      }
    },
  };
}

export const catalogCommand: Command = makeCatalogCommand();
