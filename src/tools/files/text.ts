// Whether a file is text, and a window of its bytes as text, for every tool that shows a file's content. The type
// and the name say what to expect; the bytes have the last word, so a mislabelled binary file is not dumped as
// noise and a text file Nextcloud has no type for is still shown. Only the window is fetched (an HTTP range), so a
// gigabyte file costs no more than the window.
import type { ReadResult } from '../../../lib/index.js';
import { isNextcloudError } from '../../../lib/index.js';
import { formatBytes } from '../bytes.js';
import type { ToolContext } from '../tool.js';
import { ToolError } from '../tool.js';
import type { ConfinedFiles } from './confined.js';

/** How much of the start of a window decides whether bytes of no known type are UTF-8 text. */
const SNIFF_BYTES = 8192;
/** Windows larger than this report progress as they arrive. */
const PROGRESS_STEP = 256 * 1024;

const TEXT_TYPE =
  /^(text\/|application\/(json|xml|javascript|ecmascript|x-javascript|x-sh|x-shellscript|x-yaml|yaml|toml|x-toml|sql|x-sql|x-httpd-php|x-php|x-python|x-perl|x-ruby|x-tex|x-latex|csv|x-empty|x-ndjson|ndjson|rtf|x-subrip|x-www-form-urlencoded)\b)|[+/](json|xml|yaml)\b/i;
const BINARY_TYPE =
  /^(image\/|audio\/|video\/|font\/|model\/|application\/(pdf|zip|gzip|x-gzip|x-tar|x-bzip2|x-xz|x-7z-compressed|x-rar|vnd\.rar|java-archive|x-executable|x-msdownload|x-sqlite3|vnd\.|msword|msexcel|mspowerpoint|epub|x-iso9660-image|wasm|ogg|x-matroska))/i;
/** Names that overrule a binary type: Nextcloud types TypeScript's .ts as an MPEG transport stream, for one. */
const TEXT_NAME =
  /\.(txt|md|markdown|csv|tsv|json|xml|html?|css|js|ts|ya?ml|toml|ini|conf|log|ics|vcf|sql|sh|py|rb|php|java|c|h|cpp|go|rs|tex)$/i;

/**
 * What a file's type and name lead one to expect before a byte is read: `text` (a text type, which only NUL bytes
 * prove wrong), `binary` (a binary type the name does not contradict: not read at all), or `unknown` (the bytes
 * decide: text when they hold no NUL and are valid UTF-8).
 */
export type Expectation = 'text' | 'binary' | 'unknown';

export function expectationOf(contentType: string | null, name: string): Expectation {
  const type = (contentType ?? '').split(';')[0]!.trim();
  if (TEXT_TYPE.test(type)) return 'text';
  return BINARY_TYPE.test(type) && !TEXT_NAME.test(name) ? 'binary' : 'unknown';
}

/** A window of a file as text. */
export interface TextWindow {
  text: string;
  /** Where the text starts: past the asked offset when that fell inside a character. */
  offset: number;
  /** How many bytes of the file the text covers. */
  bytesRead: number;
  /** The file goes on after the text. */
  truncated: boolean;
  /** Where to read on; null at the end of the file. */
  nextOffset: number | null;
  /** What the reader should know about how the bytes became this text. */
  notes: string[];
}

/**
 * Reads `length` bytes of the file from `offset` as text, or null when the bytes show it is not text after all.
 * `size` is the whole file's, from `answer` (a download of the window already under way) or a stat; without an
 * answer the window is downloaded here.
 */
export async function readTextWindow(
  files: ConfinedFiles,
  path: string,
  window: { offset: number; length: number; size: number; expected: Exclude<Expectation, 'binary'> },
  context: Pick<ToolContext, 'signal' | 'progress'>,
  answer?: ReadResult,
): Promise<{ window: TextWindow | null; etag: string | null }> {
  // An empty file has no byte to ask for: any range of it is refused.
  if (window.size === 0)
    return { window: { text: '', offset: 0, bytesRead: 0, truncated: false, nextOffset: null, notes: [] }, etag: answer?.etag ?? null };
  // One byte past the window shows whether a character continues beyond it.
  const end = Math.min(window.offset + window.length, window.size - 1);
  const wanted = end - window.offset + 1;
  const cap = window.length + 1;
  const { bytes, etag } = answer
    ? await collect(answer, wanted, cap, context)
    : await download(files, path, window.offset, end, cap, context);
  return { window: decode(bytes, window), etag };
}

