// The multistatus parser lib/dav-xml.ts had before it read answers in one streaming pass: fast-xml-parser's
// validator, then its generic tree, then namespace resolution. Kept as a reference only: the differential tests
// compare the streaming reader with it, and bench/dav-parse.ts measures both.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { DavResponse, XmlNode } from '../../lib/dav-xml.js';
import { NS, child, children, text } from '../../lib/dav-xml.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: true,
});

function declarations(raw: unknown, inherited: Record<string, string>): Record<string, string> {
  if (raw === null || typeof raw !== 'object') return inherited;
  const scope = { ...inherited };
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === '@_xmlns') scope[''] = String(value);
    else if (key.startsWith('@_xmlns:')) scope[key.slice(8)] = String(value);
  }
  return scope;
}

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
      const childScope = declarations(item, scope);
      const clark = `{${childScope[prefix] ?? ''}}${local}`;
      (node.children[clark] ??= []).push(resolve(item, childScope));
    }
  }
  return node;
}

/** The responses of a multistatus as the former parser read them; throws on what it refused. */
export function referenceParseMultistatus(xml: string): DavResponse[] {
  if (xml.trim() === '') throw new Error('empty');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`malformed: ${valid.err.msg}`);
  const root = child(resolve(parser.parse(xml), {}), NS.dav, 'multistatus');
  if (!root) throw new Error('not a multistatus');
  return children(root, NS.dav, 'response').map((response) => {
    const props: XmlNode = { children: {}, attributes: {} };
    for (const propstat of children(response, NS.dav, 'propstat')) {
      const status = text(child(propstat, NS.dav, 'status')) ?? '';
      if (!/ 2\d\d /.test(`${status} `)) continue;
      for (const prop of children(propstat, NS.dav, 'prop')) Object.assign(props.children, prop.children);
    }
    return { href: text(child(response, NS.dav, 'href')) ?? '', props };
  });
}
