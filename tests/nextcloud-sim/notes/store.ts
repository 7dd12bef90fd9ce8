// Notes over the user's files (notes:lib/Service/{NotesService,Note,MetaService}.php): every note file below the
// notes folder, its note data and etag, and the changes the API makes to those files.
import { createHash } from 'node:crypto';
import type { SimContext } from '../context.js';
import type { NotesSettings } from './naming.js';
import { DEFAULT_SETTINGS, nextTitle, noteSuffix, safeCategory, safeTitle } from './naming.js';
import type { FileNode } from './user-files.js';
import { UserFiles } from './user-files.js';

/** Notes' own state: settings per user, and when the app noticed each note change (MetaService lastUpdate). */
interface NotesState {
  settings: Map<string, NotesSettings>;
  meta: Map<string, { etag: string; lastUpdate: number }>;
}

const states = new WeakMap<SimContext, NotesState>();

function stateOf(ctx: SimContext): NotesState {
  let state = states.get(ctx);
  if (!state) states.set(ctx, (state = { settings: new Map(), meta: new Map() }));
  return state;
}

export class NoteError extends Error {
  constructor(readonly status: 403 | 404 | 412 | 423 | 500 | 507) {
    super(`notes error ${status}`);
  }
}

export interface NoteData {
  id: number;
  title: string;
  modified: number;
  category: string;
  favorite: boolean;
  readonly: boolean;
  internalPath: string;
  shareTypes: number[];
  isShared: boolean;
  error: boolean;
  errorType: string;
  content: string;
  etag: string;
}

export interface StoredNote {
  data: NoteData;
  lastUpdate: number;
  file: FileNode;
  suffix: string;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** json_encode's default form (slashes and non-ASCII escaped), so the etag formula matches MetaService::generateEtag. */
function phpJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function noteEtag(note: Omit<NoteData, 'etag'>): string {
  return md5(phpJson([note.id, note.title, note.modified, note.category, note.favorite, note.readonly, md5(note.content)]));
}

export class NotesStore {
  readonly files: UserFiles;
  private readonly state: NotesState;

  constructor(
    ctx: SimContext,
    readonly uid: string,
  ) {
    this.files = new UserFiles(ctx, uid);
    this.state = stateOf(ctx);
  }

  get settings(): NotesSettings {
    return this.state.settings.get(this.uid) ?? DEFAULT_SETTINGS;
  }

  set settings(settings: NotesSettings) {
    this.state.settings.set(this.uid, settings);
  }

  /** Every note, read with its content; creates the notes folder when missing (as NotesService::getAll does). */
  async all(): Promise<StoredNote[]> {
    const root = this.settings.notesPath;
    if (!(await this.files.stat(root))) await this.files.makeFolders(root);
    const notes: StoredNote[] = [];
    const walk = async (folder: string): Promise<void> => {
      const [, ...children] = (await this.files.list(folder, 1)) ?? [];
      for (const child of children) {
        const name = child.path.slice(child.path.lastIndexOf('/') + 1);
        // Hidden folders (.attachments.*) are no categories.
        if (child.isFolder && !name.startsWith('.')) await walk(child.path);
        const suffix = child.isFolder ? null : noteSuffix(name, this.settings);
        if (suffix) notes.push(await this.load(child, suffix));
      }
    };
    await walk(root);
    return notes;
  }

  async byId(id: number): Promise<StoredNote> {
    const note = (await this.all()).find((candidate) => candidate.data.id === id);
    if (!note) throw new NoteError(404);
    return note;
  }

