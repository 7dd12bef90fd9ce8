// Multistatus parsing by namespace URI, in one streaming pass. Servers pick prefixes freely (d:, oc:, x1: ...), so
// prefixes are resolved through the xmlns declarations in scope and every element is addressed as {namespace}local.
// The body is read as it arrives and checked for well-formedness on the way; only d:href, the status of each
// d:propstat and the properties the caller asked for are kept, so a listing of 10,000 entries never becomes a tree
// of everything. Parsing is strict: a lenient parser reads a cut-off answer as a shorter listing and an HTML page as
// an empty one, so an answer must be well-formed XML and a DAV:multistatus as a whole. A document type declaration
// is refused outright (a multistatus has none), so no entity can be defined: nothing external is ever resolved and
// nothing expands beyond the five predefined entities and character references.
// Written by hand because no XML library does this fast enough: the aim is at most 10 µs per entry, and
// saxes, the strict namespace-aware streaming parser, takes about 23 µs per entry of a 10,000-entry listing (18 µs
// without namespaces) where this reader takes about 7 (bench/dav-parse.ts); the faster parsers (htmlparser2,
// sax-wasm) are lenient by design and would read a broken answer as a short one.
import { answerKind, bodyBrokeOff, unexpectedAnswer } from './http.js';

export const NS = {
  dav: 'DAV:',
  oc: 'http://owncloud.org/ns',
  nc: 'http://nextcloud.org/ns',
  ocs: 'http://open-collaboration-services.org/ns',
  ncc: 'http://nextcloud.com/ns',
  cal: 'urn:ietf:params:xml:ns:caldav',
  cs: 'http://calendarserver.org/ns/',
  sabre: 'http://sabredav.org/ns',
} as const;

export interface XmlNode {
  /** Child elements keyed {namespace}local. */
  children: Record<string, XmlNode[]>;
  text?: string;
  /** Attributes without namespace declarations, by local name. */
  attributes: Record<string, string>;
}

export function children(node: XmlNode | undefined, ns: string, local: string): XmlNode[] {
  return node?.children[`{${ns}}${local}`] ?? [];
}

export function child(node: XmlNode | undefined, ns: string, local: string): XmlNode | undefined {
  return children(node, ns, local)[0];
}

export function text(node: XmlNode | undefined): string | undefined {
  return node?.text;
}

export interface DavResponse {
  href: string;
  /** Properties that came back with 200, keyed {namespace}local. */
  props: XmlNode;
}

/** The request an answer belongs to, for the message of a protocol error. */
export interface DavRequest {
  method: string;
  path: string;
  status?: number;
}

export interface MultistatusOptions {
  /**
   * The properties to keep, as {namespace}local names; every other property is checked for well-formedness and
   * dropped. All of them when absent.
   */
  props?: ReadonlySet<string>;
}

/** The {namespace}local name of a property, for MultistatusOptions.props. */
export const clark = (ns: string, local: string) => `{${ns}}${local}`;

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

type Scope = Record<string, string>;
const ROOT_SCOPE: Scope = Object.assign(Object.create(null) as Scope, { xml: XML_NS });

// What an open element is to the reader.
const MULTISTATUS = 1;
const RESPONSE = 2;
const HREF = 3;
const PROPSTAT = 4;
const STATUS = 5;
const PROP = 6;
/** A property the caller wants, or an element inside one: built as an XmlNode. */
const KEEP = 7;
/** Anything else: checked, not kept. */
const SKIP = 8;

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const AMP = 0x26;

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
/** ASCII characters by what they may be in an XML name: 1 its first character (or any), 2 any but the first. */
const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a) ASCII_NAME[c] = 1;
  else if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e) ASCII_NAME[c] = 2;
}
/** XML NameStartChar, with every non-ASCII letter range taken as one (U+00C0 up; surrogates pair up there). */
const isNameStart = (c: number) => (c < 0x80 ? ASCII_NAME[c] === 1 : c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && c !== 0xfffe && c !== 0xffff);
const isNameChar = (c: number) =>
  c < 0x80 ? ASCII_NAME[c] !== 0 : c === 0xb7 || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && c !== 0xfffe && c !== 0xffff);

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** A character XML allows (Char production). */
const isXmlChar = (code: number) =>
  code === 0x9 ||
  code === 0xa ||
  code === 0xd ||
  (code >= 0x20 && code <= 0xd7ff) ||
  (code >= 0xe000 && code <= 0xfffd) ||
  (code >= 0x10000 && code <= 0x10ffff);

