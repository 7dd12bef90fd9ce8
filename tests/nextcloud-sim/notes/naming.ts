// How the Notes app names things (notes:lib/Service/NoteUtil.php, SettingsService.php): safe titles and
// categories, the suffixes it counts as notes, and the settings it accepts.
export const NOTE_SUFFIXES = ['.txt', '.org', '.markdown', '.md', '.note'];
export const DEFAULT_TITLE = 'New note';

export interface NotesSettings {
  notesPath: string;
  fileSuffix: string;
  noteMode: string;
}

export const DEFAULT_SETTINGS: NotesSettings = { notesPath: 'Notes', fileSuffix: '.md', noteMode: 'edit' };

function sanitise(text: string): string {
  return text.replace(/[*|/\\:"<>?]/g, '').replace(/^[. ]+/, '');
}

/** The first line, without characters no file name may have, at most 100 characters; "New note" when empty. */
export function safeTitle(title: string): string {
  const firstLine = sanitise(title)
    .split(/\r\n|\r|\n/)[0]!
    .trim();
  return [...firstLine].slice(0, 100).join('') || DEFAULT_TITLE;
}

/** A category path with each folder name made safe; empty segments (and "." or "..") dropped. */
export function safeCategory(category: string): string {
  return category
    .split('/')
    .map((segment) => sanitise(segment).trim())
    .filter((segment) => segment !== '')
    .join('/');
}

/** "Title (2)" after "Title", "Title (3)" after "Title (2)". */
export function nextTitle(title: string): string {
  const match = /\s\((\d+)\)$/u.exec(title);
  const base = match ? title.slice(0, match.index) : title;
  const suffix = ` (${match ? Number(match[1]) + 1 : 2})`;
  return [...base].slice(0, 100 - suffix.length).join('') + suffix;
}

/** The note suffix a file name ends in, or null when the file is no note. */
export function noteSuffix(name: string, settings: NotesSettings): string | null {
  const suffixes = NOTE_SUFFIXES.includes(settings.fileSuffix) ? NOTE_SUFFIXES : [...NOTE_SUFFIXES, settings.fileSuffix];
  return suffixes.find((suffix) => name.toLowerCase().endsWith(suffix.toLowerCase()) && name.length > suffix.length) ?? null;
}

/** Settings as SettingsService::set stores them: omitted keys unchanged, invalid values replaced by defaults. */
export function updatedSettings(current: NotesSettings, changes: Record<string, unknown>): NotesSettings {
  const next = { ...current };
  if ('notesPath' in changes) {
    const segments: string[] = [];
    for (const segment of typeof changes.notesPath === 'string' ? changes.notesPath.split('/') : []) {
      if (segment === '..') segments.pop();
      else if (segment !== '' && segment !== '.') segments.push(segment);
    }
    next.notesPath = segments.join('/') || DEFAULT_SETTINGS.notesPath;
  }
  if ('fileSuffix' in changes) {
    const suffix = changes.fileSuffix;
    next.fileSuffix = typeof suffix === 'string' && /^\.[A-Za-z0-9_-]{1,20}$/.test(suffix) ? suffix : DEFAULT_SETTINGS.fileSuffix;
  }
  if ('noteMode' in changes) {
    next.noteMode = ['edit', 'preview', 'rich'].includes(String(changes.noteMode)) ? String(changes.noteMode) : DEFAULT_SETTINGS.noteMode;
  }
  return next;
}
