<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CardDAV;
use Sabre\DAV;
use Sabre\VObject;

// sabre 1.8's PDO backend plus what Nextcloud's CardDavBackend adds to an address-book home: books shared with
// the user ({ownerUri}_shared_by_{ownerUid}, oc:owner-principal, oc:read-only), the system address book
// z-server-generated--system, ncc:owner-displayname on every book, and 400 for a UID already in the book.
final class CardBackend extends CardDAV\Backend\PDO
{
    public const SYSTEM_PRINCIPAL = 'principals/system/system';
    public const SYSTEM_URI = 'system';
    public const SYSTEM_NAME = 'z-server-generated--system';
    /** Keys (not DAV properties) saying how the current user reaches a book. */
    public const KIND = 'sim:kind';
    public const VIEWER = 'sim:viewer';

    public function getAddressBooksForUser($principalUri)
    {
        $books = [];
        foreach (parent::getAddressBooksForUser($principalUri) as $book) {
            $books[] = $this->decorate($book, 'own', $principalUri);
        }
        $shared = $this->pdo->prepare('SELECT a.*, s.readonly AS share_readonly FROM addressbook_shares s JOIN addressbooks a ON a.id = s.addressbookid WHERE s.sharee = ? ORDER BY a.id');
        $shared->execute([$principalUri]);
        foreach ($shared->fetchAll(\PDO::FETCH_ASSOC) as $row) {
            $ownerUid = basename((string) $row['principaluri']);
            $book = $this->decorate($this->info($row), 'shared', $principalUri);
            $book['uri'] = $row['uri'] . '_shared_by_' . $ownerUid;
            $book['{DAV:}displayname'] = $row['displayname'] . ' (' . Users::displayName($ownerUid) . ')';
            $book['{' . CalendarBackend::NS_OWNCLOUD . '}owner-principal'] = $row['principaluri'];
            // Sabre writes PHP true as "1" (contract 1.2/2.4: same caveat as calendars).
            $book['{' . CalendarBackend::NS_OWNCLOUD . '}read-only'] = (bool) $row['share_readonly'];
            $books[] = $book;
        }
        $system = $this->pdo->prepare('SELECT * FROM addressbooks WHERE principaluri = ? AND uri = ?');
        $system->execute([self::SYSTEM_PRINCIPAL, self::SYSTEM_URI]);
        foreach ($system->fetchAll(\PDO::FETCH_ASSOC) as $row) {
            $book = $this->info($row);
            $book['uri'] = self::SYSTEM_NAME;
            $book['{' . CardDAV\Plugin::NS_CARDDAV . '}addressbook-description'] = 'System address book which holds all accounts';
            $book['{' . CalendarBackend::NS_OWNCLOUD . '}owner-principal'] = self::SYSTEM_PRINCIPAL;
            $book['{' . CalendarBackend::NS_OWNCLOUD . '}read-only'] = true;
            $book[self::KIND] = 'system';
            $book[self::VIEWER] = $principalUri;
            $books[] = $book;
        }
        return $books;
    }

    /** @param array<string, mixed> $row */
    private function info(array $row): array
    {
        return [
            'id' => $row['id'],
            'uri' => $row['uri'],
            'principaluri' => $row['principaluri'],
            '{DAV:}displayname' => $row['displayname'],
            '{' . CardDAV\Plugin::NS_CARDDAV . '}addressbook-description' => $row['description'],
            '{http://calendarserver.org/ns/}getctag' => $row['ctag'],
            '{' . CardDAV\Plugin::NS_CARDDAV . '}supported-address-data' => new CardDAV\Property\SupportedAddressData(),
        ];
    }

    /** @param array<string, mixed> $book */
    private function decorate(array $book, string $kind, string $viewer): array
    {
        $book[self::KIND] = $kind;
        $book[self::VIEWER] = $viewer;
        $book['{' . CalendarBackend::NS_NEXTCLOUD_COM . '}owner-displayname'] = Users::displayName(basename((string) $book['principaluri']));
        return $book;
    }

    public function createCard($addressBookId, $cardUri, $cardData)
    {
        $uid = self::uidOf((string) $cardData);
        if ($uid !== null) {
            foreach ($this->getCards($addressBookId) as $card) {
                if (self::uidOf((string) $card['carddata']) === $uid) {
                    // CardDavBackend::createCard's message, word for word.
                    throw new DAV\Exception\BadRequest('VCard object with uid already exists in this addressbook collection.');
                }
            }
        }
        return parent::createCard($addressBookId, $cardUri, $cardData);
    }

    private static function uidOf(string $data): ?string
    {
        try {
            $card = VObject\Reader::read($data);
        } catch (\Throwable) {
            return null;
        }
        return isset($card->UID) ? (string) $card->UID : null;
    }
}
