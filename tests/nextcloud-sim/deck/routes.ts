// The Deck app's REST API (more-apps.md §4).
import type { FastifyInstance } from 'fastify';
import type { SimContext } from '../context.js';

export function registerDeckRoutes(_app: FastifyInstance, _ctx: SimContext): void {}
