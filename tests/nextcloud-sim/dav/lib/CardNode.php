<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CardDAV;

// A card with Nextcloud's content type (sabre 1.8 says text/x-vcard) and its book's ACL (1.8 grants only the
// book's owner, which would hide shared and system cards from the sharee).
final class CardNode extends CardDAV\Card
{
    /** @param list<array<string, mixed>> $acl */
    public function __construct($carddavBackend, array $addressBookInfo, array $cardData, private array $acl)
    {
        parent::__construct($carddavBackend, $addressBookInfo, $cardData);
    }

    public function getContentType()
    {
        return 'text/vcard; charset=utf-8';
    }

    public function getACL()
    {
        return $this->acl;
    }

    public function put($cardData)
    {
        $etag = parent::put($cardData);
        return CardDavPlugin::$repaired ? null : $etag;
    }
}
