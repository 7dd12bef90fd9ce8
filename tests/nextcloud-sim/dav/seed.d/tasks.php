<?php
// Task lists (calendars holding VTODO only, as the Tasks app creates them) with the task shapes the Tasks app
// reads and writes (contract 2.2): open, completed both ways, prioritised, due-dated, CATEGORIES split over two
// properties, a parent with a subtask, CLASS:PRIVATE, and properties another client added. alice shares one list
// with bob read-only. Deck's board calendar is a plain calendar here (its read-only ACL is not modelled); clients
// recognise it by its reserved name. Runs inside seed.php: $pdo, $addCalendar, $calendarIds, $day, $stamp.
declare(strict_types=1);

$pdo->beginTransaction();
$addCalendar('alice', 'tasks', 'Tasks', '#31cc7c', 'VTODO');
$addCalendar('alice', 'chores', 'Household chores', '#f4a331', 'VTODO');
$addCalendar('alice', 'app-generated--deck--board-1', 'Deck: Garden', '#0082c9', 'VTODO');
$pdo->prepare('INSERT INTO calendar_shares (calendarid, sharee, readonly) VALUES (?, ?, 1)')->execute([$calendarIds['alice/chores'], 'principals/users/bob']);
$pdo->commit();

$todoDate = fn (int $days): string => gmdate('Ymd', $day + $days * 86400);
$todoUtc = fn (int $days, string $time): string => gmdate('Ymd', $day + $days * 86400) . 'T' . $time . 'Z';
// Written a month ago, so that a change made by a test always gives LAST-MODIFIED a new value.
$taskStamp = gmdate('Ymd\\THis\\Z', $day - 30 * 86400);
$todo = function (string $uid, string $lines) use ($taskStamp): string {
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Nextcloud Tasks v0.16.1\r\nBEGIN:VTODO\r\nUID:$uid\r\nDTSTAMP:$taskStamp\r\nCREATED:$taskStamp\r\nLAST-MODIFIED:$taskStamp\r\n"
        . str_replace("\n", "\r\n", $lines) . "END:VTODO\r\nEND:VCALENDAR\r\n";
};
$tasks = [
    ['alice/tasks', 'present', $todo('sim-task-present', "SUMMARY:Buy birthday present\nDESCRIPTION:Something with hats.\nPRIORITY:1\nDUE;VALUE=DATE:{$todoDate(2)}\nCATEGORIES:Errands\nCATEGORIES:Family,Gifts\nX-APPLE-SORT-ORDER:12\nX-SIM-CUSTOM;X-KEEP=yes:keep me\n")],
    ['alice/tasks', 'taxes', $todo('sim-task-taxes', "SUMMARY:File tax return\nSTATUS:COMPLETED\nPERCENT-COMPLETE:100\nCOMPLETED:{$todoUtc(-1, '100000')}\nDUE:{$todoUtc(-2, '170000')}\n")],
    ['alice/tasks', 'plants', $todo('sim-task-plants', "SUMMARY:Water the plants\nSTATUS:COMPLETED\n")],
    ['alice/tasks', 'passport', $todo('sim-task-passport', "SUMMARY:Renew passport\nPRIORITY:5\nDUE:{$todoUtc(10, '090000')}\nSTATUS:IN-PROCESS\nPERCENT-COMPLETE:40\n")],
    ['alice/tasks', 'albums', $todo('sim-task-albums', "SUMMARY:Sort photo albums\nPRIORITY:9\n")],
    ['alice/tasks', 'party', $todo('sim-task-party', "SUMMARY:Plan garden party\nDTSTART;VALUE=DATE:{$todoDate(1)}\nDUE;VALUE=DATE:{$todoDate(14)}\n")],
    ['alice/tasks', 'invitations', $todo('sim-task-invitations', "SUMMARY:Send invitations\nRELATED-TO;RELTYPE=PARENT:sim-task-party\nDUE:{$todoUtc(3, '180000')}\nSTATUS:NEEDS-ACTION\n")],
    ['alice/tasks', 'letters', $todo('sim-task-letters', "SUMMARY:Sort the doctor's letters\nCLASS:PRIVATE\n")],
    ['alice/tasks', 'idea', $todo('sim-task-idea', "SUMMARY:Knit a tea cosy\nSTATUS:CANCELLED\n")],
    ['alice/chores', 'bins', $todo('sim-task-bins', "SUMMARY:Take out the bins\nDUE;VALUE=DATE:{$todoDate(1)}\n")],
    ['alice/chores', 'diary', $todo('sim-task-diary', "SUMMARY:Hide the diary\nCLASS:PRIVATE\n")],
    ['alice/app-generated--deck--board-1', 'card-1', $todo('deck-card-1', "SUMMARY:Plant tulips\nDESCRIPTION:Card on the Deck board Garden\n")],
];
$taskBackend = new Sabre\CalDAV\Backend\PDO($pdo);
foreach ($tasks as [$list, $name, $ics]) {
    $taskBackend->createCalendarObject($calendarIds[$list], "$name.ics", $ics);
}