class Malformed extends Error {
  constructor(
    readonly what: string,
    /** Where in the buffer, or -1 for the end of the answer. */
    readonly at: number,
  ) {
    super(what);
  }
}

/** Something other than malformed XML: an HTML page, another document, an empty body. */
class NotMultistatus extends Error {}

/** Replaces entity and character references; only the five predefined entities exist (no DTD is accepted). */
function decodeReferences(raw: string, offset: number): string {
  let out = '';
  let from = 0;
  for (let amp = raw.indexOf('&'); amp !== -1; amp = raw.indexOf('&', from)) {
    const semi = raw.indexOf(';', amp + 1);
    if (semi === -1 || semi - amp > 12) throw new Malformed('an "&" that starts no entity or character reference', offset + amp);
    const name = raw.slice(amp + 1, semi);
    let value: string | undefined;
    if (name.charCodeAt(0) === 0x23) {
      const hex = name.charCodeAt(1) === 0x78;
      const digits = name.slice(hex ? 2 : 1);
      const code = (hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits) ? Number.parseInt(digits, hex ? 16 : 10) : Number.NaN;
      if (!isXmlChar(code)) throw new Malformed(`the character reference &${name}; names no XML character`, offset + amp);
      value = String.fromCodePoint(code);
    } else {
      value = PREDEFINED[name];
      if (value === undefined)
        throw new Malformed(
          `the entity &${name.slice(0, 40)}; is not defined (only &lt; &gt; &amp; &quot; &apos; exist without a DTD)`,
          offset + amp,
        );
    }
    out += raw.slice(from, amp) + value;
    from = semi + 1;
  }
  return from === 0 ? raw : out + raw.slice(from);
}

/** An element name resolved in a scope. */
interface Resolved {
  ns: string;
  local: string;
  /** {ns}local */
  clark: string;
  dav: boolean;
  /** Whether a property of this name is kept. */
  kept: boolean;
}

/** An element name as seen in the document, and what it resolved to in the scopes it appeared in. */
interface KnownName {
  name: string;
  /** Its characters, for comparing with the text of a tag. */
  codes: Uint16Array;
  /** The first scope it appeared in (nearly always the only one), and its resolution there. */
  scope: Scope | undefined;
  resolved: Resolved | undefined;
  others: WeakMap<Scope, Resolved> | undefined;
}

/** Shared by every node without children or attributes; replaced by an own object before anything is added. */
const NO_CHILDREN: Record<string, XmlNode[]> = Object.freeze({}) as Record<string, XmlNode[]>;
const NO_ATTRIBUTES: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Whether a d:status line ("HTTP/1.1 200 OK") names a 2xx status: a word of three digits starting with 2. */
function isSuccess(status: string): boolean {
  for (let at = status.indexOf(' 2'); at !== -1; at = status.indexOf(' 2', at + 1)) {
    const c1 = status.charCodeAt(at + 2);
    const c2 = status.charCodeAt(at + 3);
    const after = status.charCodeAt(at + 4);
    if (c1 >= 0x30 && c1 <= 0x39 && c2 >= 0x30 && c2 <= 0x39 && (after === 0x20 || Number.isNaN(after))) return true;
  }
  return false;
}

/**
 * A string of its own: V8 keeps a longer piece cut out of a string as a view into it, so a value kept from the
 * answer would keep alive the whole chunk it was read from. Copied once into a string of its own instead.
 */
function own(value: string): string {
  return value.length < 13 ? value : (' ' + value).slice(1);
}

/** Whether `s` holds `name` at `at`. */
function sameAt(s: string, at: number, codes: Uint16Array): boolean {
  for (let k = 0; k < codes.length; k++) if (s.charCodeAt(at + k) !== codes[k]) return false;
  return true;
}

