// Address books and contacts of the acting user over CardDAV (contract §1). Nextcloud's address-book home is
// /remote.php/dav/addressbooks/users/<user id>/ (with users/, unlike the calendar home), so it is addressed
// directly. Cards are asked for as vCard 4.0 (Nextcloud converts to 3.0 unless told), and either version is read.
// Every address book and card is named by one path segment below that home, so no call reaches outside it.
import { createHash } from 'node:crypto';
import { InvalidArgumentError, NextcloudError, printable, reworded, wellFormed } from './errors.js';
import type { HttpClient } from './http.js';
import { answerKind, readBody, unexpectedAnswer } from './http.js';
import type { XmlNode } from './dav-xml.js';
import { NS, child, children, decodedSegment, escapeXml, hrefName, readMultistatus, text } from './dav-xml.js';
import type { ContactChanges, ContactFields } from './vcard.js';
import { MalformedVcard, changeVcard, newVcard, parseVcard, readContact, serializeVcard } from './vcard.js';

export type { ContactChanges, ContactFields, TypedValue } from './vcard.js';

const CARD = 'urn:ietf:params:xml:ns:carddav';
export const SYSTEM_ADDRESS_BOOK = 'z-server-generated--system';
const VCARD_4 = 'text/vcard; version=4.0';
const VCARD_3 = 'text/vcard; version=3.0';
const PRODID = '-//Nextcloud MCP Gateway//Contacts//EN';

export interface AddressBookInfo {
  /** The collection name below the home: contacts, team_shared_by_alice, z-server-generated--system ... */
  uri: string;
  displayName: string;
  description: string | null;
  /** own: the user's; shared: shared with the user by someone else; system: the accounts directory; app: app-provided. */
  kind: 'own' | 'shared' | 'system' | 'app';
  writable: boolean;
  /** The owner's user id (null for the system book). */
  owner: string | null;
  ownerDisplayName: string | null;
}

export interface Contact extends ContactFields {
  addressBook: string;
  /** The card's file name in its address book, e.g. 3f2c….vcf or Database:alice.vcf. */
  name: string;
  etag: string | null;
  /** The vCard version of the text that was read (4.0 unless Nextcloud ignored the request). */
  version: string;
}

export interface ContactSearch {
  contacts: Contact[];
  /** Whether more contacts match than `limit`. */
  truncated: boolean;
  /** Cards that matched but are not readable vCards; they are left out of `contacts`. */
  unreadable: number;
}

export interface ContactsClient {
  addressBooks(): Promise<AddressBookInfo[]>;
  /**
   * Contacts whose name, nickname, email, phone or organisation contains `query` (case-insensitive), in one address
   * book or in all of them; the system book only when named or when includeSystem is set.
   */
  search(query: string, options?: { addressBook?: string; includeSystem?: boolean; limit?: number }): Promise<ContactSearch>;
  get(addressBook: string, name: string): Promise<Contact>;
  create(addressBook: string, fields: ContactChanges & { fullName: string }): Promise<Contact>;
  /** Changes the given fields only; with `etag`, only the version that was read (else precondition_failed). */
  update(addressBook: string, name: string, changes: ContactChanges, options?: { etag?: string }): Promise<Contact>;
  delete(addressBook: string, name: string, options?: { etag?: string }): Promise<void>;
}

const LIST_BODY = `<?xml version="1.0" encoding="UTF-8"?>
<d:propfind xmlns:d="DAV:" xmlns:card="${CARD}" xmlns:oc="${NS.oc}" xmlns:ncc="${NS.ncc}">
<d:prop><d:resourcetype/><d:displayname/><card:addressbook-description/><d:current-user-privilege-set/>
<oc:owner-principal/><oc:read-only/><ncc:owner-displayname/></d:prop></d:propfind>`;

const SEARCHED = ['FN', 'N', 'NICKNAME', 'EMAIL', 'TEL', 'ORG'];

