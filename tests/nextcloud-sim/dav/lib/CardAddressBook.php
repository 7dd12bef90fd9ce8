<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CardDAV;
use Sabre\DAV;

// One address book as the current user sees it: own (read+write), shared (read, plus write for read-write
// shares, as AddressBook::getACL) or the system book (read only, SystemAddressbook strips write). Sabre's ACL
// plugin then answers 403 NeedPrivileges to PUT/DELETE where write is missing.
final class CardAddressBook extends CardDAV\AddressBook
{
    public function getChild($name)
    {
        $card = $this->carddavBackend->getCard($this->addressBookInfo['id'], $name);
        if (!$card) throw new DAV\Exception\NotFound('Card not found');
        return new CardNode($this->carddavBackend, $this->addressBookInfo, $card, $this->getACL());
    }

    public function getChildren()
    {
        $acl = $this->getACL();
        return array_map(
            fn (array $card) => new CardNode($this->carddavBackend, $this->addressBookInfo, $card, $acl),
            $this->carddavBackend->getCards($this->addressBookInfo['id']),
        );
    }

    public function createFile($name, $vcardData = null)
    {
        $etag = parent::createFile($name, $vcardData);
        return CardDavPlugin::$repaired ? null : $etag;
    }

    public function getACL()
    {
        $viewer = $this->addressBookInfo[CardBackend::VIEWER];
        return match ($this->addressBookInfo[CardBackend::KIND]) {
            'own' => parent::getACL(),
            'shared' => [
                ['privilege' => '{DAV:}read', 'principal' => $this->addressBookInfo['principaluri'], 'protected' => true],
                ['privilege' => '{DAV:}write', 'principal' => $this->addressBookInfo['principaluri'], 'protected' => true],
                ['privilege' => '{DAV:}read', 'principal' => $viewer, 'protected' => true],
                ...($this->addressBookInfo['{' . CalendarBackend::NS_OWNCLOUD . '}read-only']
                    ? [] : [['privilege' => '{DAV:}write', 'principal' => $viewer, 'protected' => true]]),
            ],
            default => [['privilege' => '{DAV:}read', 'principal' => $viewer, 'protected' => true]],
        };
    }

    public function getOwner()
    {
        return $this->addressBookInfo['principaluri'];
    }

    public function updateProperties($mutations)
    {
        // Nextcloud refuses PROPPATCH on shared and system books (403).
        return $this->addressBookInfo[CardBackend::KIND] === 'own' ? parent::updateProperties($mutations) : false;
    }

    public function delete()
    {
        if ($this->addressBookInfo[CardBackend::KIND] !== 'own') {
            throw new DAV\Exception\Forbidden('Unsharing address books is not supported by the simulator');
        }
        parent::delete();
    }
}
