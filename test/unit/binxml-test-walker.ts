/**
 * Test-only EVTX framing walker: enough of the file/chunk/record layout to feed real records to
 * the BinXml decoder before the file layer exists. Not a parser: no recovery, no checksums.
 */
import type { XmlChild, XmlDocument, XmlElement } from '../../src/core/xml-tree.js';
import { assertNever } from '../../src/core/xml-tree.js';

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
const CHUNK_HEADER_SIZE = 512;
const RECORD_MAGIC = 0x00002a2a;

export interface WalkedRecord {
  readonly chunkIndex: number;
  readonly chunkOffset: number;
  readonly chunk: Uint8Array;
  /** Record offset relative to the chunk start. */
  readonly offset: number;
  readonly size: number;
  readonly recordId: number;
}

function u32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

function isChunkMagic(b: Uint8Array, p: number): boolean {
  const magic = 'ElfChnk\0';
  for (let i = 0; i < 8; i++) if (b[p + i] !== magic.charCodeAt(i)) return false;
  return true;
}

/** Yields every well-framed record (magic, size, size copy) of every chunk, in file order. */
export function* walkRecords(file: Uint8Array): Generator<WalkedRecord> {
  for (let chunkIndex = 0, chunkOffset = FILE_HEADER_SIZE; chunkOffset + CHUNK_HEADER_SIZE <= file.length; chunkIndex++, chunkOffset += CHUNK_SIZE) {
    if (!isChunkMagic(file, chunkOffset)) continue;
    const chunk = file.subarray(chunkOffset, Math.min(file.length, chunkOffset + CHUNK_SIZE));
    const freeSpace = Math.min(u32(chunk, 48), chunk.length);
    let offset = CHUNK_HEADER_SIZE;
    while (offset + 28 <= freeSpace) {
      if (u32(chunk, offset) !== RECORD_MAGIC) break;
      const size = u32(chunk, offset + 4);
      if (size < 28 || offset + size > chunk.length || u32(chunk, offset + size - 4) !== size) break;
      const recordId = u32(chunk, offset + 8) + u32(chunk, offset + 12) * 2 ** 32;
      yield { chunkIndex, chunkOffset, chunk, offset, size, recordId };
      offset += size;
    }
  }
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;');
}

function inlineText(c: XmlChild): string {
  switch (c.kind) {
    case 'value':
      return escapeText(c.text);
    case 'charref':
      return `&#${c.code};`;
    case 'entity':
      return `&${c.name};`;
    case 'cdata':
      return `<![CDATA[${c.text}]]>`;
    case 'pi':
      return `<?${c.target} ${c.data}?>`;
    case 'element':
      return renderElement(c, '');
    default:
      return assertNever(c, 'node');
  }
}

function renderElement(el: XmlElement, indent: string): string {
  let attrs = '';
  for (const a of el.attributes) {
    let v = '';
    for (const p of a.parts) {
      if (p.kind === 'value') v += escapeAttribute(p.text);
      else if (p.kind === 'charref') v += `&#${p.code};`;
      else v += `&${p.name};`;
    }
    attrs += ` ${a.name}="${v}"`;
  }
  if (el.children.length === 0) return `${indent}<${el.name}${attrs}/>\n`;
  if (el.children.every((c) => c.kind !== 'element')) {
    return `${indent}<${el.name}${attrs}>${el.children.map(inlineText).join('')}</${el.name}>\n`;
  }
  let s = `${indent}<${el.name}${attrs}>\n`;
  for (const c of el.children) s += c.kind === 'element' ? renderElement(c, `${indent}  `) : `${indent}  ${inlineText(c)}\n`;
  return `${s}${indent}</${el.name}>\n`;
}

/** A rough libevtx-style XML rendering, only for comparing against `evtxexport -f xml` in tests. */
export function roughXml(doc: XmlDocument): string {
  let s = '';
  for (const c of doc.children) s += c.kind === 'element' ? renderElement(c, '') : `${inlineText(c)}\n`;
  return s;
}
