<?php
// What a sharee may not read (contract nextcloud-apis 2.4, more-apps 2.3): alice's team calendar, shared with bob
// read-only, gets a CLASS:PRIVATE event (hidden from bob) and a CLASS:CONFIDENTIAL one with details and an alarm
// (bob sees only its times, as "Busy"); her chores list, shared the same way, gets a CLASS:CONFIDENTIAL task next to
// the private one tasks.php adds. Named to run last, after tasks.php has made the chores list. Runs inside seed.php:
// $pdo, $calendarIds, $event, $end, $utc, $day, $stamp.
declare(strict_types=1);

$privacyDate = fn (int $days): string => gmdate('Ymd', $day + $days * 86400);
$privacy = [
    ['alice/team', 'appraisal', $event('sim-appraisal', '') . "SUMMARY:Performance appraisal\r\nLOCATION:Meeting room 4\r\nDESCRIPTION:Discuss the pay rise.\r\nCLASS:PRIVATE\r\nDTSTART:{$utc(12, '090000')}\r\nDTEND:{$utc(12, '100000')}\r\n" . $end],
    ['alice/team', 'physio', $event('sim-physio', '') . "SUMMARY:Physiotherapy\r\nLOCATION:Back clinic\r\nDESCRIPTION:Bring the knee scans.\r\nCATEGORIES:Health\r\nCLASS:CONFIDENTIAL\r\nDTSTART:{$utc(13, '140000')}\r\nDTEND:{$utc(13, '150000')}\r\n"
        . "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Physiotherapy soon\r\nTRIGGER:-PT30M\r\nEND:VALARM\r\n" . $end],
    ['alice/chores', 'forms', "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Nextcloud Tasks v0.16.1\r\nBEGIN:VTODO\r\nUID:sim-task-forms\r\nDTSTAMP:$stamp\r\nCREATED:$stamp\r\nLAST-MODIFIED:$stamp\r\n"
        . "SUMMARY:Fill in the insurance forms\r\nDESCRIPTION:Policy number 0815.\r\nCATEGORIES:Health\r\nPRIORITY:9\r\nCLASS:CONFIDENTIAL\r\nDTSTART;VALUE=DATE:{$privacyDate(20)}\r\nDUE;VALUE=DATE:{$privacyDate(21)}\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"],
];
$privacyBackend = new Sabre\CalDAV\Backend\PDO($pdo);
foreach ($privacy as [$calendar, $name, $ics]) {
    $privacyBackend->createCalendarObject($calendarIds[$calendar], "$name.ics", $ics);
}
