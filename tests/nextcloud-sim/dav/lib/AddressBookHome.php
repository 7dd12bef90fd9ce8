<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CardDAV;
use Sabre\DAV;

// A user's address-book home: own, shared-in and system books, each a CardAddressBook with the matching ACL.
final class AddressBookHome extends CardDAV\UserAddressBooks
{
    public function getChildren()
    {
        $books = [];
        foreach ($this->carddavBackend->getAddressBooksForUser($this->principalUri) as $info) {
            $books[] = new CardAddressBook($this->carddavBackend, $info);
        }
        return $books;
    }

    public function createExtendedCollection($name, array $resourceType, array $properties)
    {
        // Reserved for app-provided and server-generated books.
        if (str_starts_with($name, 'z-app-generated--') || str_starts_with($name, 'z-server-generated--')) {
            throw new DAV\Exception\MethodNotAllowed('The resource you tried to create has a reserved name');
        }
        parent::createExtendedCollection($name, $resourceType, $properties);
    }
}
