// The XML reader under the multistatus parser of dav-xml.ts, in one streaming pass. Servers pick prefixes freely
// (d:, oc:, x1: ...), so prefixes are resolved through the xmlns declarations in scope and every element is
// addressed as {namespace}local. The body is read as it arrives and checked for well-formedness on the way; what an
// element means and what of it is kept is up to the subclass (MultistatusReader), so a listing of 10,000 entries
// never becomes a tree of everything. Parsing is strict: a lenient parser reads a cut-off answer as a shorter listing
// and an HTML page as an empty one, so an answer must be well-formed XML and a DAV:multistatus as a whole. A document
// type declaration is refused outright (a multistatus has none), so no entity can be defined: nothing external is
// ever resolved and nothing expands beyond the five predefined entities and character references.
// Written by hand because no XML library does this fast enough: the aim is at most 10 µs per entry, and
// saxes, the strict namespace-aware streaming parser, takes about 23 µs per entry of a 10,000-entry listing (18 µs
// without namespaces) where this reader takes about 7 (bench/dav-parse.ts); the faster parsers (htmlparser2,
// sax-wasm) are lenient by design and would read a broken answer as a short one.
import type { KnownName, Scope } from './xml-syntax.js';
import {
  Malformed,
  NameTable,
  NotMultistatus,
  ROOT_SCOPE,
  XML_NS,
  XMLNS_NS,
  decodeReferences,
  isNameChar,
  isNameStart,
  isSpace,
  looksLikeHtml,
  sameAt,
} from './xml-syntax.js';

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const AMP = 0x26;

/**
 * A streaming, namespace-aware reader of one XML document: `write` takes the text as it arrives, `end` checks that it
 * ended where a document may end. The subclass says what each element is: `named` what a name resolved in a scope
 * is to it, `open` and `close` what an element's start and end do (open pushes the element onto the stacks below),
 * `keepsText` whether the text of an element of a kind is collected (into `texts`, for `close`).
 * Failures are thrown as Malformed (with the position) or NotMultistatus.
 */
export abstract class XmlReader<Name> {
  private buf = '';
  private pos = 0;
  /** Characters, lines and columns of text already dropped from `buf`, for messages. */
  private offsetBefore = 0;
  private linesBefore = 1;
  private columnBefore = 0;
  protected rootSeen = false;
  private rootClosed = false;
  private nonBlank = false;
  /** Where the next "&" in `buf` is (`buf.length` when there is none), or -1 when not yet looked for. */
  private nextAmp = -1;
  /** Text of the innermost element since the last markup, while that element's text is kept. */
  private pending = '';

  // The open elements, innermost last.
  protected depth = 0;
  protected readonly names: Array<KnownName<Name>> = [];
  /** What each open element is to the subclass. */
  protected readonly kinds: number[] = [];
  protected readonly scopes: Scope[] = [];
  protected readonly texts: string[] = [];

  private readonly table = new NameTable<Name>((ns, local, clark) => this.named(ns, local, clark));

  /** What an element name resolved in a scope is to the subclass; asked once per name and scope, then remembered. */
  protected abstract named(ns: string, local: string, clark: string): Name;
  /** An element starts: its name, kind, scope and text go on the stacks at `depth`, which it then raises. */
  protected abstract open(name: KnownName<Name>, resolved: Name, scope: Scope, attributes: string[] | undefined): void;
  /** The element at `index` of the stacks ends (the reader lowers `depth` after). */
  protected abstract close(index: number): void;
  /** Whether the text of an open element of this kind is collected in `texts`. */
  protected abstract keepsText(kind: number): boolean;

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
    if (this.keepsText(kind)) {
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
      if (this.keepsText(kind)) this.texts[this.depth - 1] += s.slice(i + 9, close);
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
    const known = this.table.knownName(s, i + 1, k);
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
    const resolved = this.table.resolve(known, scope, i);
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
}