interface Propstat {
  status: string;
  props: Array<Record<string, XmlNode[]>>;
}

/**
 * A streaming, namespace-aware reader of one DAV:multistatus document: `write` takes the text as it arrives, `end`
 * checks that it ended where a document may end. Each d:response is handed to `onResponse` once its end tag is read.
 * Failures are thrown as Malformed (with the position) or NotMultistatus.
 */
class MultistatusReader {
  private buf = '';
  private pos = 0;
  /** Characters, lines and columns of text already dropped from `buf`, for messages. */
  private offsetBefore = 0;
  private linesBefore = 1;
  private columnBefore = 0;
  private rootSeen = false;
  private rootClosed = false;
  private nonBlank = false;
  /** Where the next "&" in `buf` is (`buf.length` when there is none), or -1 when not yet looked for. */
  private nextAmp = -1;
  /** Text of the innermost element since the last markup, while that element's text is kept. */
  private pending = '';

  // The open elements, innermost last.
  private depth = 0;
  private readonly names: KnownName[] = [];
  private readonly kinds: number[] = [];
  private readonly scopes: Scope[] = [];
  private readonly nodes: Array<XmlNode | undefined> = [];
  private readonly texts: string[] = [];

  private readonly known = new Map<number, KnownName[]>();
  private response: DavResponse | undefined;
  private href: string | undefined;
  private propstat: Propstat | undefined;
  private prop: Record<string, XmlNode[]> | undefined;
  private statusSeen = false;

  constructor(
    private readonly keep: ReadonlySet<string> | undefined,
    private readonly onResponse: (response: DavResponse) => void,
  ) {}

