/**
 * HTML built with a tagged template that escapes every interpolated value unless it is already
 * `Html` (the output of another template). Pages are composed only from these, so text read
 * from rules and detections can never become markup.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlPart = Html | string | number | boolean | null | undefined | readonly HtmlPart[];

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function render(part: HtmlPart): string {
  if (part instanceof Html) return part.text;
  if (part === null || part === undefined || part === false || part === true) return '';
  if (typeof part === 'number') return String(part);
  if (typeof part === 'string') return escapeHtml(part);
  let out = '';
  for (const p of part) out += render(p);
  return out;
}

/** `h\`<p>${text}</p>\`` — values are escaped; nested `Html` and arrays of it are kept. */
export function h(strings: TemplateStringsArray, ...values: readonly HtmlPart[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Joins parts (escaping strings) into one `Html`. */
export function join(parts: readonly HtmlPart[], separator: HtmlPart = ''): Html {
  const sep = render(separator);
  return new Html(parts.map(render).join(sep));
}

/** Marks text as trusted markup; only for constants written in this module's callers. */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/**
 * Paragraphs from plain text: blank lines separate paragraphs, other newlines become spaces.
 * YAML folded scalars (`>-`) keep only paragraph breaks, as single newlines between long lines;
 * those are paragraphs too.
 */
export function paragraphs(text: string): Html {
  const lines = text.trim().split('\n');
  const folded = !/\n\s*\n/.test(text) && lines.length > 1 && text.length / lines.length > 160;
  const paras = text
    .split(folded ? /\n/ : /\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p.length > 0);
  return join(paras.map((p) => h`<p>${p}</p>`));
}

/** A link only for http(s) addresses; anything else (javascript:, data:) is shown as text. */
export function externalLink(url: string): Html {
  if (/^https?:\/\/[^\s]+$/i.test(url)) return h`<a href="${url}" rel="noopener noreferrer">${url}</a>`;
  return h`${url}`;
}
