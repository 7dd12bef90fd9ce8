// The unified search providers the simulated instance has, with the metadata GET /search/providers lists (NC 28+
// CoreUnifiedSearchProvider) and their order, which depends on the page the user is on (`from`).
import type { FilterCapabilities, FilterDefinition } from './filters.js';
import { definitionOf } from './filters.js';

/** The Nextcloud route a `from` URL resolves to, as far as the providers here care. */
export interface ResolvedRoute {
  route: string;
  params: Record<string, string>;
}

export interface ProviderDefinition extends FilterCapabilities {
  appId: string;
  name: string;
  icon: string;
  order(route: ResolvedRoute): number;
}

const TALK_CONVERSATION_FILTER: FilterDefinition = { name: 'conversation', type: 'string', exclusive: true };
const inTalk = (route: ResolvedRoute) => route.route.startsWith('spreed.');

export const PROVIDERS: ProviderDefinition[] = [
  {
    id: 'files',
    appId: 'files',
    name: 'Files',
    icon: '/apps/files/img/app.svg',
    order: (route) => (route.route === 'files.View.index' ? -5 : 5),
    supportedFilters: ['term', 'since', 'until', 'person', 'min-size', 'max-size', 'mime', 'type', 'path', 'is-favorite', 'title-only'],
    customFilters: [
      { name: 'min-size', type: 'int', exclusive: true },
      { name: 'max-size', type: 'int', exclusive: true },
      { name: 'mime', type: 'string', exclusive: true },
      { name: 'type', type: 'string', exclusive: true },
      { name: 'path', type: 'string', exclusive: true },
      { name: 'is-favorite', type: 'bool', exclusive: true },
    ],
  },
  {
    // Registered by the dav app; the calendar app must be enabled for it to be listed.
    id: 'calendar',
    appId: 'dav',
    name: 'Events',
    icon: '/apps/calendar/img/calendar.svg',
    order: (route) => (route.route === 'calendar.View.index' ? -1 : 30),
    supportedFilters: ['term', 'person', 'since', 'until'],
    customFilters: [],
  },
  {
    // Not a filtering provider: only `term`.
    id: 'talk-conversations',
    appId: 'spreed',
    name: 'Conversations',
    icon: '/apps/spreed/img/app.svg',
    order: (route) => (inTalk(route) ? -1 : 25),
    supportedFilters: ['term'],
    customFilters: [],
  },
  {
    id: 'talk-message',
    appId: 'spreed',
    name: 'Messages',
    icon: '/apps/spreed/img/app.svg',
    order: (route) => (inTalk(route) ? -2 : 15),
    supportedFilters: ['term', 'since', 'until', 'person', 'conversation'],
    customFilters: [TALK_CONVERSATION_FILTER],
  },
];

export function findProvider(id: string): ProviderDefinition | undefined {
  return PROVIDERS.find((provider) => provider.id === id);
}

/** GET /search/providers: sorted by order for the page the user is on. */
export function listProviders(route: ResolvedRoute): Record<string, unknown>[] {
  return PROVIDERS.map((provider) => ({
    id: provider.id,
    appId: provider.appId,
    name: provider.name,
    icon: provider.icon,
    order: provider.order(route),
    triggers: [provider.id],
    filters: Object.fromEntries(provider.supportedFilters.map((name) => [name, definitionOf(name, provider)!.type])),
    inAppSearch: false,
  })).sort((a, b) => (a.order as number) - (b.order as number));
}

/** UnifiedSearchController::getRouteInformation for the pages these providers react to. */
export function resolveFrom(from: string): ResolvedRoute {
  if (!from) return { route: '', params: {} };
  const url = new URL(from, 'http://nextcloud.invalid');
  const path = url.pathname.replace(/^\/index\.php(?=\/)/, '');
  const params = Object.fromEntries(url.searchParams);
  const call = /^\/call\/([a-z0-9]{4,30})\/?$/.exec(path);
  if (call) return { route: 'spreed.Page.showCall', params: { ...params, token: call[1]! } };
  const app = /^\/apps\/([a-z_]+)(?:\/|$)/.exec(path)?.[1];
  if (app === 'spreed') return { route: 'spreed.Page.index', params };
  if (app === 'files') return { route: 'files.View.index', params };
  if (app === 'calendar') return { route: 'calendar.View.index', params };
  return { route: '', params };
}
