<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\VObject;

// The access class Nextcloud stores next to each calendar object (CalDavBackend::getDenormalizedData): the CLASS of
// the first component that is not a VTIMEZONE. No CLASS is PUBLIC; any value but exactly PUBLIC or CONFIDENTIAL
// (x-names, other spellings) counts as PRIVATE, so unknown classes are hidden rather than shown.
final class ShareeClassification
{
    public const PUBLIC = 'PUBLIC';
    public const PRIVATE = 'PRIVATE';
    public const CONFIDENTIAL = 'CONFIDENTIAL';

    public static function of(string $calendarData): string
    {
        try {
            $calendar = VObject\Reader::read($calendarData);
        } catch (\Throwable) {
            // Stored objects were parsed on PUT; should one not parse, there is no CLASS to honour.
            return self::PUBLIC;
        }
        foreach ($calendar->getComponents() as $component) {
            if (strtoupper($component->name) === 'VTIMEZONE') continue;
            if (!isset($component->CLASS)) return self::PUBLIC;
            return match ((string) $component->CLASS->getValue()) {
                self::PUBLIC => self::PUBLIC,
                self::CONFIDENTIAL => self::CONFIDENTIAL,
                default => self::PRIVATE,
            };
        }
        return self::PUBLIC;
    }
}
