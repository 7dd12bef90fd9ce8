// Multistatus parsing by namespace URI. Servers pick prefixes freely (d:, oc:, x1: ...), so prefixes are
// resolved through the xmlns declarations in scope and every element is addressed as {namespace}local.
// Parsing is strict: the lenient parser reads a cut-off answer as a shorter listing and an HTML page as an empty
// one, so an answer is validated first and must be a DAV:multistatus as a whole.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { answerKind, readBody, unexpectedAnswer } from './http.js';

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

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, parseAttributeValue: false, trimValues: true, processEntities: true, htmlEntities: true });

function declarations(raw: unknown, inherited: Record<string, string>): Record<string, string> {
  if (raw === null || typeof raw !== 'object') return inherited;
  const scope = { ...inherited };
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === '@_xmlns') scope[''] = String(value);
    else if (key.startsWith('@_xmlns:')) scope[key.slice(8)] = String(value);
  }
  return scope;
}

/** Resolves one element whose own xmlns declarations are already merged into `scope`. */
function resolve(raw: unknown, scope: Record<string, string>): XmlNode {
  const node: XmlNode = { children: {}, attributes: {} };
  if (raw === null || typeof raw !== 'object') {
    if (raw !== undefined && raw !== '') node.text = String(raw);
    return node;
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key.startsWith('@_')) {
      if (key !== '@_xmlns' && !key.startsWith('@_xmlns:')) node.attributes[key.slice(2).replace(/^.*:/, '')] = String(value);
      continue;
    }
    if (key === '#text') {
      node.text = String(value);
      continue;
    }
    const colon = key.indexOf(':');
    const prefix = colon === -1 ? '' : key.slice(0, colon);
    const local = colon === -1 ? key : key.slice(colon + 1);
    for (const item of Array.isArray(value) ? value : [value]) {
      // An element may declare the namespace of its own prefix.
      const childScope = declarations(item, scope);
      const clark = `{${childScope[prefix] ?? ''}}${local}`;
      (node.children[clark] ??= []).push(resolve(item, childScope));
    }
  }
  return node;
}

export function parseXml(xml: string): XmlNode {
  return resolve(parser.parse(xml), {});
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

/** The DAV:multistatus element of a body, or what is wrong with the body. */
function multistatusRoot(xml: string): { root: XmlNode } | { problem: string } {
  if (xml.trim() === '') return { problem: 'an empty body instead of a WebDAV multistatus' };
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return { problem: `XML that is malformed or cut off (line ${valid.err.line}: ${valid.err.msg})` };
  const document = parseXml(xml);
  const root = child(document, NS.dav, 'multistatus');
  if (root) return { root };
  const found = Object.keys(document.children)[0]?.replace(/^\{[^}]*\}/, '');
  return { problem: `${found ? `a <${found}> document` : 'XML without a root element'} instead of a WebDAV multistatus` };
}

/** The request an answer belongs to, for the message of a protocol error. */
export interface DavRequest {
  method: string;
  path: string;
  status?: number;
}

export function parseMultistatus(xml: string, request: DavRequest = { method: 'WebDAV request', path: '' }): DavResponse[] {
  const parsed = multistatusRoot(xml);
  if ('problem' in parsed) throw unexpectedAnswer(request.method, request.path, parsed.problem, request.status);
  return children(parsed.root, NS.dav, 'response').map((response) => {
    const props: XmlNode = { children: {}, attributes: {} };
    for (const propstat of children(response, NS.dav, 'propstat')) {
      const status = text(child(propstat, NS.dav, 'status')) ?? '';
      if (!/ 2\d\d /.test(`${status} `)) continue;
      for (const prop of children(propstat, NS.dav, 'prop')) Object.assign(props.children, prop.children);
    }
    return { href: text(child(response, NS.dav, 'href')) ?? '', props };
  });
}

/**
 * Reads the answer to PROPFIND, REPORT or SEARCH, which is 207 Multi-Status with an XML body. Anything else that
 * got past the status check (a 200 login page, a proxy's page) is a protocol error, not an empty result.
 */
export async function readMultistatus(response: Response, method: string, path: string): Promise<DavResponse[]> {
  const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  const xml = !type || type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml');
  if (response.status !== 207 || !xml) {
    await response.body?.cancel().catch(() => undefined);
    throw unexpectedAnswer(method, path, `${answerKind(response)} instead of a WebDAV multistatus${response.status === 207 ? '' : ' (207)'}`, response.status);
  }
  return parseMultistatus(await readBody(response, method, path), { method, path, status: response.status });
}

export function escapeXml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
