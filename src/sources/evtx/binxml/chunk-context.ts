/**
 * Per-chunk decoding state. Every BinXml offset (names, templates) is relative to the chunk
 * start and chunks share nothing, so caches live here and die with the chunk.
 */
import { LocatedError } from '../../../core/diagnostics.js';
import { bufferView, decodeUtf16 } from './text-codec.js';
import type { TemplateNode } from './template.js';
import type { TemplatePlans } from './flat-plan.js';

/** Hard limits that keep hostile bytes from recursing or expanding without bound. */
export const LIMITS = Object.freeze({
  /** Element nesting plus nested BinXml / template recursion. */
  maxDepth: 64,
  /** Nodes a single record may produce (array expansion can multiply elements). */
  maxNodesPerRecord: 200_000,
  /** Tokens a single record may consume, template compilation included. */
  maxTokensPerRecord: 1_000_000,
});

export interface ChunkContext {
  readonly bytes: Uint8Array;
  readonly buffer: Buffer;
  readonly file: string;
  readonly chunkIndex: number;
  /** Absolute file offset of the chunk, for error locations. */
  readonly chunkOffset: number;
  /** Decoded names by chunk-relative offset. */
  readonly names: Map<number, string>;
  /** Compiled template bodies by definition offset (or the error compiling it gave). */
  readonly templates: Map<number, CompiledTemplate | LocatedError>;
  /** Definitions being compiled right now, to refuse a template that contains itself. */
  readonly compiling: Set<number>;
}

export interface CompiledTemplate {
  readonly definitionOffset: number;
  /** Offset just past the definition (instance values follow here when it is inline). */
  readonly end: number;
  readonly nodes: readonly TemplateNode[];
  /** What flat-plan.ts works out from `nodes`, once per template (it dies with the chunk). */
  readonly plans: TemplatePlans;
}

export function createChunkContext(chunk: Uint8Array, file: string, chunkIndex: number, chunkOffset: number): ChunkContext {
  return {
    bytes: chunk,
    buffer: bufferView(chunk),
    file,
    chunkIndex,
    chunkOffset,
    names: new Map(),
    templates: new Map(),
    compiling: new Set(),
  };
}

/** Builds the located error for a problem at a chunk-relative offset. */
export function binxmlError(ctx: ChunkContext, code: string, message: string, offset: number): LocatedError {
  return new LocatedError(`evtx.binxml.${code}`, message, {
    file: ctx.file,
    chunk: ctx.chunkIndex,
    offset: ctx.chunkOffset + offset,
  });
}

export const NAME_HEADER_SIZE = 8;

/**
 * Reads the name structure at `offset` (u32 next, u16 hash, u16 length, UTF-16 chars, NUL).
 * Offsets that point somewhere odd (a damaged string table) are still read when the bytes are
 * there; only an unreadable range is an error.
 */
export function readName(ctx: ChunkContext, offset: number, at: number): string {
  const cached = ctx.names.get(offset);
  if (cached !== undefined) return cached;
  const b = ctx.bytes;
  if (offset < 0 || offset + NAME_HEADER_SIZE > b.length) {
    throw binxmlError(ctx, 'bad-name', `name offset 0x${offset.toString(16)} is outside the chunk`, at);
  }
  const units = b[offset + 6]! | (b[offset + 7]! << 8);
  if (offset + NAME_HEADER_SIZE + units * 2 > b.length) {
    throw binxmlError(ctx, 'bad-name', `name at 0x${offset.toString(16)} (${units} chars) runs past the chunk`, at);
  }
  const name = decodeUtf16(b, ctx.buffer, offset + NAME_HEADER_SIZE, units);
  ctx.names.set(offset, name);
  return name;
}

/** Size of the inline name structure at `offset` (header, chars, NUL terminator). */
export function inlineNameSize(ctx: ChunkContext, offset: number): number {
  const b = ctx.bytes;
  const units = b[offset + 6]! | (b[offset + 7]! << 8);
  return NAME_HEADER_SIZE + units * 2 + 2;
}
