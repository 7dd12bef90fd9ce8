<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// <d:privilege><prefix:name/></d:privilege> per privilege, prefixes taken from the server's namespace map.
final class PrivilegeSetProperty extends DAV\Property
{
    /** @param list<string> $privileges in clark notation */
    public function __construct(private array $privileges)
    {
    }

    public function serialize(DAV\Server $server, \DOMElement $prop)
    {
        $doc = $prop->ownerDocument;
        foreach ($this->privileges as $privilege) {
            [$namespace, $local] = DAV\XMLUtil::parseClarkNotation($privilege);
            $prefix = $server->xmlNamespaces[$namespace] ?? 'x';
            $wrapper = $doc->createElementNS('DAV:', 'd:privilege');
            $wrapper->appendChild($doc->createElementNS($namespace, $prefix . ':' . $local));
            $prop->appendChild($wrapper);
        }
    }
}