  write(chunk: string): void {
    if (chunk === '') return;
    if (this.pos > 0) this.drop();
    // A leading byte order mark is not content (TextDecoder drops it already; a string may still hold one).
    if (this.offsetBefore === 0 && this.buf === '' && chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    // join, not +: a concatenated (cons) string is flattened on first use but stays an indirection for every read.
    this.buf = this.buf === '' ? chunk : [this.buf, chunk].join('');
    this.nextAmp = -1;
    this.parse(false);
  }

  end(): void {
    this.parse(true);
    if (!this.rootSeen) {
      if (!this.nonBlank) throw new NotMultistatus('an empty body instead of a WebDAV multistatus');
      throw new NotMultistatus('XML without a root element instead of a WebDAV multistatus');
    }
    if (!this.rootClosed) throw new Malformed(`the answer ends inside <${this.names[this.depth - 1]!.name}>, before its end tag`, -1);
  }

  /** Line and column of a position, for messages. */
  where(at: number): string {
    const upto = at < 0 ? this.buf.length : Math.min(at, this.buf.length);
    let line = this.linesBefore;
    let lastBreak = -1;
    for (let nl = this.buf.indexOf('\n'); nl !== -1 && nl < upto; nl = this.buf.indexOf('\n', nl + 1)) {
      line++;
      lastBreak = nl;
    }
    const column = lastBreak === -1 ? this.columnBefore + upto + 1 : upto - lastBreak;
    return `line ${line}, column ${column}`;
  }

  /** Forgets the text already read, keeping the count of lines for messages. */
  private drop(): void {
    const gone = this.pos;
    let lastBreak = -1;
    for (let nl = this.buf.indexOf('\n'); nl !== -1 && nl < gone; nl = this.buf.indexOf('\n', nl + 1)) {
      this.linesBefore++;
      lastBreak = nl;
    }
    this.columnBefore = lastBreak === -1 ? this.columnBefore + gone : gone - lastBreak - 1;
    this.offsetBefore += gone;
    this.buf = this.buf.slice(gone);
    this.pos = 0;
  }

  private parse(final: boolean): void {
    const s = this.buf;
    const n = s.length;
    let i = this.pos;
    while (i < n) {
      if (s.charCodeAt(i) !== LT) {
        let lt = s.indexOf('<', i);
        if (lt === -1) {
          if (!final) {
            // Text that goes on in the next chunk: take what is complete, up to a reference that may be cut.
            let safe = n;
            for (let k = n - 1; k >= i && k >= n - 12; k--) {
              const c = s.charCodeAt(k);
              if (c === 0x3b) break;
              if (c === AMP) {
                safe = k;
                break;
              }
            }
            if (safe > i) this.text(s, i, safe);
            i = safe;
            break;
          }
          lt = n;
        }
        this.text(s, i, lt);
        i = lt;
        continue;
      }
      if (i + 1 >= n) {
        if (final) throw new Malformed('the answer ends inside a tag', -1);
        break;
      }
      // Markup ends a piece of text; each piece counts without the white space around it.
      if (this.pending !== '') {
        this.texts[this.depth - 1] += this.pending.trim();
        this.pending = '';
      }
      const next = s.charCodeAt(i + 1);
      let end: number;
      if (next === SLASH) end = this.endTag(s, i);
      else if (next === BANG) end = this.markup(s, i, final);
      else if (next === QUESTION) end = this.instruction(s, i);
      else end = this.startTag(s, i);
      if (end === -1) {
        if (final) throw new Malformed('the answer ends inside a tag', -1);
        break;
      }
      i = end;
    }
    this.pos = i;
  }

  private text(s: string, from: number, to: number): void {
    const depth = this.depth;
    if (depth === 0) {
      for (let k = from; k < to; k++) {
        if (isSpace(s.charCodeAt(k))) continue;
        this.nonBlank = true;
        throw new Malformed(this.rootClosed ? 'text after the end of the document element' : 'text before the document element', k);
      }
      return;
    }
    const kind = this.kinds[depth - 1]!;
    if (this.nextAmp < from) this.nextAmp = this.ampFrom(s, from);
    const hasReference = this.nextAmp < to;
    if (kind === KEEP || kind === HREF || kind === STATUS) {
      const raw = s.slice(from, to);
      this.pending += hasReference ? decodeReferences(raw, from) : raw;
    } else if (hasReference) {
      decodeReferences(s.slice(from, to), from);
    }
    if (hasReference) this.nextAmp = this.ampFrom(s, to);
  }

  private ampFrom(s: string, from: number): number {
    const amp = s.indexOf('&', from);
    return amp === -1 ? s.length : amp;
  }

  /** `<!--`, `<![CDATA[` or `<!DOCTYPE`; -1 when the buffer ends first. */
  private markup(s: string, i: number, final: boolean): number {
    this.nonBlank = true;
    if (s.startsWith('<!--', i)) {
      const close = s.indexOf('--', i + 4);
      if (close === -1) return -1;
      if (s.charCodeAt(close + 2) !== GT) {
        if (close + 2 >= s.length) return -1;
        throw new Malformed('"--" inside a comment', close);
      }
      return close + 3;
    }
    if (s.startsWith('<![CDATA[', i)) {
      if (this.depth === 0) throw new Malformed('a CDATA section outside the document element', i);
      const close = s.indexOf(']]>', i + 9);
      if (close === -1) return -1;
      const kind = this.kinds[this.depth - 1]!;
      // CDATA is taken as it is, white space included.
      if (kind === KEEP || kind === HREF || kind === STATUS) this.texts[this.depth - 1] += s.slice(i + 9, close);
      return close + 3;
    }
    if (/^<!doctype/i.test(s.slice(i, i + 9))) {
      if (looksLikeHtml(s.slice(i, i + 512))) throw new NotMultistatus('an HTML page instead of a WebDAV multistatus');
      throw new NotMultistatus(
        'XML with a document type declaration, which a WebDAV multistatus never has (refused: its entities could reach outside or expand without bound)',
      );
    }
    if (!final && s.length - i < 9) return -1;
    throw new Malformed('markup that is neither a comment nor a CDATA section', i);
  }

  /** `<?target ...?>`; the XML declaration only at the very start. */
  private instruction(s: string, i: number): number {
    const close = s.indexOf('?>', i + 2);
    if (close === -1) return -1;
    let k = i + 2;
    if (!isNameStart(s.charCodeAt(k))) throw new Malformed('a processing instruction without a target', i);
    while (k < close && isNameChar(s.charCodeAt(k))) k++;
    if (k < close && !isSpace(s.charCodeAt(k))) throw new Malformed('a processing instruction with a malformed target', k);
    const target = s.slice(i + 2, k);
    if (target.toLowerCase() === 'xml') {
      if (target !== 'xml' || this.offsetBefore + i !== 0)
        throw new Malformed('an XML declaration that is not at the start of the answer', i);
      if (
        !/^\s+version\s*=\s*(["'])1\.\d+\1(\s+encoding\s*=\s*(["'])[A-Za-z][\w.-]*\3)?(\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*$/.test(
          s.slice(k, close),
        )
      ) {
        throw new Malformed('a malformed XML declaration', i);
      }
    }
    this.nonBlank = true;
    return close + 2;
  }

  private endTag(s: string, i: number): number {
    const depth = this.depth;
    // The usual case: exactly the end tag that is due.
    if (depth > 0) {
      const due = this.names[depth - 1]!.codes;
      const after = i + 2 + due.length;
      if (s.charCodeAt(after) === GT && sameAt(s, i + 2, due)) {
        this.close(depth - 1);
        this.depth = depth - 1;
        if (depth === 1) this.rootClosed = true;
        return after + 1;
      }
    }
    const gt = s.indexOf('>', i + 2);
    if (gt === -1) return -1;
    if (depth === 0) throw new Malformed(`an end tag </${s.slice(i + 2, Math.min(gt, i + 60)).trim()}> without a start tag`, i);
    const { name, codes } = this.names[depth - 1]!;
    let k = i + 2 + name.length;
    if (k > gt || !sameAt(s, i + 2, codes))
      throw new Malformed(`</${s.slice(i + 2, Math.min(gt, i + 60)).trim()}> where </${name}> was due`, i);
    while (k < gt && isSpace(s.charCodeAt(k))) k++;
    if (k !== gt) throw new Malformed(`</${s.slice(i + 2, Math.min(gt, i + 60)).trim()}> where </${name}> was due`, i);
    this.close(depth - 1);
    this.depth = depth - 1;
    if (this.depth === 0) this.rootClosed = true;
    return gt + 1;
  }

  /** A start tag (or an empty-element tag); -1 when the buffer ends first. */
  private startTag(s: string, i: number): number {
    const n = s.length;
    let k = i + 1;
    if (!isNameStart(s.charCodeAt(k))) {
      if (k >= n) return -1;
      throw new Malformed('a "<" that starts no tag', i);
    }
    // To the end of the name; a name not seen before is checked character by character when it is remembered.
    for (; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c <= 0x20 || c === SLASH || c === GT) break;
    }
    if (k >= n) return -1;
    const known = this.knownName(s, i + 1, k);
    const name = known.name;
    if (this.rootClosed) throw new Malformed(`a second document element <${name}>`, i);
    // Attributes: namespace declarations first of all, and the rest for an element that is kept.
    let declared: Scope | undefined;
    let attributes: Array<string> | undefined;
    let empty = false;
    for (;;) {
      const before = k;
      while (k < n && isSpace(s.charCodeAt(k))) k++;
      if (k >= n) return -1;
      const c = s.charCodeAt(k);
      if (c === GT) {
        k++;
        break;
      }
      if (c === SLASH) {
        if (k + 1 >= n) return -1;
        if (s.charCodeAt(k + 1) !== GT) throw new Malformed(`a "/" inside the tag <${name}>`, k);
        k += 2;
        empty = true;
        break;
      }
      if (k === before) throw new Malformed(`no space before an attribute of <${name}>`, k);
      if (!isNameStart(c)) throw new Malformed(`a malformed attribute in <${name}>`, k);
      const nameStart = k;
      while (k < n && isNameChar(s.charCodeAt(k))) k++;
      const attribute = s.slice(nameStart, k);
      while (k < n && isSpace(s.charCodeAt(k))) k++;
      if (k >= n) return -1;
      if (s.charCodeAt(k) !== EQUALS) throw new Malformed(`the attribute ${attribute} of <${name}> has no value`, k);
      k++;
      while (k < n && isSpace(s.charCodeAt(k))) k++;
      if (k >= n) return -1;
      const quote = s.charCodeAt(k);
      if (quote !== QUOTE && quote !== APOSTROPHE) throw new Malformed(`the value of ${attribute} in <${name}> is not quoted`, k);
      const close = s.indexOf(quote === QUOTE ? '"' : "'", k + 1);
      if (close === -1) return -1;
      const lt = s.indexOf('<', k + 1);
      if (lt !== -1 && lt < close) throw new Malformed(`a "<" in the value of ${attribute} in <${name}>`, lt);
      let value = s.slice(k + 1, close);
      if (value.indexOf('&') !== -1) value = decodeReferences(value, k + 1);
      // Surrounding white space is not part of a value (a namespace split over lines is still that namespace).
      value = value.trim();
      k = close + 1;
      if (attributes)
        for (let a = 0; a < attributes.length; a += 2)
          if (attributes[a] === attribute) throw new Malformed(`the attribute ${attribute} twice in <${name}>`, nameStart);
      (attributes ??= []).push(attribute, value);
      if (attribute === 'xmlns' || attribute.startsWith('xmlns:')) {
        const prefix = attribute.length === 5 ? '' : attribute.slice(6);
        if (prefix === 'xmlns' || (prefix === 'xml') !== (value === XML_NS) || value === XMLNS_NS)
          throw new Malformed(`a reserved namespace declared in <${name}>`, nameStart);
        if (prefix !== '' && value === '') throw new Malformed(`the prefix ${prefix} undeclared in <${name}>`, nameStart);
        if (prefix.includes(':')) throw new Malformed(`a malformed namespace prefix in <${name}>`, nameStart);
        declared ??= Object.create(this.depth === 0 ? ROOT_SCOPE : this.scopes[this.depth - 1]!) as Scope;
        declared[prefix] = value;
      }
    }
    const scope = declared ?? (this.depth === 0 ? ROOT_SCOPE : this.scopes[this.depth - 1]!);
    const resolved = this.resolve(known, scope, i);
    if (attributes) {
      for (let a = 0; a < attributes.length; a += 2) {
        const attribute: string = attributes[a]!;
        const separator = attribute.indexOf(':');
        if (separator === -1 || attribute.startsWith('xmlns:')) continue;
        const prefix = attribute.slice(0, separator);
        if (
          !isNameStart(attribute.charCodeAt(separator + 1)) ||
          attribute.indexOf(':', separator + 1) !== -1 ||
          scope[prefix] === undefined
        )
          throw new Malformed(`the attribute ${attribute} of <${name}> has a prefix bound to no namespace`, i);
      }
    }
    this.open(known, resolved, scope, attributes);
    if (empty) {
      this.close(this.depth - 1);
      this.depth--;
      if (this.depth === 0) this.rootClosed = true;
    }
    return k;
  }

  /**
   * The element name at s[from, to), from the names already seen: a document repeats a few dozen names thousands
   * of times, and comparing characters costs less than cutting out and hashing a new string for each tag.
   */
  private knownName(s: string, from: number, to: number): KnownName {
    const length = to - from;
    const key = length * 0x10000 + s.charCodeAt(to - 1);
    let bucket = this.known.get(key);
    if (bucket) {
      for (const candidate of bucket) if (sameAt(s, from, candidate.codes)) return candidate;
    } else {
      this.known.set(key, (bucket = []));
    }
    for (let k = from + 1; k < to; k++)
      if (!isNameChar(s.charCodeAt(k))) throw new Malformed(`a malformed name in the tag <${s.slice(from, Math.min(to, from + 60))}>`, k);
    const codes = new Uint16Array(length);
    for (let k = 0; k < length; k++) codes[k] = s.charCodeAt(from + k);
    const created: KnownName = { name: s.slice(from, to), codes, scope: undefined, resolved: undefined, others: undefined };
    // A document that keeps inventing names gets no more room here; its names are still read, just not remembered.
    if (this.known.size < 1024 && bucket.length < 16) bucket.push(created);
    return created;
  }

  /** The namespace and local name of an element name in a scope; remembered per scope, as few scopes exist. */
  private resolve(known: KnownName, scope: Scope, at: number): Resolved {
    if (known.scope === scope) return known.resolved!;
    const cached = known.others?.get(scope);
    if (cached) return cached;
    const name = known.name;
    const colon = name.indexOf(':');
    let ns: string | undefined;
    let local = name;
    if (colon === -1) {
      ns = scope[''] ?? '';
    } else {
      if (colon === 0 || !isNameStart(name.charCodeAt(colon + 1)) || name.indexOf(':', colon + 1) !== -1)
        throw new Malformed(`the malformed name <${name}>`, at);
      ns = scope[name.slice(0, colon)];
      if (ns === undefined) throw new Malformed(`the prefix of <${name}> is not bound to a namespace`, at);
      local = name.slice(colon + 1);
    }
    const key = `{${ns}}${local}`;
    const resolved: Resolved = { ns, local, clark: key, dav: ns === NS.dav, kept: this.keep === undefined || this.keep.has(key) };
    if (known.scope === undefined) {
      known.scope = scope;
      known.resolved = resolved;
    } else {
      (known.others ??= new WeakMap()).set(scope, resolved);
    }
    return resolved;
  }

  private open(name: KnownName, resolved: Resolved, scope: Scope, attributes: string[] | undefined): void {
    const depth = this.depth;
    const { dav, local } = resolved;
    let kind = SKIP;
    let node: XmlNode | undefined;
    if (depth === 0) {
      if (!dav || local !== 'multistatus') throw new NotMultistatus(`a <${local}> document instead of a WebDAV multistatus`);
      this.rootSeen = true;
      kind = MULTISTATUS;
    } else {
      const parent = this.kinds[depth - 1]!;
      if (parent === KEEP || (parent === PROP && resolved.kept)) {
        kind = KEEP;
        node = { children: NO_CHILDREN, attributes: NO_ATTRIBUTES };
        if (attributes) {
          for (let a = 0; a < attributes.length; a += 2) {
            const attribute = attributes[a]!;
            if (attribute === 'xmlns' || attribute.startsWith('xmlns:')) continue;
            const colon = attribute.indexOf(':');
            if (node.attributes === NO_ATTRIBUTES) node.attributes = {};
            node.attributes[colon === -1 ? attribute : attribute.slice(colon + 1)] = own(attributes[a + 1]!);
          }
        }
        let siblings: Record<string, XmlNode[]>;
        if (parent === KEEP) {
          const parentNode = this.nodes[depth - 1]!;
          siblings = parentNode.children === NO_CHILDREN ? (parentNode.children = {}) : parentNode.children;
        } else {
          siblings = this.prop!;
        }
        const same = siblings[resolved.clark];
        if (same) same.push(node);
        else siblings[resolved.clark] = [node];
      } else if (parent === MULTISTATUS) {
        if (dav && local === 'response') {
          kind = RESPONSE;
          this.response = { href: '', props: { children: {}, attributes: NO_ATTRIBUTES } };
          this.href = undefined;
        }
      } else if (parent === RESPONSE) {
        if (dav && local === 'href' && this.href === undefined) {
          kind = HREF;
          this.href = '';
        } else if (dav && local === 'propstat') {
          kind = PROPSTAT;
          this.propstat = { status: '', props: [] };
          this.statusSeen = false;
        }
      } else if (parent === PROPSTAT) {
        if (dav && local === 'prop') {
          kind = PROP;
          this.prop = {};
        } else if (dav && local === 'status' && !this.statusSeen) {
          kind = STATUS;
          this.statusSeen = true;
        }
      }
    }
    this.names[depth] = name;
    this.kinds[depth] = kind;
    this.scopes[depth] = scope;
    this.nodes[depth] = node;
    this.texts[depth] = '';
    this.depth = depth + 1;
  }

  private close(index: number): void {
    switch (this.kinds[index]) {
      case KEEP: {
        const value = this.texts[index]!;
        if (value !== '') this.nodes[index]!.text = own(value);
        this.nodes[index] = undefined;
        break;
      }
      case HREF:
        this.href = own(this.texts[index]!);
        break;
      case STATUS:
        this.propstat!.status = this.texts[index]!;
        break;
      case PROP:
        this.propstat!.props.push(this.prop!);
        this.prop = undefined;
        break;
      case PROPSTAT: {
        const propstat = this.propstat!;
        // Only properties that came back with a 2xx status count; a 404 propstat lists what does not apply.
        if (isSuccess(propstat.status)) for (const props of propstat.props) Object.assign(this.response!.props.children, props);
        this.propstat = undefined;
        break;
      }
      case RESPONSE: {
        const response = this.response!;
        response.href = this.href ?? '';
        this.response = undefined;
        this.onResponse(response);
        break;
      }
    }
    this.texts[index] = '';
  }
}

function looksLikeHtml(start: string): boolean {
  return /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html[\s>])/i.test(start);
}

