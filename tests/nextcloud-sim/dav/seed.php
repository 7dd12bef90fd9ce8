<?php
// Seeds an EMPTY data dir: per-user files under <dataDir>/<uid>/files, and sim.sqlite with principals,
// calendars and events (dates relative to the start of the current UTC day), shares and favourites.
// Usage: php seed.php <dataDir>
declare(strict_types=1);

require __DIR__ . '/lib/bootstrap.php';

use SimDav\Db;
use SimDav\FileCache;
use SimDav\Users;

if ($argc < 2) {
    fwrite(STDERR, "usage: php seed.php <dataDir>\n");
    exit(2);
}
$dataDir = rtrim($argv[1], '/');
if (!is_dir($dataDir)) mkdir($dataDir, 0777, true);
if (file_exists($dataDir . '/sim.sqlite')) {
    fwrite(STDERR, "$dataDir is already seeded\n");
    exit(1);
}

function put(string $dataDir, string $uid, string $path, string $content): void
{
    $file = "$dataDir/$uid/files/$path";
    if (!is_dir(dirname($file))) mkdir(dirname($file), 0777, true);
    file_put_contents($file, $content);
}

/** A minimal but valid one-page PDF; the xref offsets are computed, not guessed. */
function pdf(string $text): string
{
    $stream = "BT /F1 18 Tf 72 720 Td ($text) Tj ET";
    $objects = [
        '<< /Type /Catalog /Pages 2 0 R >>',
        '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
        '<< /Length ' . strlen($stream) . " >>\nstream\n$stream\nendstream",
        '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    ];
    $out = "%PDF-1.4\n";
    $offsets = [];
    foreach ($objects as $i => $body) {
        $offsets[] = strlen($out);
        $out .= ($i + 1) . " 0 obj\n$body\nendobj\n";
    }
    $xref = strlen($out);
    $out .= 'xref' . "\n0 " . (count($objects) + 1) . "\n0000000000 65535 f \n";
    foreach ($offsets as $offset) $out .= sprintf("%010d 00000 n \n", $offset);
    $out .= 'trailer' . "\n<< /Size " . (count($objects) + 1) . " /Root 1 0 R >>\nstartxref\n$xref\n%%EOF\n";
    return $out;
}

// ---- files
put($dataDir, 'alice', 'Readme.md', "# Alice's files\n\nWelcome to Nextcloud.\n");
put($dataDir, 'alice', 'Documents/Notes.txt', "Shopping list: tea, biscuits, jam.\nCall the Mad Hatter.\n");
put($dataDir, 'alice', 'Documents/Report 2026.pdf', pdf('Annual Report 2026'));
put($dataDir, 'alice', 'Documents/Budget.csv', "category,amount\nrent,1200\nfood,300\ntravel,150\n");
put($dataDir, 'alice', 'Plans/Roadmap.md', "# Roadmap\n\n- Q3: milestones\n- Q4: launch\n");
put($dataDir, 'alice', 'Plans/Q3/Milestones.txt', "M1 design freeze\nM2 beta\nM3 release candidate\n");
put($dataDir, 'alice', 'Notes/Meeting ümlaut.md', "# Meeting über Größe\n\nUmlauts in names must survive encoding.\n");
// 8 MiB deterministic pseudo-random bytes (SHA-256 in counter mode), written in 1 MiB steps.
@mkdir("$dataDir/alice/files/Media", 0777, true);
$out = fopen("$dataDir/alice/files/Media/dataset.bin", 'wb');
for ($block = 0, $counter = 0; $block < 8; $block++) {
    $chunk = '';
    for ($i = 0; $i < 32768; $i++) $chunk .= hash('sha256', 'nextcloud-sim-dataset-' . $counter++, true);
    fwrite($out, $chunk);
}
fclose($out);
put($dataDir, 'bob', 'Readme.md', "# Bob's files\n\nCan we fix it? Yes we can!\n");
put($dataDir, 'bob', 'Notes/ideas.txt', "A bridge made of recycled bricks.\n");
put($dataDir, 'bob', 'Private/secret.txt', "The cement mixer is called Dizzy.\n");
@mkdir("$dataDir/bob/files/Shared", 0777, true);
put($dataDir, 'carol', 'Welcome.txt', "Welcome to Nextcloud, Carol!\n");
put($dataDir, 'admin', 'Admin notes.txt', "Remember to update the server.\n");
foreach (array_keys(Users::DISPLAY_NAMES) as $uid) {
    @mkdir("$dataDir/$uid/files", 0777, true);
    @mkdir("$dataDir/$uid/trash", 0777, true);
}

$pdo = Db::open($dataDir);
Db::createSchema($pdo);
$pdo->beginTransaction();

// File ids in a stable order (walk order), so every seeded run numbers files the same way.
$cache = new FileCache($pdo);
foreach (array_keys(Users::DISPLAY_NAMES) as $uid) {
    $root = "$dataDir/$uid/files";
    $cache->get($uid, '');
    $iterator = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($root, FilesystemIterator::SKIP_DOTS), RecursiveIteratorIterator::SELF_FIRST);
    $paths = [];
    foreach ($iterator as $file) $paths[] = substr($file->getPathname(), strlen($root) + 1);
    sort($paths, SORT_STRING);
    foreach ($paths as $path) $cache->get($uid, $path);
}
$cache->setFavorite('alice', $cache->get('alice', 'Readme.md')['fileid'], true);
$pdo->prepare('INSERT INTO shares (owner, path, recipient, target, permissions) VALUES (?, ?, ?, ?, ?)')
    ->execute(['alice', 'Plans', 'bob', 'Shared/Plans', 1]);

