<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// oc:share-types: one <oc:share-type>N</oc:share-type> per share type; an empty element when not shared.
final class ShareTypesProperty extends DAV\Property
{
    /** @param list<int> $types */
    public function __construct(private array $types)
    {
    }

    public function serialize(DAV\Server $server, \DOMElement $prop)
    {
        foreach ($this->types as $type) {
            $prop->appendChild($prop->ownerDocument->createElementNS(FilesPlugin::NS_OWNCLOUD, 'oc:share-type', (string) $type));
        }
    }
}
