<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CalDAV;

// sabre 1.8's PDO backend plus what Nextcloud's CalDavBackend adds to a calendar home: soft-deleted calendars
// (still listed, with ncc:deleted-at) and calendars shared with the user, named
// {ownerUri}_shared_by_{ownerUid} with oc:owner-principal / oc:read-only (contract 2.2-2.4).
final class CalendarBackend extends CalDAV\Backend\PDO
{
    public const NS_OWNCLOUD = 'http://owncloud.org/ns';
    public const NS_NEXTCLOUD_COM = 'http://nextcloud.com/ns';
    /** Key (not a DAV property) marking a calendarInfo as a share received by this principal. */
    public const SHAREE = 'sim:sharee';

    public function getCalendarsForUser($principalUri)
    {
        $own = $this->pdo->prepare('SELECT * FROM calendars WHERE principaluri = ? ORDER BY calendarorder, id');
        $own->execute([$principalUri]);
        $calendars = [];
        foreach ($own->fetchAll(\PDO::FETCH_ASSOC) as $row) {
            $calendar = $this->info($row);
            if ($row['deleted_at'] !== null) {
                // CalDavBackend maps the deleted_at column straight to the property: unix seconds, not a date
                // (only trashed calendar *objects* format it as ATOM).
                $calendar['{' . self::NS_NEXTCLOUD_COM . '}deleted-at'] = (string) (int) $row['deleted_at'];
            }
            $calendars[] = $calendar;
        }
        $shared = $this->pdo->prepare('SELECT c.*, s.readonly AS share_readonly FROM calendar_shares s JOIN calendars c ON c.id = s.calendarid WHERE s.sharee = ? AND c.deleted_at IS NULL ORDER BY c.id');
        $shared->execute([$principalUri]);
        foreach ($shared->fetchAll(\PDO::FETCH_ASSOC) as $row) {
            $owner = (string) $row['principaluri'];
            $ownerUid = basename($owner);
            $calendar = $this->info($row);
            $calendar['uri'] = $row['uri'] . '_shared_by_' . $ownerUid;
            $calendar['{DAV:}displayname'] = $row['displayname'] . ' (' . Users::displayName($ownerUid) . ')';
            $calendar['{' . self::NS_OWNCLOUD . '}owner-principal'] = $owner;
            // Sabre writes PHP true as "1" (contract 2.4: "1" means read-only).
            $calendar['{' . self::NS_OWNCLOUD . '}read-only'] = (bool) $row['share_readonly'];
            $calendar['{' . self::NS_NEXTCLOUD_COM . '}owner-displayname'] = Users::displayName($ownerUid);
            $calendar[self::SHAREE] = $principalUri;
            $calendars[] = $calendar;
        }
        return $calendars;
    }

    /** @param array<string, mixed> $row */
    private function info(array $row): array
    {
        $components = $row['components'] ? explode(',', (string) $row['components']) : [];
        $calendar = [
            'id' => $row['id'],
            'uri' => $row['uri'],
            'principaluri' => $row['principaluri'],
            '{' . CalDAV\Plugin::NS_CALENDARSERVER . '}getctag' => 'http://sabre.io/ns/sync/' . ($row['ctag'] ?: '0'),
            '{' . CalDAV\Plugin::NS_CALDAV . '}supported-calendar-component-set' => new CalDAV\Property\SupportedCalendarComponentSet($components),
            '{' . CalDAV\Plugin::NS_CALDAV . '}schedule-calendar-transp' => new CalDAV\Property\ScheduleCalendarTransp($row['transparent'] ? 'transparent' : 'opaque'),
            '{' . self::NS_OWNCLOUD . '}calendar-enabled' => '1',
        ];
        foreach ($this->propertyMap as $xmlName => $dbName) {
            $calendar[$xmlName] = $row[$dbName];
        }
        return $calendar;
    }

    /** Calendars the user may read for search: own (not deleted) and shared-in. @return list<array<string, mixed>> */
    public function readableCalendars(string $principalUri): array
    {
        return array_values(array_filter(
            $this->getCalendarsForUser($principalUri),
            fn (array $c) => !isset($c['{' . self::NS_NEXTCLOUD_COM . '}deleted-at']),
        ));
    }
}
