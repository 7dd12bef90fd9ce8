<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// What Contacts adds to the DAV tree: addressbooks/users/{uid}/ and Nextcloud's CardDAV behaviour (contract §1, §9).
final class Contacts
{
    /** @return list<DAV\INode> */
    public static function collections(mixed ...$context): array
    {
        [$pdo, $uid, $principalBackend] = $context;
        return [new DAV\SimpleCollection('addressbooks', [new AddressBookUsers($principalBackend, new CardBackend($pdo), $uid)])];
    }

    /** @return list<DAV\ServerPlugin> */
    public static function plugins(mixed ...$context): array
    {
        return [new CardDavPlugin()];
    }
}
