<?php
// Contacts: every account's default book "contacts", demo cards for alice and bob, alice's "Team" book shared
// read-only with bob, and the system address book's cards (one per account, named Database:{uid}.vcf).
declare(strict_types=1);

use SimDav\CardBackend;
use SimDav\Users;

$cardBackend = new CardBackend($pdo);
$bookIds = [];
$addBook = function (string $principal, string $uri, string $name) use ($pdo, &$bookIds): int {
    $pdo->prepare('INSERT INTO addressbooks (principaluri, displayname, uri, description, ctag) VALUES (?, ?, ?, NULL, 1)')
        ->execute([$principal, $name, $uri]);
    return $bookIds["$principal/$uri"] = (int) $pdo->lastInsertId();
};
foreach (array_keys(Users::DISPLAY_NAMES) as $uid) $addBook("principals/users/$uid", 'contacts', 'Contacts');
$teamBook = $addBook('principals/users/alice', 'team', 'Team');
$pdo->prepare('INSERT INTO addressbook_shares (addressbookid, sharee, readonly) VALUES (?, ?, 1)')->execute([$teamBook, 'principals/users/bob']);
$systemBook = $addBook(CardBackend::SYSTEM_PRINCIPAL, CardBackend::SYSTEM_URI, 'Accounts');

$vcard = fn (string $version, string $uid, string $lines): string => "BEGIN:VCARD\r\nVERSION:$version\r\nPRODID:-//Nextcloud simulator//seed//EN\r\nUID:$uid\r\n"
    . str_replace("\n", "\r\n", $lines) . "REV:$stamp\r\nEND:VCARD\r\n";
$cards = [
    ["principals/users/alice/contacts", 'white-rabbit.vcf', $vcard('4.0', 'sim-contact-white-rabbit', "FN:White Rabbit\nN:Rabbit;White;;;\nEMAIL;TYPE=work:rabbit@wonderland.example\nEMAIL;TYPE=home:late@wonderland.example\nTEL;TYPE=cell:+44 20 7946 0001\nORG:Royal Court;Heralds\nTITLE:Herald\nCATEGORIES:Court\nX-FAVOURITE-FOOD:Carrots\n")],
    ["principals/users/alice/contacts", 'mad-hatter.vcf', $vcard('3.0', 'sim-contact-mad-hatter', "FN:Mad Hatter\nN:Hatter;Mad;;;\nEMAIL;TYPE=INTERNET:hatter@teaparty.example\nTEL;TYPE=WORK,VOICE:+44 20 7946 0002\nORG:Tea Party Ltd\nNOTE:Always six o'clock.\nX-SOCIALPROFILE;TYPE=mastodon:https://social.example/@hatter\n")],
    ["principals/users/alice/contacts", 'cheshire-cat.vcf', $vcard('4.0', 'sim-contact-cheshire-cat', "FN:Cheshire Cat\nN:Cat;Cheshire;;;\nEMAIL:grin@wonderland.example\nNOTE:Appears and vanishes.\n")],
    ["principals/users/alice/contacts", 'queen-of-hearts.vcf', $vcard('4.0', 'sim-contact-queen', "FN:Queen of Hearts\nN:Hearts;Queen;of;;\nEMAIL;TYPE=work:queen@court.example\nTEL;TYPE=work:+44 20 7946 0003\nORG:Royal Court\nX-CROQUET-HANDICAP:0\n")],
    ["principals/users/alice/team", 'caterpillar.vcf', $vcard('4.0', 'sim-contact-caterpillar', "FN:Caterpillar\nN:Caterpillar;;;;\nEMAIL:hookah@mushroom.example\nTEL;TYPE=cell:+44 20 7946 0004\nORG:Mushroom Advisory\n")],
    ["principals/users/bob/contacts", 'wendy.vcf', $vcard('4.0', 'sim-contact-wendy', "FN:Wendy\nN:;Wendy;;;\nEMAIL;TYPE=work:wendy@builders.example\nTEL;TYPE=cell:+44 161 496 0001\nORG:Bob's Builders\n")],
    ["principals/users/bob/contacts", 'scoop.vcf', $vcard('3.0', 'sim-contact-scoop', "FN:Scoop\nN:;Scoop;;;\nEMAIL;TYPE=INTERNET:scoop@builders.example\nORG:Bob's Builders\nX-VEHICLE:Digger\n")],
];
foreach ($cards as [$book, $name, $data]) $cardBackend->createCard($bookIds[$book], $name, $data);
foreach (Users::DISPLAY_NAMES as $uid => $name) {
    $parts = explode(' ', $name, 2);
    $cardBackend->createCard($systemBook, "Database:$uid.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Sabre//Sabre VObject 4.5.6//EN\r\nUID:$uid\r\nFN:$name\r\nN:" . ($parts[1] ?? '') . ";{$parts[0]};;;\r\nEMAIL;TYPE=HOME:$uid@example.com\r\nCLOUD:$uid@nextcloud.example\r\nEND:VCARD\r\n");
}
