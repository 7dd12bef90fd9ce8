// The Notes app's REST API (more-apps.md §3), over the user's files in the DAV backend.
import type { FastifyInstance } from 'fastify';
import type { SimContext } from '../context.js';

export function registerNotesRoutes(_app: FastifyInstance, _ctx: SimContext): void {}
