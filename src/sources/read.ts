/**
 * The front door of the ingest layer: `openInputs` finds the inputs behind the user's paths,
 * `readInput` detects each one's format from its content and hands it to the matching reader.
 *
 * readInput never throws for bad input: an input that cannot be recognised, or whose stream
 * fails part-way (corrupt gzip, CRC mismatch, I/O error), ends with one `fatal` item.
 */
import { type Diagnostic, LocatedError } from '../core/diagnostics.js';
import type { InputFormat } from '../core/event.js';
import { assertNever } from '../core/xml-tree.js';
import { DETECT_HEAD_BYTES, detectFormat, startsAsEvtxFile } from './detect.js';
import { type PeekedStream, guessTextEncoding, peekStream, transcodeUtf16 } from './input/byte-stream.js';
import { DEFAULT_INPUT_LIMITS } from './input/limits.js';
import { fsErrorDiagnostic, gunzipInput, isGzip } from './input/open.js';
import { looksLikeZip } from './input/zip.js';
import type { InputFile, ReadOptions, Reader, SourceItem } from './source.js';

export { openInputs, type OpenOptions, type OpenedInput } from './input/open.js';

const MAX_GZIP_LAYERS = 3;

function fatal(code: string, message: string, file: string, offset?: number): SourceItem {
  const diagnostic: Diagnostic = { severity: 'error', code, message, location: offset === undefined ? { file } : { file, offset } };
  return { kind: 'fatal', diagnostic };
}

function errorToFatal(err: unknown, file: string): SourceItem {
  if (err instanceof LocatedError) return { kind: 'fatal', diagnostic: err.toDiagnostic() };
  const known = fsErrorDiagnostic(err, file);
  if (known !== null) return { kind: 'fatal', diagnostic: known };
  return fatal('input.read-failed', `reading stopped: ${err instanceof Error ? err.message : String(err)}`, file);
}

/** Loads a reader lazily so a run only pays for the parsers it uses. */
async function readerFor(format: InputFormat): Promise<Reader> {
  switch (format) {
    case 'evtx':
      return (await import('./evtx/index.js')).readEvtx;
    case 'xml':
      return (await import('./text/xml-events.js')).readXmlEvents;
    case 'winevtlog':
      return (await import('./text/winevtlog.js')).readWinEventLog;
    case 'evtx-json':
    case 'ecs-json':
    case 'flat-json':
      return (await import('./text/json-events.js')).readJsonEvents;
    case 'kv':
      return (await import('./text/kv-lines.js')).readKvLines;
    default:
      return assertNever(format, 'input format');
  }
}

/** An input whose first `stream()` replays an already-peeked stream; later calls reopen it. */
function replaying(base: InputFile, peeked: PeekedStream): InputFile & { release(): Promise<void> } {
  let used = false;
  return {
    name: base.name,
    size: base.size,
    path: base.path,
    stream(): AsyncIterable<Buffer> {
      if (!used) {
        used = true;
        return peeked.stream;
      }
      return base.stream();
    },
    release: () => peeked.close(),
  };
}

/**
 * Detects (or takes `options.inputFormat`) and streams the input through its reader. The
 * reader sees the whole stream: the peeked head is replayed before the rest. gzip layers and
 * UTF-16 text (BOM or zero-byte pattern) are unwrapped first; offsets in transcoded text are
 * UTF-8 byte offsets. The reader is passed the decided format as `options.inputFormat`.
 */
export async function* readInput(input: InputFile, options: ReadOptions): AsyncGenerator<readonly SourceItem[]> {
  if (options.chunks !== undefined) {
    // Part of an EVTX file its caller has already looked at (see evtx/chunk-ranges.ts).
    try {
      const reader = await readerFor('evtx');
      for await (const batch of reader(input, { ...options, inputFormat: 'evtx' })) yield batch;
    } catch (err) {
      yield [errorToFatal(err, input.name)];
    }
    return;
  }
  let current: InputFile = input;
  let peeked: PeekedStream;
  let encodingDone = false;
  try {
    peeked = await peekStream(current.stream(), DETECT_HEAD_BYTES, startsAsEvtxFile);
    // Unwrap gzip layers and UTF-16 text before detection; bounded passes.
    for (let pass = 0; pass <= MAX_GZIP_LAYERS + 1; pass++) {
      if (isGzip(peeked.head) && pass < MAX_GZIP_LAYERS) {
        await peeked.close();
        current = gunzipInput(current, current.size, DEFAULT_INPUT_LIMITS);
        peeked = await peekStream(current.stream(), DETECT_HEAD_BYTES, startsAsEvtxFile);
        continue;
      }
      const encoding = guessTextEncoding(peeked.head);
      const binaryEvtx = peeked.head.subarray(0, 4).toString('latin1') === 'ElfF';
      if (!encodingDone && encoding !== 'utf8' && !binaryEvtx && options.inputFormat !== 'evtx') {
        encodingDone = true;
        const source = peeked.stream;
        const base = current;
        current = { name: base.name, size: null, path: null, stream: () => transcodeUtf16(base.stream(), encoding) };
        peeked = await peekStream(transcodeUtf16(source, encoding), DETECT_HEAD_BYTES);
        continue;
      }
      break;
    }
  } catch (err) {
    yield [errorToFatal(err, input.name)];
    return;
  }
  if (peeked.head.length === 0 && peeked.complete) {
    yield [{ kind: 'warning', diagnostic: { severity: 'warning', code: 'input.empty', message: 'input is empty', location: { file: input.name } } }];
    return;
  }
  const format = options.inputFormat ?? detectFormat(peeked.head, input.name);
  if (format === null) {
    await peeked.close();
    const hint = looksLikeZip(peeked.head) ? ' (a zip archive inside a compressed stream is not supported)' : '';
    yield [
      fatal(
        'input.format.unknown',
        `cannot recognise the input format${hint}; expected EVTX, event XML, WinEventLog text, JSON/JSONL or key=value lines (use --input-format to force one)`,
        input.name,
      ),
    ];
    return;
  }
  const prepared = replaying(current, peeked);
  try {
    const reader = await readerFor(format);
    for await (const batch of reader(prepared, { ...options, inputFormat: format })) yield batch;
  } catch (err) {
    yield [errorToFatal(err, input.name)];
  } finally {
    await prepared.release();
  }
}
