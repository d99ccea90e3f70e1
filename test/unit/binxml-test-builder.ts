/**
 * Test-only BinXml writer: builds chunk bytes token by token so decoder tests can state exactly
 * what is in a record (inline vs referenced names and templates, every value type, bad data).
 * Offsets are chunk-relative; the first 512 bytes stand in for the chunk header.
 */
export const CHUNK_HEADER_SIZE = 512;

export interface SubstitutionInput {
  readonly type: number;
  readonly bytes: readonly number[] | Uint8Array;
}

export class ChunkWriter {
  readonly out: number[] = new Array<number>(CHUNK_HEADER_SIZE).fill(0);
  /** Name offsets already written, so later uses become back-references. */
  private readonly names = new Map<string, number>();
  /** When false, names are always written inline (no back-references). */
  shareNames = true;

  get pos(): number {
    return this.out.length;
  }

  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }

  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }

  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }

  patchU32(at: number, v: number): void {
    for (let i = 0; i < 4; i++) this.out[at + i] = (v >>> (8 * i)) & 0xff;
  }

  raw(bytes: readonly number[] | Uint8Array): this {
    for (const b of bytes) this.out.push(b);
    return this;
  }

  utf16(s: string): this {
    for (let i = 0; i < s.length; i++) this.u16(s.charCodeAt(i));
    return this;
  }

  /** A name reference: inline at first use (offset == position), then a back-reference. */
  name(s: string): this {
    const known = this.shareNames ? this.names.get(s) : undefined;
    if (known !== undefined) return this.u32(known);
    const at = this.pos + 4;
    this.u32(at);
    this.names.set(s, at);
    return this.u32(0).u16(0).u16(s.length).utf16(s).u16(0);
  }

  fragmentHeader(): this {
    return this.raw([0x0f, 0x01, 0x01, 0x00]);
  }

  /** OpenStartElement; `inTemplate` adds the dependency id that only template bodies carry. */
  open(name: string, opts: { attrs?: boolean; inTemplate?: boolean } = {}): this {
    this.u8(opts.attrs ? 0x41 : 0x01);
    if (opts.inTemplate) this.u16(0xffff);
    this.u32(0).name(name);
    if (opts.attrs) this.u32(0);
    return this;
  }

  attr(name: string, more = false): this {
    return this.u8(more ? 0x46 : 0x06).name(name);
  }

  text(s: string): this {
    return this.u8(0x05).u8(0x01).u16(s.length).utf16(s);
  }

  sub(index: number, type: number, optional = false): this {
    return this.u8(optional ? 0x0e : 0x0d).u16(index).u8(type);
  }

  closeStart(): this {
    return this.u8(0x02);
  }

  closeEmpty(): this {
    return this.u8(0x03);
  }

  end(): this {
    return this.u8(0x04);
  }

  eof(): this {
    return this.u8(0x00);
  }

  charRef(code: number): this {
    return this.u8(0x08).u16(code);
  }

  entity(name: string): this {
    return this.u8(0x09).name(name);
  }

  cdata(s: string): this {
    return this.u8(0x07).u16(s.length).utf16(s);
  }

  pi(target: string, data: string): this {
    this.u8(0x0a).name(target);
    return this.u8(0x0b).u16(data.length).utf16(data);
  }

  /**
   * TemplateInstance. With `body` the definition is written inline (and its offset returned);
   * with `reference` the instance points at an earlier definition.
   */
  template(source: { body: (w: ChunkWriter) => void } | { reference: number }, values: readonly SubstitutionInput[]): number {
    this.u8(0x0c).u8(0x01).u32(0x1234);
    let definition: number;
    if ('body' in source) {
      definition = this.pos + 4;
      this.u32(definition);
      this.u32(0).raw(new Array<number>(16).fill(0xab));
      const sizeAt = this.pos;
      this.u32(0);
      const bodyStart = this.pos;
      source.body(this);
      this.patchU32(sizeAt, this.pos - bodyStart);
    } else {
      definition = source.reference;
      this.u32(definition);
    }
    this.values(values);
    return definition;
  }

  values(values: readonly SubstitutionInput[]): this {
    this.u32(values.length);
    for (const v of values) this.u16(v.bytes.length).u8(v.type).u8(0);
    for (const v of values) this.raw(v.bytes);
    return this;
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export function le(size: number, value: bigint | number): number[] {
  let v = BigInt.asUintN(size * 8, BigInt(value));
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

export function utf16Bytes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(...le(2, s.charCodeAt(i)));
  return out;
}

/** The body of a template `<Root><V>%i</V>…</Root>` with one child per substitution. */
export function listTemplate(count: number, optional = false): (w: ChunkWriter) => void {
  return (w) => {
    w.fragmentHeader().open('Root', { inTemplate: true }).closeStart();
    for (let i = 0; i < count; i++) w.open('V', { inTemplate: true }).closeStart().sub(i, 0x01, optional).end();
    w.end().eof();
  };
}
