<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CalDAV;
use Sabre\DAV;

// A calendar shared with the current user. calendarInfo's principaluri stays the owner's (so {DAV:}owner
// and the objects are the owner's); the sharee gets read (+ write-properties) or write, like Nextcloud's
// Calendar::getACL. Sabre's ACL plugin then answers 403 to PUT/DELETE in read-only shares.
// As in Nextcloud's CalDAV\Calendar, CLASS:PRIVATE objects do not exist for the sharee (not listed, not in
// calendar-query or multiget answers, 404), and the rest is served through ShareeCalendarObject.
final class SharedCalendar extends CalDAV\Calendar
{
    public function getChild($name)
    {
        $object = $this->visible((string) $name);
        if ($object === null) throw new DAV\Exception\NotFound('Calendar object not found');
        return $this->node($object);
    }

    public function getChildren()
    {
        $children = [];
        foreach ($this->caldavBackend->getCalendarObjects($this->calendarInfo['id']) as $summary) {
            $object = $this->visible((string) $summary['uri']);
            if ($object !== null) $children[] = $this->node($object);
        }
        return $children;
    }

    public function childExists($name)
    {
        return $this->visible((string) $name) !== null;
    }

    public function calendarQuery(array $filters)
    {
        // The backend matches the stored data; what the sharee may not see is dropped afterwards, as Nextcloud does.
        return array_values(array_filter(parent::calendarQuery($filters), fn (string $uri) => $this->childExists($uri)));
    }

    /**
     * Nextcloud's searches (calendar-search REPORT, unified search) give a sharee only the PUBLIC objects of a
     * shared calendar: confidential ones are left out rather than masked. @return list<ShareeCalendarObject>
     */
    public function publicChildren(): array
    {
        $children = [];
        foreach ($this->caldavBackend->getCalendarObjects($this->calendarInfo['id']) as $summary) {
            $object = $this->caldavBackend->getCalendarObject($this->calendarInfo['id'], $summary['uri']);
            if ($object && ShareeClassification::of((string) $object['calendardata']) === ShareeClassification::PUBLIC) {
                $children[] = $this->node($object);
            }
        }
        return $children;
    }

    public function createFile($name, $calendarData = null)
    {
        // A hidden object still holds its name. Nextcloud's insert then fails on the unique key (a server error);
        // the simulator answers 409 rather than overwrite or duplicate the owner's object.
        if ($this->caldavBackend->getCalendarObject($this->calendarInfo['id'], $name)) {
            throw new DAV\Exception\Conflict('An object with this name already exists in the calendar');
        }
        return parent::createFile($name, $calendarData);
    }

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

    /** The stored object when the sharee may see it. @return ?array<string, mixed> */
    private function visible(string $name): ?array
    {
        $object = $this->caldavBackend->getCalendarObject($this->calendarInfo['id'], $name);
        if (!$object || ShareeClassification::of((string) $object['calendardata']) === ShareeClassification::PRIVATE) return null;
        return $object;
    }

    /** @param array<string, mixed> $object */
    private function node(array $object): ShareeCalendarObject
    {
        $object['acl'] = array_values(array_filter(
            $this->getACL(),
            fn (array $ace) => $ace['privilege'] !== '{' . CalDAV\Plugin::NS_CALDAV . '}read-free-busy',
        ));
        return new ShareeCalendarObject($this->caldavBackend, $this->calendarInfo, $object);
    }
}