// ---- principals and calendars
foreach (Users::DISPLAY_NAMES as $uid => $name) {
    $pdo->prepare('INSERT INTO principals (uri, email, displayname) VALUES (?, ?, ?)')->execute(["principals/users/$uid", "$uid@example.com", $name]);
}
$calendarIds = [];
$addCalendar = function (string $uid, string $uri, string $name, string $color, string $components, ?int $deletedAt = null) use ($pdo, &$calendarIds): int {
    $pdo->prepare('INSERT INTO calendars (principaluri, displayname, uri, ctag, description, calendarorder, calendarcolor, timezone, components, transparent, deleted_at) VALUES (?, ?, ?, 1, NULL, 0, ?, NULL, ?, 0, ?)')
        ->execute(["principals/users/$uid", $name, $uri, $color, $components, $deletedAt]);
    return $calendarIds["$uid/$uri"] = (int) $pdo->lastInsertId();
};
foreach (array_keys(Users::DISPLAY_NAMES) as $uid) $addCalendar($uid, 'personal', 'Personal', '#0082c9', 'VEVENT');
$addCalendar('alice', 'team', 'Team', '#e9322d', 'VEVENT');
$addCalendar('alice', 'old-project', 'Old project', '#7a7a7a', 'VEVENT', time() - 86400);
$pdo->prepare('INSERT INTO calendar_shares (calendarid, sharee, readonly) VALUES (?, ?, 1)')->execute([$calendarIds['alice/team'], 'principals/users/bob']);
$pdo->commit();

$day = intdiv(time(), 86400) * 86400; // start of the current UTC day
$utc = fn (int $days, string $time): string => gmdate('Ymd', $day + $days * 86400) . 'T' . $time . 'Z';
$date = fn (int $days): string => gmdate('Ymd', $day + $days * 86400);
$stamp = gmdate('Ymd\THis\Z');
$event = function (string $uid, string $lines) use ($stamp): string {
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Nextcloud simulator//seed//EN\r\nCALSCALE:GREGORIAN\r\n" . str_replace("\n", "\r\n", $lines)
        . "BEGIN:VEVENT\r\nUID:$uid\r\nDTSTAMP:$stamp\r\nCREATED:$stamp\r\nLAST-MODIFIED:$stamp\r\n";
};
$end = "END:VEVENT\r\nEND:VCALENDAR\r\n";
$berlin = <<<'TZ'
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE

TZ;
$events = [
    ['alice/personal', 'standup', $event('sim-standup', $berlin) . "SUMMARY:Team standup\r\nLOCATION:Video call\r\nDTSTART;TZID=Europe/Berlin:{$date(1)}T093000\r\nDTEND;TZID=Europe/Berlin:{$date(1)}T094500\r\nRRULE:FREQ=WEEKLY\r\n" . $end],
    ['alice/personal', 'dentist', $event('sim-dentist', '') . "SUMMARY:Dentist appointment\r\nLOCATION:Dr. Smile, Main Street 1\r\nDTSTART:{$utc(3, '140000')}\r\nDTEND:{$utc(3, '150000')}\r\n" . $end],
    ['alice/personal', 'kickoff', $event('sim-kickoff', '') . "SUMMARY:Project kickoff\r\nDESCRIPTION:Kickoff of the new project, all day.\r\nDTSTART;VALUE=DATE:{$date(7)}\r\nDTEND;VALUE=DATE:{$date(8)}\r\n" . $end],
    ['alice/team', 'offsite', $event('sim-offsite', '') . "SUMMARY:Team offsite\r\nLOCATION:Lakeside lodge\r\nDESCRIPTION:Planning the next quarter.\r\nDTSTART:{$utc(10, '080000')}\r\nDTEND:{$utc(10, '160000')}\r\n" . $end],
    ['alice/old-project', 'retro', $event('sim-retro', '') . "SUMMARY:Old project retrospective\r\nDTSTART:{$utc(4, '100000')}\r\nDTEND:{$utc(4, '110000')}\r\n" . $end],
    ['bob/personal', 'lunch', $event('sim-lunch', '') . "SUMMARY:Lunch with Alice\r\nLOCATION:Cafe Wonderland\r\nDTSTART:{$utc(2, '120000')}\r\nDTEND:{$utc(2, '130000')}\r\n" . $end],
    ['carol/personal', 'onboarding', $event('sim-onboarding', '') . "SUMMARY:Intern onboarding\r\nDTSTART:{$utc(5, '090000')}\r\nDTEND:{$utc(5, '120000')}\r\n" . $end],
];
$backend = new Sabre\CalDAV\Backend\PDO($pdo);
foreach ($events as [$calendar, $name, $ics]) {
    $backend->createCalendarObject($calendarIds[$calendar], "$name.ics", $ics);
}
// Each area seeds its own data (contacts, tasks, tags, versions ...), one file each; they see the variables above.
foreach (glob(__DIR__ . '/seed.d/*.php') ?: [] as $part) {
    require $part;
}
echo "seeded $dataDir\n";
