<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// nc:system-tags (SystemTagList): one <nc:system-tag oc:id=… oc:can-assign=… oc:user-assignable=… oc:user-visible=…
// nc:color="">Name</nc:system-tag> per visible tag.
final class TagListProperty extends DAV\Property
{
    /** @param list<array{id:int, name:string, visible:bool, assignable:bool}> $tags */
    public function __construct(private array $tags, private TagStore $store)
    {
    }

    public function serialize(DAV\Server $server, \DOMElement $prop)
    {
        foreach ($this->tags as $tag) {
            $element = $prop->ownerDocument->createElementNS(FilesPlugin::NS_NEXTCLOUD, 'nc:system-tag');
            $element->appendChild($prop->ownerDocument->createTextNode($tag['name']));
            $element->setAttributeNS(FilesPlugin::NS_OWNCLOUD, 'oc:id', (string) $tag['id']);
            $element->setAttributeNS(FilesPlugin::NS_OWNCLOUD, 'oc:can-assign', $this->store->canAssign($tag) ? 'true' : 'false');
            $element->setAttributeNS(FilesPlugin::NS_OWNCLOUD, 'oc:user-assignable', $tag['assignable'] ? 'true' : 'false');
            $element->setAttributeNS(FilesPlugin::NS_OWNCLOUD, 'oc:user-visible', $tag['visible'] ? 'true' : 'false');
            $element->setAttributeNS(FilesPlugin::NS_NEXTCLOUD, 'nc:color', '');
            $prop->appendChild($element);
        }
    }
}
