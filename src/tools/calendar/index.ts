// The calendar tools: CalDAV through lib, as the acting user, in the calendars of that user's own home.
import type { Tool } from '../tool.js';
import { createEvent } from './create-event.js';
import { deleteEvent } from './delete-event.js';
import { getEvent } from './get-event.js';
import { listCalendars } from './list-calendars.js';
import { listEvents } from './list-events.js';
import { updateEvent } from './update-event.js';

export const calendarTools: Tool[] = [listCalendars, listEvents, getEvent, createEvent, updateEvent, deleteEvent];
