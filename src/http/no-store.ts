// The AppAPI PHP proxy adds an hour of browser caching to any response without Cache-Control, so every
// response of this app says no-store unless a route deliberately chose otherwise.
import fp from 'fastify-plugin';

export const noStore = fp(
  (app, _options, done) => {
    app.addHook('onSend', async (_request, reply, payload) => {
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
      return payload;
    });
    done();
  },
  { name: 'no-store' },
);
