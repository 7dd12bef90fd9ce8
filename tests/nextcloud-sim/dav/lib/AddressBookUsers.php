<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CardDAV;
use Sabre\DAV;

// /remote.php/dav/addressbooks/users/: Nextcloud's home path (sabre 1.8 would serve addressbooks/{uid}/). Only
// the requesting user's home is reachable; another user's home is 404, as for calendars.
final class AddressBookUsers extends CardDAV\AddressBookRoot
{
    public function __construct($principalBackend, $carddavBackend, private string $viewer)
    {
        parent::__construct($principalBackend, $carddavBackend, 'principals/users');
    }

    public function getName()
    {
        return 'users';
    }

    public function getChild($name)
    {
        if ($name !== $this->viewer) {
            throw new DAV\Exception\NotFound('Node with name \'' . $name . '\' could not be found');
        }
        return parent::getChild($name);
    }

    public function getChildren()
    {
        return [$this->getChild($this->viewer)];
    }

    public function getChildForPrincipal(array $principal)
    {
        return new AddressBookHome($this->carddavBackend, $principal['uri']);
    }
}
