// The conversations every simulator starts with. Tokens are fixed so tests and the demo can name them; messages are
// posted in time order so ids grow with timestamps, as in a real installation.
import type { SimState, TalkParticipant, TalkRoom } from '../context.js';
import { oneToOneRoomName, userDisplayName } from './render.js';
import { clearNotifications, newParticipant, participantOf, postComment, postSystemMessage, setReadMarker } from './store.js';

export const SEED_TOKENS = {
  /** One-to-one alice + bob; bob has not read alice's last reply. */
  aliceBob: 'alicebob1',
  /** Group: alice (owner), bob, carol; carol is mentioned, bob has unread messages and a direct mention. */
  apollo: 'apollo42x',
  /** Read-only group: alice (moderator), bob, carol; one announcement, unread for bob and carol. */
  announcements: 'announce7',
  /** Group with alice (owner) and bob only: carol is not an attendee. */
  lounge: 'lounge99',
} as const;

const OWNER = 1;
const MODERATOR = 2;
const USER = 3;

export function seedTalk(state: SimState, now: number): void {
  const minutesAgo = (minutes: number) => now - minutes * 60;
  const created = (room: TalkRoom, actorId: string, minutes: number) =>
    postSystemMessage(
      state,
      room,
      actorId,
      'conversation_created',
      '{actor} created the conversation',
      { actor: { type: 'user', id: actorId, name: userDisplayName(state, actorId) } },
      minutesAgo(minutes),
    );

  const aliceBob = addRoom(state, {
    token: SEED_TOKENS.aliceBob,
    type: 1,
    name: oneToOneRoomName(['alice', 'bob']),
    members: [
      ['alice', OWNER],
      ['bob', OWNER],
    ],
  });
  const apollo = addRoom(state, {
    token: SEED_TOKENS.apollo,
    type: 2,
    name: 'Project Apollo',
    description: 'Launch planning',
    members: [
      ['alice', OWNER],
      ['bob', USER],
      ['carol', USER],
    ],
  });
  const announcements = addRoom(state, {
    token: SEED_TOKENS.announcements,
    type: 2,
    name: 'Announcements',
    readOnly: 1,
    members: [
      ['alice', MODERATOR],
      ['bob', USER],
      ['carol', USER],
    ],
  });
  const lounge = addRoom(state, {
    token: SEED_TOKENS.lounge,
    type: 2,
    name: 'Staff lounge',
    members: [
      ['alice', OWNER],
      ['bob', USER],
    ],
  });

  created(apollo, 'alice', 7 * 24 * 60);
  created(announcements, 'alice', 6 * 24 * 60);
  created(aliceBob, 'alice', 3 * 24 * 60);
  created(lounge, 'alice', 2 * 24 * 60);
  postComment(state, announcements, 'alice', 'The office is closed on Friday for the team offsite.', { timestamp: minutesAgo(1440) });
  postComment(state, apollo, 'alice', 'Welcome to Project Apollo! The invoice template is in Documents.', { timestamp: minutesAgo(600) });
  postComment(state, apollo, 'carol', 'Thanks! Where do I find the onboarding checklist?', { timestamp: minutesAgo(300) });
  postComment(state, apollo, 'alice', 'Hi @carol, it is in the Readme.', { timestamp: minutesAgo(200) });
  postComment(state, apollo, 'alice', '@bob could you check the budget numbers before the review?', { timestamp: minutesAgo(150) });
  postComment(state, aliceBob, 'alice', 'Hi Bob, did you see the new roadmap in Plans?', { timestamp: minutesAgo(120) });
  const question = postComment(state, aliceBob, 'bob', 'Yes! The Q3 milestones look ambitious.', { timestamp: minutesAgo(110) });
  postComment(state, aliceBob, 'alice', 'We can discuss it at the standup.', { timestamp: minutesAgo(100), replyTo: question.id });
  postComment(state, lounge, 'bob', 'Coffee machine is fixed ☕', { timestamp: minutesAgo(60) });
  postComment(state, lounge, 'alice', 'Finally! Budget for a new one is in Budget.csv anyway.', { timestamp: minutesAgo(50) });

  // Who has read what: everyone caught up except bob (one-to-one reply, Apollo, announcement) and carol (announcement).
  readUpTo(aliceBob, 'alice');
  readUpTo(aliceBob, 'bob', question.id);
  readUpTo(apollo, 'alice');
  readUpTo(apollo, 'carol');
  readUpTo(announcements, 'alice');
  readUpTo(lounge, 'alice');
  readUpTo(lounge, 'bob');
}

interface RoomSpec {
  token: string;
  type: TalkRoom['type'];
  name: string;
  description?: string;
  readOnly?: 0 | 1;
  members: [string, number][];
}

function addRoom(state: SimState, spec: RoomSpec): TalkRoom {
  const room: TalkRoom = {
    id: state.talk.rooms.length + 1,
    token: spec.token,
    type: spec.type,
    name: spec.name,
    description: spec.description ?? '',
    readOnly: spec.readOnly ?? 0,
    lobbyState: 0,
    defaultPermissions: 0,
    participants: spec.members.map(([userId, participantType]) => newParticipant(userId, participantType)),
    messages: [],
  };
  state.talk.rooms.push(room);
  return room;
}

/** Marks messages up to `messageId` (default: all) as read and their notifications as handled. */
function readUpTo(room: TalkRoom, userId: string, messageId = room.messages.at(-1)?.id ?? 0): void {
  const participant: TalkParticipant = participantOf(room, userId)!;
  setReadMarker(participant, messageId);
  clearNotifications(
    participant,
    participant.pendingNotifications.filter((id) => id <= messageId),
  );
}
