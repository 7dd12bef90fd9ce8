<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CalDAV;
use Sabre\VObject;

// An object of a calendar shared with the current user, served as Nextcloud's CalDAV\CalendarObject serves it to a
// sharee: alarms removed when the share is read-only, and a CONFIDENTIAL object reduced to its time data with the
// summary "Busy" (contract 2.4). The ETag stays the stored object's; the size is that of what the sharee receives.
final class ShareeCalendarObject extends CalDAV\CalendarObject
{
    /** What CalendarObject::createConfidentialObject keeps of a confidential event, task or journal. */
    private const KEPT = ['CREATED', 'DTSTART', 'RRULE', 'RECURRENCE-ID', 'RDATE', 'DURATION', 'DTEND', 'CLASS', 'EXRULE', 'EXDATE', 'UID'];

    public function get()
    {
        $data = parent::get();
        $calendar = VObject\Reader::read($data);
        if ($this->readOnly()) {
            foreach ($calendar->getComponents() as $component) unset($component->VALARM);
        }
        if (ShareeClassification::of($data) === ShareeClassification::CONFIDENTIAL) self::mask($calendar);
        return $calendar->serialize();
    }

    public function getSize()
    {
        return strlen($this->get());
    }

    private function readOnly(): bool
    {
        return (bool) ($this->calendarInfo['{' . CalendarBackend::NS_OWNCLOUD . '}read-only'] ?? false);
    }

    private static function mask(VObject\Component $calendar): void
    {
        foreach ($calendar->getComponents() as $component) {
            if (!in_array(strtoupper($component->name), ['VEVENT', 'VTODO', 'VJOURNAL'], true)) continue;
            // Nextcloud adds the summary when there is none, so an untitled object is not told apart by its title.
            if (!isset($component->SUMMARY)) $component->add('SUMMARY', 'Busy');
            foreach (iterator_to_array($component->children()) as $child) {
                $name = strtoupper($child->name);
                if ($name === 'SUMMARY') {
                    $child->setValue('Busy');
                } elseif (!in_array($name, self::KEPT, true)) {
                    // Properties and sub-components (alarms) alike.
                    unset($component->{$child->name});
                }
            }
        }
    }
}
