// Which account a connection acts as and what its grant allows: the first thing to check when a tool is missing.
import { z } from 'zod';
import { withoutMissing } from '../absent.js';
import { READS_ONLY, defineTool } from '../tool.js';

export const whoami = defineTool({
  name: 'whoami',
  title: 'Who am I',
  description:
    'Shows which Nextcloud account this connection acts as, and which permissions (scopes) it has. Use it when a tool seems to be missing or a call is refused.',
  scopes: { allOf: [] },
  input: z.object({}),
  output: z.object({
    userId: z.string(),
    displayName: z.string(),
    email: z.string().optional(),
    scopes: z.array(z.string()),
    clientId: z.string(),
    readOnlyMode: z.boolean().describe('The administrator allows no changes through this connector.'),
    folderAllowlist: z.array(z.string()).describe("Folders file tools are limited to; empty means all of the user's files."),
  }),
  annotations: READS_ONLY,
  async run(_input, context) {
    // The token check has just read the account; Nextcloud is asked only when the caller did not pass it on.
    const me = context.account ?? (await context.user.currentUser());
    return {
      structured: withoutMissing({
        userId: me.id,
        displayName: me.displayName,
        email: me.email,
        scopes: [...context.scopes],
        clientId: context.clientId,
        readOnlyMode: context.policy.readOnly,
        folderAllowlist: context.policy.folderAllowlist,
      }),
    };
  },
});
