<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CalDAV;

// A calendar shared with the current user. calendarInfo's principaluri stays the owner's (so {DAV:}owner
// and the objects are the owner's); the sharee gets read (+ write-properties) or write, like Nextcloud's
// Calendar::getACL. Sabre's ACL plugin then answers 403 to PUT/DELETE in read-only shares.
final class SharedCalendar extends CalDAV\Calendar
{
    public function getACL()
    {
        $owner = $this->calendarInfo['principaluri'];
        $sharee = $this->calendarInfo[CalendarBackend::SHAREE];
        $readOnly = (bool) $this->calendarInfo['{' . CalendarBackend::NS_OWNCLOUD . '}read-only'];
        return [
            ['privilege' => '{DAV:}read', 'principal' => $owner, 'protected' => true],
            ['privilege' => '{DAV:}write', 'principal' => $owner, 'protected' => true],
            ['privilege' => '{DAV:}read', 'principal' => $sharee, 'protected' => true],
            ['privilege' => $readOnly ? '{DAV:}write-properties' : '{DAV:}write', 'principal' => $sharee, 'protected' => true],
            ['privilege' => '{' . CalDAV\Plugin::NS_CALDAV . '}read-free-busy', 'principal' => '{DAV:}authenticated', 'protected' => true],
        ];
    }

    public function updateProperties($mutations)
    {
        // Nextcloud keeps a sharee's own name/colour for the calendar apart from the owner's; the simulator has
        // no per-sharee storage, and writing through would rename the owner's calendar, so it refuses (403s).
        return false;
    }

    public function delete()
    {
        // Nextcloud would unshare; deleting the owner's calendar through a share is never allowed.
        throw new \Sabre\DAV\Exception\Forbidden('Unsharing calendars is not supported by the simulator');
    }
}