/** The protocol error for what a reader refused. */
function refusal(error: unknown, reader: MultistatusReader, request: DavRequest): unknown {
  if (error instanceof Malformed) {
    return unexpectedAnswer(
      request.method,
      request.path,
      `XML that is malformed or cut off (${reader.where(error.at)}: ${error.what})`,
      request.status,
    );
  }
  if (error instanceof NotMultistatus) return unexpectedAnswer(request.method, request.path, error.message, request.status);
  return error;
}

/** Parses a whole multistatus body (see MultistatusReader); a body that is not one is a protocol error. */
export function parseMultistatus(
  xml: string,
  request: DavRequest = { method: 'WebDAV request', path: '' },
  options: MultistatusOptions = {},
): DavResponse[] {
  const responses: DavResponse[] = [];
  const reader = new MultistatusReader(options.props, (response) => responses.push(response));
  try {
    reader.write(xml);
    reader.end();
  } catch (error) {
    throw refusal(error, reader, request);
  }
  return responses;
}

/**
 * Reads the answer to PROPFIND, REPORT or SEARCH, which is 207 Multi-Status with an XML body, as it arrives, and
 * hands each d:response to `each`. Anything else that got past the status check (a 200 login page, a proxy's page)
 * is a protocol error, not an empty result; so is a body that breaks off or is not a whole DAV:multistatus.
 */
