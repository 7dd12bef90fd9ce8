// vCards (3.0 and 4.0) as a list of content lines that keep the text they were read from. An update replaces only
// the lines of the properties it changes and writes every other line back exactly as it came (unknown and X-
// properties, groups, parameters, folding), because a PUT replaces the whole card and other clients (phones, the
// Contacts app) keep their own data in it. Values are decoded only to be shown.

/** One content line: its text as read (folded, without the final line break) and what it says. */
export interface VcardLine {
  raw: string;
  /** Upper case, without a group prefix ("item1.EMAIL" is EMAIL). */
  name: string;
  /** Parameter names in upper case; a bare 2.1-style parameter (TEL;WORK) counts as a TYPE. */
  params: Record<string, string[]>;
  /** The value as written (still escaped). */
  value: string;
}

export interface Vcard {
  version: string;
  /** The lines between BEGIN:VCARD and END:VCARD. */
  lines: VcardLine[];
}

export interface TypedValue {
  value: string;
  /** Lower-case TYPE values such as work, home, cell; "internet" and "pref" are left out. */
  types: string[];
}

/** What a contact says, read from its card. */
export interface ContactFields {
  uid: string | null;
  fullName: string;
  givenName: string | null;
  familyName: string | null;
  nickname: string | null;
  emails: TypedValue[];
  phones: TypedValue[];
  organization: string | null;
  title: string | null;
  note: string | null;
  categories: string[];
  birthday: string | null;
  /** Names of the properties not listed above (X- properties among them), each once. */
  otherProperties: string[];
}

/** A change to a contact: a field left undefined keeps its lines; null, '' or [] removes the property. */
export interface ContactChanges {
  fullName?: string;
  givenName?: string | null;
  familyName?: string | null;
  nickname?: string | null;
  emails?: TypedValue[] | null;
  phones?: TypedValue[] | null;
  organization?: string | null;
  title?: string | null;
  note?: string | null;
  categories?: string[] | null;
}

export class MalformedVcard extends Error {
  override readonly name = 'MalformedVcard';
}

const KNOWN = new Set([
  'VERSION',
  'UID',
  'FN',
  'N',
  'NICKNAME',
  'EMAIL',
  'TEL',
  'ORG',
  'TITLE',
  'NOTE',
  'CATEGORIES',
  'BDAY',
  'PRODID',
  'REV',
]);

/** Reads one vCard; anything else (HTML, an iCalendar object, two cards, a cut-off card) is a MalformedVcard. */
export function parseVcard(text: string): Vcard {
  const physical = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const logical: string[] = [];
  for (const line of physical) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && logical.length > 0) logical[logical.length - 1] += `\r\n${line}`;
    else if (line !== '') logical.push(line);
  }
  if (logical[0]?.toUpperCase() !== 'BEGIN:VCARD') throw new MalformedVcard('it does not start with BEGIN:VCARD');
  if (logical.at(-1)?.toUpperCase() !== 'END:VCARD') throw new MalformedVcard('it does not end with END:VCARD');
  const lines = logical.slice(1, -1).map(parseLine);
  if (lines.some((line) => line.name === 'BEGIN' || line.name === 'END')) throw new MalformedVcard('it holds more than one card');
  const version = lines.find((line) => line.name === 'VERSION')?.value.trim();
  if (!version) throw new MalformedVcard('it has no VERSION');
  return { version, lines };
}

function parseLine(raw: string): VcardLine {
  const line = raw.replace(/\r\n[ \t]/g, '');
  // The name and parameters end at the first colon outside a quoted parameter value.
  let quoted = false;
  let colon = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === ':' && !quoted) {
      colon = i;
      break;
    }
  }
  if (colon <= 0) throw new MalformedVcard(`the line "${line.slice(0, 60)}" is not a property`);
  const [nameWithGroup = '', ...paramTexts] = splitOutsideQuotes(line.slice(0, colon), ';');
  const name = (nameWithGroup.split('.').at(-1) ?? '').toUpperCase();
  if (!/^[A-Z0-9-]+$/.test(name)) throw new MalformedVcard(`"${nameWithGroup.slice(0, 60)}" is not a property name`);
  const params: Record<string, string[]> = {};
  for (const param of paramTexts) {
    const equals = param.indexOf('=');
    const key = equals === -1 ? 'TYPE' : param.slice(0, equals).toUpperCase();
    const values = equals === -1 ? [param] : splitOutsideQuotes(param.slice(equals + 1), ',').map((value) => value.replace(/^"|"$/g, ''));
    (params[key] ??= []).push(...values);
  }
  return { raw, name, params, value: line.slice(colon + 1) };
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let current = '';
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (c === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/** Splits a structured or list value at unescaped separators, then unescapes each part. */
function components(value: string, separator: ';' | ','): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length) {
      current += c + value[i + 1];
      i++;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts.map(unescapeText);
}

function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

function escapeText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

const nonEmpty = (value: string | undefined | null): string | null => (value && value.trim() ? value : null);

function typesOf(line: VcardLine): string[] {
  return (line.params.TYPE ?? [])
    .flatMap((type) => type.split(','))
    .map((type) => type.trim().toLowerCase())
    .filter((type) => type && type !== 'internet' && type !== 'pref');
}