const isContinuation = (byte: number | undefined) => byte !== undefined && (byte & 0xc0) === 0x80;

/** The largest cut at or below `end` that does not split a UTF-8 character (given the byte after the cut, if any). */
function characterEnd(bytes: Uint8Array, end: number): number {
  let cut = end;
  // Only a cut inside a character needs moving: then the byte at the cut continues that character.
  for (let steps = 0; steps < 3 && cut > 0 && isContinuation(bytes[cut]); steps++) cut--;
  if (cut === bytes.length && cut > 0) {
    // The window ends at the buffer's end: drop a lead byte whose continuation bytes did not arrive.
    let lead = cut - 1;
    while (lead > 0 && cut - lead < 4 && isContinuation(bytes[lead])) lead--;
    const first = bytes[lead]!;
    const needed = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
    if (cut - lead < needed) cut = lead;
  }
  return cut;
}

/** Whether bytes bear out what was expected: never with a NUL byte, and when nothing was, only as valid UTF-8. */
function bearsOut(expected: Exclude<Expectation, 'binary'>, bytes: Uint8Array): boolean {
  // NUL bytes mean binary whatever the declared type (a UTF-16 "text" file would come out as noise too).
  if (bytes.includes(0)) return false;
  if (expected === 'text') return true;
  const sample = bytes.subarray(0, SNIFF_BYTES);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, characterEnd(sample, sample.length)));
    return true;
  } catch {
    return false;
  }
}

/** The window's bytes (with the byte past it, when the file goes on) as text, cut at whole characters. */
function decode(
  bytes: Buffer,
  window: { offset: number; length: number; size: number; expected: Exclude<Expectation, 'binary'> },
): TextWindow | null {
  let start = 0;
  // A window that starts inside a character begins at the next whole one.
  if (window.offset > 0) while (start < 3 && isContinuation(bytes[start])) start++;
  const rest = bytes.subarray(start);
  const available = Math.min(rest.length, window.length - start);
  const more = window.offset + start + available < window.size;
  const cut = more ? characterEnd(rest, available) : available;
  const slice = rest.subarray(0, cut);
  if (!bearsOut(window.expected, slice)) return null;
  const notes: string[] = [];
  if (start > 0) notes.push(`The range started inside a character; the text starts ${start} byte(s) later, at ${window.offset + start}.`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(slice);
  } catch {
    text = slice.toString('utf8');
    notes.push('Some bytes are not valid UTF-8 (another encoding?) and were replaced with U+FFFD.');
  }
  return {
    text,
    offset: window.offset + start,
    bytesRead: cut,
    truncated: more,
    nextOffset: more ? window.offset + start + cut : null,
    notes,
  };
}

/** Downloads bytes start..end (inclusive) as a range, holding at most `cap` bytes whatever the server sends. */
async function download(
  files: ConfinedFiles,
  path: string,
  start: number,
  end: number,
  cap: number,
  context: Pick<ToolContext, 'signal' | 'progress'>,
) {
  let answer;
  try {
    answer = await files.read(path, { range: { start, end }, signal: context.signal });
  } catch (error) {
    if (isNextcloudError(error) && error.status === 416)
      throw new ToolError('invalid_input', `The byte range ${start}-${end} is outside ${path}; stat it for its size.`);
    throw error;
  }
  return collect(answer, end - start + 1, cap, context);
}

/** Reads a download's window, `wanted` bytes as far as the file goes, holding at most `cap` bytes. */
async function collect(answer: ReadResult, wanted: number, cap: number, context: Pick<ToolContext, 'progress'>) {
  const chunks: Buffer[] = [];
  let total = 0;
  let reported = 0;
  try {
    for await (const chunk of answer.stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      chunks.push(buffer);
      total += buffer.length;
      if (total >= cap) break;
      if (wanted > PROGRESS_STEP && total - reported >= PROGRESS_STEP) {
        reported = total;
        await context.progress(total, wanted, `Read ${formatBytes(total)} of ${formatBytes(wanted)}`);
      }
    }
  } finally {
    answer.stream.destroy();
  }
  const bytes = Buffer.concat(chunks);
  return { bytes: bytes.length > cap ? bytes.subarray(0, cap) : bytes, etag: answer.etag };
}
