<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CalDAV;

// A calendar home whose shared-in calendars become SharedCalendar nodes (sabre 1.8 only does that for
// backends with its own SharingSupport interface, which models Apple-style sharing).
final class UserCalendars extends CalDAV\UserCalendars
{
    public function getChildren()
    {
        $children = [];
        foreach ($this->caldavBackend->getCalendarsForUser($this->principalInfo['uri']) as $calendar) {
            $children[] = isset($calendar[CalendarBackend::SHAREE])
                ? new SharedCalendar($this->caldavBackend, $calendar)
                : new CalDAV\Calendar($this->caldavBackend, $calendar);
        }
        $children[] = new CalDAV\Schedule\Outbox($this->principalInfo['uri']);
        return $children;
    }
}
