// The one decision of what is text and the one windowed reader files_read and fetch share, the byte sizes their
// answers show, and the etag forms the writing tools send back.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ReadResult } from '../../../lib/index.js';
import { formatBytes } from '../../../src/tools/bytes.js';
import { headerEtag, sameEtag } from '../../../src/tools/etag.js';
import type { ConfinedFiles } from '../../../src/tools/files/confined.js';
import type { Expectation } from '../../../src/tools/files/text.js';
import { expectationOf, readTextWindow } from '../../../src/tools/files/text.js';

/** A file of these bytes that answers ranged reads, as Nextcloud does. */
function fileOf(content: Uint8Array): ConfinedFiles {
  const read = async (_path: string, options?: { range?: { start: number; end: number } }): Promise<ReadResult> => {
    const { start, end } = options?.range ?? { start: 0, end: content.length - 1 };
    const bytes = Buffer.from(content.subarray(start, end + 1));
    return {
      stream: Readable.from([bytes]),
      length: bytes.length,
      size: content.length,
      etag: '"v1"',
      contentType: null,
      lastModified: null,
      fileId: null,
      partial: true,
    };
  };
  return { read } as unknown as ConfinedFiles;
}

const noContext = { signal: new AbortController().signal, progress: async () => undefined };

async function windowOf(content: Uint8Array | string, expected: Exclude<Expectation, 'binary'>, offset = 0, length = 100) {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return (await readTextWindow(fileOf(bytes), '/f', { offset, length, size: bytes.length, expected }, noContext)).window;
}

describe('what is text', () => {
  it('trusts a text type, refuses a binary one unread, and leaves the rest to the bytes', () => {
    expect(expectationOf('text/markdown; charset=utf-8', 'a.md')).toBe('text');
    expect(expectationOf('application/ld+json', 'a.jsonld')).toBe('text');
    expect(expectationOf('image/svg+xml', 'a.svg')).toBe('text');
    expect(expectationOf('application/pdf', 'a.pdf')).toBe('binary');
    expect(expectationOf('application/octet-stream', 'Makefile')).toBe('unknown');
    expect(expectationOf(null, 'README')).toBe('unknown');
  });

  it('lets a text name overrule a binary type, the bytes deciding', async () => {
    expect(expectationOf('video/MP2T', 'main.ts')).toBe('unknown');
    expect(await windowOf('export const a = 1;\n', 'unknown')).toMatchObject({ text: 'export const a = 1;\n' });
    expect(await windowOf(new Uint8Array([0x47, 0x40, 0x00, 0x10]), 'unknown')).toBeNull();
  });

  it('takes NUL bytes anywhere in the window as binary, whatever the type says', async () => {
    const late = `${'a'.repeat(20_000)}\u0000`;
    expect(await windowOf(late, 'text', 0, 30_000)).toBeNull();
    expect(await windowOf(late, 'unknown', 0, 30_000)).toBeNull();
  });

  it('wants valid UTF-8 from bytes of no known type, and replaces what is not in a declared text', async () => {
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]);
    expect(await windowOf(latin1, 'unknown')).toBeNull();
    const shown = await windowOf(latin1, 'text');
    expect(shown).toMatchObject({ text: 'caf\uFFFD\n', truncated: false });
    expect(shown!.notes.join(' ')).toMatch(/not valid UTF-8/);
  });
});

describe('a window of text', () => {
  it('cuts at whole characters at both ends and says where to go on', async () => {
    // "über": ü is bytes 0-1.
    expect(await windowOf('über uns', 'text', 0, 1)).toMatchObject({ text: '', bytesRead: 0, truncated: true, nextOffset: 0 });
    const inside = await windowOf('über uns', 'text', 1, 4);
    expect(inside).toMatchObject({ text: 'ber', offset: 2, bytesRead: 3, truncated: true, nextOffset: 5 });
    expect(inside!.notes.join(' ')).toMatch(/inside a character/);
    expect(await windowOf('über uns', 'text', 6)).toMatchObject({ text: 'uns', truncated: false, nextOffset: null });
  });

  it('reads nothing of an empty file', async () => {
    const files = { read: () => Promise.reject(new Error('no range of an empty file exists')) } as unknown as ConfinedFiles;
    expect((await readTextWindow(files, '/f', { offset: 0, length: 10, size: 0, expected: 'unknown' }, noContext)).window).toEqual({
      text: '',
      offset: 0,
      bytesRead: 0,
      truncated: false,
      nextOffset: null,
      notes: [],
    });
  });
});

describe('sizes for people', () => {
  it('counts small sizes in bytes and larger ones in binary units', () => {
    expect([0, 1, 56, 1023, 1024, 1536, 100_000, 5 * 1024 * 1024, 3 * 1024 ** 4].map(formatBytes)).toEqual([
      '0 bytes',
      '1 byte',
      '56 bytes',
      '1023 bytes',
      '1.0 KB',
      '1.5 KB',
      '98 KB',
      '5.0 MB',
      '3.0 TB',
    ]);
  });
});

describe('etags sent back', () => {
  it('puts back the quotes a model dropped and keeps a quoted or weak etag as it is', () => {
    expect(headerEtag('abc')).toBe('"abc"');
    expect(headerEtag(' "abc" ')).toBe('"abc"');
    expect(headerEtag('W/"abc"')).toBe('W/"abc"');
    expect(headerEtag('"abc')).toBe('"abc"');
  });

  it('compares versions whatever their quoting', () => {
    expect(sameEtag('"abc"', 'W/"abc"')).toBe(true);
    expect(sameEtag('"abc"', 'abc')).toBe(true);
    expect(sameEtag('"abc"', '"abd"')).toBe(false);
  });
});
