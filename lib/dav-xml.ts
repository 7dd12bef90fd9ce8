// WebDAV multistatus answers as this library reads them: Nextcloud's namespaces, the nodes a caller gets (XmlNode
// and its helpers), and the reader that turns a DAV:multistatus into one DavResponse per d:response as the body
// arrives. Only d:href, the status of each d:propstat and the properties the caller asked for are kept, so a
// listing of 10,000 entries never becomes a tree of everything. The XML itself is read by xml-reader.ts, strictly
// and by hand (see there why).
import { answerKind, bodyBrokeOff, unexpectedAnswer } from './http.js';
import { XmlReader } from './xml-reader.js';
import type { KnownName, Scope } from './xml-syntax.js';
import { Malformed, NotMultistatus } from './xml-syntax.js';

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

interface Propstat {
  status: string;
  props: Array<Record<string, XmlNode[]>>;
}

/**
 * A streaming, namespace-aware reader of one DAV:multistatus document (see XmlReader). Each d:response is handed to
 * `onResponse` once its end tag is read.
 */
class MultistatusReader extends XmlReader<Resolved> {
  private readonly nodes: Array<XmlNode | undefined> = [];
  private response: DavResponse | undefined;
  private href: string | undefined;
  private propstat: Propstat | undefined;
  private prop: Record<string, XmlNode[]> | undefined;
  private statusSeen = false;

  constructor(
    private readonly keep: ReadonlySet<string> | undefined,
    private readonly onResponse: (response: DavResponse) => void,
  ) {
    super();
  }

  protected override named(ns: string, local: string, clark: string): Resolved {
    return { ns, local, clark, dav: ns === NS.dav, kept: this.keep === undefined || this.keep.has(clark) };
  }

  protected override keepsText(kind: number): boolean {
    return kind === KEEP || kind === HREF || kind === STATUS;
  }

  protected override open(name: KnownName<Resolved>, resolved: Resolved, scope: Scope, attributes: string[] | undefined): void {
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

  protected override close(index: number): void {
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

/** A percent-encoded path segment as text; one that is not valid percent-encoding stays as it came. */
export function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The last segment of an href (the name of what it names), decoded; a trailing slash is no segment. */
export function hrefName(href: string): string {
  return decodedSegment(href.replace(/\/+$/, '').split('/').at(-1) ?? '');
}

export function escapeXml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