export async function eachMultistatusResponse(
  response: Response,
  method: string,
  path: string,
  each: (entry: DavResponse) => void,
  options: MultistatusOptions = {},
): Promise<void> {
  const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  const xml = !type || type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml');
  if (response.status !== 207 || !xml) {
    await response.body?.cancel().catch(() => undefined);
    throw unexpectedAnswer(
      method,
      path,
      `${answerKind(response)} instead of a WebDAV multistatus${response.status === 207 ? '' : ' (207)'}`,
      response.status,
    );
  }
  const request = { method, path, status: response.status };
  const reader = new MultistatusReader(options.props, each);
  const body = response.body;
  if (!body) {
    try {
      reader.end();
    } catch (error) {
      throw refusal(error, reader, request);
    }
    return;
  }
  const stream = body.getReader();
  const decoder = new TextDecoder('utf-8');
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await stream.read();
      } catch (error) {
        throw bodyBrokeOff(error, method, path, response.status);
      }
      if (chunk.done) break;
      reader.write(decoder.decode(chunk.value, { stream: true }));
    }
    reader.write(decoder.decode());
    reader.end();
  } catch (error) {
    // Nothing more is read from an answer that is already refused.
    stream.cancel().catch(() => undefined);
    throw refusal(error, reader, request);
  }
}

/** Like eachMultistatusResponse, collecting the responses. */
export async function readMultistatus(
  response: Response,
  method: string,
  path: string,
  options: MultistatusOptions = {},
): Promise<DavResponse[]> {
  const responses: DavResponse[] = [];
  await eachMultistatusResponse(response, method, path, (entry) => responses.push(entry), options);
  return responses;
}

export function escapeXml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