export function readContact(card: Vcard): ContactFields {
  const first = (name: string) => card.lines.find((line) => line.name === name);
  const all = (name: string) => card.lines.filter((line) => line.name === name);
  const textOf = (name: string) => {
    const line = first(name);
    return line ? nonEmpty(unescapeText(line.value)) : null;
  };
  const n = first('N');
  const nameParts = n ? components(n.value, ';') : [];
  const org = first('ORG');
  return {
    uid: textOf('UID'),
    fullName: textOf('FN') ?? '',
    givenName: nonEmpty(nameParts[1]),
    familyName: nonEmpty(nameParts[0]),
    nickname: textOf('NICKNAME'),
    emails: all('EMAIL')
      .map((line) => ({ value: unescapeText(line.value).trim(), types: typesOf(line) }))
      .filter((email) => email.value),
    phones: all('TEL')
      .map((line) => ({ value: unescapeText(line.value).trim().replace(/^tel:/i, ''), types: typesOf(line) }))
      .filter((phone) => phone.value),
    organization: org
      ? nonEmpty(
          components(org.value, ';')
            .filter((part) => part.trim())
            .join(', '),
        )
      : null,
    title: textOf('TITLE'),
    note: textOf('NOTE'),
    categories: all('CATEGORIES').flatMap((line) => components(line.value, ',').filter((category) => category.trim())),
    birthday: textOf('BDAY'),
    otherProperties: [...new Set(card.lines.map((line) => line.name).filter((name) => !KNOWN.has(name)))],
  };
}

/** A content line of our own, folded at 75 octets (RFC 6350 3.2) without splitting a character. */
function line(name: string, value: string, params: Record<string, string> = {}): VcardLine {
  const head =
    name +
    Object.entries(params)
      .map(([key, param]) => `;${key}=${param}`)
      .join('');
  const unfolded = `${head}:${value}`;
  const chunks: string[] = [];
  let current = '';
  let octets = 0;
  for (const c of unfolded) {
    const size = Buffer.byteLength(c);
    if (octets + size > (chunks.length === 0 ? 75 : 74)) {
      chunks.push(current);
      current = '';
      octets = 0;
    }
    current += c;
    octets += size;
  }
  chunks.push(current);
  return parseLine(chunks.join('\r\n '));
}

function typed(name: string, entry: TypedValue, version: string): VcardLine {
  const types = entry.types.map((type) => type.replace(/[^A-Za-z0-9-]/g, '')).filter(Boolean);
  const shown = version.startsWith('4') ? types.map((type) => type.toLowerCase()) : types.map((type) => type.toUpperCase());
  return line(name, escapeText(entry.value), shown.length ? { TYPE: shown.join(',') } : {});
}

/** The lines that say `changes` for one property (empty to remove it), or undefined when it is not changed. */
function linesFor(card: Vcard, name: string, changes: ContactChanges): VcardLine[] | undefined {
  const text = (value: string | null | undefined) => (value === undefined ? undefined : value ? [line(name, escapeText(value))] : []);
  switch (name) {
    case 'FN':
      return changes.fullName === undefined ? undefined : [line('FN', escapeText(changes.fullName))];
    case 'N': {
      if (changes.givenName === undefined && changes.familyName === undefined) return undefined;
      const current = card.lines.find((l) => l.name === 'N');
      const parts = current ? components(current.value, ';') : [];
      while (parts.length < 5) parts.push('');
      if (changes.familyName !== undefined) parts[0] = changes.familyName ?? '';
      if (changes.givenName !== undefined) parts[1] = changes.givenName ?? '';
      // vCard 3.0 requires N, so an emptied name stays as an empty N there.
      if (parts.every((part) => !part) && card.version.startsWith('4')) return [];
      return [line('N', parts.map(escapeText).join(';'))];
    }
    case 'NICKNAME':
      return text(changes.nickname);
    case 'EMAIL':
      return changes.emails === undefined ? undefined : (changes.emails ?? []).map((email) => typed('EMAIL', email, card.version));
    case 'TEL':
      return changes.phones === undefined ? undefined : (changes.phones ?? []).map((phone) => typed('TEL', phone, card.version));
    case 'ORG':
      return text(changes.organization);
    case 'TITLE':
      return text(changes.title);
    case 'NOTE':
      return text(changes.note);
    case 'CATEGORIES':
      return changes.categories === undefined
        ? undefined
        : changes.categories?.length
          ? [line('CATEGORIES', changes.categories.map(escapeText).join(','))]
          : [];
    default:
      return undefined;
  }
}

const CHANGEABLE = ['FN', 'N', 'NICKNAME', 'EMAIL', 'TEL', 'ORG', 'TITLE', 'NOTE', 'CATEGORIES'] as const;

/** The card with `changes` applied and REV set to `now`; every line of an unchanged property stays as it was. */
export function changeVcard(card: Vcard, changes: ContactChanges, now = new Date()): Vcard {
  let lines = [...card.lines];
  for (const name of [...CHANGEABLE, 'REV']) {
    const replacement = name === 'REV' ? [line('REV', basicUtc(now))] : linesFor(card, name, changes);
    if (!replacement) continue;
    const at = lines.findIndex((l) => l.name === name);
    lines = lines.filter((l) => l.name !== name);
    // A changed property keeps its place in the card; a new one goes at the end.
    lines.splice(at === -1 ? lines.length : at, 0, ...replacement);
  }
  return { version: card.version, lines };
}

/** A new vCard 4.0 (what Nextcloud's Contacts app writes) with the given fields. */
export function newVcard(uid: string, fields: ContactChanges & { fullName: string }, prodId: string, now = new Date()): Vcard {
  const base: Vcard = { version: '4.0', lines: [line('VERSION', '4.0'), line('PRODID', prodId), line('UID', escapeText(uid))] };
  return changeVcard(base, fields, now);
}

export function serializeVcard(card: Vcard): string {
  return `BEGIN:VCARD\r\n${card.lines.map((l) => `${l.raw}\r\n`).join('')}END:VCARD\r\n`;
}

function basicUtc(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
