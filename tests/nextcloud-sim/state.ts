// The simulated instance's users, groups and empty AppAPI tables.
import type { SimState, SimUser } from './context.js';

const seedUsers: Omit<SimUser, 'password' | 'enabled' | 'language' | 'locale'>[] = [
  { id: 'admin', displayName: 'Administrator', email: 'admin@example.com', groups: ['admin'] },
  { id: 'alice', displayName: 'Alice Liddell', email: 'alice@example.com', groups: ['staff'] },
  { id: 'bob', displayName: 'Bob Builder', email: 'bob@example.com', groups: ['staff'] },
  { id: 'carol', displayName: 'Carol Danvers', email: 'carol@example.com', groups: ['interns'] },
];

export function createState(): SimState {
  return {
    users: new Map(seedUsers.map((user) => [user.id, { ...user, password: user.id, enabled: true, language: 'en', locale: 'en_US' }])),
    groups: new Map([
      ['admin', { id: 'admin', displayName: 'admin' }],
      ['staff', { id: 'staff', displayName: 'Staff' }],
      ['interns', { id: 'interns', displayName: 'Interns' }],
    ]),
    sessions: new Map(),
    apps: new Map(),
    appConfig: new Map(),
    preferences: new Map(),
    settingsForms: new Map(),
    talk: { rooms: [], nextMessageId: 1 },
    nextcloudApps: new Map(['files', 'calendar', 'spreed', 'contacts', 'tasks', 'notes', 'deck'].map((id) => [id, { groups: [] }])),
    impersonationLog: [],
  };
}

export function isAdmin(user: SimUser | null): boolean {
  return user?.groups.includes('admin') ?? false;
}
