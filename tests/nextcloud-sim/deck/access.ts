// Who may do what on a Deck board (deck:lib/Service/PermissionService.php, more-apps.md §4.6): the owner all, an ACL
// row READ, and EDIT/SHARE/MANAGE from the user's own row, or else from any group row of the user that grants it.
import type { SimState, SimUser } from '../context.js';
import type { DeckAclRow, DeckBoardRow } from './store.js';

export interface DeckPermissions {
  read: boolean;
  edit: boolean;
  share: boolean;
  manage: boolean;
}

const NONE: DeckPermissions = { read: false, edit: false, share: false, manage: false };

export function permissionsOf(board: DeckBoardRow, user: SimUser): DeckPermissions {
  if (board.owner === user.id) return { read: true, edit: true, share: true, manage: true };
  const own = board.acl.find((row) => row.type === 0 && row.participant === user.id);
  const groups = board.acl.filter((row) => row.type === 1 && user.groups.includes(row.participant));
  if (!own && groups.length === 0) return NONE;
  const grants = (flag: keyof Pick<DeckAclRow, 'permissionEdit' | 'permissionShare' | 'permissionManage'>) =>
    own ? own[flag] : groups.some((row) => row[flag]);
  return { read: true, edit: grants('permissionEdit'), share: grants('permissionShare'), manage: grants('permissionManage') };
}

/** The user ids of everyone on the board: owner, shared users and members of shared groups. */
export function boardUserIds(state: SimState, board: DeckBoardRow): string[] {
  const ids = new Set([board.owner]);
  for (const row of board.acl) {
    if (row.type === 0) ids.add(row.participant);
    else for (const user of state.users.values()) if (user.groups.includes(row.participant)) ids.add(user.id);
  }
  return [...ids];
}