  private async load(file: FileNode, suffix: string): Promise<StoredNote> {
    const root = this.settings.notesPath;
    const relative = file.path.slice(root.length + 1);
    const slash = relative.lastIndexOf('/');
    const name = relative.slice(slash + 1);
    const withoutEtag = {
      id: file.fileId,
      title: name.slice(0, name.length - suffix.length),
      modified: file.mtime,
      category: slash < 0 ? '' : relative.slice(0, slash),
      favorite: file.favorite,
      readonly: !file.permissions.includes('W'),
      internalPath: `/${file.path}`,
      shareTypes: file.shareTypes,
      isShared: file.permissions.includes('S'),
      error: false,
      errorType: '',
      content: await this.files.read(file.path),
    };
    const etag = noteEtag(withoutEtag);
    const key = `${this.uid}:${file.fileId}`;
    let meta = this.state.meta.get(key);
    if (meta?.etag !== etag) this.state.meta.set(key, (meta = { etag, lastUpdate: Math.floor(Date.now() / 1000) }));
    return { data: { ...withoutEtag, etag }, lastUpdate: meta.lastUpdate, file, suffix };
  }

  /** A file name in the folder that no other file has (NoteUtil::generateFileName). */
  private async freeName(folder: string, title: string, suffix: string, ownId?: number): Promise<string> {
    for (let candidate = title; ; candidate = nextTitle(candidate)) {
      const existing = await this.files.stat(`${folder}/${candidate}${suffix}`);
      if (!existing || existing.fileId === ownId) return `${candidate}${suffix}`;
    }
  }

  async create(fields: { title?: string; category?: string; content?: string; modified?: number; favorite?: boolean }): Promise<NoteData> {
    const folder = [this.settings.notesPath, safeCategory(fields.category ?? '')].filter(Boolean).join('/');
    await this.files.makeFolders(folder);
    const path = `${folder}/${await this.freeName(folder, safeTitle(fields.title ?? ''), this.settings.fileSuffix)}`;
    await this.files.write(path, fields.content ?? '', fields.modified || undefined);
    if (fields.favorite) await this.files.setFavorite(path, true);
    return this.reload(path);
  }

  async update(
    note: StoredNote,
    fields: { title?: string; category?: string; content?: string; modified?: number; favorite?: boolean },
  ): Promise<NoteData> {
    const changesContent = fields.content !== undefined || fields.title !== undefined || fields.category !== undefined || !!fields.modified;
    if (note.data.readonly && changesContent) throw new NoteError(403);
    let path = note.file.path;
    if (fields.content !== undefined) await this.files.write(path, fields.content, fields.modified || undefined);
    else if (fields.modified) await this.files.touch(path, fields.modified);
    if (fields.title !== undefined || fields.category !== undefined) {
      const oldFolder = path.slice(0, path.lastIndexOf('/'));
      const category = fields.category !== undefined ? safeCategory(fields.category) : note.data.category;
      const folder = [this.settings.notesPath, category].filter(Boolean).join('/');
      await this.files.makeFolders(folder);
      const target = `${folder}/${await this.freeName(folder, safeTitle(fields.title ?? note.data.title), note.suffix, note.data.id)}`;
      if (target !== path) {
        await this.files.move(path, target);
        path = target;
        await this.removeEmptyFolders(oldFolder);
      }
    }
    if (fields.favorite !== undefined && fields.favorite !== note.data.favorite) await this.files.setFavorite(path, fields.favorite);
    return this.reload(path);
  }

  async delete(note: StoredNote): Promise<void> {
    if (!note.file.permissions.includes('D')) throw new NoteError(403);
    await this.files.remove(note.file.path);
    await this.removeEmptyFolders(note.file.path.slice(0, note.file.path.lastIndexOf('/')));
  }

  /** Category folders a move or delete left empty go (NoteUtil::deleteEmptyFolder), never the notes folder itself. */
  private async removeEmptyFolders(folder: string): Promise<void> {
    const root = this.settings.notesPath;
    for (let current = folder; current.startsWith(`${root}/`); current = current.slice(0, current.lastIndexOf('/'))) {
      const listing = await this.files.list(current, 1);
      // A folder shared with the user is never removed: deleting it would end the share.
      if (!listing || listing.length > 1 || listing[0]!.permissions.includes('S')) return;
      await this.files.remove(current);
    }
  }

  private async reload(path: string): Promise<NoteData> {
    const file = await this.files.stat(path);
    const suffix = file && noteSuffix(path.slice(path.lastIndexOf('/') + 1), this.settings);
    if (!file || !suffix) throw new NoteError(500);
    return (await this.load(file, suffix)).data;
  }
}