/** One path segment below the home: never empty, "." or "..", a slash or a control character. */
function segment(value: string, what: string): string {
  wellFormed(value, what);
  if (!value || value === '.' || value === '..' || /[/\\\u0000-\u001f\u007f]/.test(value) || value.length > 255)
    throw new InvalidArgumentError(`"${printable(value)}" is not ${what}`);
  return value;
}

const sameEtag = (a: string, b: string) => a.replace(/^W\//, '').replace(/"/g, '') === b.replace(/^W\//, '').replace(/"/g, '');

export function contactsClient(http: HttpClient, timeoutMs = 30_000): ContactsClient {
  const homePath = `/remote.php/dav/addressbooks/users/${encodeURIComponent(http.userId)}/`;
  const bookPath = (book: string) => `${homePath}${encodeURIComponent(segment(book, 'an address book id'))}/`;
  const cardPath = (book: string, name: string) => `${bookPath(book)}${encodeURIComponent(segment(name, 'a contact file name'))}`;
  const xml = { 'Content-Type': 'application/xml; charset=utf-8' };
  /** Where Nextcloud lives below its host (e.g. /nextcloud): hrefs carry it, the paths asked for do not. */
  const basePath = new URL(`${http.baseUrl}/`).pathname.replace(/\/+$/, '');
  /**
   * The decoded path an href names. Sabre encodes hrefs its own way (an @ stays, hex is lower case), so hrefs are
   * compared decoded, never as sent.
   */
  const decodedPath = (href: string) => new URL(href, `${http.baseUrl}/`).pathname.split('/').map(decodedSegment).join('/');

  /** A card answer as a Contact; text that is no vCard is Nextcloud's fault and said so. */
  const toContact = (book: string, name: string, vcard: string, etag: string | null, method: string, path: string, status: number) => {
    try {
      const card = parseVcard(vcard);
      return { addressBook: book, name, etag, version: card.version, ...readContact(card) };
    } catch (error) {
      if (error instanceof MalformedVcard)
        throw unexpectedAnswer(method, path, `a contact that is not a vCard (${error.message})`, status, error);
      throw error;
    }
  };

  /** A refused write in words a person can act on. */
  const writeError = (error: unknown, book: string): never => {
    if (!(error instanceof NextcloudError)) throw error;
    const hints: Partial<Record<string, string>> = {
      forbidden: `${http.userId} may not change contacts in address book ${book}: it is read-only for ${http.userId}`,
      precondition_failed: `the contact changed since it was read (stale ETag), or a contact with this name exists already; read it again`,
      bad_request: `Nextcloud rejected the contact for address book ${book} (an invalid vCard, or its UID is used there already)`,
      not_found: `the contact or address book ${book} does not exist for ${http.userId}`,
    };
    const hint = hints[error.code];
    throw hint ? reworded(error, `${hint} (${error.method} ${error.status}).`) : error;
  };

  const expectStatus = async (response: Response, method: string, path: string, statuses: number[], meaning: string) => {
    if (statuses.includes(response.status)) return;
    await response.body?.cancel().catch(() => undefined);
    throw unexpectedAnswer(method, path, `${answerKind(response)} instead of ${meaning}`, response.status);
  };

  const toBook = (href: string, props: XmlNode): AddressBookInfo | null => {
    if (!child(child(props, NS.dav, 'resourcetype'), CARD, 'addressbook')) return null;
    const uri = hrefName(href);
    const privileges = children(child(props, NS.dav, 'current-user-privilege-set'), NS.dav, 'privilege').flatMap((p) =>
      Object.keys(p.children),
    );
    const grantsWrite = privileges.some((name) => ['{DAV:}write', '{DAV:}write-content', '{DAV:}all'].includes(name));
    const readOnlyFlag = text(child(props, NS.oc, 'read-only'));
    const principal = text(child(child(props, NS.oc, 'owner-principal'), NS.dav, 'href')) ?? text(child(props, NS.oc, 'owner-principal'));
    const ownerId = principal === undefined ? undefined : hrefName(principal);
    const kind: AddressBookInfo['kind'] =
      uri === SYSTEM_ADDRESS_BOOK
        ? 'system'
        : uri.startsWith('z-app-generated--')
          ? 'app'
          : principal && principal.includes('/users/') && ownerId !== http.userId
            ? 'shared'
            : 'own';
    return {
      uri,
      displayName: text(child(props, NS.dav, 'displayname')) || uri,
      description: text(child(props, CARD, 'addressbook-description')) || null,
      kind,
      writable: kind !== 'system' && grantsWrite && readOnlyFlag !== '1' && readOnlyFlag !== 'true',
      owner: kind === 'system' ? null : kind === 'shared' ? (ownerId ?? null) : http.userId,
      ownerDisplayName: text(child(props, NS.ncc, 'owner-displayname')) || null,
    };
  };

  const addressBooks = async (): Promise<AddressBookInfo[]> => {
    const response = await http.request('PROPFIND', homePath, { headers: { Depth: '1', ...xml }, body: LIST_BODY, timeoutMs });
    return (await readMultistatus(response, 'PROPFIND', homePath))
      .map((entry) => toBook(entry.href, entry.props))
      .filter((b) => b !== null);
  };

  const queryBook = async (book: string, query: string, limit: number) => {
    const path = bookPath(book);
    const filters = SEARCHED.map(
      (name) =>
        `<card:prop-filter name="${name}"><card:text-match collation="i;unicode-casemap" match-type="contains">${escapeXml(query)}</card:text-match></card:prop-filter>`,
    ).join('');
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<card:addressbook-query xmlns:d="DAV:" xmlns:card="${CARD}"><d:prop><d:getetag/><card:address-data content-type="text/vcard" version="4.0"/></d:prop>
<card:filter test="anyof">${filters}</card:filter><card:limit><card:nresults>${limit}</card:nresults></card:limit></card:addressbook-query>`;
    // Nextcloud may answer a limited query with 507 for the collection; the cards it did send still count.
    const response = await http.request('REPORT', path, { headers: { Depth: '1', ...xml }, body, timeoutMs });
    const entries = await readMultistatus(response, 'REPORT', path);
    const contacts: Contact[] = [];
    let unreadable = 0;
    const bookHref = decodedPath(`${basePath}${path}`);
    for (const entry of entries) {
      const vcard = text(child(entry.props, CARD, 'address-data'));
      if (vcard === undefined) continue;
      const hrefPath = decodedPath(entry.href);
      if (!hrefPath.startsWith(bookHref) || hrefPath.slice(bookHref.length).includes('/') || hrefPath === bookHref)
        throw unexpectedAnswer('REPORT', path, `a contact outside the address book (${entry.href.slice(0, 200)})`, 207);
      try {
        const card = parseVcard(vcard);
        contacts.push({
          addressBook: book,
          name: hrefPath.slice(bookHref.length),
          etag: text(child(entry.props, NS.dav, 'getetag')) ?? null,
          version: card.version,
          ...readContact(card),
        });
      } catch (error) {
        if (!(error instanceof MalformedVcard)) throw error;
        unreadable++;
      }
    }
    return { contacts, unreadable };
  };

  /** The card's text as Nextcloud sends it (vCard 4.0 asked for, unless another version is) and its ETag. */
  const fetchCard = async (book: string, name: string, accept = VCARD_4) => {
    const path = cardPath(book, name);
    const response = await http.request('GET', path, { headers: { Accept: accept }, timeoutMs });
    const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (response.status !== 200 || (type && type !== 'text/vcard' && type !== 'text/x-vcard' && type !== 'text/directory')) {
      await response.body?.cancel().catch(() => undefined);
      throw unexpectedAnswer('GET', path, `${answerKind(response)} instead of a vCard`, response.status);
    }
    return { path, vcard: await readBody(response, 'GET', path), etag: response.headers.get('etag'), status: response.status };
  };

  /**
   * The card as stored, so an edit keeps its vCard version (the Contacts app's rule): Nextcloud converts a 3.0 card
   * to the 4.0 asked for, and sends the stored bytes unchanged when the version asked for is the stored one. Its
   * ETag is the MD5 of the stored bytes, which tells the two apart. When neither answer is the stored card (a card
   * Nextcloud repaired), the 4.0 text is edited.
   */
  const asStored = async (book: string, name: string, asked: string, etag: string): Promise<string> => {
    const storedAs = (text: string) => sameEtag(createHash('md5').update(text, 'utf8').digest('hex'), etag);
    if (storedAs(asked)) return asked;
    const older = await fetchCard(book, name, VCARD_3);
    return older.etag !== null && sameEtag(older.etag, etag) && storedAs(older.vcard) ? older.vcard : asked;
  };

  const get = async (book: string, name: string): Promise<Contact> => {
    const { path, vcard, etag, status } = await fetchCard(book, name);
    return toContact(book, name, vcard, etag, 'GET', path, status);
  };

  /** The stored version after a write: Nextcloud leaves out the ETag when it changed the card on the way in. */
  const afterWrite = async (book: string, name: string, written: string, response: Response, path: string): Promise<Contact> => {
    const etag = response.headers.get('etag');
    if (!etag) return get(book, name);
    return toContact(book, name, written, etag, 'PUT', path, response.status);
  };

  return {
    addressBooks,

    async search(query, options = {}) {
      const limit = Math.max(1, Math.min(options.limit ?? 25, 1000));
      const books = options.addressBook
        ? [segment(options.addressBook, 'an address book id')]
        : (await addressBooks()).filter((book) => book.kind !== 'system' || options.includeSystem).map((book) => book.uri);
      const found: Contact[] = [];
      let unreadable = 0;
      let truncated = false;
      for (const book of books) {
        // One more than wanted, to know whether there are more.
        const result = await queryBook(book, query, limit - found.length + 1);
        unreadable += result.unreadable;
        found.push(...result.contacts);
        if (found.length > limit) {
          truncated = true;
          break;
        }
      }
      return { contacts: found.slice(0, limit), truncated, unreadable };
    },

    get,

    async create(book, fields) {
      const uid = crypto.randomUUID();
      const name = `${uid}.vcf`;
      const path = cardPath(book, name);
      const vcard = serializeVcard(newVcard(uid, fields, PRODID));
      const response = await http
        .request('PUT', path, {
          headers: { 'Content-Type': 'text/vcard; charset=utf-8', 'If-None-Match': '*' },
          body: vcard,
          timeoutMs,
        })
        .catch((error: unknown) => writeError(error, book));
      await expectStatus(response, 'PUT', path, [201, 204], 'a stored contact (201 or 204)');
      return afterWrite(book, name, vcard, response, path);
    },

    async update(book, name, changes, options = {}) {
      const { path, vcard: asked, etag: latest } = await fetchCard(book, name);
      if (!latest) throw unexpectedAnswer('GET', path, 'a contact without an ETag, which a safe update needs', 200);
      const storedText = await asStored(book, name, asked, latest);
      if (options.etag && !sameEtag(options.etag, latest))
        throw new NextcloudError({
          code: 'precondition_failed',
          status: 412,
          method: 'PUT',
          path,
          message: `The contact ${name} in address book ${book} changed since it was read (stale ETag); read it again.`,
        });
      let card;
      try {
        card = parseVcard(storedText);
      } catch (error) {
        if (error instanceof MalformedVcard)
          throw unexpectedAnswer('GET', path, `a contact that is not a vCard (${error.message})`, 200, error);
        throw error;
      }
      const vcard = serializeVcard(changeVcard(card, changes));
      const response = await http
        .request('PUT', path, {
          headers: { 'Content-Type': 'text/vcard; charset=utf-8', 'If-Match': latest },
          body: vcard,
          timeoutMs,
        })
        .catch((error: unknown) => writeError(error, book));
      await expectStatus(response, 'PUT', path, [201, 204], 'a stored contact (204)');
      return afterWrite(book, name, vcard, response, path);
    },

    async delete(book, name, options = {}) {
      const path = cardPath(book, name);
      const response = await http
        .request('DELETE', path, { headers: options.etag ? { 'If-Match': options.etag } : {}, timeoutMs })
        .catch((error: unknown) => writeError(error, book));
      await expectStatus(response, 'DELETE', path, [200, 204], 'a deletion (204)');
    },
  };
}
